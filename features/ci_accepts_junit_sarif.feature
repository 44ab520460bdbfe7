Feature: CI publishes JUnit and SARIF results
  As a CI pipeline I publish nbscheck's results with the tools I already have: JUnit XML for the
  test tab, SARIF for code scanning, so that each failing rule shows up where developers look.

  Background:
    Given the submitted plan "mini_plan"

  Scenario: JUnit has one test case per rule and fails the failed ones
    When CI writes the "junit" report
    Then the JUnit report is valid against the JUnit schema
    And the JUnit report has 3 test cases
    And the test case "M-2 Wetlands cover 2 ha" fails with type "shall" and "wetlands cover 1.5 ha"

  Scenario: SARIF levels follow the rule strength
    When CI writes the "sarif" report
    Then the SARIF report is valid against the SARIF 2.1.0 schema
    And the SARIF rule "M-2" has the default level "error"
    And the SARIF rule "M-3" has the default level "warning"

  Scenario: SARIF points at the plan file and line of each failing row
    When CI writes the "sarif" report
    Then a result of "M-3" points at "tables/objects.csv" line 5
    And a result of "M-2" points at "tables/objects.csv"

  Scenario: The same plan gives the same bytes in every format
    When CI writes the "html,md,junit,sarif,csv,json" reports twice
    Then every report is byte-identical to its twin

  Scenario: A run that fails while rendering leaves no half-written report
    Given the SARIF renderer breaks
    When CI writes the "junit,csv,sarif" reports
    Then no report file is written
