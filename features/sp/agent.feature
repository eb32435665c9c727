@profile-agent
Feature: Agent-mode variant
  DCM's environment-agent sends bare specs with Idempotency-Key (§15).

  Background:
    Given the service type "vm"

  @req-AGT-002 @req-AGT-003 @must
  Scenario: A bare spec with Idempotency-Key gets the UUIDv5 id of the key
    When I send an agent create with a new Idempotency-Key and spec:
      """
      {"service_type": "vm", "vcpu": {"count": 1}}
      """
    Then the answer status is 201
    And the answer id is the UUIDv5 of the Idempotency-Key

  @req-AGT-004 @must
  Scenario: The same key and spec is a replay, another spec a conflict
    When I send an agent create with a new Idempotency-Key and spec:
      """
      {"service_type": "vm"}
      """
    And I send the agent create again with the same key and spec:
      """
      {"service_type": "vm"}
      """
    Then the answer status is one of "200, 201"
    When I send the agent create again with the same key and spec:
      """
      {"service_type": "vm", "vcpu": {"count": 8}}
      """
    Then the answer is a problem with status 409 or 422

  @req-AGT-005 @must
  Scenario: ?id= wins over Idempotency-Key
    When I send an agent create with ?id= and a new Idempotency-Key and spec:
      """
      {"service_type": "vm"}
      """
    Then the answer status is 201
    And the answer id is the id I sent

  @req-AGT-006 @must
  Scenario: A bare spec without key or id gets a UUID v4
    When I send an agent create without key or id and spec:
      """
      {"service_type": "vm"}
      """
    Then the answer status is 201
    And the answer id is a lower-case UUID v4

  @req-AGT-007 @req-AGT-008 @must
  Scenario: Delete with Idempotency-Key and events carry the derived id
    When I send an agent create with a new Idempotency-Key and spec:
      """
      {"service_type": "vm"}
      """
    Then within "first_status_event" an event for the resource arrives
    When I delete the resource with an Idempotency-Key header
    Then the answer status is 204 with an empty body

  @req-AGT-001 @may
  Scenario: The SP supports the agent variant
    When I send an agent create with a new Idempotency-Key and spec:
      """
      {"service_type": "vm"}
      """
    Then the answer status is 201
