@profiles
Feature: VM, cluster and container profiles
  kweb-reference.md §6.15; the server's profiles.yml is the captured one.
  kcli's VM defaults and its built-in cluster profile samples changed between
  supported releases: those scenarios carry the release range they hold for
  (@kcli-since-R / @kcli-before-R, kweb-sim's drift table).

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

  @ref-6.15 @obs @kcli-since-99.0.202607171017
  Scenario: the VM defaults have vncpassword after vnc
    When I send "GET /vmprofiles"
    Then the status is 200
    And the body contains ""vnc": true, "vncpassword": null, "cloudinit": true"

  @ref-6.15 @obs @kcli-before-99.0.202607171017
  Scenario: the VM defaults have no vncpassword before kcli 99.0.202607171017
    When I send "GET /vmprofiles"
    Then the status is 200
    And the body contains ""vnc": true, "cloudinit": true"
    And the body does not contain "vncpassword"

  @ref-6.15 @obs @kcli-since-99.0.202608141013
  Scenario: the cluster profiles are the five built-in samples in order
    When I send "GET /kubeprofiles"
    Then the status is 200
    And the JSON keys at "/profiles" are, in order: sample-openshift-compact, sample-openshift-sno, sample-openshift-ipv6, sample-kubeadm-default, sample-openshift-sno-bm
    And the JSON body contains:
      """
      {"profiles": {"sample-openshift-compact": {"sslip": true, "ctlplanes": 3, "workers": 0, "numcpus": 32, "bootstrap_memory": 8192, "memory": 32768, "extra_disks": [100], "apps": ["local-storage-operator", "odf-operator", "kubevirt-hyperconverged", "users"]}}}
      """

  @ref-6.15 @obs @kcli-before-99.0.202608141013
  Scenario: the cluster profiles are six samples with contrail before kcli 99.0.202608141013
    When I send "GET /kubeprofiles"
    Then the status is 200
    And the JSON keys at "/profiles" are, in order: sample-openshift-compact, sample-openshift-sno, sample-openshift-ipv6, sample-openshift-contrail, sample-kubeadm-default, sample-openshift-sno-bm
    And the JSON body contains:
      """
      {"profiles": {"sample-openshift-compact": {"sslip": true, "ctlplanes": 3, "workers": 0, "numcpus": 16, "memory": 32768, "extra_disks": [100], "apps": ["local-storage-operator", "odf-operator", "users"]}}}
      """

  @ref-6.15 @obs @kcli-before-99.0.202608141013
  Scenario: the contrail sample is returned bare before kcli 99.0.202608141013
    When I send "GET /kubeprofiles/sample-openshift-contrail"
    Then the status is 200
    And the body is "{"cluster": "mycontrail", "domain": "karmalabs.corp", "version": "stable", "tag": 4.12, "api_ip": "192.168.122.253", "sslip": true, "ctlplanes": 3, "workers": 0, "numcpus": 16, "disk_size": 400, "memory": 65536, "network": "default", "network_type": "Contrail"}"

  @ref-4.2 @obs @kcli-since-99.0.202608141013
  Scenario: the contrail sample is gone from kcli 99.0.202608141013 on
    When I send "GET /kubeprofiles/sample-openshift-contrail"
    Then the status line is "HTTP/1.0 404 Not Found"
    And the body is "{"result": "failure", "reason": "Clusterprofile {profile} not found"}"

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
