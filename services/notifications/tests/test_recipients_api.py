"""The recipients directory through its API (real PostgreSQL): an LA manager keeps their own
authority's list, a bad field is named in a 422 and nothing is written, a whole people CSV
loads at once (all rows or none), and a person's inbox shows their alerts newest first with
their unread state."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider

from llwybr.stack import Endpoints
from llwybr_common.auth import mint_token
from llwybr_common.db import make_engine, session_scope
from llwybr_common.migrations import migrate
from llwybr_common.outbox import OutboxRelay
from llwybr_common.runtime import Runtime, build_app
from llwybr_common.settings import Settings
from notifications.api import router
from notifications.models import Notification

from .test_notifications_consumer import MIGRATIONS

pytestmark = pytest.mark.service

CARDIFF, SWANSEA = "la:W06000015", "la:W06000011"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def api(
    infra: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings, Runtime]]:
    home = tmp_path_factory.mktemp("notifications-api")
    settings = Settings(database_url=infra.database_url, home=home)
    schema = f"n_{uuid.uuid4().hex[:10]}"
    engine = make_engine(settings.database_url, schema)
    await migrate(engine, MIGRATIONS, schema)
    broker = KafkaBroker(settings.kafka_bootstrap)  # never started
    relay = OutboxRelay(lambda: session_scope(engine), broker, schema=schema)
    rt = Runtime("notifications", settings, engine, broker, relay, TracerProvider())
    app = build_app("notifications", migrations=MIGRATIONS, routers=[router], settings=settings)
    app.state.runtime = rt
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://notifications"
    ) as http:
        yield http, settings, rt
    await engine.dispose()


def auth(settings: Settings, role: str, scope: str, subject: str = "someone") -> dict[str, str]:
    token = mint_token(settings, subject=subject, roles=[role], scopes=[scope] if scope else [])
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


def person(**over: object) -> dict[str, object]:
    return {
        "role": "la-officer",
        "scope": CARDIFF,
        "name": "Siân Evans",
        "email": f"s{uuid.uuid4().hex[:6]}@cardiff.example.org",
        "language": "cy",
        "channels": ["in-app", "email"],
        "digest": False,
        **over,
    }


async def test_a_manager_keeps_their_own_authoritys_list(api: tuple) -> None:  # type: ignore[type-arg]
    http, settings, _ = api
    manager = auth(settings, "la-manager", CARDIFF)
    made = await http.post("/api/v1/recipients", json=person(), headers=manager)
    assert made.status_code == 201, made.text
    [row] = made.json()["items"]
    elsewhere = await http.post("/api/v1/recipients", json=person(scope=SWANSEA), headers=manager)
    assert elsewhere.status_code == 403
    assert elsewhere.json()["code"] == "notifications.recipients-scope"
    moved = await http.put(
        f"/api/v1/recipients/{row['id']}", json=person(scope=SWANSEA), headers=manager
    )
    assert moved.status_code == 403
    changed = await http.put(
        f"/api/v1/recipients/{row['id']}", json=person(language="both"), headers=manager
    )
    assert changed.status_code == 200 and changed.json()["language"] == "both"
    swansea = auth(settings, "la-manager", SWANSEA)
    assert row["id"] not in (await http.get("/api/v1/recipients", headers=swansea)).text
    gone = await http.delete(f"/api/v1/recipients/{row['id']}", headers=swansea)
    assert gone.status_code == 404  # as if it did not exist
    officer = await http.get("/api/v1/recipients", headers=auth(settings, "la-officer", CARDIFF))
    assert officer.status_code == 403
    assert officer.json()["code"] == "notifications.recipients-managers"
    assert (
        await http.delete(f"/api/v1/recipients/{row['id']}", headers=manager)
    ).status_code == 204


async def test_bad_fields_are_named_and_nothing_is_written(api: tuple) -> None:  # type: ignore[type-arg]
    http, settings, _ = api
    admin = auth(settings, "admin", "")
    name = f"Bad-{uuid.uuid4().hex[:6]}"
    bad = await http.post(
        "/api/v1/recipients",
        json=person(name=name, role="wizard", email="not-an-address", language="fr"),
        headers=admin,
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert "language" in " ".join(fields)
    bad = await http.post(
        "/api/v1/recipients", json=person(name=name, role="wizard", email="x@y"), headers=admin
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} >= {"role", "email"}
    assert name not in (await http.get("/api/v1/recipients", headers=admin)).text


async def test_a_people_csv_loads_all_rows_or_none(api: tuple) -> None:  # type: ignore[type-arg]
    http, settings, _ = api
    admin = {**auth(settings, "admin", ""), "Content-Type": "text/csv"}
    tag = uuid.uuid4().hex[:6]
    header = "subject,role,scope,name,email,language,channels,digest\n"
    good = f"a-{tag},declo,board:W11000023,Ann {tag},ann@bcu.example.org,cy,in-app;email,false\n"
    bad = f"b-{tag},declo,board:W11000023,Bob {tag},no-address,en,email,false\n"
    refused = await http.post("/api/v1/recipients", content=header + good + bad, headers=admin)
    assert refused.status_code == 422
    assert "line[3]" in refused.json()["errors"][0]["field"]
    listing = (await http.get("/api/v1/recipients", headers=admin)).text
    assert f"Ann {tag}" not in listing
    loaded = await http.post("/api/v1/recipients", content=header + good, headers=admin)
    assert loaded.status_code == 201, loaded.text
    assert [r["subject"] for r in loaded.json()["items"]] == [f"a-{tag}"]


async def test_an_inbox_is_its_owners_newest_first_with_unread_state(api: tuple) -> None:  # type: ignore[type-arg]
    http, settings, rt = api
    subject = f"officer-{uuid.uuid4().hex[:6]}"
    made = await http.post(
        "/api/v1/recipients",
        json=person(subject=subject, language="en"),
        headers=auth(settings, "admin", ""),
    )
    recipient_id = made.json()["items"][0]["id"]
    now = datetime.now(UTC)
    async with session_scope(rt.engine) as session:
        for n in range(2):
            session.add(
                Notification(
                    id=f"{subject}-{n}",
                    case_id=f"case-{n}",
                    kind="deadline-breached",
                    recipient_role="la-officer",
                    recipient_scope=CARDIFF,
                    recipient_id=recipient_id,
                    language="en",
                    text_cy=f"Cymraeg {n}",
                    text_en=f"English {n}",
                    source_event_id=f"e-{subject}-{n}",
                    created_at=now + timedelta(seconds=n),
                )
            )
    mine = auth(settings, "la-officer", CARDIFF, subject=subject)
    items = (await http.get("/api/v1/inbox", headers=mine)).json()["items"]
    assert [(i["case_id"], i["text"], i["unread"]) for i in items] == [
        ("case-1", "English 1", True),
        ("case-0", "English 0", True),
    ]
    other = auth(settings, "la-officer", CARDIFF, subject="someone-else")
    assert (await http.get("/api/v1/inbox", headers=other)).json()["items"] == []
    assert (await http.post(f"/api/v1/inbox/{subject}-0/read", headers=other)).status_code == 404
    read = await http.post(f"/api/v1/inbox/{subject}-0/read", headers=mine)
    assert read.status_code == 200 and read.json()["unread"] is False
    items = (await http.get("/api/v1/inbox", headers=mine)).json()["items"]
    assert [i["unread"] for i in items] == [True, False]
