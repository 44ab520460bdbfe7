Feature: A reviewer audits the example restoration plans
  As a planning reviewer I check the plans that ship with nbscheck against the NbS urban
  restoration standard, so that I can see a verdict, the failing rules, and the districts and
  objects each finding is about.

  Scenario: The riverside plan passes with observations
    When I check the example plan "riverside"
    Then the verdict is "compliant_with_observations"
    And the check exits with code 0
    And no "shall" rule fails
    And the failing rules are "BIO-001, ACC-002, CAN-001"
    And the rule "CAN-001" fails for the district "D04"
    And the message of "CAN-001" names "老码头 Old Wharf: canopy cover 24.6 %, below 30 %"
    And the message of "BIO-001" names "RS-007 (degraded_land, D01)"

  Scenario: The industrial belt fails on brownfields, wetlands, monitoring and access
    When I check the example plan "industrial-belt"
    Then the verdict is "non_compliant"
    And the check exits with code 1
    And the failing "shall" rules include "BRN-001, BRN-002, WET-001, IMP-001, ACC-001, ACC-004"
    And the rule "BRN-001" fails for the object "IB-006"
    And the rule "BRN-002" fails for the object "IB-008"
    And the rule "ACC-004" fails for the districts "E05000028, E05000484, E05000485"
    And the message of "ACC-004" names "Becontree (Barking and Dagenham)"
    And the message of "WET-001" names "planned wetland area 84.4 ha is below the baseline 140.71 ha"
    And the message of "IMP-001" names "no monitoring plan"

  Scenario: The plan with an unfinished survey is incomplete, not failed
    When I check the example plan "incomplete-survey"
    Then the verdict is "incomplete"
    And the check exits with code 1
    And no rule fails
    And the rule "SUR-001" has insufficient data
    And the rule "OBJ-002" lacks data for the object "GL-002"
    And the message of "OBJ-002" names "objects.baseline_condition missing"
    And the message of "CAN-002" names "districts.baseline_canopy_share (17 of 35 rows empty)"

  Scenario: A stricter city profile turns the riverside observations into failures
    Given the standard is the profile "rules/nbs-urban-restoration-shenzhen"
    When I check the example plan "riverside"
    Then the verdict is "non_compliant"
    And the rule "CAN-001" is a "shall" rule that fails
    And the rule "UGF-001" is not evaluated
    And the message of "SZ-001" names "桥东 Qiaodong is heat-vulnerable"
