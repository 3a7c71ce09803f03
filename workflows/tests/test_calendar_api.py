"""The journey's calendar API on real PostgreSQL: a preview shows the school days an import
would add and remove and stores nothing; an import stores, logs, audits and announces
`CalendarChanged`; a bad file is a 422 naming its line; who may is the LA for its authority
and a school's ALNCo for its own school only."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text

import llwybr_workflows
from llwybr.stack import Endpoints
from llwybr_common.db import session_scope
from llwybr_contracts import topics
from llwybr_contracts.events import CalendarChanged
from llwybr_workflows.calendar_api import router
from llwybr_workflows.calendar_store import CalendarStore
from llwybr_workflows.journey.activities import CaseSetupLoader
from llwybr_workflows.journey.contracts import CaseSetupRequest
from tests import service_kit

pytestmark = pytest.mark.integration

MIGRATIONS = Path(llwybr_workflows.__file__).parent / "migrations"
FIXTURE = Path(__file__).parents[2] / "clock" / "tests" / "fixtures" / "sir-enghraifft-2026-27.csv"
CARDIFF, SWANSEA = "W06000015", "W06000011"


@pytest_asyncio.fixture(loop_scope="session")
async def desk(
    infra: Endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[service_kit.Desk]:
    monkeypatch.setenv("LLWYBR_HOME", str(tmp_path))  # no old calendar files to migrate
    async with service_kit.open_kafka_desk(
        infra, tmp_path, service="worker", schema_prefix="jcal", migrations=MIGRATIONS,
        routers=[router], consumers=lambda rt: [], publishes_to=topics.JOURNEY,
    ) as opened:  # fmt: skip
        yield opened


def officer(desk: service_kit.Desk, authority: str = CARDIFF) -> dict[str, str]:
    return desk.token(["la-officer"], [f"la:{authority}"], subject=f"officer-{authority}")


def alnco(desk: service_kit.Desk, school: str = "6812345") -> dict[str, str]:
    return desk.token(["school-alnco"], [f"school:{school}"], subject=f"alnco-{school}")


def upload(calendar: str, school: str | None = None, fmt: str = "csv") -> dict[str, Any]:
    return {"authority": CARDIFF, "school": school, "format": fmt, "calendar": calendar}


async def rows(desk: service_kit.Desk, sql: str) -> list[Any]:
    async with session_scope(desk.rt.engine) as session:
        return list((await session.execute(text(sql))).all())


async def test_preview_shows_days_added_and_removed_and_stores_nothing(
    desk: service_kit.Desk,
) -> None:
    calendar = FIXTURE.read_text(encoding="utf-8")
    answer = await desk.http.post(
        "/api/v1/calendars/preview", json=upload(calendar), headers=officer(desk)
    )
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["current"]["illustrative"] and not preview["proposed"]["illustrative"]
    assert preview["authority_name_cy"] == "Caerdydd"
    assert not preview["unchanged"]
    assert [t["start"] for t in preview["terms"]][:1] == ["2026-09-02"]
    assert sum(t["school_days"] for t in preview["terms"]) == preview["proposed"]["school_days"]
    assert await rows(desk, "SELECT * FROM journey_calendars") == []
    assert await rows(desk, "SELECT * FROM outbox") == []
    [audited] = await rows(desk, "SELECT action, resource_id, actor FROM audit_log")
    assert tuple(audited) == ("preview", CARDIFF, f"officer-{CARDIFF}")

    # import it, then a school closure previews as exactly one school day removed
    imported = await desk.http.post(
        "/api/v1/calendars",
        json=upload(calendar),
        headers={**officer(desk), "Idempotency-Key": "cal-1"},
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["calendar_version"] == preview["proposed"]["version"]
    closure = upload("2026-11-20,2026-11-20,closure\n", school="6812345")
    school_preview = (
        await desk.http.post("/api/v1/calendars/preview", json=closure, headers=alnco(desk))
    ).json()
    assert school_preview["days_removed"] == ["2026-11-20"]
    assert school_preview["days_added"] == []
    [term] = [t for t in school_preview["terms"] if t["start"] <= "2026-11-20" <= t["end"]]
    assert term["school_days"] == term["school_days_now"] - 1
    others = [t for t in school_preview["terms"] if t is not term]
    assert all(t["school_days"] == t["school_days_now"] for t in others)


async def test_import_stores_logs_audits_and_announces(desk: service_kit.Desk) -> None:
    calendar = FIXTURE.read_text(encoding="utf-8")
    answer = await desk.http.post(
        "/api/v1/calendars",
        json=upload(calendar),
        headers={**officer(desk), "Idempotency-Key": "k1"},
    )
    assert answer.status_code == 201, answer.text
    version = answer.json()["calendar_version"]
    assert answer.json()["previous_version"] != version
    again = await desk.http.post(
        "/api/v1/calendars",
        json=upload(calendar),
        headers={**officer(desk), "Idempotency-Key": "k1"},
    )
    assert again.headers.get("idempotent-replayed") == "true"
    [event] = await rows(desk, "SELECT envelope FROM outbox")
    assert event[0]["type"] == CalendarChanged.cloudevent_type()
    assert event[0]["data"] == {
        "authority": CARDIFF,
        "school_ref": None,
        "calendar_version": version,
    }
    assert [tuple(r) for r in await rows(desk, "SELECT action FROM audit_log")] == [("import",)]

    shown = await desk.http.get(f"/api/v1/calendars/{CARDIFF}", headers=officer(desk))
    assert shown.status_code == 200
    view = shown.json()
    assert view["current"]["version"] == version and not view["current"]["illustrative"]
    assert [(c["calendar_version"], c["source"]) for c in view["changes"]] == [
        (version, f"officer-{CARDIFF}")
    ]


async def test_a_bad_file_is_a_422_naming_its_line_and_writes_nothing(
    desk: service_kit.Desk,
) -> None:
    bad = "start,end,kind\n2026-09-02,2026-12-18,term\n2027-01-06,2027-13-01,term\n"
    for path in ("/api/v1/calendars/preview", "/api/v1/calendars"):
        answer = await desk.http.post(
            path, json=upload(bad), headers={**officer(desk), "Accept-Language": "en"}
        )
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["errors"]
        assert error["field"] == "calendar"
        assert "line 3" in error["reason"] and "2027-13-01" in error["reason"]
    wrong_format = await desk.http.post(
        "/api/v1/calendars/preview", json=upload(bad, fmt="xls"), headers=officer(desk)
    )
    assert wrong_format.status_code == 422
    assert wrong_format.json()["errors"][0]["field"] == "format"
    assert await rows(desk, "SELECT * FROM journey_calendars") == []
    assert await rows(desk, "SELECT * FROM outbox") == []


async def test_who_may(desk: service_kit.Desk) -> None:
    closure = "2026-11-20,2026-11-20,closure\n"
    cases = [
        (officer(desk, SWANSEA), upload(closure), 403),  # another authority's officer
        (alnco(desk), upload(closure), 403),  # an ALNCo: not the authority's calendar
        (alnco(desk, "6700001"), upload(closure, school="6812345"), 403),  # another school
        (desk.token(["declo"], ["board:W11000029"]), upload(closure, school="6812345"), 403),
        (desk.token(["la-manager"], [f"la:{CARDIFF}"]), upload(closure, school="6812345"), 200),
        (alnco(desk), upload(closure, school="6812345"), 200),
    ]
    for headers, body, status in cases:
        answer = await desk.http.post("/api/v1/calendars/preview", json=body, headers=headers)
        assert answer.status_code == status, (body, answer.text)
        if status == 403:
            assert answer.json()["code"].startswith("access.calendar-")
    unknown = await desk.http.post(
        "/api/v1/calendars/preview", json={**upload(closure), "authority": "Atlantis"},
        headers=officer(desk),
    )  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "authority"
    assert (await desk.http.get(f"/api/v1/calendars/{CARDIFF}")).status_code == 401
    read = await desk.http.get(f"/api/v1/calendars/{CARDIFF}", headers=alnco(desk))
    assert read.status_code == 200  # an ALNCo reads the term dates its school follows


async def test_an_alnco_imports_its_own_schools_closure(desk: service_kit.Desk) -> None:
    closure = upload("2026-11-20,2026-11-20,closure\n", school="6812345")
    answer = await desk.http.post("/api/v1/calendars", json=closure, headers=alnco(desk))
    assert answer.status_code == 201, answer.text
    version = answer.json()["calendar_version"]
    [event] = await rows(desk, "SELECT envelope FROM outbox")
    assert event[0]["data"] == {
        "authority": CARDIFF, "school_ref": "6812345", "calendar_version": version,
    }  # fmt: skip
    own = await desk.http.get(
        f"/api/v1/calendars/{CARDIFF}", params={"school": "6812345"}, headers=alnco(desk)
    )
    assert own.json()["current"]["version"] == version
    authority = await desk.http.get(f"/api/v1/calendars/{CARDIFF}", headers=officer(desk))
    assert authority.json()["current"]["version"] != version  # the authority's own is as it was
    other = await desk.http.get(
        f"/api/v1/calendars/{CARDIFF}", params={"school": "6812345"}, headers=alnco(desk, "6700001")
    )
    assert other.status_code == 403


async def test_intake_gets_the_snapshots_a_new_journey_loads_and_no_one_else_does(
    desk: service_kit.Desk,
) -> None:
    """The internal route referral intake counts the first clock on (docs/rules.md, "The first
    clock at intake"): what `load_case_setup` loads, the school's rows included, for services
    only."""
    closure = upload("2026-11-20,2026-11-20,closure\n", school="6812345")
    assert (await desk.http.post("/api/v1/calendars", json=closure, headers=alnco(desk))).is_success
    service = desk.token(["service"], [], subject="service:referral")
    path = f"/api/v1/internal/journey-calendars/{CARDIFF}"
    params = {"school": "6812345", "year": 2026}
    answer = await desk.http.get(path, params=params, headers=service)
    assert answer.status_code == 200, answer.text
    loaded = await CaseSetupLoader(CalendarStore(desk.rt.session)).load_case_setup(
        CaseSetupRequest(authority=CARDIFF, school_ref="6812345", year=2026)
    )
    body = answer.json()
    assert body["school_calendar"] == loaded.school_calendar
    assert body["bank_holidays"] == loaded.bank_holidays
    assert (
        body["school_calendar"]["version"]
        != (
            (await desk.http.get(path, params={"year": 2026}, headers=service)).json()[
                "school_calendar"
            ]["version"]
        )
    ), "the school's closure is in its snapshot, not the authority's"
    refused = await desk.http.get(path, params=params, headers=officer(desk))
    assert (refused.status_code, refused.json()["code"]) == (403, "access.calendar-role")
    assert (await desk.http.get(path, params=params)).status_code == 401
