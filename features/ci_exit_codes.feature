Feature: A CI job gates submitted plans on exit codes
  As a CI pipeline I run nbscheck on every submitted plan and act on its exit code:
  0 the plan passes, 1 it does not, 2 the input is invalid.

  Scenario Outline: The exit code follows the verdict and --fail-on
    Given the submitted plan "mini_plan"
    And <change>
    When CI checks the plan failing on "<fail_on>"
    Then the exit code is <code>

    Examples:
      | change                                   | fail_on | code |
      | the plan is left as submitted            | shall   | 1    |
      | the plan is left as submitted            | never   | 0    |
      | the wetlands are enlarged to 2 ha        | shall   | 0    |
      | the wetlands are enlarged to 2 ha        | should  | 1    |
      | the monitoring answer is removed         | shall   | 1    |

  Scenario: A broken plan is an input error, not a failure
    Given the submitted plan "mini_plan"
    And a table row with "two" in the area column
    When CI checks the plan failing on "shall"
    Then the exit code is 2
    And the error names "tables/objects.csv:3" and "column `area_ha`"

  Scenario: The same plan gives the same JSON report every time
    Given the submitted plan "mini_plan"
    When CI writes the JSON report twice
    Then the two reports are byte-identical
