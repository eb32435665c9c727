Feature: Specs generated from DCM's service-type schemas
  Specs are generated with a seed from DCM's own VM and cluster schemas
  (conformance/contract/dcm-schemas, provenance in its PROVENANCE file). The
  run prints its seed; `--seed N` replays it and `--generated-cases N` sets
  the cases per scenario. A failing case is shrunk to a minimal spec and
  reported with the seed and a curl line.

  @req-API-004 @req-VAL-007 @must
  Scenario: Realistic VM specs from DCM's schema are accepted and echoed verbatim
    Given the service type "vm"
    Then every "realistic" spec generated from DCM's schema is accepted and echoed verbatim

  @req-ERR-001 @req-ERR-002 @req-ERR-009 @req-ERR-010 @must
  Scenario: VM specs valid under DCM's schema never get a 5xx
    Given the service type "vm"
    Then no "arbitrary" spec generated from DCM's schema gets a 5xx or a rejection that is not a problem

  @req-ERR-001 @req-ERR-002 @req-ERR-009 @req-ERR-010 @must
  Scenario: VM specs one member away from DCM's schema never get a 5xx
    Given the service type "vm"
    Then no "near-valid" spec generated from DCM's schema gets a 5xx or a rejection that is not a problem

  @req-API-004 @req-VAL-007 @must @cap:clusters
  Scenario: Realistic cluster specs from DCM's schema are accepted and echoed verbatim
    Given the service type "cluster"
    Then every "realistic" spec generated from DCM's schema is accepted and echoed verbatim

  @req-ERR-001 @req-ERR-002 @req-ERR-009 @req-ERR-010 @must @cap:clusters
  Scenario: Cluster specs valid under or one member away from DCM's schema never get a 5xx
    Given the service type "cluster"
    Then no "arbitrary" spec generated from DCM's schema gets a 5xx or a rejection that is not a problem
    And no "near-valid" spec generated from DCM's schema gets a 5xx or a rejection that is not a problem
