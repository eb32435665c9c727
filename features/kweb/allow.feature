@allow
Feature: 405 and the Allow header for every route pattern
  A method not registered for a path is 405 with `Allow` listing the other
  registered methods, sorted, comma-joined, never HEAD, never the request's
  own method (kweb-reference.md §2.5, §2.8, quirk 30).

  @ref-2.8 @ref-12.30 @obs @promoted
  Scenario Outline: <method> <path> is 405 with Allow <allow>
    When I send "<method> <path>"
    Then the status line is "HTTP/1.0 405 Method Not Allowed"
    And the header "Allow" is "<allow>"
    And the body is the error page "405 Method Not Allowed" saying "Method not allowed."

    Examples:
      | method | path                    | allow              |
      | PUT    | /vms                    | GET,POST           |
      | DELETE | /vms                    | GET,POST           |
      | POST   | /vms/x                  | DELETE,GET,UPDATE  |
      | GET    | /vms/x/start            | POST               |
      | DELETE | /vms/x/stop             | POST               |
      | GET    | /disks/x                | DELETE,POST        |
      | GET    | /nics/x                 | DELETE,POST        |
      | PUT    | /snapshots/x            | DELETE,GET,POST    |
      | GET    | /snapshots/x/revert     | POST               |
      | PUT    | /networks               | GET,POST           |
      | GET    | /networks/x             | DELETE,UPDATE      |
      | PUT    | /pools                  | GET,POST           |
      | GET    | /pools/x                | DELETE             |
      | PUT    | /images                 | GET,POST           |
      | GET    | /images/x               | DELETE             |
      | PUT    | /plans                  | GET,POST           |
      | GET    | /plans/x                | DELETE             |
      | GET    | /plan/x/start           | POST               |
      | GET    | /plan/x/stop            | POST               |
      | PUT    | /kubes                  | GET,POST           |
      | POST   | /kubes/x                | DELETE,GET         |
      | PUT    | /containers             | GET,POST           |
      | GET    | /container/x            | DELETE             |
      | GET    | /container/x/start      | POST               |
      | GET    | /containers/x/stop      | POST               |
      | PUT    | /repos                  | GET,POST           |
      | GET    | /repos/x                | DELETE,PATCH       |
      | PUT    | /products               | GET,POST           |
      | GET    | /hosts/x/enable         | POST               |
      | GET    | /hosts/x/disable        | POST               |
      | GET    | /hosts/x/switch         | POST               |
      | POST   | /host                   | GET                |
      | POST   | /hosts                  | GET                |
      | POST   | /isos                   | GET                |
      | POST   | /vmprofiles             | GET                |
      | POST   | /kubeprofiles           | GET                |
      | POST   | /kubeprofiles/x         | GET                |
      | POST   | /containerprofiles      | GET                |
      | POST   | /reposlist              | GET                |
      | POST   | /kubes/x/kubeconfig     | GET                |
      | POST   | /kubeconfig/kubeconfig.x | GET               |
      | POST   | /vmconsole/x            | GET                |
      | POST   | /                       | GET                |
      | POST   | /vmstable               | GET                |
      | POST   | /static/js/kcli.js      | GET                |
