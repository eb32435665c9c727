@dead-routes
Feature: Dead and engine-less routes: repos, products, containers
  Repos and products were removed from kcli but their routes remain; there
  is no container engine on the kweb host (kweb-reference.md §5.1, §6.16).

  @ref-6.16 @ref-12.12 @obs
  Scenario Outline: dead routes are always a 500 page: <method> <path>
    When I send "<method> <path>" with JSON '<body>'
    Then the status is 500
    And the content type is "text/html; charset=UTF-8"
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

    Examples:
      | method | path                 | body                                   |
      | GET    | /reposlist           | {}                                     |
      | POST   | /repos               | {"repo": "r1", "url": "http://x/r1"}   |
      | DELETE | /repos/r1            | {}                                     |
      | PATCH  | /repos/r1            | {}                                     |
      | GET    | /products            | {}                                     |
      | POST   | /products            | {"product": "p1", "plan": "plan1"}     |
      | GET    | /productstable       | {}                                     |
      | GET    | /productcreateform/x | {}                                     |
      | GET    | /repostable          | {}                                     |

  @ref-4.3 @obs
  Scenario Outline: repo and product key checks come first: <case>
    When I send "POST <path>" with JSON '<body>'
    Then the status is <status>
    And the content type is "application/json"
    And the body is "{"result": "failure", "reason": "<reason>"}"

    Examples:
      | case              | path      | body                          | status | reason         |
      | repo missing repo | /repos    | {"url": "http://x"}           | 400    | Invalid Data   |
      | repo empty url    | /repos    | {"repo": "r1", "url": ""}     | 400    | Invalid Data   |
      | product missing   | /products | {"plan": "p"}                 | 400    | Invalid Data   |
      | product no plan   | /products | {"product": "p1"}             | 200    | Invalid Action |

  @ref-5.1 @ref-12.14 @obs
  Scenario: GET /repos is an HTML page, not JSON
    When I send "GET /repos"
    Then the status is 200
    And the content type is "text/html; charset=UTF-8"
    And the body contains "<html"

  @ref-6.16 @env @obs
  Scenario Outline: container routes fail without an engine: <method> <path>
    When I send "<method> <path>"
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

    Examples:
      | method | path                |
      | GET    | /containers         |
      | POST   | /container/c1/start |
      | POST   | /containers/c1/stop |
      | DELETE | /container/c1       |
      | GET    | /containerstable    |

  @ref-6.16 @env @obs
  Scenario: without an engine even the container key checks are never reached
    When I send "POST /containers" with JSON '{"name": "c1"}'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

  @ref-6.16 @env @obs
  Scenario: creating a container with a name and profile fails without an engine
    When I send "POST /containers" with JSON '{"name": "c1", "profile": "mycontainer"}'
    Then the status is 500

  @ref-5.1 @ref-12.13 @ref-13 @obs
  Scenario Outline: the swagger container paths do not exist: <method> <path>
    When I send "<method> <path>"
    Then the status is 404
    And the body is the error page "404 Not Found" saying "Not found: '<path>'"

    Examples:
      | method | path                 |
      | POST   | /containers/c1/start |
      | DELETE | /containers/c1       |

  @ref-4.7 @ref-6.17 @obs
  Scenario: the console needs websockify on the server
    When I send "GET /vmconsole/test"
    Then the status line is "HTTP/1.0 404 Not Found"
    And the content type is "text/html; charset=UTF-8"
    And the body is "missing websockify binary on server side"
    And the body has 40 bytes
