Feature: Security
  No secrets leak, hints go through an allowlist (§13).

  Background:
    Given the service type "vm"

  @req-SEC-005 @must @fact:hint-namespace
  Scenario: A provider hint outside the allowlist is a 422
    When I send a create with content type "application/json" and body:
      """
      {"spec": {"service_type": "vm", "provider_hints": {"{hint-namespace}": {"cmds": ["rm -rf /"]}}}}
      """
    Then the answer is either a "unprocessable-entity" problem with status 422 or 201 with a status message naming "cmds"

  @req-SEC-007 @must @cap:backend-control
  Scenario: Backend names are percent-encoded as one path segment
    When I create a resource with the id "{dotted-id}" and spec:
      """
      {"service_type": "vm"}
      """
    Then the answer status is 201
    When I delete the resource
    Then the answer status is 204 with an empty body
    And within "delete_complete" the backend holds nothing for the resource

  @req-SEC-002 @must
  Scenario: Authorization headers never come back
    When I send "GET" to "{endpoint}/no-such-id-{name}" with header "Authorization: Bearer cst-secret-token"
    Then the answer does not contain "cst-secret-token"

  @req-SEC-003 @req-SEC-004 @must @cap:clusters
  Scenario: Lists and events of clusters never carry a kubeconfig
    Given the service type "cluster"
    And a resource created with spec:
      """
      {"service_type": "cluster"}
      """
    When I list the collection with "max_page_size=100"
    Then no listed item carries a kubeconfig
    And no event for the resource carries a kubeconfig
