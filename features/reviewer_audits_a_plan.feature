Feature: A reviewer audits a submitted plan
  As a planning reviewer I check a restoration plan against the standard it claims to meet,
  so that I can give a verdict with the evidence behind it.

  Background:
    Given the submitted plan "mini_plan"

  Scenario: The reviewer reads the verdict and the failing rules
    When I check the plan
    Then the verdict is "NON-COMPLIANT"
    And the summary names the failing rule "M-2 [shall, high] Wetlands cover 2 ha"
    And the summary shows the evidence "actual 1.5 ha, required >= 2"
    And the summary cites "REF 3 — Reference document, 2024"

  Scenario: The reviewer sees which objects fail a per-row rule
    Given the object "O-2" is a brownfield that is not treated
    When I check the plan
    Then the summary names the object "O-2 in north is untreated"

  Scenario: Missing data is never a pass
    Given the wetlands are enlarged to 2 ha
    And the plan does not say whether a monitoring plan exists
    When I check the plan
    Then the verdict is "INCOMPLETE"
    And the summary says "insufficient data: monitoring.plan missing"

  Scenario: The reviewer waives a finding with a reason
    Given a waiver for "M-2" because "wetland counted in the adjoining plan"
    When I check the plan with the waivers
    Then the verdict is "COMPLIANT WITH OBSERVATIONS"
    And the summary says "waived by reviewer: wetland counted in the adjoining plan"
