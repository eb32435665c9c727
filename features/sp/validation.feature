Feature: Request validation
  Malformed requests get 400, unsupported ones 422; a rejected request has
  no side effect (§7).

  Background:
    Given the service type "vm"

  @req-VAL-001 @req-ERR-001 @must
  Scenario: A body that is not JSON is a 400
    When I send a create with content type "application/json" and body:
      """
      {"spec": {"service_type": "vm",
      """
    Then the answer is a "invalid-argument" problem with status 400
    And no resource exists for that id

  @req-VAL-002 @must
  Scenario: A non-JSON content type is refused without side effects
    When I send a create with content type "text/plain" and body:
      """
      {"spec": {"service_type": "vm"}}
      """
    Then the answer is a problem with status 400 or 415
    And no resource exists for that id

  @req-VAL-002 @must
  Scenario: A charset parameter is allowed
    When I send a create with content type "application/json; charset=utf-8" and body:
      """
      {"spec": {"service_type": "vm"}}
      """
    Then the answer status is 201

  @req-VAL-003 @must @profile-dcm-v1alpha1 @profile-legacy
  Scenario Outline: A missing or non-object spec is a 400
    When I send a create with content type "application/json" and body:
      """
      <body>
      """
    Then the answer is a "invalid-argument" problem with status 400
    And no resource exists for that id

    Examples:
      | body                        |
      | {}                          |
      | {"spec": "vm"}              |
      | {"spec": [1, 2]}            |
      | {"spec": null}              |

  @req-VAL-004 @must
  Scenario Outline: A missing or wrong service_type is a 400
    When I send a create with content type "application/json" and body:
      """
      {"spec": <spec>}
      """
    Then the answer is a "invalid-argument" problem with status 400
    And no resource exists for that id

    Examples:
      | spec                                    |
      | {"vcpu": {"count": 1}}                  |
      | {"service_type": "cluster"}             |
      | {"service_type": 7}                     |

  @req-VAL-005 @req-ERR-008 @must
  Scenario Outline: Values that break the service-type schema are a 400
    When I send a create with content type "application/json" and body:
      """
      {"spec": <spec>}
      """
    Then the answer is a "invalid-argument" problem with status 400
    And no resource exists for that id

    Examples:
      | spec                                                                                             |
      | {"service_type": "vm", "metadata": {"name": "Bad_Name"}}                                         |
      | {"service_type": "vm", "vcpu": {"count": 0}}                                                     |
      | {"service_type": "vm", "vcpu": {"count": "two"}}                                                 |
      | {"service_type": "vm", "memory": {"size": "4 GB"}}                                               |
      | {"service_type": "vm", "memory": {"size": "4GiB"}}                                               |
      | {"service_type": "vm", "storage": {"disks": [{"name": "boot", "capacity": "ten"}]}}              |
      | {"service_type": "vm", "storage": {"disks": [{"name": "Boot!", "capacity": "10GB"}]}}            |
      | {"service_type": "vm", "storage": {"disks": [{"name": "boot", "capacity": "10GB"}, {"name": "boot", "capacity": "5GB"}]}} |

  @req-VAL-005 @must @cap:clusters
  Scenario Outline: Cluster values that break the schema are a 400
    Given the service type "cluster"
    When I send a create with content type "application/json" and body:
      """
      {"spec": <spec>}
      """
    Then the answer is a "invalid-argument" problem with status 400

    Examples:
      | spec                                                                            |
      | {"service_type": "cluster", "nodes": {"control_plane": {"count": 2}}}           |
      | {"service_type": "cluster", "nodes": {"control_plane": {"count": 1, "cpu": 1}}} |
      | {"service_type": "cluster", "nodes": {"workers": {"count": 0}}}                 |
      | {"service_type": "cluster", "nodes": {"workers": {"memory": "1XB"}}}            |

  @req-VAL-006 @should
  Scenario Outline: Zero sizes and a storage without exactly one boot disk are a 400
    When I send a create with content type "application/json" and body:
      """
      {"spec": <spec>}
      """
    Then the answer is a "invalid-argument" problem with status 400

    Examples:
      | spec                                                                                  |
      | {"service_type": "vm", "memory": {"size": "0GB"}}                                     |
      | {"service_type": "vm", "storage": {"disks": [{"name": "boot", "capacity": "0GB"}]}}   |
      | {"service_type": "vm", "storage": {"disks": [{"name": "data", "capacity": "10GB"}]}}  |

  @req-VAL-007 @req-API-004 @must
  Scenario: Unknown members inside spec are accepted and persisted
    When I create a resource with spec:
      """
      {"service_type": "vm", "x_custom": {"nested": [1, "two", null]}, "future_field": true}
      """
    Then the answer status is 201
    When I get the resource
    Then the answer is the resource with the spec as sent

  @req-VAL-008 @must
  Scenario: Read-only members next to spec are ignored
    When I send a create with content type "application/json" and body:
      """
      {"spec": {"service_type": "vm"}, "id": "something-else", "status": "RUNNING", "path": "vms/x"}
      """
    Then the answer status is 201
    And the answer id is the id I sent

  @req-VAL-010 @should @cap:clusters
  Scenario: nodes.worker is accepted as an alias of nodes.workers
    Given the service type "cluster"
    When I create a resource with spec:
      """
      {"service_type": "cluster", "nodes": {"worker": {"count": 1}}}
      """
    Then the answer status is 201

  @req-VAL-011 @must
  Scenario: An unknown backend profile is a 422 naming the accepted values
    When I send a create with content type "application/json" and body:
      """
      {"spec": {"service_type": "vm", "guest_os": {"type": "no-such-os-cst"}}}
      """
    Then the answer is a "unprocessable-entity" problem with status 422
    And the problem detail mentions "no-such-os-cst"
    And no resource exists for that id

  @req-VAL-011 @req-KCLI-020 @must @cap:clusters @fact:hint-namespace=kcli
  Scenario: An unsupported cluster type is a 422
    Given the service type "cluster"
    When I send a create with content type "application/json" and body:
      """
      {"spec": {"service_type": "cluster", "provider_hints": {"kcli": {"cluster_type": "kind"}}}}
      """
    Then the answer is a "unprocessable-entity" problem with status 422

  @req-VAL-012 @req-ERR-001 @must
  Scenario: A body over 1 MiB is a 413 before parsing
    When I send a create whose body is 1100000 bytes
    Then the answer is a "payload-too-large" problem with status 413
    When I send a create whose body is 1100000 bytes without Content-Length
    Then the answer is a "payload-too-large" problem with status 413

  @req-VAL-013 @must
  Scenario: A method not served on a route is a 405 with Allow
    When I send "PUT" to "{endpoint}"
    Then the answer is a "method-not-allowed" problem with status 405
    And the Allow header lists "GET, POST"

  @req-VAL-014 @must
  Scenario: An unknown route is a 404 problem
    When I send "GET" to "{endpoint}/a/b/c"
    Then the answer is a "not-found" problem with status 404
    When I send "GET" to "{root}/api/v1alpha1/no-such-collection-cst"
    Then the answer is a "not-found" problem with status 404

  @req-VAL-014 @req-API-012 @must
  Scenario: GET and DELETE of an impossible id are 404
    When I send "GET" to "{endpoint}/-bad-id-"
    Then the answer is a "not-found" problem with status 404
    When I send "DELETE" to "{endpoint}/-bad-id-"
    Then the answer is a "not-found" problem with status 404

  @req-API-012 @must
  Scenario Outline: Invalid or reserved ids are a 400
    When I create a resource with the id "<id>" and spec:
      """
      {"service_type": "vm"}
      """
    Then the answer is a "invalid-argument" problem with status 400

    Examples:
      | id            |
      | -leading      |
      | trailing-     |
      | has space     |
      | health        |
      | {too-long-id} |

  @req-API-012 @must
  Scenario: Ids with upper case, dots and underscores up to 253 characters are accepted
    When I create a resource with the id "{mixed-id}" and spec:
      """
      {"service_type": "vm"}
      """
    Then the answer status is 201
    And the answer id is the id I sent

  @req-VAL-015 @must
  Scenario: Body size is checked before JSON syntax, schema before idempotency
    Given a resource created with spec:
      """
      {"service_type": "vm"}
      """
    When I create the same id with spec:
      """
      {"service_type": "vm", "vcpu": {"count": "bad"}}
      """
    Then the answer is a "invalid-argument" problem with status 400
    When I send a create whose body is 1100000 bytes of invalid JSON
    Then the answer is a "payload-too-large" problem with status 413
