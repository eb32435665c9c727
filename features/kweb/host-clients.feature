@host-clients
Feature: Host information and kcli clients
  kweb-reference.md §5.1 and §6.9. The client routes rewrite
  $HOME/.kcli/config.yml; scenarios put it back.

  @ref-6.9 @ref-11 @obs
  Scenario: the host shows the test driver's node and pools
    When I send "GET /host"
    Then the status is 200
    And the body matches:
      """
      {"connection": "test:///default", "host": "{{[^"]+}}", "vms_running": {{\d+}}, "cpus_total": 8, "cpus_used": {{\d+}}, "memory_used": {{\d+}}, "memory_total": 3072, "storage": [{{.*}}"storage: default-pool, type: dir, path: /default-pool, used_space: {{\d+\.\d+}}GB, available_space: {{\d+\.\d+}}GB"{{.*}}], "networks": ["name: eth1, type: bridged", {{.*}}"name: default, type: routed, cidr: 192.168.122.0/24, dhcp: True"{{.*}}]}
      """

  @ref-6.9 @obs
  Scenario: running VMs count in the host numbers
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-count", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-count"
    When I send "GET /host"
    Then the JSON body contains:
      """
      {"vms_running": 2, "cpus_used": 4, "memory_used": 2560}
      """

  @ref-6.9 @obs
  Scenario: clients are listed by name with the default marked
    When I send "GET /hosts"
    Then the status is 200
    And the body is "{"clients": [["fakeclient", "fake", false, ""], ["testlv", "kvm", true, "X"]]}"

  @ref-4.2 @obs
  Scenario Outline: client actions on an unknown client: <action>
    When I send "POST /hosts/nosuch-client/<action>"
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Client nosuch-client not found in config"}"

    Examples:
      | action  |
      | enable  |
      | disable |
      | switch  |

  @ref-4.2 @obs
  Scenario: the default client cannot be disabled
    When I send "POST /hosts/testlv/disable"
    Then the body is "{"result": "failure", "reason": "Client testlv currently default"}"

  @ref-4.2 @obs
  Scenario: a disabled client cannot become the default
    When I send "POST /hosts/fakeclient/switch"
    Then the body is "{"result": "failure", "reason": "Client fakeclient is disabled"}"

  @ref-6.9 @obs
  Scenario: enabling and disabling a client rewrites the client list
    When I send "POST /hosts/fakeclient/enable"
    And afterwards I send "POST /hosts/fakeclient/disable"
    Then the body is "{"result": "success"}"
    When I send "GET /hosts"
    Then the body is "{"clients": [["fakeclient", "fake", true, ""], ["testlv", "kvm", true, "X"]]}"
    When I send "POST /hosts/fakeclient/disable"
    Then the body is "{"result": "success"}"
    When I send "GET /hosts"
    Then the body is "{"clients": [["fakeclient", "fake", false, ""], ["testlv", "kvm", true, "X"]]}"

  @ref-6.9 @ref-10 @ref-12.21 @obs @promoted
  Scenario: switching the default client applies from the next request; type fake falls through to kvm
    Given the kweb accepted "POST /hosts/fakeclient/enable"
    And afterwards I send "POST /hosts/fakeclient/disable"
    And afterwards I send "POST /hosts/testlv/switch"
    When I send "POST /hosts/fakeclient/switch"
    Then the body is "{"result": "success"}"
    When I send "GET /hosts"
    Then the body is "{"clients": [["fakeclient", "fake", true, "X"], ["testlv", "kvm", true, ""]]}"
    When I send "GET /host"
    Then the JSON body contains:
      """
      {"connection": "test:///default"}
      """
    When I send "POST /hosts/fakeclient/disable"
    Then the body is "{"result": "failure", "reason": "Client fakeclient currently default"}"
    When I send "POST /hosts/testlv/switch"
    Then the body is "{"result": "success"}"
    When I send "GET /hosts"
    Then the body is "{"clients": [["fakeclient", "fake", true, ""], ["testlv", "kvm", true, "X"]]}"
