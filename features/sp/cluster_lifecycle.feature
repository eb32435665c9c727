@cap:clusters
Feature: Cluster lifecycle through the resource protocol
  Clusters follow the same protocol with their own vocabulary (§6, §10).

  Background:
    Given the service type "cluster"

  @req-API-011 @req-API-003 @req-API-004 @req-VOC-002 @must
  Scenario: A new cluster starts PROGRESSING
    When I create a resource with spec:
      """
      {"service_type": "cluster", "version": "1.31", "nodes": {"control_plane": {"count": 1, "cpu": 2, "memory": "2GB", "storage": "10GB"}, "workers": {"count": 1, "cpu": 1, "memory": "1GB", "storage": "10GB"}}}
      """
    Then the answer status is 201
    And the answer is the resource with the spec as sent
    And the resource status is one of "PROGRESSING"

  @req-API-060 @req-EVT-022 @must
  Scenario: A cluster delete answers 204 and publishes DELETED
    Given a resource created with spec:
      """
      {"service_type": "cluster"}
      """
    When I delete the resource
    Then the answer status is 204 with an empty body
    And within "deleted_event_after_delete" a "DELETED" event for the resource arrives

  @req-VOC-003 @req-SEC-003 @req-API-054 @must
  Scenario: Credentials appear only on GET of an ACTIVE cluster
    Given a resource created with spec:
      """
      {"service_type": "cluster"}
      """
    When I get the resource
    Then a kubeconfig is present only if the status is "ACTIVE"
    When I list the collection with "max_page_size=100"
    Then no listed item carries a kubeconfig
    And no event for the resource carries a kubeconfig

  @req-VOC-009 @req-VOC-001 @req-VOC-007 @must
  Scenario: Cluster statuses stay in the cluster vocabulary
    Given a resource created with spec:
      """
      {"service_type": "cluster"}
      """
    Then within "first_status_event" an event for the resource arrives
    And every event for the resource has a status from the cluster vocabulary and no DEGRADED before ACTIVE

  @req-VOC-008 @req-TMO-005 @must @cap:backend-control
  Scenario: A cluster that never becomes ACTIVE turns FAILED after the create timeout
    Given a resource created with spec:
      """
      {"service_type": "cluster"}
      """
    And the backend shows the resource as "stuck"
    Then within "cluster_failed_after_timeout" getting the resource shows status "FAILED"
