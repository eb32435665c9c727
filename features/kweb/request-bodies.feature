@request-bodies
Feature: Request bodies: JSON or forms, and what goes wrong
  Handlers read `request.json or request.forms`; invalid JSON is 400, a
  missing required key is either a 400 E2 or a KeyError 500
  (kweb-reference.md §3, §4).

  @ref-3.3 @ref-4.3 @obs
  Scenario: no body at all is 400 Invalid Data, exact bytes
    When I send "POST /vms"
    Then the status line is "HTTP/1.0 400 Bad Request"
    And the header names are, in order: Date, Server, Content-Type, Content-Length
    And the content type is "application/json"
    And the body is "{"result": "failure", "reason": "Invalid Data"}"
    And the body has 47 bytes

  @ref-3.2 @obs
  Scenario: an empty body with a JSON content type falls back to the (empty) form
    When I send "POST /vms" with content type "application/json" and no body
    Then the status is 400
    And the body is "{"result": "failure", "reason": "Invalid Data"}"

  @ref-3.2 @ref-4.4 @obs
  Scenario: invalid JSON is a 400 Bottle page
    When I send "POST /vms" with JSON '{"name": '
    Then the status line is "HTTP/1.0 400 Bad Request"
    And the content type is "text/html; charset=UTF-8"
    And the body is the error page "400 Bad Request" saying "Invalid JSON"

  @ref-3.2 @obs @promoted
  Scenario: JSON that is not UTF-8 is invalid JSON too
    When I send "POST /vms" with content type "application/json" and bytes '{"name": "caf\xe9"}'
    Then the status is 400
    And the body is the error page "400 Bad Request" saying "Invalid JSON"

  @ref-3.2 @obs
  Scenario: a JSON body without a JSON content type is one form key
    When I send "POST /vms" with body '{"name":"vm-nojson","profile":"kvirt"}'
    Then the status is 400
    And the body is "{"result": "failure", "reason": "Invalid Data"}"

  @ref-3.2 @obs
  Scenario Outline: falsy JSON falls back to the form: <json>
    When I send "POST /vms" with JSON '<json>'
    Then the status is 400
    And the body is "{"result": "failure", "reason": "Invalid Data"}"

    Examples:
      | json  |
      | []    |
      | {}    |
      | null  |
      | 0     |
      | false |
      | ""    |

  @ref-3.2 @obs
  Scenario: a non-empty JSON array containing "name" passes the check and crashes
    When I send "POST /vms" with JSON '["name", "profile"]'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

  @ref-3.2 @obs
  Scenario: a JSON content type with parameters is still JSON
    When I send "POST /vms" with content type "application/json; charset=utf-8" and body '{"name": "vm-ct"}'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

  @ref-3.2 @obs @promoted
  Scenario: application/json-rpc is JSON as well
    When I send "POST /vms" with content type "application/json-rpc" and body '{"name": "vm-rpc"}'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

  @ref-3.2 @obs @promoted
  Scenario: a text/plain body is parsed as an urlencoded form
    When I send "POST /vms" with content type "text/plain" and body 'name=vm-plain&profile=nosuch-profile'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Image nosuch-profile not found"}"

  @ref-2.7 @obs @promoted
  Scenario: a multipart body without a boundary is 400
    When I send "POST /vms" with content type "multipart/form-data" and body 'name=x'
    Then the status is 400
    And the content type is "text/html; charset=UTF-8"
    And the body contains "MultipartError: "

  @ref-3.2 @ref-12.29 @obs @promoted
  Scenario: the query string is not form data
    When I send "POST /snapshots/nosuch-q?snapshot=s1"
    Then the status is 400
    And the body is "{"result": "failure", "reason": "Invalid Data"}"

  @ref-4.3 @obs
  Scenario: a missing name is 400 Invalid Data
    When I send "POST /vms" with JSON '{"profile": "kvirt"}'
    Then the status is 400
    And the body is "{"result": "failure", "reason": "Invalid Data"}"

  @ref-5.1 @ref-12.8 @obs
  Scenario: a missing profile key is a KeyError: 500 page
    When I send "POST /vms" with JSON '{"name": "vm-noprofile"}'
    Then the status line is "HTTP/1.0 500 Internal Server Error"
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

  @ref-4.2 @obs
  Scenario: an unknown profile is a 200 failure
    When I send "POST /vms" with JSON '{"name": "vm-badprofile", "profile": "nosuch-profile"}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Image nosuch-profile not found"}"

  @ref-4.2 @ref-6.3 @obs
  Scenario: an override key with a hyphen is rejected first
    When I send "POST /vms" with JSON '{"name": "vm-hyphen", "profile": "nosuch-profile", "bad-key": 1}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Incorrect parameters found"}"
