"""A new version of an event: same name, a `.v2` type, the first version's fields and its
own; an envelope of either version reads back as what it is, and a v2 payload with a code the
catalogue does not know names the field."""

import json
from datetime import date

import pytest

from llwybr_contracts.envelope import EnvelopeError, unwrap, wrap
from llwybr_contracts.events import (
    CATALOGUE,
    CaseOpened,
    CaseOpenedV2,
    IdpIssued,
    IdpIssuedV2,
    ReferralReceivedV2,
)
from llwybr_contracts.states import CaseState

pytestmark = pytest.mark.unit

V1 = {
    "case_id": "c-1",
    "child_ref": "ch-1",
    "authority": "W06000015",
    "received_on": date(2026, 11, 16),
    "state": CaseState.DECISION_PENDING,
}


def test_version_two_keeps_the_name_and_changes_the_type() -> None:
    assert CaseOpenedV2.event_name() == "CaseOpened"
    assert CATALOGUE["wales.aln.referral.case-opened.v2"] is CaseOpenedV2
    assert CATALOGUE["wales.aln.referral.case-opened.v1"] is CaseOpened
    assert ReferralReceivedV2.cloudevent_type() == "wales.aln.referral.referral-received.v2"
    assert IdpIssuedV2.cloudevent_type() == "wales.aln.idp.idp-issued.v2"
    assert set(CaseOpened.model_fields) < set(CaseOpenedV2.model_fields)


def test_each_version_reads_back_as_itself_and_v2_is_also_v1() -> None:
    v2 = CaseOpenedV2(**V1, year_group="Y4", language_of_education="welsh-medium")
    for event in (CaseOpened(**V1), v2):
        raw = wrap(event, event_id="e", source="/s", subject="c-1").model_dump_json()
        _, payload = unwrap(raw)
        assert payload == event and isinstance(payload, CaseOpened)
    counts = {"provision_items": 3, "provision_items_in_welsh": 1}
    issued = IdpIssuedV2(case_id="c-1", idp_id="p", on=date(2026, 11, 20), **counts)
    assert isinstance(issued, IdpIssued)


@pytest.mark.parametrize(
    ("field", "value"),
    [("year_group", "Y15"), ("language_of_education", "welsh"), ("year_group", None)],
)
def test_a_v2_code_outside_the_lists_names_the_field(field: str, value: object) -> None:
    good = CaseOpenedV2(**V1, year_group="R", language_of_education="bilingual")
    envelope = json.loads(wrap(good, event_id="e", source="/s", subject="c-1").model_dump_json())
    envelope["data"][field] = value
    with pytest.raises(EnvelopeError, match=f"invalid CaseOpened payload: {field}"):
        unwrap(json.dumps(envelope))
