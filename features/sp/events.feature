Feature: Status events on NATS
  Every status travels as a structured CloudEvent on dcm.{service_type}
  (§9), recorded by the fake DCM's consumer.

  Background:
    Given the service type "vm"

  @req-EVT-001 @req-EVT-002 @req-EVT-003 @req-EVT-004 @req-EVT-005 @req-EVT-006 @req-EVT-007 @req-EVT-020 @must
  Scenario: A new resource publishes a valid status event in time
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    Then within "first_status_event" an event for the resource arrives
    And every event for the resource is a valid status event of the registered provider

  @req-EVT-003 @must
  Scenario: Each status change has a fresh event id
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    Then within "first_status_event" an event for the resource arrives
    When I delete the resource
    Then within "deleted_event_after_delete" a "DELETED" event for the resource arrives
    And events for the resource with different statuses have different ids

  @req-EVT-022 @req-API-060 @req-EVT-026 @must
  Scenario: DELETED is published after a delete
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    When I delete the resource
    Then the answer status is 204 with an empty body
    And within "deleted_event_after_delete" a "DELETED" event for the resource arrives

  @req-EVT-027 @must
  Scenario: Nothing follows DELETED and the last event matches GET
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    Then within "first_status_event" an event for the resource arrives
    And within "status_change_event" the last event status equals the status GET returns
    When I delete the resource
    Then within "deleted_event_after_delete" a "DELETED" event for the resource arrives
    And no event for the resource follows DELETED within "status_change_event"

  @req-EVT-021 @req-VOC-011 @req-API-016 @req-EVT-026 @must @cap:backend-control
  Scenario: A status change in the backend is published, FAILED without delay
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    And the backend shows the resource as "crashed"
    Then within "status_change_event" a "FAILED" event for the resource arrives
    And within "status_change_event" getting the resource shows status "FAILED"
    And the resource status message is not empty

  @req-EVT-022 @req-ORP-007 @must @cap:backend-control
  Scenario: A resource that disappears from the backend is DELETED
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    Then within "first_status_event" an event for the resource arrives
    When the backend resource of it disappears
    Then within "deleted_event_after_disappearance" a "DELETED" event for the resource arrives
    And within "deleted_event_after_disappearance" getting the resource answers 404 "not-found"

  @req-EVT-023 @must @cap:restart @serial
  Scenario: Every managed resource is re-published after a start
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    Then within "first_status_event" an event for the resource arrives
    When I remember the events so far
    And the SP is restarted
    Then within "startup_republish" a new event for the resource arrives

  @req-EVT-024 @should @fact:resync-interval
  Scenario: Statuses are re-published periodically
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    Then within "first_status_event" an event for the resource arrives
    And within "periodic_republish" a second event with the same status arrives

  @req-EVT-025 @should @cap:backend-control
  Scenario: Flapping is debounced
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    Then within "first_status_event" an event for the resource arrives
    When the backend flaps the resource between "down" and "up" 6 times quickly
    Then fewer than 6 events for the resource arrive within "status_change_event"

  @req-EVT-040 @req-EVT-041 @req-EVT-042 @should @cap:nats-control @serial
  Scenario: Events published while NATS is down are delivered after recovery
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    Then within "first_status_event" an event for the resource arrives
    When NATS is stopped
    And I delete the resource
    And NATS is started again
    Then within "redelivery_after_nats_recovery" a "DELETED" event for the resource is in the status stream
