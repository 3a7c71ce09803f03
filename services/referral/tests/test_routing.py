"""Routing (docs/rules.md, section 4) and the identifiers' check digits."""

from datetime import date

import pytest

from llwybr_contracts.identifiers import nhs_number_problem, upn_check_letter, upn_problem
from llwybr_contracts.states import CaseState, DecidingBody
from referral.routing import (
    Facts,
    compulsory_school_age_ends,
    compulsory_school_age_starts,
    route,
    stage,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("born", "starts"),
    [
        (date(2019, 5, 1), date(2024, 9, 1)),  # fifth birthday in May: next 1 September
        (date(2019, 9, 1), date(2024, 9, 1)),  # birthday on 1 September starts that day
        (date(2019, 10, 15), date(2025, 1, 1)),
        (date(2020, 2, 29), date(2025, 4, 1)),  # leap-day birthday: 1 March 2025, then 1 April
        (date(2019, 12, 31), date(2025, 1, 1)),
    ],
)
def test_compulsory_school_age_starts(born: date, starts: date) -> None:
    assert compulsory_school_age_starts(born) == starts


@pytest.mark.parametrize(
    ("born", "ends"),
    [
        (date(2010, 5, 1), date(2026, 6, 26)),  # turns 16 in 2025/26: last Friday of June 2026
        (date(2010, 8, 31), date(2026, 6, 26)),
        (date(2010, 9, 1), date(2027, 6, 25)),  # turns 16 in 2026/27
    ],
)
def test_compulsory_school_age_ends_last_friday_in_june(born: date, ends: date) -> None:
    assert compulsory_school_age_ends(born) == ends
    assert ends.weekday() == 4


def test_stages_on_the_date_of_attention() -> None:
    born = date(2010, 5, 1)
    assert stage(born, date(2015, 8, 31)) == "under-school-age"
    assert stage(born, date(2015, 9, 1)) == "child"
    assert stage(born, date(2026, 6, 26)) == "child"
    assert stage(born, date(2026, 6, 27)) == "young-person"


def facts(**overrides: object) -> Facts:
    base: dict[str, object] = {
        "stage": "child",
        "home_authority": "W06000015",
        "school_ref": "6812345",
        "school_known": True,
        "school_maintained": True,
        "looked_after": False,
        "looking_after_authority": None,
        "dual_registered": False,
        "referral_type": "concern",
        "consent": None,
    }
    base.update(overrides)
    return Facts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "body", "authority", "rule", "reason"),
    [
        ({}, DecidingBody.SCHOOL, "W06000015", "school-decision", "registered-pupil"),
        ({"school_known": False}, DecidingBody.SCHOOL, "W06000015", "school-decision", "registered-pupil-unknown-school"),
        ({"stage": "under-school-age", "school_ref": None}, DecidingBody.LOCAL_AUTHORITY, "W06000015", "la-decision", "under-compulsory-school-age"),
        ({"looked_after": True, "looking_after_authority": "W06000011"}, DecidingBody.LOCAL_AUTHORITY, "W06000011", "la-decision", "looked-after"),
        ({"dual_registered": True}, DecidingBody.LOCAL_AUTHORITY, "W06000015", "la-decision", "dual-registered"),
        ({"referral_type": "school-referral-to-la"}, DecidingBody.LOCAL_AUTHORITY, "W06000015", "la-decision", "school-referral-to-la"),
        ({"referral_type": "direct-request"}, DecidingBody.LOCAL_AUTHORITY, "W06000015", "la-decision", "direct-request"),
        ({"school_ref": None}, DecidingBody.LOCAL_AUTHORITY, "W06000015", "la-decision", "not-at-school"),
        ({"school_maintained": False}, DecidingBody.LOCAL_AUTHORITY, "W06000015", "la-decision", "school-not-maintained"),
        # Regs regs 6-10: a young person at no school or FEI: is an IDP necessary? (12 weeks)
        ({"stage": "young-person", "consent": "given", "school_ref": None}, DecidingBody.LOCAL_AUTHORITY, "W06000015", "la-not-necessary", "not-at-school"),
        ({"stage": "young-person", "consent": "given", "school_ref": None, "referral_type": "direct-request"}, DecidingBody.LOCAL_AUTHORITY, "W06000015", "la-not-necessary", "direct-request"),
        ({"stage": "young-person", "consent": "given", "school_maintained": False}, DecidingBody.LOCAL_AUTHORITY, "W06000015", "la-decision", "school-not-maintained"),
    ],
)  # fmt: skip
def test_routing_table(
    overrides: dict[str, object], body: DecidingBody, authority: str, rule: str, reason: str
) -> None:
    decided = route(facts(**overrides))
    assert (decided.deciding_body, decided.deciding_authority, decided.rule, decided.reason) == (
        body,
        authority,
        rule,
        reason,
    )
    assert decided.state == CaseState.DECISION_PENDING


def test_young_person_consent_pending_runs_no_clock_and_refusal_closes() -> None:
    pending = route(facts(stage="young-person", consent="pending"))
    assert (pending.state, pending.rule) == (CaseState.CONSENT_PENDING, None)
    refused = route(facts(stage="young-person", consent="refused"))
    assert (refused.state, refused.rule) == (CaseState.CLOSED, None)


def test_nhs_number_check_digit() -> None:
    assert nhs_number_problem("9434765919") is None
    assert nhs_number_problem("943 476 5919") is None
    assert nhs_number_problem("9434765918") == "the NHS number's check digit does not match"
    assert nhs_number_problem("12345") == "an NHS number is 10 digits"


def test_upn_check_letter() -> None:
    upn = upn_check_letter("801200001001") + "801200001001"
    assert upn_problem(upn) is None
    wrong = ("A" if upn[0] != "A" else "B") + upn[1:]
    assert upn_problem(wrong) == "the UPN's check letter does not match its digits"
    assert upn_problem("1234") is not None
