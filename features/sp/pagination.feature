Feature: List and pagination
  Lists page with max_page_size and opaque tokens (§6.5).

  Background:
    Given the service type "vm"

  @req-API-050 @req-API-051 @must
  Scenario: Pages never exceed max_page_size and the token ends the walk
    Given 3 resources created with spec:
      """
      {"service_type": "vm"}
      """
    When I walk the collection with "max_page_size=1"
    Then every page held at most 1 item
    And every page but the last had a non-empty next_page_token
    And the walk returned each of my resources

  @req-API-051 @must @serial
  Scenario: Pages of a collection nobody changes repeat no item and end on the last item
    Given 4 resources created with spec:
      """
      {"service_type": "vm"}
      """
    When I walk the collection with "max_page_size=2"
    Then no item was returned on more than one page
    And the walk returned each of my resources exactly once
    And no page after the first was empty

  @req-API-051 @must
  Scenario: The default page holds at most 50 items
    When I list the collection with ""
    Then the answer status is 200
    And the page holds at most 50 items

  @req-API-052 @must
  Scenario Outline: A bad max_page_size is a 400 invalid-argument
    When I list the collection with "<query>"
    Then the answer is a "invalid-argument" problem with status 400

    Examples:
      | query             |
      | max_page_size=0   |
      | max_page_size=101 |
      | max_page_size=abc |
      | max_page_size=1.5 |
      | max_page_size=-1  |

  @req-API-052 @must
  Scenario: A tampered page token is a 400 invalid-argument
    When I list the collection with "page_token=not-a-token-%21%21"
    Then the answer is a "invalid-argument" problem with status 400

  @req-API-053 @should
  Scenario: Keyset tokens return each stable item once while items change
    Given 3 resources created with spec:
      """
      {"service_type": "vm"}
      """
    When I walk the collection with "max_page_size=1" creating and deleting a resource between pages
    Then the walk returned each of my stable resources exactly once
