@ui-pages
Feature: Web UI pages
  Every UI route answers HTML with the documented status
  (kweb-reference.md §5.2). Bodies depend on state and are compared by
  status, content type and a few markers only.

  @ref-5.2 @obs
  Scenario Outline: UI page <path> answers <status>
    When I send "GET <path>"
    Then the status is <status>
    And the content type is "text/html; charset=UTF-8"
    And the header names are, in order: Date, Server, Content-Length, Content-Type
    And the Content-Length matches the body

    Examples:
      | path                       | status |
      | /                          | 200    |
      | /vmsindex                  | 200    |
      | /vmstable                  | 200    |
      | /vmcreateform              | 200    |
      | /vmprofilesindex           | 200    |
      | /vmprofilestable           | 200    |
      | /hostsindex                | 200    |
      | /hoststable                | 200    |
      | /kubesindex                | 200    |
      | /kubestable                | 200    |
      | /kubeinfo/nosuch-kube      | 200    |
      | /kubeprofilesindex         | 200    |
      | /kubeprofilestable         | 200    |
      | /kubecreateform/k3s        | 200    |
      | /kubecreateform/generic    | 200    |
      | /kubecreateform/openshift  | 200    |
      | /kubecreateform/microshift | 500    |
      | /kubecreateform/hypershift | 500    |
      | /kubecreateform/foo        | 400    |
      | /networksindex             | 200    |
      | /networkstable             | 200    |
      | /networkcreateform         | 200    |
      | /poolsindex                | 200    |
      | /poolstable                | 200    |
      | /poolcreateform            | 200    |
      | /imagesindex               | 200    |
      | /imagestable               | 200    |
      | /imagecreateform           | 200    |
      | /isosindex                 | 200    |
      | /isostable                 | 200    |
      | /plansindex                | 200    |
      | /planstable                | 200    |
      | /plancreateform            | 200    |
      | /containersindex           | 200    |
      | /containerprofilesindex    | 200    |
      | /containerprofilestable    | 200    |
      | /containercreateform       | 200    |
      | /repocreateform            | 200    |
      | /productsindex             | 200    |

  @ref-5.2 @obs
  Scenario: the index page names the current client
    When I send "GET /"
    Then the body contains "Current Client: testlv"

  @ref-5.2 @obs
  Scenario: the VM table lists VMs from the current state
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-uitable", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-uitable"
    When I send "GET /vmstable"
    Then the status is 200
    And the body contains "vm-uitable"
    And the body does not contain "<html"

  @ref-5.2 @obs
  Scenario: a wrong cluster type gets the form page with status 400
    When I send "GET /kubecreateform/foo"
    Then the status line is "HTTP/1.0 400 Bad Request"
    And the body does not contain "Error: 400"
