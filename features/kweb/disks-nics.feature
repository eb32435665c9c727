@disks-nics
Feature: Disks and NICs of existing VMs
  The lookups and key checks are kweb's; the hot-plug itself is not supported
  by libvirt's test driver (500), while the simulator must succeed
  (kweb-reference.md §5.1, §6.7).

  @ref-4.2 @obs
  Scenario Outline: disk and NIC calls on an unknown VM: <method> <path>
    When I send "<method> <path>" with JSON '<body>'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "VM nosuch-dev not found"}"

    Examples:
      | method | path               | body                                   |
      | POST   | /disks/nosuch-dev  | {"size": 1, "pool": "default-pool"}    |
      | DELETE | /disks/nosuch-dev  | {"disk": "nosuch-dev_0.img"}           |
      | POST   | /nics/nosuch-dev   | {"network": "default"}                 |
      | DELETE | /nics/nosuch-dev   | {"nic": "eth0"}                        |

  @ref-4.2 @obs @promoted
  Scenario: a disk size below 1 is refused before the VM lookup
    When I send "POST /disks/nosuch-dev" with JSON '{"size": 0, "pool": "default-pool"}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Incorrect size"}"

  @ref-5.1 @ref-12.8 @obs
  Scenario Outline: a missing required key is a 500 page: <method> <path> <body>
    When I send "<method> <path>" with JSON '<body>'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

    Examples:
      | method | path        | body                       |
      | POST   | /disks/test | {"pool": "default-pool"}   |
      | POST   | /disks/test | {"size": 1}                |
      | DELETE | /disks/test | {"name": "x"}              |
      | POST   | /nics/test  | {"model": "virtio"}        |
      | DELETE | /nics/test  | {"name": "x"}              |

  @ref-5.1 @obs
  Scenario: a non-numeric disk size is a 500 page
    When I send "POST /disks/test" with JSON '{"size": "big", "pool": "default-pool"}'
    Then the status is 500

  @ref-4.2 @obs
  Scenario: removing a disk the VM does not have is a 200 failure
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-disks", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-disks"
    When I send "DELETE /disks/vm-disks" with JSON '{"disk": "nosuch.img"}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Disk nosuch.img not found in vm-disks"}"

  @ref-4.2 @obs
  Scenario: removing a NIC the VM does not have is a 200 failure
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-nics", "profile": "kvirt", "disks": [1], "nets": ["default"]}'
    And afterwards I send "DELETE /vms/vm-nics"
    When I send "DELETE /nics/vm-nics" with JSON '{"nic": "eth7"}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Interface eth7 not found"}"

  @ref-4.2 @obs
  Scenario: adding a NIC on an unknown network is a 200 failure
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-nicnet", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-nicnet"
    When I send "POST /nics/vm-nicnet" with JSON '{"network": "nosuch-net"}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Network nosuch-net not found"}"

  @ref-6.7 @ref-11 @env @target-real @obs
  Scenario Outline: hot-plug fails on the test driver: <method> <path>
    Given afterwards I send "DELETE /images/vm-hotplug_1.img"
    And the kweb accepted "POST /vms" with JSON '{"name": "vm-hotplug", "profile": "kvirt", "disks": [1], "nets": ["default"]}'
    And afterwards I send "DELETE /vms/vm-hotplug"
    When I send "<method> <path>" with JSON '<body>'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

    Examples:
      | method | path              | body                                 |
      | POST   | /disks/vm-hotplug | {"size": 1, "pool": "default-pool"}  |
      | DELETE | /disks/vm-hotplug | {"disk": "vm-hotplug_0.img"}         |
      | POST   | /nics/vm-hotplug  | {"network": "default"}               |
      | DELETE | /nics/vm-hotplug  | {"nic": "eth0"}                      |

  @ref-6.7 @target-sim @code
  Scenario: on the simulator a disk can be added and removed
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-simdisk", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-simdisk"
    When I send "POST /disks/vm-simdisk" with JSON '{"size": 2, "pool": "default-pool"}'
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-simdisk"
    Then the JSON at "/disks" has an item containing:
      """
      {"device": "vdb", "size": 2}
      """
    When I send "DELETE /disks/vm-simdisk" with JSON '{"disk": "vm-simdisk_1.img"}'
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-simdisk"
    Then the JSON at "/disks" has no item containing:
      """
      {"device": "vdb"}
      """

  @ref-6.7 @target-sim @code
  Scenario: on the simulator a NIC can be added and removed
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-simnic", "profile": "kvirt", "disks": [1], "nets": ["default"]}'
    And afterwards I send "DELETE /vms/vm-simnic"
    When I send "POST /nics/vm-simnic" with JSON '{"network": "default"}'
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-simnic"
    Then the JSON at "/nets" has an item containing:
      """
      {"device": "eth1", "net": "default"}
      """
    When I send "DELETE /nics/vm-simnic" with JSON '{"nic": "eth1"}'
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-simnic"
    Then the JSON at "/nets" has no item containing:
      """
      {"device": "eth1"}
      """
