Feature: VM lifecycle through the resource protocol
  Create, read, list and delete a VM as DCM does (contract §6).

  Background:
    Given the service type "vm"

  @req-API-001 @req-API-002 @req-API-003 @req-API-004 @req-API-005 @req-API-010 @req-API-011 @req-VOC-002 @must
  Scenario: Create answers 201 with the full representation
    When I create a resource with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 1}, "memory": {"size": "512MB"}, "metadata": {"labels": {"team": "conformance"}}}
      """
    Then the answer status is 201
    And the answer is the resource with the spec as sent
    And the resource status is one of "PROVISIONING, RUNNING"

  @req-API-040 @req-API-004 @req-API-002 @must
  Scenario: Get returns the stored spec unchanged
    Given a resource created with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 2}, "memory": {"size": "1GB"}, "storage": {"disks": [{"name": "boot", "capacity": "10GB"}]}}
      """
    When I get the resource
    Then the answer status is 200
    And the answer is the resource with the spec as sent

  @req-API-013 @req-VAL-009 @must
  Scenario: A spec without metadata is accepted
    When I create a resource with spec:
      """
      {"service_type": "vm"}
      """
    Then the answer status is 201
    And the answer is the resource with the spec as sent

  @req-API-010 @must
  Scenario: A create without ?id= gets a generated UUID v4
    When I create a resource without an id with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 1}}
      """
    Then the answer status is 201
    And the answer id is a lower-case UUID v4

  @req-API-050 @req-API-001 @must
  Scenario: List holds the created resource and only this service type
    Given a resource created with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 1}}
      """
    When I list the collection with "max_page_size=100" until the resource is found
    Then every listed item is a valid resource of this service type

  @req-API-060 @req-API-040 @req-VOC-004 @must
  Scenario: Delete answers 204 with an empty body and the id is gone
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    When I delete the resource
    Then the answer status is 204 with an empty body
    And within "delete_complete" getting the resource answers 404 "not-found"

  @req-API-060 @must
  Scenario: A GET right after a 204 delete is a 404
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    When I delete the resource
    Then the answer status is 204 with an empty body
    And getting the resource answers 404

  @req-API-050 @req-API-060 @must
  Scenario: A deleted resource leaves the list
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    When I delete the resource
    Then within "delete_complete" getting the resource answers 404 "not-found"
    When I walk the collection with "max_page_size=100"
    Then the walk does not return the resource

  @req-API-032 @req-API-011 @must
  Scenario: The id of a deleted resource can be created again
    Given a resource created with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 1}}
      """
    When I delete the resource
    Then within "delete_complete" getting the resource answers 404 "not-found"
    When I create the id again with spec:
      """
      {"service_type": "vm", "vcpu": {"count": 2}}
      """
    Then the answer status is 201
    And the answer is the resource with the spec as sent

  @req-API-061 @must
  Scenario: Delete of an unknown id is a 404 problem
    When I delete an unknown id
    Then the answer is a "not-found" problem with status 404

  @req-API-040 @must
  Scenario: Get of an unknown id is a 404 problem
    When I get an unknown id
    Then the answer is a "not-found" problem with status 404

  @req-API-040 @must @cap:clusters
  Scenario: An id of another service type is unknown here
    Given the service type "cluster"
    And a resource created with spec:
      """
      {"service_type": "cluster"}
      """
    When I get the resource through the "vm" endpoint
    Then the answer is a "not-found" problem with status 404

  @req-API-062 @req-VOC-004 @must @cap:backend-control
  Scenario: A second delete of a DELETING resource answers 204
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    And the backend takes 3 seconds to delete the resource
    When I delete the resource without waiting
    And I delete the resource
    Then the answer status is one of "204, 504"
    And the backend answers normally again
    And within "delete_complete" getting the resource answers 404 "not-found"

  @req-API-063 @req-EVT-022 @must @cap:backend-control
  Scenario: Deleting a resource whose backend object is gone answers 204
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    And the backend resource of it disappears
    When I delete the resource
    Then the answer status is one of "204, 404"
    And within "delete_complete" getting the resource answers 404 "not-found"

  @req-API-065 @req-ERR-010 @must @cap:backend-control
  Scenario: A failed backend delete is a 5xx problem and the resource stays
    Given a resource created with spec:
      """
      {"service_type": "vm", "metadata": {"name": "{name}"}}
      """
    And the backend fails deletes of this scenario's resources
    When I delete the resource
    Then the answer is a problem with status 502 or 504
    When the backend accepts deletes again
    And I get the resource
    Then the answer status is 200
    And the resource status is not "DELETED"

  # Serial although the cut names this resource only: the after hook's
  # backend reset ends the faults of every running scenario.
  @req-API-018 @req-TMO-002 @must @cap:backend-control @serial
  Scenario: A delete the backend applied but whose answer was cut stays DELETING, then is gone
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    And the backend cuts the connection after applying the delete of the resource
    When I delete the resource
    Then the answer status is one of "204, 502, 504"
    And getting the resource shows "DELETING" or answers 404
    And within "delete_complete" getting the resource answers 404 "not-found"
    And within "delete_complete" the backend holds nothing for the resource

  @req-API-041 @should @cap:backend-control @serial
  Scenario: Get and list are served from the SP's own state while the backend is down
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    And the backend is down
    When I get the resource
    Then the answer status is 200
    When I list the collection with "max_page_size=100"
    Then the answer status is 200
    And the backend is brought back up
