Feature: A standards author writes, tests, formats and publishes rules
  As a standards author I want to try my rules on small plans, see which rules my tests have seen
  pass and fail, keep every rule file in one layout and publish the standard as a document, so
  that a pack I change stays correct and readable.

  Background:
    Given a copy of the mini wetland pack with its tests

  Scenario: A new rule is tested and its tests pass
    Given I add a rule "WET-002" that each wetland keeps at least 0.5 ha
    And a test that a 0.2 ha wetland fails "WET-002"
    When I run the rule tests
    Then the tests exit with code 0
    And the summary says "4 passed, 0 failed"

  Scenario: A wrong expectation says what differed
    Given a test that expects "IMP-001" to pass with 1 year of maintenance
    When I run the rule tests
    Then the tests exit with code 1
    And the output says "IMP-001: expected pass, got fail"

  Scenario: Coverage shows a rule the tests never saw fail
    Given I add a rule "WET-002" that each wetland keeps at least 0.5 ha
    When I run the rule tests asking for 100 % coverage
    Then the tests exit with code 1
    And the coverage table shows "WET-002" seen passing but never failing

  Scenario: The formatter lays out a rule file and keeps its comments
    Given a rule file written on one line with a comment
    When I check its layout
    Then fmt exits with code 1
    When I format it
    Then the file still has the comment
    And checking its layout again exits with code 0

  Scenario: The standard is published as a document
    When I render the standard to "standard.html"
    Then the document shows the rule "WET-001" with its text
    And the document cites "Mini wetland guidance, 2026"
