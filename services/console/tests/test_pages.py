"""What the console's pages render, in Welsh and English, and what their forms post (the
services answered by a fake; no browser)."""

import html
import re
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from llwybr_common.wales import today_in_wales

pytestmark = pytest.mark.unit

CASE_ID = "c-0001"
TODAY = today_in_wales()


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, subject: str = "la-officer.cardiff") -> None:
    page = await client.get("/sign-in")
    r = await client.post("/sign-in", data={"csrf_token": csrf_of(page.text), "subject": subject})
    assert r.status_code == 303, r.text


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def list_item(case_id: str, ref: str, due: str | None, **clock: Any) -> dict[str, Any]:
    clocks = [{"rule": "la-decision", "due": due, "status": "running", "at_risk": False, **clock}]
    return {
        "case_id": case_id,
        "child_ref": ref,
        "authority": "W06000015",
        "school_ref": None,
        "state": "decision-pending",
        "deciding_body": "local-authority",
        "deciding_authority": "W06000015",
        "next_rule": "la-decision",
        "next_due": due,
        "overdue": False,
        "flags": [],
        "open_clocks": clocks,
    }


def detail(state: str = "decision-pending", clocks: list[dict[str, Any]] | None = None) -> Any:
    return {
        **list_item(CASE_ID, "CR-77", day(30)),
        "state": state,
        "learner": {
            "given_name": "Cai",
            "family_name": "Jones",
            "date_of_birth": "2017-05-02",
            "upn": None,
            "nhs_number": None,
            "language_of_education": None,
            "preferred_language": "cy",
        },
        "looked_after": False,
        "looking_after_authority": None,
        "dual_registered": False,
        "routing_reason": "not-at-school",
        "clocks": clocks
        if clocks is not None
        else [
            {"rule": "la-decision", "start": day(-50), "due": day(30), "status": "running"},
        ],
        "clocks_source": "journey",
        "timeline": [
            {"at": f"{day(-50)}T10:00:00+00:00", "kind": "case-opened", "detail": "not-at-school"}
        ],
    }


async def test_signed_out_pages_send_you_to_sign_in_which_lists_the_seeded_people(
    console: httpx.AsyncClient,
) -> None:
    r = await console.get("/cases")
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in")
    page = (await console.get("/sign-in", headers={"Accept-Language": "en"})).text
    assert "Not for production" in page
    assert "Sign in as Siân Evans" in page and "Sign in as Gareth Lewis" in page
    assert '<html lang="en"' in page


async def test_every_form_needs_its_csrf_token(console: httpx.AsyncClient) -> None:
    await console.get("/sign-in")
    r = await console.post("/sign-in", data={"subject": "la-officer.cardiff"})
    assert r.status_code == 403
    r = await console.post("/sign-in", data={"subject": "la-officer.cardiff", "csrf_token": "x"})
    assert r.status_code == 403


async def test_the_language_switch_sets_the_page_language_and_comes_back(
    console: httpx.AsyncClient,
) -> None:
    page = (await console.get("/sign-in", headers={"Accept-Language": "en"})).text
    assert 'href="/language/cy?next=/sign-in"' in page and 'lang="cy" hreflang="cy"' in page
    r = await console.get("/language/cy?next=/sign-in")
    assert r.status_code == 303 and r.headers["location"] == "/sign-in"
    page = (await console.get("/sign-in", headers={"Accept-Language": "en"})).text
    assert '<html lang="cy"' in page and "Mewngofnodi fel Siân Evans" in page
    r = await console.get("/language/en?next=//evil.example")  # no open redirect
    assert r.headers["location"] == "/"


