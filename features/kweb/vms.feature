@vms
Feature: VMs: create, list, inspect, update, power, delete
  kweb-reference.md §5.1 and §6.1-§6.6 on libvirt's test driver.

  @ref-6.3 @ref-6.1 @obs
  Scenario: a kvirt VM gets the web defaults and a full VMINFO
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-basic", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-basic" with JSON '{"snapshots": true}'
    When I send "GET /vms/vm-basic"
    Then the status is 200
    And the content type is "application/json"
    And the body matches:
      """
      {"name": "vm-basic", "nets": [], "disks": [{"device": "vda", "size": 1, "format": "virtio", "type": "qcow2", "path": "/default-pool/vm-basic_0.img"}], "id": "{{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}}}", "plan": "kvirt", "profile": "kvirt", "creationdate": "{{\d\d-\d\d-\d{4} \d\d:\d\d}}", "status": "up", "autostart": false, "numcpus": 2, "memory": 512}
      """

  @ref-6.3 @obs
  Scenario: creating answers with the VM name
    When I send "POST /vms" with JSON '{"name": "vm-answer", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-answer"
    Then the status is 200
    And the body is "{"result": "success", "vm": "vm-answer"}"

  @ref-6.1 @obs
  Scenario: the VM list shows list-mode objects with an info text
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-listed", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-listed"
    When I send "GET /vms"
    Then the status is 200
    And the JSON at "/vms" has an item containing:
      """
      {"name": "vm-listed", "nets": [], "disks": [], "plan": "kvirt", "profile": "kvirt", "status": "up"}
      """
    And the body matches:
      """
      {"vms": [{{.*}}{"name": "vm-listed", "nets": [], "disks": [], "id": "{{[0-9a-f-]{36}}}", "plan": "kvirt", "profile": "kvirt", "creationdate": "{{[0-9: -]{16}}}", "status": "up", "info": "name: vm-listed\nid: {{[0-9a-f-]{36}}}\ncreationdate: {{[0-9: -]{16}}}\nstatus: up\nplan: kvirt\nprofile: kvirt"}{{.*}}]}
      """

  @ref-11 @ref-6.1 @obs @ref-12.25
  Scenario: the built-in test domain is always listed
    When I send "GET /vms"
    Then the JSON at "/vms" has an item containing:
      """
      {"name": "test", "nets": [{"device": "eth0", "mac": "aa:bb:cc:dd:ee:ff", "net": "default", "type": "routed"}], "disks": [], "id": "6695eb01-f6a4-8304-79aa-97f2502e193f", "plan": "", "ip": "192.168.122.3", "status": "up", "info": "name: test\nid: 6695eb01-f6a4-8304-79aa-97f2502e193f\nstatus: up\nplan: \nnet interface: eth0 mac: aa:bb:cc:dd:ee:ff net: default type: routed\nip: 192.168.122.3"}
      """
    And the body contains "{"name": "test", "nets": [{"device": "eth0", "mac": "aa:bb:cc:dd:ee:ff", "net": "default", "type": "routed"}], "disks": [], "id": "6695eb01-f6a4-8304-79aa-97f2502e193f", "plan": "", "ip": "192.168.122.3", "status": "up", "info": "

  @ref-6.2 @obs
  Scenario: the VM list is sorted by name
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-sort-b", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-sort-b"
    And the kweb accepted "POST /vms" with JSON '{"name": "vm-sort-a", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-sort-a"
    When I send "GET /vms"
    Then the body matches "{"vms": [{{.*}}"name": "test"{{.*}}"name": "vm-sort-a"{{.*}}"name": "vm-sort-b"{{.*}}]}"

  @ref-11 @ref-12.35 @env @obs
  Scenario: inspecting the built-in test domain is a 500
    When I send "GET /vms/test"
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

  @ref-4.7 @ref-12.2 @obs
  Scenario: an unknown VM is an empty object with 200
    When I send "GET /vms/nosuch-vm"
    Then the status is 200
    And the content type is "application/json"
    And the body is "{}"

  @ref-4.2 @obs
  Scenario: creating a VM twice is a 200 failure
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-twice", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-twice"
    When I send "POST /vms" with JSON '{"name": "vm-twice", "profile": "kvirt", "disks": [1]}'
    Then the status is 200
    And the body is "{"result": "failure", "reason": "VM vm-twice already exists"}"

  @ref-6.3 @obs
  Scenario: an empty name gets a random word-word name
    When I send "POST /vms" with JSON '{"name": "", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /plans/kvirt"
    Then the status is 200
    And the body matches "{"result": "success", "vm": "{{[a-z0-9]+-[a-z0-9]+}}"}"

  @ref-6.3 @obs
  Scenario: a null profile falls back to kvirt
    When I send "POST /vms" with JSON '{"name": "vm-nullprofile", "profile": null, "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-nullprofile"
    Then the body is "{"result": "success", "vm": "vm-nullprofile"}"
    When I send "GET /vms/vm-nullprofile"
    Then the JSON body contains:
      """
      {"plan": "kvirt", "profile": "kvirt", "numcpus": 2, "memory": 512}
      """

  @ref-6.3 @ref-12.17 @obs
  Scenario: web defaults override the profile's nets and disks
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-small", "profile": "small"}'
    And afterwards I send "DELETE /vms/vm-small"
    When I send "GET /vms/vm-small"
    Then the JSON body contains:
      """
      {"name": "vm-small", "nets": [], "disks": [{"device": "vda", "size": 10, "format": "virtio", "type": "qcow2", "path": "/default-pool/vm-small_0.img"}], "profile": "small", "numcpus": 1, "memory": 1024}
      """

  @ref-6.3 @ref-11 @obs
  Scenario: string nets and disks are split on commas; a running VM gets fake DHCP addresses
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-strings", "profile": "kvirt", "nets": "default,default", "disks": "1,2"}'
    And afterwards I send "DELETE /vms/vm-strings"
    When I send "GET /vms/vm-strings"
    Then the JSON body contains:
      """
      {"nets": [{"device": "eth0", "mac": "{{52:54:00(:[0-9a-f]{2}){3}}}", "net": "default", "type": "routed"}, {"device": "eth1", "mac": "{{52:54:00(:[0-9a-f]{2}){3}}}", "net": "default", "type": "routed"}], "disks": [{"device": "vda", "size": 1, "format": "virtio", "type": "qcow2", "path": "/default-pool/vm-strings_0.img"}, {"device": "vdb", "size": 2, "format": "virtio", "type": "qcow2", "path": "/default-pool/vm-strings_1.img"}], "ip": "{{[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+}}", "ips": ["{{[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+}}", "{{[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+}}"], "status": "up"}
      """
    And the JSON keys at "" are, in order: name, nets, disks, id, plan, profile, creationdate, ip, ips, status, autostart, numcpus, memory
    When I send "GET /vms"
    Then the body matches "{{.*}}net interface: eth1 mac: {{[0-9a-f:]{17}}} net: default type: routed\nip: {{[0-9.]+}}\nips: ['{{[0-9.]+}}', '{{[0-9.]+}}']"{{.*}}"

  @ref-3.4 @obs
  Scenario: form keys parameters[X] are flattened to X
    When I send "POST /vms" with form 'name=vm-form&profile=kvirt&disks=1&parameters[numcpus]=3&parameters[memory]=768'
    And afterwards I send "DELETE /vms/vm-form"
    Then the body is "{"result": "success", "vm": "vm-form"}"
    When I send "GET /vms/vm-form"
    Then the JSON body contains:
      """
      {"numcpus": 3, "memory": 768}
      """

  @ref-6.3 @obs
  Scenario: start false leaves the VM down, without an ip
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-down", "profile": "kvirt", "disks": [1], "nets": ["default"], "start": false}'
    And afterwards I send "DELETE /vms/vm-down"
    When I send "GET /vms/vm-down"
    Then the JSON body contains:
      """
      {"status": "down"}
      """
    And the JSON object at "" does not have the key "ip"

  @ref-6.1 @ref-6.3 @obs
  Scenario: an image VM without cloud-init records image and user
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-cirros", "profile": "cirros.qcow2", "nets": ["default"], "cloudinit": false, "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-cirros"
    When I send "GET /vms"
    Then the body matches "{{.*}}{"name": "vm-cirros", "nets": [{"device": "eth0", "mac": "{{[0-9a-f:]{17}}}", "net": "default", "type": "routed"}], "disks": [], "id": "{{[0-9a-f-]{36}}}", "user": "cirros", "image": "cirros.qcow2", "plan": "kvirt", "profile": "cirros.qcow2", "creationdate": "{{[0-9: -]{16}}}", "ip": "{{[0-9.]+}}", "status": "up", "info": "name: vm-cirros\nid: {{[0-9a-f-]{36}}}\ncreationdate: {{[0-9: -]{16}}}\nstatus: up\nimage: cirros.qcow2\nuser: cirros\nplan: kvirt\nprofile: cirros.qcow2\nnet interface: eth0 mac: {{[0-9a-f:]{17}}} net: default type: routed\nip: {{[0-9.]+}}"}{{.*}}"

  @ref-6.1 @obs
  Scenario: ubuntu images give the user ubuntu
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-ubuntu", "profile": "ubuntu2404", "cloudinit": false, "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-ubuntu"
    When I send "GET /vms/vm-ubuntu"
    Then the JSON body contains:
      """
      {"name": "vm-ubuntu", "user": "ubuntu", "image": "ubuntu2404", "profile": "ubuntu2404"}
      """
    And the JSON keys at "" are, in order: name, nets, disks, id, user, image, plan, profile, creationdate, status, autostart, numcpus, memory

  @ref-6.3 @ref-11 @env @target-real @obs
  Scenario: a cloud-init VM fails on the test driver (ISO upload unsupported)
    When I send "POST /vms" with JSON '{"name": "vm-cloudinit", "profile": "cirros.qcow2", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-cloudinit"
    Then the status is 500
    And the content type is "text/html; charset=UTF-8"

  @ref-6.6 @obs
  Scenario: stop and start are idempotent
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-power", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-power"
    When I send "POST /vms/vm-power/start"
    Then the body is "{"result": "success"}"
    When I send "POST /vms/vm-power/stop"
    Then the body is "{"result": "success"}"
    When I send "POST /vms/vm-power/stop"
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-power"
    Then the JSON body contains:
      """
      {"status": "down"}
      """
    When I send "POST /vms/vm-power/start" with JSON '{}'
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-power"
    Then the JSON body contains:
      """
      {"status": "up"}
      """

  @ref-4.2 @obs
  Scenario Outline: power actions on an unknown VM are 200 failures: <action>
    When I send "POST /vms/nosuch-power/<action>"
    Then the status is 200
    And the body is "{"result": "failure", "reason": "VM nosuch-power not found"}"

    Examples:
      | action |
      | start  |
      | stop   |

  @ref-6.6 @obs
  Scenario: there is no restart route
    When I send "POST /vms/test/restart"
    Then the status is 404
    And the body is the error page "404 Not Found" saying "Not found: '/vms/test/restart'"

  @ref-6.5 @obs
  Scenario: UPDATE changes autostart at once and numcpus from the next start; memory stays on the test driver
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-update", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-update"
    When I send "UPDATE /vms/vm-update" with JSON '{"numcpus": 4, "autostart": true, "memory": 1024}'
    Then the status is 200
    And the body is "{"result": "success"}"
    When I send "GET /vms/vm-update"
    Then the JSON body contains:
      """
      {"status": "up", "autostart": true, "numcpus": 2, "memory": 512}
      """
    Given the kweb accepted "POST /vms/vm-update/stop"
    And the kweb accepted "POST /vms/vm-update/start"
    When I send "GET /vms/vm-update"
    Then the JSON body contains:
      """
      {"status": "up", "autostart": true, "numcpus": 4, "memory": 512}
      """

  @ref-6.5 @ref-12.18 @obs @promoted
  Scenario: a form autostart=false enables autostart
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-formbool", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-formbool"
    When I send "UPDATE /vms/vm-formbool" with form 'autostart=false'
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-formbool"
    Then the JSON body contains:
      """
      {"autostart": true}
      """

  @ref-6.5 @ref-12.4 @obs
  Scenario: UPDATE of an unknown VM succeeds
    When I send "UPDATE /vms/nosuch-update" with JSON '{"numcpus": 4}'
    Then the status is 200
    And the body is "{"result": "success"}"

  @ref-4.6 @ref-12.10 @obs
  Scenario: UPDATE with dns and no nets answers an empty 200
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-dns", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-dns"
    When I send "UPDATE /vms/vm-dns" with JSON '{"dns": true}'
    Then the status line is "HTTP/1.0 200 OK"
    And the header names are, in order: Date, Server, Content-Length, Content-Type
    And the content type is "text/html; charset=UTF-8"
    And the body is empty

  @ref-4.2 @obs @ref-12.1
  Scenario: deleting an unknown VM is a 200 failure
    When I send "DELETE /vms/nosuch-delete"
    Then the status is 200
    And the body is "{"result": "failure", "reason": "VM nosuch-delete not found"}"

  @ref-6.4 @obs
  Scenario: deleting a VM removes it and its disks
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-gone", "profile": "kvirt", "disks": [1]}'
    When I send "DELETE /vms/vm-gone"
    Then the status is 200
    And the body is "{"result": "success"}"
    When I send "GET /vms/vm-gone"
    Then the body is "{}"
    When I send "GET /host"
    Then the body does not contain "vm-gone"

  @ref-6.4 @obs
  Scenario: keep_disks on a one-disk VM deletes it
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-keep", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-keep"
    When I send "DELETE /vms/vm-keep" with JSON '{"keep_disks": true}'
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-keep"
    Then the body is "{}"

  @ref-6.4 @ref-11 @env @target-real @obs
  Scenario: keep_disks with a second disk fails on the test driver (no disk detach)
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-keep2", "profile": "kvirt", "disks": [1, 1]}'
    And afterwards I send "DELETE /vms/vm-keep2"
    When I send "DELETE /vms/vm-keep2" with JSON '{"keep_disks": true}'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"

  @ref-6.4 @target-sim @code
  Scenario: keep_disks with a second disk succeeds on the simulator and keeps that disk's volume
    Given afterwards I send "DELETE /images/vm-keep2_1.img"
    And the kweb accepted "POST /vms" with JSON '{"name": "vm-keep2", "profile": "kvirt", "disks": [1, 1]}'
    And afterwards I send "DELETE /vms/vm-keep2"
    When I send "DELETE /vms/vm-keep2" with JSON '{"keep_disks": true}'
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-keep2"
    Then the body is "{}"
    When I send "GET /host"
    Then the body contains "used_space: 4.0GB, available_space: 96.0GB"
    When I send "DELETE /images/vm-keep2_1.img"
    Then the body is "{"result": "success"}"

  @ref-6.3 @obs
  Scenario: a null profile falls back to the image key
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-imagekey", "profile": null, "image": "cirros.qcow2", "cloudinit": false, "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-imagekey"
    When I send "GET /vms/vm-imagekey"
    Then the JSON body contains:
      """
      {"user": "cirros", "image": "cirros.qcow2", "plan": "kvirt", "profile": "cirros.qcow2"}
      """

  @ref-6.1 @ref-6.5 @obs @promoted
  Scenario: UPDATE stores unknown keys as metadata; owner shows after user in VMINFO and after creationdate in the info text
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-owner", "profile": "cirros.qcow2", "cloudinit": false, "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-owner"
    When I send "UPDATE /vms/vm-owner" with JSON '{"owner": "alice"}'
    Then the body is "{"result": "success"}"
    When I send "GET /vms/vm-owner"
    Then the JSON keys at "" are, in order: name, nets, disks, id, user, owner, image, plan, profile, creationdate, status, autostart, numcpus, memory
    And the JSON body contains:
      """
      {"user": "cirros", "owner": "alice"}
      """
    When I send "GET /vms"
    Then the body matches "{{.*}}"info": "name: vm-owner\nid: {{[0-9a-f-]{36}}}\ncreationdate: {{[0-9: -]{16}}}\nowner: alice\nstatus: up\nimage: cirros.qcow2\nuser: cirros\nplan: kvirt\nprofile: cirros.qcow2"{{.*}}"

  @ref-6.9 @ref-11 @obs @promoted
  Scenario: every volume's capacity counts as used pool space
    When I send "GET /host"
    Then the body contains "storage: default-pool, type: dir, path: /default-pool, used_space: 3.0GB, available_space: 97.0GB"
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-space", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-space"
    When I send "GET /host"
    Then the body contains "storage: default-pool, type: dir, path: /default-pool, used_space: 4.0GB, available_space: 96.0GB"

  @ref-3.4 @ref-6.5 @obs @promoted
  Scenario: UPDATE flattens parameters[X] form keys too
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-updform", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-updform"
    When I send "UPDATE /vms/vm-updform" with form 'parameters[numcpus]=3'
    Then the body is "{"result": "success"}"
    Given the kweb accepted "POST /vms/vm-updform/stop"
    And the kweb accepted "POST /vms/vm-updform/start"
    When I send "GET /vms/vm-updform"
    Then the JSON body contains:
      """
      {"numcpus": 3}
      """
