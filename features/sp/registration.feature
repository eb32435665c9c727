Feature: Registration with the DCM provider registry
  The SP registers each service type it serves with the suite's fake DCM
  (contract §4). The registry behaves like the control plane's.

  @req-REG-001 @req-REG-002 @req-REG-003 @req-REG-004 @req-REG-005 @req-REG-006 @req-REG-020 @req-AGT-010 @must
  Scenario: Every registration is a valid POST to {base}/providers
    Then every registration attempt was a POST to "/api/v1alpha1/providers" with a JSON body
    And every registration body validates against the registration schema
    And every registered endpoint is an absolute URL on a concrete host ending in the service's collection
    And the registry answered 201 or 200 to the SP's registrations

  @req-REG-025 @must
  Scenario: One registration per service type, each with its own name and endpoint
    Then each service type under test was registered once under its own name and endpoint

  @req-REG-009 @must
  Scenario: A provider id in ?id= is lower-case and fits the registry pattern
    Then every registration that sent ?id= used a lower-case id matching "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"

  @req-REG-021 @req-REG-009 @must
  Scenario: A 5xx answer to the first registration is retried with the same body and id
    Then the registry answered 503 to the first registration of every service type under test
    And within "registration_retry_gap" every service type under test registered after that 503
    And every retry of a first registration carried the same body and ?id= as the first attempt

  @req-REG-009 @req-REG-020 @must @cap:restart @serial
  Scenario: The same name is registered with the same id after a restart
    Given I remember the registrations so far
    When the SP is restarted
    Then within "registration_first_attempt" every service type is registered again
    And every re-registration used the same name and the same ?id= as before

  @req-REG-007 @should
  Scenario: Operations are sent in upper case
    Then every registration body has operations ["CREATE","DELETE","READ"]

  @req-REG-008 @should
  Scenario: Capabilities travel only inside metadata with snake_case keys
    Then every registration body keeps capabilities inside metadata with snake_case keys

  @req-SEC-009 @must
  Scenario: Registration metadata names no backend address or credential
    Then no registration body contains a backend URL, token or password

  @req-REG-022 @must @cap:restart @serial
  Scenario: Registration does not block serving
    Given the registry answers 503 after 2 seconds to the next 2 registrations
    When the SP is restarted
    Then every service type answered health while its registration was still pending

  @req-REG-021 @must @cap:restart @serial
  Scenario: Transport errors and 5xx answers are retried with backoff
    Given the registry will answer 503 to the next 4 registrations
    When the SP is restarted
    Then within "registration_retry_gap" every service type is registered again
    And every service type retried after a 503 answer

  @req-REG-024 @must @cap:restart @serial
  Scenario: A 4xx answer stops the backoff retries
    Given the registry will answer 400 to the next 2 registrations
    When the SP is restarted
    Then within "registration_first_attempt" the registry saw the 400 answers
    And no further registration attempt for that name arrives within 2 seconds

  @req-REG-023 @must @cap:restart @cap:backend-control @serial
  Scenario: The SP starts, serves and registers with its backend down
    Given the backend is down
    When the SP is restarted
    Then within "registration_first_attempt" every service type is registered again
    And within "status_change_event" the health of every service type is "unhealthy"
    And the backend is brought back up

  @req-REG-026 @should @serial
  Scenario: The SP re-registers periodically
    Given I remember the registrations so far
    And the registry forgets every provider
    Then within "reregistration" every service type is registered again
    And every re-registration used the same name and the same ?id= as before

  @req-REG-027 @may @cap:restart @serial
  Scenario: The SP may deregister on graceful shutdown
    When the SP is restarted
    Then the registry saw a deregistration