async def test_the_worktray_shows_each_clock_as_a_tag_in_the_services_order(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on(
        "GET",
        "/api/v1/cases",
        {
            "items": [
                list_item("a", "CR-1", day(-2)),
                list_item("b", "CR-2", day(0)),
                list_item("c", "CR-3", day(5), at_risk=True),
                list_item("d", "CR-4", None, status="paused"),
                list_item("e", "CR-5", day(40)),
            ],
            "next": None,
        },
    )
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get("/cases?state=decision-pending&rule=la-decision&reference=CR")).text
    refs = re.findall(r'href="/cases/([a-e])"', page)
    assert refs == ["a", "b", "c", "d", "e"]
    tags = re.findall(r'govuk-tag (govuk-tag--\w+)">[^<]*: ([^<]+)</strong>', page)
    assert [t[1] for t in tags] == ["Overdue", "Due today", "At risk", "Paused", "Running"]
    sent = fake.sent[-1].url.params
    assert (sent["state"], sent["rule"], sent["reference"]) == (
        "decision-pending",
        "la-decision",
        "CR",
    )
    assert fake.sent[-1].headers["accept-language"] == "en"
    assert fake.sent[-1].headers["authorization"].startswith("Bearer ")


async def test_a_familys_appeal_window_past_its_date_is_closed_not_overdue(
    console: httpx.AsyncClient, fake: Any
) -> None:
    # docs/rules.md#windows: the family's right to appeal ended; nobody is late for it
    lapsed = list_item("f", "CR-6", day(-3), rule="tribunal-appeal")
    fake.on("GET", "/api/v1/cases", {"items": [lapsed, list_item("g", "CR-7", day(-3))]})
    await sign_in(console)
    for lang, closed, overdue in (("en", "Closed", "Overdue"), ("cy", "Wedi cau", "Yn hwyr")):
        await console.get(f"/language/{lang}")
        page = html.unescape((await console.get("/cases")).text)
        tags = re.findall(r'govuk-tag (govuk-tag--\w+)">[^<]*: ([^<]+)</strong>', page)
        assert tags == [("govuk-tag--grey", closed), ("govuk-tag--red", overdue)], lang


