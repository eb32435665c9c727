@profiles
Feature: VM, cluster and container profiles
  kweb-reference.md §6.15; the server's profiles.yml is the captured one.

  @ref-6.15 @obs
  Scenario: VM profiles are merged over the client's defaults
    When I send "GET /vmprofiles"
    Then the status is 200
    And the JSON body contains:
      """
      {"profiles": {"small": {"nets": ["default"], "pool": "default-pool", "image": null, "numcpus": 1, "memory": 1024, "disks": [5], "disksize": 10, "cloudinit": true, "start": true, "autostart": false, "client": "testlv", "type": "kvm", "host": "127.0.0.1", "url": "test:///default"}}}
      """
    And the JSON keys at "/profiles" are, in order: small
    And the body matches "{"profiles": {"small": {"nets": ["default"], "pool": "default-pool", "image": null, "numcpus": 1, "cpumodel": "host-model", {{.*}}, "client": "testlv", "type": "kvm", "host": "127.0.0.1", "url": "test:///default"}}}"

  @ref-6.15 @obs
  Scenario: the cluster profiles are the five built-in samples in order
    When I send "GET /kubeprofiles"
    Then the status is 200
    And the JSON keys at "/profiles" are, in order: sample-openshift-compact, sample-openshift-sno, sample-openshift-ipv6, sample-kubeadm-default, sample-openshift-sno-bm

  @ref-6.15 @obs
  Scenario: one cluster profile is returned bare
    When I send "GET /kubeprofiles/sample-openshift-sno"
    Then the status is 200
    And the body is "{"ctlplanes": 1, "workers": 0, "sslip": true, "numcpus": 16, "memory": 32768, "disk_size": 100, "extra_disks": [100], "apps": ["lvms-operator", "users"], "ovn_hostrouting": true}"

  @ref-4.2 @ref-12.7 @obs
  Scenario: an unknown cluster profile is 404 with a literal {profile}
    When I send "GET /kubeprofiles/nosuch-profile"
    Then the status line is "HTTP/1.0 404 Not Found"
    And the content type is "application/json"
    And the body is "{"result": "failure", "reason": "Clusterprofile {profile} not found"}"

  @ref-6.15 @obs
  Scenario: container profiles are rows of six columns
    When I send "GET /containerprofiles"
    Then the status is 200
    And the body is "{"profiles": [["mycontainer", "nginx", "", "", "", ""]]}"
