@pools
Feature: Storage pools
  kweb-reference.md §5.1 and §6.11.

  @ref-6.11 @ref-11 @obs
  Scenario: the test driver's pool is listed
    When I send "GET /pools"
    Then the status is 200
    And the JSON at "/pools" has an item containing:
      """
      ["default-pool", "/default-pool"]
      """

  @ref-6.11 @ref-12.28 @obs
  Scenario: a created pool is listed, and creating it again still succeeds
    When I send "POST /pools" with JSON '{"pool": "pool-new", "path": "${TMP}/pool-new"}'
    And afterwards I send "DELETE /pools/pool-new"
    Then the status is 200
    And the body is "{"result": "success"}"
    When I send "GET /pools"
    Then the JSON at "/pools" has an item containing:
      """
      ["pool-new", "${TMP}/pool-new"]
      """
    When I send "POST /pools" with JSON '{"pool": "pool-new", "path": "${TMP}/pool-new"}'
    Then the body is "{"result": "success"}"
    When I send "GET /host"
    Then the body contains "storage: pool-new, type: dir, path: ${TMP}/pool-new, used_space: 0.0GB, available_space: "

  @ref-6.11 @obs
  Scenario: a deleted pool is gone
    Given the kweb accepted "POST /pools" with JSON '{"pool": "pool-rm", "path": "${TMP}/pool-rm"}'
    When I send "DELETE /pools/pool-rm"
    Then the body is "{"result": "success"}"
    When I send "GET /pools"
    Then the JSON at "/pools" has no item containing:
      """
      ["pool-rm", "${TMP}/pool-rm"]
      """

  @ref-4.2 @obs
  Scenario: deleting an unknown pool is a 200 failure
    When I send "DELETE /pools/nosuch-pool"
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Pool nosuch-pool not found"}"

  @ref-4.2 @obs @promoted
  Scenario: an unknown pool type is refused
    When I send "POST /pools" with JSON '{"pool": "pool-type", "path": "${TMP}/pool-type", "type": "weird"}'
    Then the body is "{"result": "failure", "reason": "Invalid pool type weird.Leaving..."}"

  @ref-5.1 @ref-12.8 @obs
  Scenario Outline: a missing <key> is a 500 page
    When I send "POST /pools" with JSON '<body>'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

    Examples:
      | key  | body                            |
      | pool | {"path": "${TMP}/pool-nokey"}   |
      | path | {"pool": "pool-nopath"}         |