async def test_the_case_page_in_welsh_shows_the_clock_and_the_steps_the_role_may_take(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", detail())
    await sign_in(console)  # Siân Evans prefers Welsh
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert '<html lang="cy"' in page
    assert "Penderfyniad yr awdurdod lleol (12 wythnos)" in page
    assert "30 diwrnod ar ôl" in page
    assert "Cofnodi&#39;r penderfyniad" in page or "Cofnodi'r penderfyniad" in page
    assert "record-consent-form" not in page  # not in this state
    assert "refer-to-la-form" not in page  # an LA's own case is never referred to the LA


async def test_a_school_case_shows_the_alnco_the_schools_steps_and_the_officer_none_of_them(
    console: httpx.AsyncClient, fake: Any
) -> None:
    school_case = {**detail(), "deciding_body": "school", "school_ref": "6812345"}
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", school_case)
    await sign_in(console, "alnco.6812345")
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert "record-decision-form" in page and "refer-to-la-form" in page
    await sign_in(console, "la-officer.cardiff")
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert "record-decision-form" not in page  # Act s.11: the school decides
    assert "refer-to-la-form" in page and "request-health-input-form" in page


async def test_recording_a_decision_posts_the_command_and_shows_it_done(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", detail())
    fake.on("POST", f"/api/v1/cases/{CASE_ID}/decision", {"case_id": CASE_ID, "state": "no-aln"})
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get(f"/cases/{CASE_ID}")).text
    form = {
        "csrf_token": csrf_of(page),
        "idempotency_key": "k-1",
        "record-decision-outcome": "no-aln",
        "record-decision-decided_on-day": str(TODAY.day),
        "record-decision-decided_on-month": str(TODAY.month),
        "record-decision-decided_on-year": str(TODAY.year),
        "record-decision-notice_given_on-day": str(TODAY.day),
        "record-decision-notice_given_on-month": str(TODAY.month),
        "record-decision-notice_given_on-year": str(TODAY.year),
    }
    r = await console.post(f"/cases/{CASE_ID}/actions/record-decision", data=form)
    assert r.status_code == 303, r.text
    assert fake.last_body() == {
        "outcome": "no-aln",
        "decided_on": TODAY.isoformat(),
        "notice_given_on": TODAY.isoformat(),
    }
    assert fake.sent[-1].headers["idempotency-key"] == "k-1"
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert "Decision recorded." in page


def dated(prefix: str, on: str) -> dict[str, str]:
    y, m, d = on.split("-")
    return {f"{prefix}-day": str(int(d)), f"{prefix}-month": str(int(m)), f"{prefix}-year": y}


# Each of the case page's other steps: who takes it, in which state, what is typed, and the
# command the referral service receives (the decision is above).
STEP_CASES = [
    (
        "record-consent", "la-officer.cardiff", "consent-pending", "local-authority",
        {"record-consent-status": "given", **dated("record-consent-date", day(-1))},
        "consent", {"status": "given", "date": day(-1)}, "Consent recorded.",
    ),
    (
        "refer-to-la", "alnco.6812345", "decision-pending", "school",
        dated("refer-to-la-referred_on", day(0)),
        "referral-to-la", {"referred_on": day(0)}, "Case referred to the local authority.",
    ),
    (
        "request-health-input", "la-officer.cardiff", "decision-pending", "local-authority",
        {"request-health-input-reason": "Speech unclear"},
        "health-requests", {"reason": "Speech unclear"}, "Request sent to the NHS body.",
    ),
    (
        "record-exception", "la-officer.cardiff", "decision-pending", "local-authority",
        {"record-exception-action": "pause", "record-exception-rule": "la-decision",
         "record-exception-reason": "learner-absent", **dated("record-exception-from", day(-2))},
        "exceptions",
        {"action": "pause", "rule": "la-decision", "reason": "learner-absent", "from": day(-2)},
        "Time limit change recorded.",
    ),
    (
        "request-review", "la-officer.cardiff", "idp-active", "local-authority",
        {"request-review-requested_by": "family", **dated("request-review-requested_on", day(0))},
        "review-requests", {"requested_on": day(0), "requested_by": "family"},
        "Review request recorded.",
    ),
    (
        "request-reconsideration", "la-officer.cardiff", "no-aln", "local-authority",
        {"request-reconsideration-kind": "decision",
         **dated("request-reconsideration-received_on", day(0))},
        "reconsideration-requests", {"kind": "decision", "received_on": day(0)},
        "Reconsideration request recorded.",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("action", "who", "state", "body", "typed", "path", "command", "done"),
    STEP_CASES,
    ids=[c[0] for c in STEP_CASES],
)
async def test_each_step_on_the_case_page_posts_its_command_and_says_it_is_done(
    console: httpx.AsyncClient,
    fake: Any,
    action: str,
    who: str,
    state: str,
    body: str,
    typed: dict[str, str],
    path: str,
    command: dict[str, str],
    done: str,
) -> None:
    case = {**detail(state), "deciding_body": body, "school_ref": "6812345"}
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", case)
    fake.on("POST", f"/api/v1/cases/{CASE_ID}/{path}", {"case_id": CASE_ID, "state": state})
    await sign_in(console, who)
    await console.get("/language/en")
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert f'id="{action}-form"' in page  # offered to this person in this state
    form = {"csrf_token": csrf_of(page), **typed}
    r = await console.post(f"/cases/{CASE_ID}/actions/{action}", data=form)
    assert r.status_code == 303, r.text
    posted = fake.sent[-1]
    assert (posted.method, posted.url.path) == ("POST", f"/api/v1/cases/{CASE_ID}/{path}")
    assert fake.last_body() == command
    assert done in (await console.get(f"/cases/{CASE_ID}")).text


async def test_a_missing_notice_date_is_shown_beside_its_field_and_nothing_is_posted(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", detail())
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get(f"/cases/{CASE_ID}")).text
    form = {"csrf_token": csrf_of(page), "record-decision-outcome": "no-aln"}
    r = await console.post(f"/cases/{CASE_ID}/actions/record-decision", data=form)
    assert r.status_code == 422
    assert "There is a problem" in r.text
    assert 'href="#record-decision-notice_given_on-day"' in r.text
    assert 'id="record-decision-notice_given_on-error"' in r.text
    assert "<title>Error:" in r.text
    assert not any(req.method == "POST" for req in fake.sent)


async def test_a_refusal_from_the_journey_is_shown_with_its_reason(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", detail())
    refusal = {
        "code": "refused.date-in-future",
        "title": "Mae'r dyddiad yn y dyfodol",
        "detail": "Ni all y penderfyniad fod ar ddyddiad sydd eto i ddod.",
    }
    fake.on("POST", f"/api/v1/cases/{CASE_ID}/decision", refusal, status=409)
    await sign_in(console)
    page = (await console.get(f"/cases/{CASE_ID}")).text
    form = {
        "csrf_token": csrf_of(page),
        "record-decision-outcome": "aln",
        "record-decision-decided_on-day": "1",
        "record-decision-decided_on-month": "1",
        "record-decision-decided_on-year": str(TODAY.year + 1),
    }
    r = await console.post(f"/cases/{CASE_ID}/actions/record-decision", data=form)
    assert r.status_code == 422
    assert "Mae problem" in r.text
    assert "Ni all y penderfyniad fod ar ddyddiad sydd eto i ddod." in r.text
    assert fake.sent[-1].headers["accept-language"] == "cy"


async def test_a_paused_clock_says_why_in_words(console: httpx.AsyncClient, fake: Any) -> None:
    case = detail(
        clocks=[{"rule": "la-decision", "start": day(-50), "due": None, "status": "paused"}]
    )
    case["timeline"].append(
        {
            "at": f"{day(-1)}T10:00:00+00:00",
            "kind": "ClockChanged",
            "detail": "la-decision paused due none because learner-absent",
        }
    )
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", case)
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert "Reason: the learner is absent." in page
    assert 'data-tag="paused"' in page


async def test_an_fei_decision_clock_is_marked_assumed_in_both_languages(
    console: httpx.AsyncClient, fake: Any
) -> None:
    # docs/rules.md fei-decision: no limit in the law, so its due date never reads as statutory
    fei_case = detail(
        clocks=[{"rule": "fei-decision", "start": day(-5), "due": day(40), "status": "running"}]
    )
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", {**fei_case, "deciding_body": "fei"})
    await sign_in(console)  # the home authority's officer reads its learner's case
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert "Penderfyniad y sefydliad addysg bellach (35 diwrnod tymor, terfyn tybiedig)" in page
    await console.get("/language/en")
    page = html.unescape((await console.get(f"/cases/{CASE_ID}")).text)
    assert "Further education institution's decision (35 term-time days, an assumed limit)" in page


async def test_a_colleges_alnco_has_the_worktray_and_the_plans_it_maintains(
    console: httpx.AsyncClient, fake: Any
) -> None:
    # Act s.11: the college decides for its student and maintains the plan (fei:<UKPRN>)
    fei_case = detail(state="idp-in-preparation")
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", {**fei_case, "deciding_body": "fei"})
    await sign_in(console, "alnco.fei.10099011")
    await console.get("/language/en")
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert 'href="/cases"' in page and 'href="/idps"' in page and 'href="/referrals/new"' in page
    assert f'href="/cases/{CASE_ID}/idp"' in page


def test_every_rule_has_a_name_in_both_languages() -> None:
    from llwybr_common.i18n import has_message
    from llwybr_contracts.vocabulary import RuleId

    missing = [r.value for r in RuleId if not has_message(f"console.rule.{r.value}")]
    assert not missing, missing


def test_dates_read_as_words_in_both_languages() -> None:
    from console.language import long_date

    assert long_date(date(2026, 11, 27), "cy") == "27 Tachwedd 2026"
    assert long_date(date(2026, 3, 1), "en") == "1 March 2026"


def test_every_text_the_templates_name_exists_in_welsh_and_english() -> None:
    from pathlib import Path

    from llwybr_common.i18n import has_message

    root = Path(__file__).resolve().parents[1] / "src" / "console"
    named = set()
    for path in [*root.rglob("*.html"), *root.rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"\bt\(\"([a-z0-9.-]+)\"", source))
        named |= set(re.findall(r"\btext\(\"([a-z0-9.-]+)\"", source))
    assert len(named) > 50
    missing = sorted(k for k in named if not k.endswith(".") and not has_message(f"console.{k}"))
    assert not missing, missing


async def test_the_referral_form_shows_the_apis_field_errors_beside_their_fields(
    console: httpx.AsyncClient, fake: Any
) -> None:
    problem = {
        "code": "validation",
        "title": "Invalid request",
        "errors": [
            {
                "field": "learner.given_name",
                "code": "string-too-short",
                "reason": "Enter at least 1 character",
            },
            {"field": "source", "code": "enum", "reason": "Choose one of the listed values"},
        ],
    }
    fake.on("POST", "/api/v1/referrals", problem, status=422)
    await sign_in(console)
    await console.get("/language/en")
    page = (await console.get("/referrals/new")).text
    assert 'value="W06000015"' in page  # the officer's own authority, filled in
    form = {
        "csrf_token": csrf_of(page),
        "idempotency_key": "k-2",
        "received_on-day": "20",
        "received_on-month": "11",
        "received_on-year": "2026",
        "learner-date_of_birth-day": "2",
        "learner-date_of_birth-month": "5",
        "learner-date_of_birth-year": "2017",
        "learner-family_name": "Jones",
        "authority": "W06000015",
        "concern": "Speech unclear",
        "learner-looked_after": "yes",
    }
    r = await console.post("/referrals/new", data=form)
    assert r.status_code == 422
    sent = fake.last_body()
    assert sent["learner"]["date_of_birth"] == "2017-05-02" and sent["learner"]["looked_after"]
    assert sent["received_on"] == "2026-11-20"
    assert 'href="#learner-given_name"' in r.text and 'href="#source"' in r.text
    assert 'id="learner-given_name-error"' in r.text
    assert "Enter at least 1 character" in r.text
    assert 'value="Jones"' in r.text  # what was typed is kept


async def test_a_referral_the_api_takes_opens_its_case_page(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("POST", "/api/v1/referrals", {"case_id": CASE_ID, "attached": False}, status=201)
    fake.on("GET", f"/api/v1/cases/{CASE_ID}", detail())
    await sign_in(console)
    page = (await console.get("/referrals/new")).text
    form = {
        "csrf_token": csrf_of(page),
        "received_on-day": "20",
        "received_on-month": "11",
        "received_on-year": "2026",
        "learner-date_of_birth-day": "2",
        "learner-date_of_birth-month": "5",
        "learner-date_of_birth-year": "2017",
    }
    r = await console.post("/referrals/new", data=form)
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{CASE_ID}"
    page = (await console.get(f"/cases/{CASE_ID}")).text
    assert "Daeth yr atgyfeiriad i law" in page


def health_request(status: str = "open", due: int = 10) -> dict[str, Any]:
    return {
        "request_id": "r-1234567890",
        "case_id": CASE_ID,
        "board": "W11000029",
        "authority": "W06000015",
        "received_on": day(-32),
        "due": day(due),
        "days_remaining": due,
        "status": status,
        "overdue": due < 0,
        "assigned_to": None,
        "clock_state": "running",
        "outcome": None,
        "service": None,
        "learner": {
            "given_name": "Cai",
            "family_name": "Jones",
            "date_of_birth": "2017-05-02",
            "nhs_number": None,
        },
        "reason_for_referral": "Speech unclear",
    }


async def test_the_declo_inbox_counts_down_to_each_due_date(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on(
        "GET",
        "/api/v1/health-requests",
        {"items": [health_request(due=-3), health_request(due=12)], "next": None},
    )
    await sign_in(console, "declo.cav")
    await console.get("/language/en")
    r = await console.get("/")
    assert r.headers["location"] == "/health-requests"  # the DECLO's main page
    page = (await console.get("/health-requests")).text
    assert "3 days overdue" in page and "12 days left" in page
    assert fake.sent[-1].url.params.get_list("status") == ["open", "assigned"]


async def test_the_declo_answers_and_the_api_field_errors_show_beside_their_fields(
    console: httpx.AsyncClient, fake: Any
) -> None:
    fake.on("GET", "/api/v1/health-requests/r-1", health_request())
    problem = {
        "code": "validation",
        "title": "Invalid request",
        "errors": [
            {
                "field": "welsh_delivery",
                "code": "welsh-delivery-required",
                "reason": "Say whether in Welsh",
            }
        ],
    }
    fake.on("POST", "/api/v1/health-requests/r-1/response", problem, status=422)
    await sign_in(console, "declo.cav")
    await console.get("/language/en")
    page = (await console.get("/health-requests/r-1")).text
    form = {
        "csrf_token": csrf_of(page),
        "respond-outcome": "service-identified",
        "respond-service": "Speech and language therapy",
    }
    r = await console.post("/health-requests/r-1/respond", data=form)
    assert r.status_code == 422
    assert fake.last_body() == {
        "outcome": "service-identified",
        "service": "Speech and language therapy",
        "welsh_delivery": None,
        "notes": None,
    }
    assert 'href="#respond-welsh_delivery"' in r.text and "Say whether in Welsh" in r.text


async def test_the_declo_assigns_a_request_and_records_six_weeks_impractical_with_its_reason(
    console: httpx.AsyncClient, fake: Any
) -> None:
    """Regs reg 11(3): impractical needs its reason; the API's refusal of a missing one is
    shown beside the reason box, and a step taken is said on the request's page."""
    fake.on("GET", "/api/v1/health-requests/r-1", health_request())
    fake.on("POST", "/api/v1/health-requests/r-1/assign", {"status": "assigned"})
    problem = {
        "code": "validation",
        "title": "Invalid request",
        "errors": [{"field": "reason", "code": "missing", "reason": "Give the reason"}],
    }
    fake.on("POST", "/api/v1/health-requests/r-1/impractical", problem, status=422)
    await sign_in(console, "declo.cav")
    await console.get("/language/en")
    page = (await console.get("/health-requests/r-1")).text
    token = csrf_of(page)
    form = {"csrf_token": token, "assign-kind": "clinician", "assign-assignee": "SLT team A"}
    r = await console.post("/health-requests/r-1/assign", data=form)
    assert r.status_code == 303 and r.headers["location"] == "/health-requests/r-1"
    assert fake.last_body() == {"kind": "clinician", "assignee": "SLT team A"}
    assert "Request assigned." in (await console.get("/health-requests/r-1")).text

    r = await console.post("/health-requests/r-1/impractical", data={"csrf_token": token})
    assert r.status_code == 422 and fake.last_body() == {"reason": ""}
    assert 'href="#impractical-reason"' in r.text and 'id="impractical-reason-error"' in r.text
    assert "Give the reason" in r.text

    fake.on("POST", "/api/v1/health-requests/r-1/impractical", {"status": "impractical"})
    form = {"csrf_token": token, "impractical-reason": "The child is in hospital until March"}
    r = await console.post("/health-requests/r-1/impractical", data=form)
    assert r.status_code == 303
    assert fake.last_body() == {"reason": "The child is in hospital until March"}
    shown = (await console.get("/health-requests/r-1")).text
    assert "Recorded that 6 weeks is impractical." in shown


async def test_a_service_that_cannot_answer_is_a_page_that_says_so(
    console: httpx.AsyncClient, fake: Any
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    fake.on("GET", f"/api/v1/cases/{CASE_ID}", down)
    await sign_in(console)
    await console.get("/language/en")
    r = await console.get(f"/cases/{CASE_ID}")
    assert r.status_code == 503
    assert "The service is not available at the moment" in r.text
