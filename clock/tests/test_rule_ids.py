"""The clock's rule table and the contracts' `RuleId` name exactly the same rules, so an id the
ladder, an event or the CLI carries always has a limit behind it (docs/rules.md s.1)."""

import pytest

from llwybr_clock import RULE_IDS, RULES, UnknownRuleError, rule_for
from llwybr_contracts.vocabulary import RuleId

pytestmark = pytest.mark.unit


def test_rule_table_holds_exactly_the_rule_ids_of_the_vocabulary() -> None:
    assert set(RULES) == set(RuleId)
    assert set(RULE_IDS) == {rule_id.value for rule_id in RuleId}


def test_each_rule_is_filed_under_its_own_id() -> None:
    for rule_id, rule in RULES.items():
        assert rule.id is rule_id


def test_rule_for_accepts_the_plain_string_a_command_line_or_event_carries() -> None:
    assert rule_for("health-response") is RULES[RuleId.HEALTH_RESPONSE]
    assert rule_for(RuleId.IDP_REVIEW).id is RuleId.IDP_REVIEW


def test_an_unknown_rule_names_every_valid_one() -> None:
    with pytest.raises(UnknownRuleError) as caught:
        rule_for("fee-decision")
    message = str(caught.value)
    assert "'fee-decision'" in message
    assert all(rule_id.value in message for rule_id in RuleId)


def test_the_fei_decision_rule_is_assumed_and_mirrors_the_school_limit() -> None:
    """docs/rules.md s.1: no FEI limit was found, so `fei-decision` is an assumed rule: 35
    term-time days on the FEI's calendar, as a school has 35 school days."""
    from llwybr_clock.rules import Basis, Unit

    fei, school = RULES[RuleId.FEI_DECISION], RULES[RuleId.SCHOOL_DECISION]
    assert fei.basis is Basis.ASSUMED
    assert (fei.limit, fei.unit, fei.warnings) == (35, Unit.TERM_DAYS, school.warnings)
    assert fei.formula is school.formula
