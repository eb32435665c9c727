@kubes
Feature: Kubernetes clusters
  POST /kubes answers at once and a thread does the work; progress shows
  only through other routes (kweb-reference.md §5.1, §6.14, §8). On the
  test driver only k3s with a seeded image and cloudinit false completes.

  @ref-8.2 @ref-6.14 @obs
  Scenario: a k3s cluster appears in /kubes, /vms and /plans and can be deleted
    When I send "POST /kubes" with JSON '{"type": "k3s", "cluster": "kube-a", "image": "cirros.qcow2", "cloudinit": false, "disk_size": 1}'
    And afterwards I send "DELETE /kubes/kube-a"
    Then the status is 200
    And the body is "{"result": "success"}"
    And within 10 seconds "GET /kubes" answers JSON containing:
      """
      {"kubes": {"kube-a": {"type": "k3s", "plan": "kube-a", "vms": "kube-a-ctlplane-0"}}}
      """
    When I send "GET /vms/kube-a-ctlplane-0"
    Then the JSON body contains:
      """
      {"name": "kube-a-ctlplane-0", "user": "cirros", "image": "cirros.qcow2", "plan": "kube-a", "profile": "kvirt", "kube": "kube-a", "kubetype": "k3s", "status": "up"}
      """
    And the JSON keys at "" are, in order: name, nets, disks, id, user, image, plan, profile, kube, kubetype, creationdate, ip, status, autostart, numcpus, memory
    When I send "GET /plans"
    Then the JSON at "/plans" has an item containing:
      """
      ["kube-a", "kube-a-ctlplane-0"]
      """
    When I send "GET /vms"
    Then the body matches "{{.*}}"info": "name: kube-a-ctlplane-0\n{{[^"]*}}\nkube: kube-a\nkubetype: k3s"{{.*}}"
    When I send "DELETE /kubes/kube-a"
    Then the body is "{"result": "success"}"
    When I send "GET /kubes"
    Then the JSON object at "/kubes" does not have the key "kube-a"
    When I send "GET /vms/kube-a-ctlplane-0"
    Then the body is "{}"

  @ref-6.14 @obs
  Scenario: a cluster without a reachable API has no nodes and no version
    Given the kweb accepted "POST /kubes" with JSON '{"type": "k3s", "cluster": "kube-b", "image": "cirros.qcow2", "cloudinit": false, "disk_size": 1}'
    And afterwards I send "DELETE /kubes/kube-b"
    And within 10 seconds "GET /kubes" answers JSON containing:
      """
      {"kubes": {"kube-b": {"vms": "kube-b-ctlplane-0"}}}
      """
    When I send "GET /kubes/kube-b"
    Then the status is 200
    And the body is "{"nodes": [], "version": "N/A"}"

  @ref-4.6 @ref-8.2 @obs
  Scenario: a k3s cluster created without cloud-init never gets a kubeconfig
    Given the kweb accepted "POST /kubes" with JSON '{"kubetype": "k3s", "cluster": "kube-c", "image": "cirros.qcow2", "cloudinit": false, "disk_size": 1}'
    And afterwards I send "DELETE /kubes/kube-c"
    And within 10 seconds "GET /kubes" answers JSON containing:
      """
      {"kubes": {"kube-c": {"type": "k3s", "vms": "kube-c-ctlplane-0"}}}
      """
    When I send "GET /kubes/kube-c/kubeconfig"
    Then the status is 404
    And the content type is "application/json"
    And the body is "{}"

  @ref-4.7 @ref-12.2 @obs
  Scenario: an unknown cluster is an empty object
    When I send "GET /kubes/nosuch-kube"
    Then the status is 200
    And the body is "{}"

  @ref-6.14 @ref-12.4 @obs
  Scenario: deleting an unknown cluster succeeds
    When I send "DELETE /kubes/nosuch-kube" with JSON '{"kubetype": "k3s"}'
    Then the status is 200
    And the body is "{"result": "success"}"

  @ref-4.6 @obs
  Scenario Outline: the kubeconfig routes answer 404 {} without a file: <path>
    When I send "GET <path>"
    Then the status line is "HTTP/1.0 404 Not Found"
    And the header names are, in order: Date, Server, Content-Type, Content-Length
    And the content type is "application/json"
    And the body is "{}"

    Examples:
      | path                                |
      | /kubes/nosuch-kube/kubeconfig       |
      | /kubeconfig/kubeconfig.nosuch-kube  |

  @ref-8.1 @ref-12.8 @obs
  Scenario Outline: a bad cluster request is a 500 page: <case>
    When I send "POST /kubes" with JSON '<body>'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

    Examples:
      | case            | body                                  |
      | missing cluster | {"type": "k3s"}                       |
      | missing type    | {"cluster": "kube-notype"}            |
      | kind            | {"type": "kind", "cluster": "kube-kind"} |
      | rke2            | {"type": "rke2", "cluster": "kube-rke2"} |

  @ref-8.1 @obs
  Scenario: an OpenShift cluster with the relative pull secret name is 400
    When I send "POST /kubes" with JSON '{"type": "openshift", "cluster": "kube-os", "pull_secret": "openshift_pull.json"}'
    Then the status is 400
    And the content type is "application/json"
    And the body is "{"result": "failure", "reason": "Specify an absolute path to an existing pull secret"}"

  @ref-8.2 @obs
  Scenario: a generic cluster answers success and leaves nothing visible on the test driver
    When I send "POST /kubes" with JSON '{"type": "generic", "cluster": "kube-gen", "image": "cirros.qcow2", "cloudinit": false}'
    And afterwards I send "DELETE /kubes/kube-gen"
    Then the status is 200
    And the body is "{"result": "success"}"
