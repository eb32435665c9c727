@images
Feature: Images and ISOs
  Volumes are classified by name (kweb-reference.md §6.12); adding images is
  a dead feature in this kcli.

  @ref-6.12 @obs
  Scenario: seeded qcow2 and dot-less volumes are images
    When I send "GET /images"
    Then the status is 200
    And the body is "{"images": ["/default-pool/cirros.qcow2", "/default-pool/ubuntu2404"]}"

  @ref-6.12 @obs
  Scenario: .iso volumes are ISOs
    When I send "GET /isos"
    Then the body is "{"isos": ["/default-pool/boot.iso"]}"

  @ref-6.12 @obs
  Scenario: VM disks are neither images nor ISOs
    Given the kweb accepted "POST /vms" with JSON '{"name": "vm-img", "profile": "kvirt", "disks": [1]}'
    And afterwards I send "DELETE /vms/vm-img"
    When I send "GET /images"
    Then the body does not contain "vm-img"
    When I send "GET /isos"
    Then the body does not contain "vm-img"

  @ref-4.2 @obs
  Scenario: deleting an unknown image is a 200 failure
    When I send "DELETE /images/nosuch.qcow2"
    Then the status is 200
    And the body is "{"result": "failure", "reason": "Image nosuch.qcow2 not found"}"

  @ref-4.2 @obs @promoted
  Scenario: deleting an image from an unknown pool is a 200 failure
    When I send "DELETE /images/cirros.qcow2" with JSON '{"pool": "nosuch-pool"}'
    Then the body is "{"result": "failure", "reason": "Pool nosuch-pool not found"}"

  @ref-4.3 @obs
  Scenario: adding an image without a pool is 400 Invalid Data
    When I send "POST /images" with JSON '{"image": "x.qcow2", "url": "file:///nosuch"}'
    Then the status is 400
    And the body is "{"result": "failure", "reason": "Invalid Data"}"

  @ref-4.3 @obs
  Scenario: adding an image without an image name is 400 Invalid Action
    When I send "POST /images" with JSON '{"pool": "default-pool", "url": "file:///nosuch"}'
    Then the status is 400
    And the body is "{"result": "failure", "reason": "Invalid Action"}"
    And the body has 49 bytes

  @ref-5.1 @obs
  Scenario: adding an image without a URL is a 500 page
    When I send "POST /images" with JSON '{"pool": "default-pool", "image": "x.qcow2"}'
    Then the status is 500

  @ref-5.1 @ref-12.12 @obs
  Scenario: adding an image never works in this kcli
    When I send "POST /images" with JSON '{"pool": "default-pool", "image": "x.qcow2", "url": "file://${FIXTURES}/kweb-configs/myplan.yml"}'
    Then the status is 500
    And the body is the error page "500 Internal Server Error" saying "Internal Server Error"
