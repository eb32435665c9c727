Feature: Health
  DCM polls {endpoint}/health; the answer is always 200 with healthy or
  unhealthy (contract §5).

  @req-HLT-001 @req-HLT-002 @req-HLT-004 @req-HLT-008 @must
  Scenario: Each registered endpoint serves a valid health body
    When I get the health of every service type
    Then every health answer is 200 application/json with a valid health body
    And every health status is "healthy"

  @req-HLT-004 @must
  Scenario: Uptime is an integer that never decreases
    When I get the health of every service type
    And I wait 1100 milliseconds
    And I get the health of every service type again
    Then uptime did not decrease and grew with time

  @req-HLT-005 @should
  Scenario: Health carries type and path
    When I get the health of every service type
    Then every health body has a type and path "health"

  @req-HLT-007 @must
  Scenario: Health answers within one second
    When I get the health of every service type
    Then every health answer arrived within "health_response"

  @req-HLT-003 @req-HLT-009 @req-HLT-002 @req-HLT-007 @must @cap:backend-control @serial
  Scenario: Backend trouble is unhealthy with HTTP 200, never a 503
    Given the backend is down
    Then within "status_change_event" the health of every service type is "unhealthy"
    And every health answer is 200 application/json with a valid health body
    And every health answer arrived within "health_response"
    And the fake DCM sees the provider as "unhealthy", not "unavailable"
    When the backend is brought back up
    Then within "status_change_event" the health of every service type is "healthy"

  @req-HLT-007 @must @cap:backend-control @serial
  Scenario: A hung backend does not slow health down
    Given the backend hangs for 3 seconds on every call
    When I get the health of every service type
    Then every health answer arrived within "health_response"
    And every health answer is 200 application/json with a valid health body
    And the backend answers normally again

  @req-HLT-006 @may @cap:backend-control @serial
  Scenario: An unhealthy body may explain itself without leaking
    Given the backend is down
    Then within "status_change_event" the health of every service type is "unhealthy"
    And every unhealthy health body has a detail without backend URLs or credentials
    And the backend is brought back up

  @req-HLT-012 @should @cap:restart @serial
  Scenario: Health turns unhealthy when graceful shutdown starts
    Then health reports "unhealthy" during a restart of the SP
