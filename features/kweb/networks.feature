@networks
Feature: Networks: list, create, update, delete
  kweb-reference.md §5.1 and §6.10 on libvirt's test driver.

  @ref-6.10 @ref-11 @obs
  Scenario: the test driver's network and host interface are listed
    When I send "GET /networks"
    Then the status is 200
    And the JSON body contains:
      """
      {"networks": {"default": {"cidr": "192.168.122.0/24", "dhcp": true, "domain": "default", "type": "routed", "mode": "nat", "plan": "N/A"}, "eth1": {"cidr": "N/A", "dhcp": "N/A", "type": "nic", "mode": "N/A"}}}
      """
    And the body contains "{"cidr": "192.168.122.0/24", "dhcp": true, "domain": "default", "type": "routed", "mode": "nat", "plan": "N/A"}"
    And the body contains ""eth1": {"cidr": "N/A", "dhcp": "N/A", "type": "nic", "mode": "N/A"}"

  @ref-6.10 @obs
  Scenario: a created NAT network is listed with plan kvirt and in /host
    When I send "POST /networks" with JSON '{"network": "net-nat", "cidr": "10.40.0.0/24", "dhcp": true, "isolated": false}'
    And afterwards I send "DELETE /networks/net-nat"
    Then the status is 200
    And the body is "{"result": "success"}"
    When I send "GET /networks"
    Then the body contains ""net-nat": {"cidr": "10.40.0.0/24", "dhcp": true, "domain": "net-nat", "type": "routed", "mode": "nat", "plan": "kvirt"}"
    When I send "GET /host"
    Then the JSON at "/networks" has an item containing:
      """
      "name: net-nat, type: routed, cidr: 10.40.0.0/24, dhcp: True"
      """

  @ref-6.10 @obs
  Scenario: an isolated network without DHCP
    Given the kweb accepted "POST /networks" with JSON '{"network": "net-iso", "cidr": "10.41.0.0/24", "dhcp": false, "isolated": true}'
    And afterwards I send "DELETE /networks/net-iso"
    When I send "GET /networks"
    Then the JSON body contains:
      """
      {"networks": {"net-iso": {"cidr": "10.41.0.0/24", "dhcp": false, "domain": "net-iso", "type": "routed", "mode": "isolated", "plan": "kvirt"}}}
      """

  @ref-3.5 @ref-12.18 @obs
  Scenario: form booleans "false" are true: dhcp on, isolated
    When I send "POST /networks" with form 'network=net-form&cidr=10.42.0.0/24&dhcp=false&isolated=false'
    And afterwards I send "DELETE /networks/net-form"
    Then the body is "{"result": "success"}"
    When I send "GET /networks"
    Then the JSON body contains:
      """
      {"networks": {"net-form": {"dhcp": true, "mode": "isolated"}}}
      """

  @ref-4.2 @obs
  Scenario: creating a network twice is a 200 failure
    Given the kweb accepted "POST /networks" with JSON '{"network": "net-dup", "cidr": "10.43.0.0/24", "dhcp": true, "isolated": false}'
    And afterwards I send "DELETE /networks/net-dup"
    When I send "POST /networks" with JSON '{"network": "net-dup", "cidr": "10.44.0.0/24", "dhcp": true, "isolated": false}'
    Then the body is "{"result": "failure", "reason": "Network net-dup already exists"}"

  @ref-4.2 @obs
  Scenario: an invalid CIDR is a 200 failure
    When I send "POST /networks" with JSON '{"network": "net-bad", "cidr": "10.0.0.300/24", "dhcp": true, "isolated": false}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Invalid Cidr 10.0.0.300/24"}"

  @ref-4.2 @obs @promoted
  Scenario: a CIDR already used by another network is a 200 failure
    When I send "POST /networks" with JSON '{"network": "net-samecidr", "cidr": "192.168.122.0/24", "dhcp": true, "isolated": false}'
    Then the body is "{"result": "failure", "reason": "Cidr 192.168.122.0/24 already exists"}"

  @ref-4.2 @obs @promoted
  Scenario: a null CIDR is Missing Cidr
    When I send "POST /networks" with JSON '{"network": "net-nocidr", "cidr": null, "dhcp": true, "isolated": false}'
    Then the body is "{"result": "failure", "reason": "Missing Cidr"}"

  @ref-4.2 @obs @promoted
  Scenario: network names of 16 characters or more are refused
    When I send "POST /networks" with JSON '{"network": "net-abcdefghijklm", "cidr": "10.45.0.0/24", "dhcp": true, "isolated": false}'
    Then the body is "{"result": "failure", "reason": "network net-abcdefghijklm is more than 16 characters"}"

  @ref-4.3 @obs
  Scenario: a missing network name is 400 Invalid Data
    When I send "POST /networks" with JSON '{"cidr": "10.46.0.0/24", "dhcp": true, "isolated": false}'
    Then the status is 400
    And the body is "{"result": "failure", "reason": "Invalid Data"}"

  @ref-5.1 @ref-12.8 @obs
  Scenario Outline: a missing <key> is a 500 page
    When I send "POST /networks" with JSON '<body>'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

    Examples:
      | key      | body                                                    |
      | cidr     | {"network": "net-k1", "dhcp": true, "isolated": false}  |
      | dhcp     | {"network": "net-k2", "cidr": "10.47.0.0/24", "isolated": false} |
      | isolated | {"network": "net-k3", "cidr": "10.48.0.0/24", "dhcp": true} |

  @ref-6.10 @obs
  Scenario: UPDATE switches DHCP off and NAT off
    Given the kweb accepted "POST /networks" with JSON '{"network": "net-upd", "cidr": "10.49.0.0/24", "dhcp": true, "isolated": false}'
    And afterwards I send "DELETE /networks/net-upd"
    When I send "UPDATE /networks/net-upd" with JSON '{"dhcp": false}'
    Then the status is 200
    And the body is "{"result": "success"}"
    When I send "UPDATE /networks/net-upd" with JSON '{"nat": false}'
    Then the body is "{"result": "success"}"
    When I send "GET /networks"
    Then the JSON body contains:
      """
      {"networks": {"net-upd": {"dhcp": false, "mode": "isolated"}}}
      """

  @ref-4.2 @ref-12.26 @obs @promoted
  Scenario: UPDATE with nothing to change is No changes needed
    Given the kweb accepted "POST /networks" with JSON '{"network": "net-same", "cidr": "10.50.0.0/24", "dhcp": true, "isolated": false}'
    And afterwards I send "DELETE /networks/net-same"
    When I send "UPDATE /networks/net-same" with JSON '{"dhcp": true}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "No changes needed"}"

  @ref-4.1 @ref-12.5 @obs
  Scenario: UPDATE of an unknown network is result "not found"
    When I send "UPDATE /networks/nosuch-net" with JSON '{"dhcp": false}'
    Then the status is 200
    And the body is "{"result": "not found"}"

  @ref-4.2 @obs
  Scenario: deleting an unknown network is a 200 failure
    When I send "DELETE /networks/nosuch-net"
    Then the body is "{"result": "failure", "reason": "Network nosuch-net not found"}"

  @ref-6.10 @obs
  Scenario: a deleted network is gone
    Given the kweb accepted "POST /networks" with JSON '{"network": "net-rm", "cidr": "10.51.0.0/24", "dhcp": true, "isolated": false}'
    When I send "DELETE /networks/net-rm"
    Then the body is "{"result": "success"}"
    When I send "GET /networks"
    Then the JSON object at "/networks" does not have the key "net-rm"

  @ref-6.10 @ref-12.24 @obs
  Scenario: a network used by the only VM on it cannot be deleted
    Given the kweb accepted "POST /networks" with JSON '{"network": "net-used", "cidr": "10.52.0.0/24", "dhcp": true, "isolated": false}'
    And afterwards I send "DELETE /networks/net-used"
    And the kweb accepted "POST /vms" with JSON '{"name": "vm-onnet", "profile": "kvirt", "disks": [1], "nets": ["net-used"]}'
    And afterwards I send "DELETE /vms/vm-onnet"
    When I send "DELETE /networks/net-used"
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Network net-used is being used by the following vms: vm-onnet"}"

  @ref-6.10 @ref-12.24 @ref-12.33 @obs
  Scenario: the in-use check looks at each VM's last NIC only
    Given the kweb accepted "POST /networks" with JSON '{"network": "net-last", "cidr": "10.53.0.0/24", "dhcp": true, "isolated": false}'
    And afterwards I send "DELETE /networks/net-last"
    And the kweb accepted "POST /vms" with JSON '{"name": "vm-twonics", "profile": "kvirt", "disks": [1], "nets": ["net-last", "default"]}'
    And afterwards I send "DELETE /vms/vm-twonics"
    When I send "DELETE /networks/net-last"
    Then the status is 200
    And the body is "{"result": "success"}"

  @ref-6.10 @ref-12.33 @obs
  Scenario: the default network is in use by the built-in test domain
    When I send "DELETE /networks/default"
    Then the status is 200
    And the body matches "{"result": "failure", "reason": "Network default is being used by the following vms: {{([a-z0-9-]+,)*test(,[a-z0-9-]+)*}}"}"

  @ref-2.5 @ref-2.8 @obs
  Scenario: PUT on a network is 405; the verb is UPDATE
    When I send "PUT /networks/default" with JSON '{"dhcp": false}'
    Then the status is 405
    And the header "Allow" is "DELETE,UPDATE"
