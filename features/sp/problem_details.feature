Feature: Problem details
  Every 4xx and 5xx is an RFC 9457 problem (§8).

  Background:
    Given the service type "vm"

  @req-ERR-001 @req-ERR-002 @req-ERR-003 @must
  Scenario: Errors from every layer are problem+json with a consistent status
    When I send "GET" to "{endpoint}/no-such-id-{name}"
    Then the answer is a "not-found" problem with status 404
    When I send "PATCH" to "{endpoint}"
    Then the answer is a problem with status 405
    When I send a create with content type "application/json" and body:
      """
      not json
      """
    Then the answer is a problem with status 400

  @req-ERR-005 @should
  Scenario: The title of a problem type does not vary
    When I get an unknown id
    And I remember the problem title
    And I delete an unknown id
    Then the problem title is the one I remembered
    When I send a create with content type "application/json" and body:
      """
      {"spec": {"service_type": "vm", "vcpu": {"count": 0}}}
      """
    And I remember the problem title
    And I send a create with content type "application/json" and body:
      """
      {"spec": {"service_type": "vm", "memory": {"size": "lots"}}}
      """
    Then the problem title is the one I remembered

  @req-ERR-006 @req-SEC-002 @must
  Scenario: Problem details leak no internals
    When I send a create with content type "application/json" and body:
      """
      {"spec": {"service_type": "vm", "memory": {"size": "Bearer abc"}}}
      """
    Then the answer is a problem with status 400
    And the problem body leaks no stack trace, HTML, backend URL or credential

  @req-ERR-007 @should
  Scenario: A problem identifies its occurrence
    When I get an unknown id
    Then the problem instance is the request path or a urn:uuid

  @req-ERR-008 @should
  Scenario: Validation problems list the offending fields
    When I send a create with content type "application/json" and body:
      """
      {"spec": {"service_type": "vm", "memory": {"size": "4 GB"}}}
      """
    Then the answer is a "invalid-argument" problem with status 400
    And the problem errors name the field "spec.memory.size"

  @req-ERR-010 @req-ERR-009 @req-AGT-009 @must @cap:backend-control @serial
  Scenario: A backend outage during a create is a 502 or 504, never a 503 or 500
    Given the backend is down
    When I create a resource with spec:
      """
      {"service_type": "vm"}
      """
    Then the answer is either 201 or a problem with status 502 or 504
    And the backend is brought back up

  @req-ERR-011 @req-API-015 @must @cap:backend-control
  Scenario: A create the backend refuses is a problem and leaves no record
    Given the backend refuses creates of this scenario's resources
    When I create a resource with spec:
      """
      {"service_type": "vm", "metadata": {"name": "{name}"}}
      """
    Then the answer is a problem with a 4xx or 5xx status
    And no resource exists for that id
    And no event for the resource arrives within "first_status_event"
    And the backend accepts creates again
