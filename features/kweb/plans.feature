@plans
Feature: Plans
  kweb-reference.md §5.1 and §6.13; the plan file is
  conformance/fixtures/kweb-configs/myplan.yml (VMs pvm1, pvm2).

  @ref-6.13 @obs
  Scenario: creating a plan from a local file deploys its VMs
    When I send "POST /plans" with JSON '{"name": "plan-create", "url": "${FIXTURES}/kweb-configs/myplan.yml"}'
    And afterwards I send "DELETE /plans/plan-create"
    Then the status is 200
    And the body is "{"result": "success", "plan": "plan-create", "newvms": ["pvm1", "pvm2"], "existingvms": [], "failedvms": [], "assets": []}"
    When I send "GET /plans"
    Then the JSON at "/plans" has an item containing:
      """
      ["plan-create", "pvm1,pvm2"]
      """
    When I send "GET /vms/pvm1"
    Then the JSON body contains:
      """
      {"name": "pvm1", "user": "cirros", "image": "cirros.qcow2", "plan": "plan-create", "profile": "kvirt", "status": "up"}
      """
    When I send "GET /vms/pvm2"
    Then the JSON body contains:
      """
      {"name": "pvm2", "nets": [], "plan": "plan-create", "memory": 1024}
      """

  @ref-6.13 @obs @promoted
  Scenario: an empty plan name gets a random name
    When I send "POST /plans" with JSON '{"name": "", "url": "${FIXTURES}/kweb-configs/myplan.yml"}'
    And afterwards I send "DELETE /vms/pvm2"
    And afterwards I send "DELETE /vms/pvm1"
    Then the body matches "{"result": "success", "plan": "{{[a-z0-9]+-[a-z0-9]+}}", "newvms": ["pvm1", "pvm2"], "existingvms": [], "failedvms": [], "assets": []}"

  @ref-6.13 @obs @promoted
  Scenario: VMs that already exist are reported, not recreated
    Given the kweb accepted "POST /plans" with JSON '{"name": "plan-again", "url": "${FIXTURES}/kweb-configs/myplan.yml"}'
    And afterwards I send "DELETE /plans/plan-again"
    When I send "POST /plans" with JSON '{"name": "plan-again", "url": "${FIXTURES}/kweb-configs/myplan.yml"}'
    Then the body is "{"result": "success", "plan": "plan-again", "newvms": [], "existingvms": ["pvm1", "pvm2"], "failedvms": [], "assets": []}"

  @ref-6.13 @ref-12.34 @obs
  Scenario: plan stop stops the plan named in the body, not in the path
    Given the kweb accepted "POST /plans" with JSON '{"name": "plan-stop", "url": "${FIXTURES}/kweb-configs/myplan.yml"}'
    And afterwards I send "DELETE /plans/plan-stop"
    When I send "POST /plan/some-other-plan/stop" with JSON '{"name": "plan-stop"}'
    Then the status is 200
    And the body is "{"result": "success"}"
    When I send "GET /vms/pvm1"
    Then the JSON body contains:
      """
      {"status": "down"}
      """
    When I send "POST /plan/plan-stop/start"
    Then the body is "{"result": "success"}"
    When I send "GET /vms/pvm2"
    Then the JSON body contains:
      """
      {"status": "up"}
      """

  @ref-5.1 @ref-12.8 @obs
  Scenario: plan stop without a body name is a 500 page
    When I send "POST /plan/nosuch-plan/stop"
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

  @ref-6.13 @ref-12.4 @obs
  Scenario Outline: plan <action> of an unknown plan succeeds
    When I send "POST /plan/nosuch-plan/<action>" with JSON '{"name": "nosuch-plan"}'
    Then the status is 200
    And the body is "{"result": "success"}"

    Examples:
      | action |
      | start  |
      | stop   |

  @ref-6.13 @obs
  Scenario: deleting a plan deletes its VMs
    Given the kweb accepted "POST /plans" with JSON '{"name": "plan-del", "url": "${FIXTURES}/kweb-configs/myplan.yml"}'
    When I send "DELETE /plans/plan-del"
    Then the body is "{"result": "success", "deletedvm": ["pvm1", "pvm2"]}"
    When I send "GET /vms/pvm1"
    Then the body is "{}"
    When I send "GET /plans"
    Then the JSON at "/plans" has no item containing:
      """
      ["plan-del", "pvm1,pvm2"]
      """

  @ref-4.1 @ref-12.5 @obs
  Scenario: deleting an unknown plan is a failure without a reason
    When I send "DELETE /plans/nosuch-plan"
    Then the status is 200
    And the body is "{"result": "failure"}"

  @ref-6.13 @ref-12.27 @obs @promoted
  Scenario: deleting the plan kvirt deletes every default-plan VM and network
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-kvirtplan", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-kvirtplan"
    And the kweb accepted "POST /networks" with JSON '{"network": "net-kvirtplan", "cidr": "10.60.0.0/24", "dhcp": true, "isolated": false}'
    And afterwards I send "DELETE /networks/net-kvirtplan"
    When I send "DELETE /plans/kvirt"
    Then the JSON body contains:
      """
      {"result": "success"}
      """
    And the JSON at "/deletedvm" has an item containing:
      """
      "vm-kvirtplan"
      """
    When I send "GET /vms/vm-kvirtplan"
    Then the body is "{}"
    When I send "GET /networks"
    Then the JSON object at "/networks" does not have the key "net-kvirtplan"
    And the JSON object at "/networks" has the key "default"

  @ref-4.3 @obs
  Scenario: a plan without a name is 400 Invalid Data
    When I send "POST /plans" with JSON '{"url": "${FIXTURES}/kweb-configs/myplan.yml"}'
    Then the status is 400
    And the body is "{"result": "failure", "reason": "Invalid Data"}"

  @ref-5.1 @ref-12.8 @obs
  Scenario: a plan without a url is a 500 page
    When I send "POST /plans" with JSON '{"name": "plan-nourl"}'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

  @ref-4.5 @ref-12.9 @obs
  Scenario: a plan file that cannot be read ends in sys.exit: text/plain 500
    When I send "POST /plans" with JSON '{"name": "plan-missing", "url": "${FIXTURES}/kweb-configs/nosuch.yml"}'
    Then the status line is "HTTP/1.0 500 Internal Server Error"
    And the header names are, in order: Date, Server, Content-Type, Content-Length
    And the content type is "text/plain"
    And the body is "A server error occurred.  Please contact the administrator."
    And the body has 59 bytes

  @ref-5.1 @ref-12.13 @ref-13 @obs
  Scenario Outline: the swagger plan paths do not exist: <path>
    When I send "POST <path>" with JSON '{"name": "x"}'
    Then the status is 404

    Examples:
      | path              |
      | /plans/x/start    |
      | /plans/x/stop     |
