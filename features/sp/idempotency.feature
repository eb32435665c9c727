Feature: Idempotent create
  DCM re-sends timed-out creates; a replay must be harmless (§6.3).

  Background:
    Given the service type "vm"

  @req-API-030 @must
  Scenario: A replay with a JSON-equal spec answers 2xx with the stored resource
    Given a resource created with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 1}, "memory": {"size": "512MB"}}
      """
    When I replay the create with the same spec reordered and reformatted
    Then the answer status is one of "200, 201"
    And the answer is the resource with the spec as sent
    And the resource exists once in the collection

  @req-API-030 @req-API-004 @must
  Scenario: A replay returns the stored resource and does not create it again
    Given a resource created with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 1}}
      """
    And within "vm_running" getting the resource shows status "RUNNING"
    And I remember the stored resource
    When I replay the create with the same spec reordered and reformatted
    Then the answer status is one of "200, 201"
    And the answer is the remembered resource with its create_time and status
    When I get the resource
    Then the answer is the remembered resource with its create_time and status
    And no event for the resource after the replay reports a status other than "RUNNING"

  @req-API-030 @must
  Scenario: A replay compares numbers by value
    Given a resource created with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 1}, "x_cst_weight": 10, "x_cst_list": [1, 2]}
      """
    When I replay the create with the whole numbers of its unknown members written as decimals
    Then the answer status is one of "200, 201"
    And the resource exists once in the collection

  @req-API-031 @must
  Scenario: The same id with a different spec is a 409 and changes nothing
    Given a resource created with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 1}}
      """
    When I create the same id with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 4}}
      """
    Then the answer is a "already-exists" problem with status 409
    When I get the resource
    Then the answer is the resource with the spec as sent

  @req-API-031 @must @cap:clusters
  Scenario: The same id under another service type is a 409
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    When I create the same id through the "cluster" endpoint with spec:
      """
      {"service_type": "cluster"}
      """
    Then the answer is a "already-exists" problem with status 409

  @req-API-032 @must @cap:backend-control
  Scenario: Creating an id that is DELETING is a 409
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    And the backend takes 3 seconds to delete the resource
    When I delete the resource without waiting
    And I replay the create with the same spec reordered and reformatted
    Then the answer is a "already-exists" problem with status 409
    And the backend answers normally again
    And within "delete_complete" getting the resource answers 404 "not-found"

  @req-API-033 @must
  Scenario: A new id whose backend name collides is a 409
    Given a resource created with spec:
      """
      {"service_type": "vm", "metadata": {"name": "{name}"}}
      """
    When I create another resource with spec:
      """
      {"service_type": "vm", "metadata": {"name": "{name}"}}
      """
    Then the answer is a "already-exists" problem with status 409
    And the first resource is untouched

  @req-API-034 @must
  Scenario: Concurrent creates with one id produce one resource
    When I send 5 concurrent creates with one id and spec:
      """
      {"service_type": "vm", "vcpu": {"count": 1}}
      """
    Then every answer is 200, 201 or 409 and at least one is 201
    And the resource exists once in the collection
