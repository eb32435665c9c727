@unreachable-backend @instance-unreachable
Feature: Unreachable backend
  When kcli cannot connect to the hypervisor it calls sys.exit(): every route
  that builds Kconfig answers wsgiref's text/plain 500; configuration-only
  routes keep working (kweb-reference.md §4.5, §10).

  @ref-10 @ref-4.5 @obs
  Scenario Outline: backend route <method> <path> is the text/plain 500
    When I send "<method> <path>" with JSON '<body>'
    Then the status line is "HTTP/1.0 500 Internal Server Error"
    And the header names are, in order: Date, Server, Content-Type, Content-Length
    And the content type is "text/plain"
    And the body is "A server error occurred.  Please contact the administrator."
    And the body has 59 bytes

    Examples:
      | method | path                 | body                                   |
      | GET    | /vms                 | {}                                     |
      | GET    | /vms/test            | {}                                     |
      | POST   | /vms                 | {"name": "vm-u", "profile": "kvirt"}   |
      | DELETE | /vms/test            | {}                                     |
      | POST   | /vms/test/start      | {}                                     |
      | GET    | /host                | {}                                     |
      | GET    | /networks            | {}                                     |
      | GET    | /pools               | {}                                     |
      | GET    | /images              | {}                                     |
      | GET    | /isos                | {}                                     |
      | GET    | /plans               | {}                                     |
      | GET    | /kubes               | {}                                     |
      | GET    | /kubes/k             | {}                                     |
      | POST   | /kubes               | {"type": "k3s", "cluster": "k"}        |
      | GET    | /snapshots/test      | {}                                     |
      | GET    | /vmstable            | {}                                     |
      | GET    | /hostsindex          | {}                                     |

  @ref-10 @ref-3.1 @obs
  Scenario: body parsing happens before the backend: invalid JSON is still 400
    When I send "POST /vms" with JSON '{"name": '
    Then the status is 400
    And the body is the error page "400 Bad Request" saying "Invalid JSON"

  @ref-10 @obs
  Scenario Outline: configuration-only route <path> keeps working
    When I send "GET <path>"
    Then the status is 200

    Examples:
      | path                 |
      | /                    |
      | /vmsindex            |
      | /hosts               |
      | /hoststable          |
      | /vmprofiles          |
      | /kubeprofiles        |
      | /containerprofiles   |
      | /static/js/kcli.js   |

  @ref-10 @ref-4.6 @obs
  Scenario: kubeconfig routes do not need the backend
    When I send "GET /kubeconfig/kubeconfig.nosuch-kube"
    Then the status is 404
    And the content type is "application/json"
    And the body is "{}"
