Feature: Status vocabularies
  Statuses come from the profile's vocabulary in upper case (§10).

  Background:
    Given the service type "vm"

  @req-VOC-001 @req-API-005 @must
  Scenario: VM statuses in answers and events come from the vocabulary
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    Then the resource status is from the vocabulary
    And within "first_status_event" an event for the resource arrives
    And every event for the resource has a status from the vocabulary

  @req-VOC-002 @must
  Scenario: A new VM starts at PROVISIONING or RUNNING
    When I create a resource with spec:
      """
      {"service_type": "vm"}
      """
    Then the answer status is 201
    And the resource status is one of "PROVISIONING, RUNNING"
    And within "first_status_event" an event for the resource arrives
    And the first event for the resource is "PROVISIONING" or "RUNNING"

  @req-VOC-004 @must @cap:backend-control
  Scenario: GET and list show DELETING while a delete is in progress
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    And the backend takes 3 seconds to delete the resource
    When I delete the resource without waiting
    And I get the resource
    Then the answer status is 200
    And the resource status is one of "DELETING"
    And the backend answers normally again
    And within "delete_complete" getting the resource answers 404 "not-found"

  @req-VOC-005 @must @cap:backend-control
  Scenario: An unmappable backend state keeps the last status and is flagged
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    And within "vm_running" getting the resource shows status "RUNNING"
    When the backend shows the resource as "nostate"
    And I wait for one poll interval
    Then within "status_change_event" getting the resource shows status "RUNNING"
    And the resource status message mentions "nostate"

  @req-VOC-006 @req-VOC-011 @must @cap:backend-control
  Scenario: A powered-off VM never seen running is PROVISIONING, later STOPPED
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    And within "vm_running" getting the resource shows status "RUNNING"
    When the backend shows the resource as "down"
    Then within "status_change_event" getting the resource shows status "STOPPED"
    And within "status_change_event" a "STOPPED" event for the resource arrives
