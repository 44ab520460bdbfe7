Feature: A standards author lints a broken rule file
  As a standards author I want every problem in my rule files at once, with where it is and
  how to fix it, so that I can correct a pack in one pass.

  Scenario: Several mistakes are reported together, in file order
    Given a rule file where a goal, a column and a unit are wrong
    When I lint it
    Then lint exits with code 1
    And the report lists the codes "unknown-goal, unknown-column, unit-mismatch" in that order
    And each problem shows the file, line and column, the source line and a caret
    And the unknown column comes with the hint "did you mean `area_ha`?"

  Scenario: A syntax mistake gets a friendly message
    Given a rule file that compares with a single "="
    When I lint it
    Then lint exits with code 1
    And the report says "use `==` to compare"

  Scenario: A clean pack passes
    Given the bundled standard "nbs_urban_restoration"
    When I lint it
    Then lint exits with code 0
