@transport
Feature: Transport: status line, headers, methods, routing and size limits
  kweb is Bottle on Python's wsgiref server: HTTP/1.0 answers, connection
  closed, fixed header orders, any method token accepted (kweb-reference.md §2).

  @ref-2.1 @obs
  Scenario: an HTTP/1.1 request gets an HTTP/1.0 answer without Connection headers
    When I send "GET /hosts"
    Then the status line is "HTTP/1.0 200 OK"
    And there is no header "Connection"
    And there is no header "Keep-Alive"

  @ref-2.1 @obs @promoted
  Scenario: an HTTP/1.0 request is answered the same way
    When I send "GET /hosts" over HTTP/1.0
    Then the status line is "HTTP/1.0 200 OK"
    And the content type is "application/json"

  @ref-2.2 @obs
  Scenario: JSON answers have Date, Server, Content-Type, Content-Length in that order
    When I send "GET /hosts"
    Then the header names are, in order: Date, Server, Content-Type, Content-Length
    And the content type is "application/json"
    And the header "Server" matches "WSGIServer/0.2 CPython/{{3\.\d+\.\d+}}"
    And the header "Date" matches "{{(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d}} GMT"
    And the Content-Length matches the body

  @ref-2.2 @obs
  Scenario: HTML answers put Content-Length before Content-Type
    When I send "GET /"
    Then the status is 200
    And the header names are, in order: Date, Server, Content-Length, Content-Type
    And the content type is "text/html; charset=UTF-8"
    And the Content-Length matches the body

  @ref-2.2 @ref-2.5 @obs
  Scenario: 405 pages carry Allow between Server and Content-Length
    When I send "OPTIONS /vms"
    Then the status line is "HTTP/1.0 405 Method Not Allowed"
    And the header names are, in order: Date, Server, Allow, Content-Length, Content-Type
    And the header "Allow" is "GET,POST"
    And the body is the error page "405 Method Not Allowed" saying "Method not allowed."

  @ref-2.2 @ref-6.17 @obs
  Scenario: static files have their own header order
    When I send "GET /static/js/kcli.js"
    Then the status is 200
    And the header names are, in order: Server, Content-Type, Content-Length, Last-Modified, Date, Etag, Accept-Ranges
    And the content type is "text/javascript; charset=UTF-8"
    And the header "Accept-Ranges" is "bytes"
    And the body has 2704 bytes

  @ref-6.17 @obs
  Scenario: a missing static file is a Bottle 404 page
    When I send "GET /static/nosuch.js"
    Then the status is 404
    And the body is the error page "404 Not Found" saying "File does not exist."

  @ref-2.5 @obs
  Scenario: HEAD answers like GET, with the GET Content-Length and no body
    When I send "HEAD /hosts"
    Then the status line is "HTTP/1.0 200 OK"
    And the header names are, in order: Date, Server, Content-Type, Content-Length
    And the header "Content-Length" matches "{{[1-9]\d*}}"
    And the body matches ""

  @ref-2.5 @obs @promoted
  Scenario: an unknown method on a known path is 405 with Allow
    When I send "FOO /vms"
    Then the status is 405
    And the header "Allow" is "GET,POST"
    And the body is the error page "405 Method Not Allowed" saying "Method not allowed."

  @ref-2.5 @obs
  Scenario: OPTIONS on an unknown path is 404
    When I send "OPTIONS /nonexistent"
    Then the status is 404
    And the body is the error page "404 Not Found" saying "Not found: '/nonexistent'"

  @ref-2.5 @ref-12.11 @obs
  Scenario: PUT on a VM is 405: the verb is UPDATE
    When I send "PUT /vms/nosuch-put" with JSON '{"numcpus": 2}'
    Then the status is 405
    And the header "Allow" is "DELETE,GET,UPDATE"

  @ref-2.5 @obs @promoted
  Scenario: methods are matched case-insensitively
    When I send "update /vms/nosuch-lower" with JSON '{"numcpus": 2}'
    Then the status is 200
    And the body is "{"result": "success"}"

  @ref-2.6 @obs
  Scenario: a trailing slash is significant
    When I send "GET /vms/"
    Then the status is 404
    And the header names are, in order: Date, Server, Content-Length, Content-Type
    And the body is the error page "404 Not Found" saying "Not found: '/vms/'"

  @ref-2.6 @ref-4.4 @obs
  Scenario: an unknown path is a Bottle 404 page that names the path
    When I send "GET /nonexistent"
    Then the status line is "HTTP/1.0 404 Not Found"
    And the content type is "text/html; charset=UTF-8"
    And the body is the error page "404 Not Found" saying "Not found: '/nonexistent'"
    And the Content-Length matches the body

  @ref-2.6 @ref-12.29 @obs @promoted
  Scenario: query strings do not affect routing
    When I send "GET /hosts?verbose=1"
    Then the status is 200
    And the content type is "application/json"

  @ref-4.4 @ref-12.31 @obs @promoted
  Scenario: error pages echo the query string in the URL but not in the text
    When I send "GET /nonexistent?a=1&b=2"
    Then the status is 404
    And the body is the error page "404 Not Found" saying "Not found: '/nonexistent'"
    And the body contains "/nonexistent?a=1&amp;b=2&#039;"

  @ref-4.4 @ref-12.31 @obs @promoted
  Scenario: error pages echo the Host header
    When I send "GET /nonexistent" with header "Host: kweb.example:1234"
    Then the status is 404
    And the body contains "<tt>&#039;http://kweb.example:1234/nonexistent&#039;</tt>"
    And the body is the error page "404 Not Found" saying "Not found: '/nonexistent'"

  @ref-4.4 @obs @promoted
  Scenario: error pages prefer X-Forwarded-Host
    When I send "GET /nonexistent" with header "X-Forwarded-Host: proxy.example"
    Then the status is 404
    And the body contains "<tt>&#039;http://proxy.example/nonexistent&#039;</tt>"

  @ref-4.4 @obs @promoted
  Scenario: a URL with a single quote is shown with double quotes
    When I send "GET /it's"
    Then the status is 404
    And the body is the error page "404 Not Found" saying "Not found: "/it's""

  @ref-2.7 @obs
  Scenario: a JSON body over 102400 bytes is 413
    When I send "POST /vms" with a JSON body of 102401 bytes
    Then the status line is "HTTP/1.0 413 Request Entity Too Large"
    And the body is the error page "413 Request Entity Too Large" saying "Request entity too large"

  @ref-2.7 @obs @promoted
  Scenario: a JSON body of exactly 102400 bytes is read (and fails later, on the missing profile)
    When I send "POST /vms" with a JSON body of 102400 bytes
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

  @ref-2.7 @obs @promoted
  Scenario: an urlencoded body over 102400 bytes is 413 too
    When I send "POST /vms" with a form body of 102401 bytes
    Then the status is 413
    And the body is the error page "413 Request Entity Too Large" saying "Request entity too large"

  @ref-2.7 @obs @promoted
  Scenario: a route that never reads the body does not check its size
    When I send "POST /plan/nosuch-plan/start" with a JSON body of 102401 bytes
    Then the status is 200
    And the body is "{"result": "success"}"

  @ref-2.1 @obs @promoted
  Scenario: chunked request bodies are read
    When I send "POST /snapshots/nosuch-chunked" with JSON '{"snapshot": "s1"}' chunked
    Then the status is 200
    And the body is "{"result": "failure", "reason": "VM nosuch-chunked not found"}"

  @ref-2.4 @ref-12.22 @obs @promoted
  Scenario: JSON escapes non-ASCII characters as lower-case \u escapes, astral ones as surrogate pairs
    When I send "POST /snapshots/vm-%C3%A9%F0%9F%98%80" with JSON '{"snapshot": "s1"}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "VM vm-\u00e9\ud83d\ude00 not found"}"
