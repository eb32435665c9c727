@readonly @instance-readonly
Feature: Readonly mode (kweb --readonly)
  Every mutating route and GET /vms/<name> answer 403 {} before reading the
  body; list routes, profiles, kubeconfigs and UI pages keep working
  (kweb-reference.md §9).

  @ref-9 @ref-4.6 @obs
  Scenario Outline: guarded route <method> <path> is 403 {}
    When I send "<method> <path>" with JSON '<body>'
    Then the status line is "HTTP/1.0 403 Forbidden"
    And the header names are, in order: Date, Server, Content-Type, Content-Length
    And the content type is "application/json"
    And the body is "{}"

    Examples:
      | method | path                    | body                                                           |
      | GET    | /vms/test               | {}                                                             |
      | POST   | /vms                    | {"name": "vm-ro", "profile": "kvirt"}                          |
      | DELETE | /vms/test               | {}                                                             |
      | UPDATE | /vms/test               | {"numcpus": 4}                                                 |
      | POST   | /vms/test/start         | {}                                                             |
      | POST   | /vms/test/stop          | {}                                                             |
      | POST   | /disks/test             | {"size": 1, "pool": "default-pool"}                            |
      | DELETE | /disks/test             | {"disk": "x"}                                                  |
      | POST   | /nics/test              | {"network": "default"}                                         |
      | DELETE | /nics/test              | {"nic": "eth0"}                                                |
      | POST   | /snapshots/test         | {"snapshot": "s"}                                              |
      | DELETE | /snapshots/test         | {"snapshot": "s"}                                              |
      | POST   | /snapshots/test/revert  | {"snapshot": "s"}                                              |
      | POST   | /hosts/testlv/enable    | {}                                                             |
      | POST   | /hosts/testlv/disable   | {}                                                             |
      | POST   | /hosts/testlv/switch    | {}                                                             |
      | POST   | /networks               | {"network": "n", "cidr": "10.9.0.0/24", "dhcp": true, "isolated": false} |
      | DELETE | /networks/default       | {}                                                             |
      | UPDATE | /networks/default       | {"dhcp": false}                                                |
      | POST   | /pools                  | {"pool": "p", "path": "/nonexistent/p"}                        |
      | DELETE | /pools/default-pool     | {}                                                             |
      | POST   | /images                 | {"pool": "default-pool", "image": "x", "url": "x"}             |
      | DELETE | /images/cirros.qcow2    | {}                                                             |
      | POST   | /plans                  | {"name": "p", "url": "/nonexistent.yml"}                       |
      | DELETE | /plans/kvirt            | {}                                                             |
      | POST   | /plan/p/start           | {}                                                             |
      | POST   | /plan/p/stop            | {"name": "p"}                                                  |
      | POST   | /kubes                  | {"type": "k3s", "cluster": "k"}                                |
      | DELETE | /kubes/k                | {}                                                             |
      | POST   | /containers             | {"name": "c", "profile": "mycontainer"}                        |
      | POST   | /container/c/start      | {}                                                             |
      | POST   | /containers/c/stop      | {}                                                             |
      | DELETE | /container/c            | {}                                                             |
      | POST   | /repos                  | {"repo": "r", "url": "u"}                                      |
      | DELETE | /repos/r                | {}                                                             |
      | PATCH  | /repos/r                | {}                                                             |
      | POST   | /products               | {"product": "p", "plan": "q"}                                  |

  @ref-9 @ref-3.1 @obs
  Scenario: the guard runs before the body is read: invalid JSON is 403 too
    When I send "POST /vms" with JSON '{"name": '
    Then the status is 403
    And the body is "{}"

  @ref-9 @ref-2.7 @obs @promoted
  Scenario: the guard runs before the size check: an oversized body is 403
    When I send "POST /vms" with a JSON body of 102401 bytes
    Then the status is 403
    And the body is "{}"

  @ref-9 @obs
  Scenario Outline: unguarded route <path> still answers 200
    When I send "GET <path>"
    Then the status is 200

    Examples:
      | path               |
      | /vms               |
      | /host              |
      | /hosts             |
      | /networks          |
      | /pools             |
      | /images            |
      | /isos              |
      | /plans             |
      | /kubes             |
      | /kubes/nosuch-kube |
      | /snapshots/test    |
      | /vmprofiles        |
      | /kubeprofiles      |
      | /containerprofiles |
      | /                  |
      | /vmstable          |

  @ref-9 @obs
  Scenario: the VM list still works and shows the built-in domain
    When I send "GET /vms"
    Then the JSON at "/vms" has an item containing:
      """
      {"name": "test", "status": "up"}
      """

  @ref-9 @ref-4.6 @obs
  Scenario: kubeconfig routes are not guarded
    When I send "GET /kubes/nosuch-kube/kubeconfig"
    Then the status is 404
    And the body is "{}"
