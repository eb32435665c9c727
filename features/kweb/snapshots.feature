@snapshots
Feature: Snapshots: create, list, revert, delete
  kweb-reference.md §5.1 and §6.8.

  @ref-6.8 @obs
  Scenario: a snapshot is listed by name and shown as current in VMINFO
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-snap", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-snap" with JSON '{"snapshots": true}'
    When I send "POST /snapshots/vm-snap" with JSON '{"snapshot": "snap1"}'
    Then the status is 200
    And the body is "{"result": "success"}"
    When I send "GET /snapshots/vm-snap"
    Then the body is "{"snapshots": ["snap1"]}"
    When I send "GET /vms/vm-snap"
    Then the JSON body contains:
      """
      {"snapshots": [{"snapshot": "snap1", "current": true}]}
      """
    And the JSON keys at "" are, in order: name, nets, disks, id, plan, profile, creationdate, status, autostart, numcpus, memory, snapshots

  @ref-6.8 @obs @promoted
  Scenario: the newest snapshot is current, and reverting makes the old one current
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-snaps", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-snaps" with JSON '{"snapshots": true}'
    And the kweb accepted "POST /snapshots/vm-snaps" with JSON '{"snapshot": "s1"}'
    And the kweb accepted "POST /snapshots/vm-snaps" with JSON '{"snapshot": "s2"}'
    When I send "GET /vms/vm-snaps"
    Then the JSON at "/snapshots" has an item containing:
      """
      {"snapshot": "s2", "current": true}
      """
    And the JSON at "/snapshots" has an item containing:
      """
      {"snapshot": "s1", "current": false}
      """
    When I send "POST /snapshots/vm-snaps/revert" with JSON '{"snapshot": "s1"}'
    Then the status is 200
    And the body is "{"result": "success"}"
    When I send "GET /vms/vm-snaps"
    Then the JSON at "/snapshots" has an item containing:
      """
      {"snapshot": "s1", "current": true}
      """

  @ref-4.2 @obs
  Scenario: a duplicate snapshot is a 200 failure
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-snapdup", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-snapdup" with JSON '{"snapshots": true}'
    And the kweb accepted "POST /snapshots/vm-snapdup" with JSON '{"snapshot": "snap1"}'
    When I send "POST /snapshots/vm-snapdup" with JSON '{"snapshot": "snap1"}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Snapshot snap1 already exists"}"

  @ref-4.2 @ref-6.4 @obs
  Scenario: a VM with snapshots is only deleted with the snapshots flag
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-hassnap", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-hassnap" with JSON '{"snapshots": true}'
    And the kweb accepted "POST /snapshots/vm-hassnap" with JSON '{"snapshot": "snap1"}'
    When I send "DELETE /vms/vm-hassnap"
    Then the status is 200
    And the body is "{"result": "failure", "reason": "VM vm-hassnap has snapshots"}"
    When I send "DELETE /vms/vm-hassnap" with JSON '{"snapshots": true}'
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-hassnap"
    Then the body is "{}"

  @ref-3.5 @ref-12.18 @obs @promoted
  Scenario: the snapshots flag is truthy as any non-empty form value, even "false"
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-snapform", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-snapform" with JSON '{"snapshots": true}'
    And the kweb accepted "POST /snapshots/vm-snapform" with JSON '{"snapshot": "snap1"}'
    When I send "DELETE /vms/vm-snapform" with form 'snapshots=false'
    Then the body is "{"result": "success"}"

  @ref-4.2 @obs
  Scenario: deleting an unknown snapshot is a 200 failure
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-snapdel", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-snapdel" with JSON '{"snapshots": true}'
    When I send "DELETE /snapshots/vm-snapdel" with JSON '{"snapshot": "nosuch"}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Snapshot nosuch doesn't exist"}"

  @ref-6.8 @obs
  Scenario: deleting a snapshot removes it from the list
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-snaprm", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-snaprm" with JSON '{"snapshots": true}'
    And the kweb accepted "POST /snapshots/vm-snaprm" with JSON '{"snapshot": "snap1"}'
    When I send "DELETE /snapshots/vm-snaprm" with JSON '{"snapshot": "snap1"}'
    Then the body is "{"result": "success"}"
    When I send "GET /snapshots/vm-snaprm"
    Then the body is "{"snapshots": []}"
    When I send "GET /vms/vm-snaprm"
    Then the JSON object at "" does not have the key "snapshots"

  @ref-4.2 @obs @promoted
  Scenario: reverting to an unknown snapshot is a 200 failure
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-snaprev", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-snaprev" with JSON '{"snapshots": true}'
    When I send "POST /snapshots/vm-snaprev/revert" with JSON '{"snapshot": "nosuch"}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Snapshot nosuch doesn't exist"}"

  @ref-4.2 @obs
  Scenario Outline: snapshot calls on an unknown VM: <method> <path>
    When I send "<method> <path>" with JSON '{"snapshot": "snap1"}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "VM nosuch-snapvm not found"}"

    Examples:
      | method | path                           |
      | POST   | /snapshots/nosuch-snapvm        |
      | DELETE | /snapshots/nosuch-snapvm        |
      | POST   | /snapshots/nosuch-snapvm/revert |

  @ref-4.7 @ref-12.3 @obs
  Scenario: listing the snapshots of an unknown VM lists the keys of kcli's failure
    When I send "GET /snapshots/nosuch-snapvm"
    Then the status is 200
    And the body is "{"snapshots": ["result", "reason"]}"

  @ref-11 @obs
  Scenario: the built-in test domain has no snapshots
    When I send "GET /snapshots/test"
    Then the body is "{"snapshots": []}"

  @ref-4.3 @obs
  Scenario Outline: a missing snapshot key is 400 Invalid Data: <method> <path>
    When I send "<method> <path>" with JSON '{"name": "x"}'
    Then the status is 400
    And the body is "{"result": "failure", "reason": "Invalid Data"}"

    Examples:
      | method | path                    |
      | POST   | /snapshots/test        |
      | DELETE | /snapshots/test        |
      | POST   | /snapshots/test/revert |
