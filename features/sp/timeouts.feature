Feature: Timeouts
  The SP answers within DCM's budget and maps backend timeouts (§12).

  Background:
    Given the service type "vm"

  @req-TMO-001 @req-API-014 @must @cap:backend-control
  Scenario: A create against a slow backend answers in time
    Given the backend hangs longer than "create_response" on every call for this scenario's resources
    When I create a resource with spec:
      """
      {"service_type": "vm", "metadata": {"name": "{name}"}}
      """
    Then the answer arrived within "create_response"
    And the answer is either 201 or a problem with status 502 or 504
    And the backend answers normally again

  @req-TMO-002 @req-TMO-001 @must @cap:backend-control
  Scenario: A delete against a hung backend is a 504 or completes, never a 502
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    And the backend takes longer than "http_response" to delete the resource
    When I delete the resource
    Then the answer arrived within "http_response"
    And the answer status is one of "204, 504"
    And the backend answers normally again
