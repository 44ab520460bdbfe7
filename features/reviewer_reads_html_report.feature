Feature: A reviewer reads the HTML report
  As a planning reviewer I open one HTML file that shows the verdict, what was checked, the scores
  and every finding with its evidence, so that I can audit a plan without any other tool.

  Background:
    Given the submitted plan "mini_plan"

  Scenario: The report names the verdict and exactly what was checked
    When I write the HTML report
    Then the page shows the verdict "Non-compliant"
    And the page shows the plan's SHA-256
    And the page shows the standard's SHA-256

  Scenario: A failed rule shows actual against required, with its clause
    When I write the HTML report
    Then the rule "M-2" shows "1.5 ha" where ">= 2 ha" is required
    And the rule "M-2" cites "REF 3 — Reference document, 2024"

  Scenario: A per-row rule shows the failing objects and their values
    Given the object "O-2" is a brownfield that is not treated
    When I write the HTML report
    Then the rule "M-3" lists the object "objects/O-2" at "tables/objects.csv:3"

  Scenario: Text from the plan is shown as text, never run
    Given the plan is titled '<script>window.pwned = 1</script> "Riverside" & more'
    When I write the HTML report
    Then the page title reads '<script>window.pwned = 1</script> "Riverside" & more'
    And the page holds no script but its own

  Scenario: The page loads nothing from the network
    When I write the HTML report
    Then the page refers to no stylesheet, script, image or font elsewhere

  Scenario: A plan with 100000 failing objects still gives a readable page
    Given 100000 brownfields that are not treated
    When I write the HTML and CSV reports
    Then the rule "M-3" shows 100 objects and says "99,901 more objects are not shown"
    And the CSV report lists all 100001 failing objects of "M-3"
