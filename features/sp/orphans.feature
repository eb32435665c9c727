Feature: Orphans and reconciliation
  The SP tracks what it manages and never confuses backend leftovers with
  its own resources (§11).

  Background:
    Given the service type "vm"

  @req-ORP-001 @req-ORP-002 @req-API-050 @must @cap:backend-control
  Scenario: A prefixed backend resource the SP does not track never shows in lists
    Given the backend holds an untracked prefixed VM "{name}"
    When I wait for one poll interval
    And I list the collection with "max_page_size=100"
    Then no listed item has the backend name "{name}"
    And no event names "{name}" within "orphan_reported"

  @req-ORP-007 @must @cap:backend-control @serial
  Scenario: A failed backend list is not read as "everything disappeared"
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    Then within "first_status_event" an event for the resource arrives
    When the backend is down
    And I wait for one poll interval
    Then no "DELETED" event for the resource arrives within "deleted_event_after_disappearance"
    And getting the resource answers 200
    And the backend is brought back up

  @req-ORP-008 @req-API-017 @must @cap:restart @serial
  Scenario: Resources survive a restart of the SP
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    When the SP is restarted
    And I get the resource
    Then the answer status is 200
    And the answer is the resource with the spec as sent

  @req-ORP-010 @should @fact:name-prefix
  Scenario: The name prefix is configurable
    Then the target declares a configurable name prefix

  @req-API-064 @req-API-017 @must @cap:backend-control
  Scenario: A delete during a background create leaves nothing behind
    Given the backend hangs for 4 seconds on every call for this scenario's resources
    When I create a resource with spec:
      """
      {"service_type": "vm", "metadata": {"name": "{name}"}}
      """
    And I delete the resource
    Then the answer status is one of "204, 504, 409"
    And the backend answers normally again
    And within "delete_complete" getting the resource answers 404 "not-found"
    And within "delete_complete" the backend holds nothing for the resource

  @req-API-018 @must @cap:backend-control
  Scenario: A create the backend applied but whose answer was cut is tracked, not failed
    Given the backend cuts the connection after applying the next create
    When I create a resource with spec:
      """
      {"service_type": "vm", "metadata": {"name": "{name}"}}
      """
    Then the answer arrived within "create_response"
    And within "vm_running" the cut create ends "RUNNING", or if refused leaves nothing in the backend within "delete_complete"
    And the backend accepts creates again
