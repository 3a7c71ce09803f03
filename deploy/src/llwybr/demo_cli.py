"""`llwybr demo`: load a spread of cases worth looking at into a running embedded stack
(`llwybr.demo_spread`), through the services' APIs as the right people would: LA officers
refer, decide, pause and ask the health board; each board's DECLO answers on health-liaison;
the officer issues plans on the IDP service and hands a case to advocacy with the family's
consent. Then it says how to sign in to the console.

Running it again changes nothing and says so. A ledger under the stack's home
(`demo-<seed>.json`) records each case and each step once done; a case it holds that the
referral service still has is left alone. Every POST carries an Idempotency-Key made from the
case's stable name, so a step retried after a lost answer (or a crash) is not done twice.
"""

import argparse
import asyncio
import csv
import hashlib
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from llwybr.demo_spread import ADVOCACY, Planned, spread, welsh_delivery
from llwybr.stack import Stack
from llwybr_common.auth import mint_token
from llwybr_common.i18n import lookup
from llwybr_common.settings import Settings
from llwybr_common.wales import today_in_wales

PEOPLE = Path(__file__).parent / "data" / "people.csv"
SIGN_IN_AS = ("la-officer.cardiff", "alnco.6812345", "declo.cav", "advocacy-lead.snap")
CONCURRENCY = 8
WAIT = 120.0  # seconds a step waits for an event to reach another service (a loaded machine)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "demo", help="load a spread of demo cases through the services' APIs (embedded stack)"
    )
    p.add_argument(
        "--extra", type=int, default=0, help="more cases beyond the standard spread (default 0)"
    )
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--lang", choices=("cy", "en", "both"), default="both")
    p.add_argument("--home", default=os.environ.get("LLWYBR_HOME", ".llwybr"), type=Path)
    p.set_defaults(func=run)


def say(lang: str, key: str, *, progress: bool = False, **params: Any) -> None:
    """A line per language; progress goes to stderr, so stdout keeps the outcome alone."""
    langs = ("cy", "en") if lang == "both" else (lang,)
    for code in langs:
        line = lookup(f"demo.{key}", code, params) or f"demo.{key}"
        print(line, file=sys.stderr if progress else sys.stdout, flush=progress)


PROGRESS_EVERY = 2.0  # seconds between progress lines while cases load


class DemoFailed(RuntimeError):
    pass


# --- the ledger: what earlier runs did ------------------------------------------------------------


@dataclass
class Ledger:
    path: Path
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> "Ledger":
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return cls(path, data.get("cases", {}))

    def done(self, key: str, step: str, **facts: Any) -> None:
        entry = self.cases.setdefault(key, {"steps": []})
        entry.update(facts)
        if step not in entry["steps"]:
            entry["steps"].append(step)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"cases": self.cases}, indent=1), encoding="utf-8")
        tmp.replace(self.path)  # atomic: a crash never leaves half a ledger


# --- the calls ------------------------------------------------------------------------------------


@dataclass
class Apis:
    settings: Settings
    referral: httpx.AsyncClient
    liaison: httpx.AsyncClient
    idp: httpx.AsyncClient
    advocacy: httpx.AsyncClient

    def officer(self, authority: str) -> dict[str, str]:
        token = mint_token(
            self.settings,
            subject=f"demo.la-officer.{authority}",
            roles=["la-officer"],
            scopes=[f"la:{authority}"],
            ttl_seconds=600,
        )
        return {"Authorization": f"Bearer {token}"}

    def declo(self, board: str) -> dict[str, str]:
        token = mint_token(
            self.settings,
            subject=f"demo.declo.{board}",
            roles=["declo"],
            scopes=[f"board:{board}"],
            ttl_seconds=600,
        )
        return {"Authorization": f"Bearer {token}"}


async def until(
    call: Callable[[], Awaitable[httpx.Response]], done: Callable[[httpx.Response], bool]
) -> httpx.Response:
    """Call again while the answer is not yet what is wanted (a journey still starting, an
    event not yet arrived), for up to WAIT seconds; the last answer either way."""
    deadline = time.monotonic() + WAIT
    delay = 0.2
    while True:
        try:
            r = await call()
        except httpx.TransportError:  # a slow or lost answer: ask again (same key, same answer)
            if time.monotonic() > deadline:
                raise
        else:
            if done(r) or time.monotonic() > deadline:
                return r
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 2.0)


def expect(r: httpx.Response, *codes: int, what: str) -> dict[str, Any]:
    if r.status_code not in codes:
        raise DemoFailed(f"{what}: {r.status_code} {r.text[:300]}")
    body: dict[str, Any] = r.json() if r.content else {}
    return body


def _code(r: httpx.Response) -> str:
    try:
        return str(r.json().get("code", ""))
    except ValueError:
        return ""


def _key(case: Planned, step: str, body: Any) -> dict[str, str]:
    """Stable for the same request (a retry after a lost answer is answered, not redone); a
    different body (dates move with today) is a new request, never a reused key."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:12]
    return {"Idempotency-Key": f"llwybr-demo-{case.key}-{step}-{digest}"}


async def _post(
    client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    """A POST retried while the service says to come back (503: the journey still starting;
    a 5xx is never kept against the Idempotency-Key, so the retry runs the command)."""
    return await until(
        lambda: client.post(path, json=body, headers=headers), lambda r: r.status_code < 500
    )


async def load_case(apis: Apis, ledger: Ledger, case: Planned) -> bool:
    """Refer the case and take its steps; False when an earlier run already did it all."""
    officer = apis.officer(case.authority)
    entry = ledger.cases.get(case.key)
    if entry and set(case.steps) <= set(entry["steps"]):
        path = f"/api/v1/cases/{entry['case_id']}"
        r = await until(lambda: apis.referral.get(path, headers=officer), lambda r: True)
        if r.status_code == 200:
            return False
        entry = None  # the stack was emptied since: load it again
        ledger.cases.pop(case.key, None)
    if entry is None:
        r = await _post(
            apis.referral,
            "/api/v1/referrals",
            case.referral,
            {**officer, **_key(case, "refer", case.referral)},
        )
        if r.status_code == 409 and r.json().get("code") == "duplicate-referral":
            # Referred by an earlier run whose answer was lost: that open case is this one.
            case_id = r.json()["open_case"]["case_id"]
        else:
            case_id = expect(r, 200, 201, what=f"referral {case.key}")["case_id"]
        ledger.done(case.key, "refer", case_id=case_id, kind=case.kind)
        entry = ledger.cases[case.key]
    case_id = entry["case_id"]
    for step in case.steps:
        if step not in entry["steps"]:
            facts = await STEPS[step](apis, case, case_id, officer, entry)
            ledger.done(case.key, step, **facts)
    return True


Step = Callable[[Apis, Planned, str, dict[str, str], dict[str, Any]], Awaitable[dict[str, Any]]]


async def _decide(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], outcome: str, on: date
) -> dict[str, Any]:
    body = {"outcome": outcome, "decided_on": on.isoformat(), "notice_given_on": on.isoformat()}
    path = f"/api/v1/cases/{case_id}/decision"
    expect(
        await _post(apis.referral, path, body, {**officer, **_key(case, outcome, body)}),
        200,
        what=f"decision {case.key}",
    )
    return {}


async def step_no_aln(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], _: Any
) -> dict[str, Any]:
    return await _decide(apis, case, case_id, officer, "no-aln", case.dates["no-aln"])


async def step_aln(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], _: Any
) -> dict[str, Any]:
    return await _decide(apis, case, case_id, officer, "aln", case.dates["aln"])


async def step_pause(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], _: Any
) -> dict[str, Any]:
    body = {
        "action": "pause",
        "rule": "la-decision",
        "reason": "family-unavailable",
        "from": case.dates["pause"].isoformat(),
    }
    path = f"/api/v1/cases/{case_id}/exceptions"
    r = await _post(apis.referral, path, body, {**officer, **_key(case, "pause", body)})
    expect(r, 200, what=f"pause {case.key}")
    return {}


async def step_health(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], _: Any
) -> dict[str, Any]:
    body = {
        "reason": "Speech and language: is there an NHS service that may help?",
        "sent_on": case.dates["health"].isoformat(),
    }
    path = f"/api/v1/cases/{case_id}/health-requests"
    r = await _post(apis.referral, path, body, {**officer, **_key(case, "health", body)})
    return {"request_id": expect(r, 202, what=f"health request {case.key}")["request_id"]}


async def step_answer(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], entry: dict[str, Any]
) -> dict[str, Any]:
    declo = apis.declo(case.board)
    path = f"/api/v1/health-requests/{entry['request_id']}"
    arrived = await until(lambda: apis.liaison.get(path, headers=declo), lambda r: r.is_success)
    expect(arrived, 200, what=f"health request reaching the board {case.key}")
    body = {
        "outcome": "service-identified",
        "service": "Speech and language therapy",
        "welsh_delivery": case.referral["learner"]["preferred_language"] != "en",
    }
    r = await _post(apis.liaison, f"{path}/response", body, {**declo, **_key(case, "answer", body)})
    expect(r, 200, what=f"board's answer {case.key}")
    return {}


async def step_plan(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], entry: dict[str, Any]
) -> dict[str, Any]:
    issued_on = case.dates["plan"]
    draft_body = {"content_language": "both"}
    tries = iter(range(1000))
    # The draft opens once the journey's AlnDecided has reached the IDP service. A refusal
    # is kept against its Idempotency-Key, so each try is a new key; a second draft cannot
    # come of it (the service answers `idp.exists`, with the plan's id).
    draft = await until(
        lambda: apis.idp.post(
            f"/api/v1/cases/{case_id}/idp",
            json=draft_body,
            headers={**officer, **_key(case, f"draft-{next(tries)}", draft_body)},
        ),
        lambda r: r.status_code not in (404, 409) or _code(r) == "idp.exists",
    )
    if _code(draft) == "idp.exists":  # opened by an earlier run whose answer was lost
        plan = f"/api/v1/idps/{draft.json()['idp_id']}"
    else:
        plan = f"/api/v1/idps/{expect(draft, 200, 201, what=f'IDP draft {case.key}')['idp_id']}"
    section = {"content": {"description": "Speech and language difficulties"}}
    r = await until(
        lambda: apis.idp.put(f"{plan}/sections/aln-description", json=section, headers=officer),
        lambda r: r.status_code < 500,
    )
    expect(r, 200, what=f"IDP section {case.key}")
    item = {
        "outcome": "Uses ten new words in class each week",
        "measure": "Words used unprompted, from a 50-word sample",
        "baseline": "3 a week",
        "target": "10 a week",
        "outcome_date": (issued_on + timedelta(days=200)).isoformat(),
        "start_date": issued_on.isoformat(),
        "review_date": (issued_on + timedelta(days=200)).isoformat(),
        "provision": "Small-group vocabulary sessions",
        "frequency": "Twice a week",
        "deliverer": "la",
        "welsh_delivery": welsh_delivery(case),
    }
    r = await _post(
        apis.idp, f"{plan}/provision", item, {**officer, **_key(case, "provision", item)}
    )
    expect(r, 201, what=f"IDP provision {case.key}")
    body = {"issued_on": issued_on.isoformat(), "reason": "recorded from the paper file"}
    r = await _post(apis.idp, f"{plan}/issue", body, {**officer, **_key(case, "issue", body)})
    expect(r, 200, what=f"IDP issue {case.key}")
    return {"idp": plan}


async def step_cease(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], entry: dict[str, Any]
) -> dict[str, Any]:
    body = {
        "reason": "no-longer-aln",
        "detail": "Progress means the provision is no longer needed",
        "proposed_on": case.dates["cease"].isoformat(),
    }
    r = await _post(
        apis.idp, f"{entry['idp']}/cease-proposals", body, {**officer, **_key(case, "cease", body)}
    )
    expect(r, 201, what=f"cease proposal {case.key}")
    return {}


async def step_cease_decision(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], entry: dict[str, Any]
) -> dict[str, Any]:
    body = {
        "decision": "cease",
        "decided_on": case.dates["cease-decision"].isoformat(),
        "reasons": "The family and school agree the provision is no longer needed",
    }
    path = f"{entry['idp']}/cease-decisions"
    r = await _post(apis.idp, path, body, {**officer, **_key(case, "cease-decision", body)})
    expect(r, 201, what=f"cease decision {case.key}")
    return {}


async def step_consent(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], _: Any
) -> dict[str, Any]:
    body = {
        "provider": ADVOCACY,
        "given_by": "parent",
        "shares": ["decisions-and-clocks", "decision-notices"],
        "valid_from": case.dates["no-aln"].isoformat(),
    }
    path = f"/api/v1/cases/{case_id}/advocacy-consents"
    r = await _post(apis.advocacy, path, body, {**officer, **_key(case, "consent", body)})
    expect(r, 201, what=f"advocacy consent {case.key}")
    return {}


async def step_handoff(
    apis: Apis, case: Planned, case_id: str, officer: dict[str, str], _: Any
) -> dict[str, Any]:
    body = {"provider": ADVOCACY, "reason": "considering-appeal"}
    path = f"/api/v1/cases/{case_id}/advocacy-handoffs"
    r = await _post(apis.advocacy, path, body, {**officer, **_key(case, "handoff", body)})
    expect(r, 201, what=f"advocacy handoff {case.key}")
    return {}


STEPS: dict[str, Step] = {
    "no-aln": step_no_aln,
    "aln": step_aln,
    "pause": step_pause,
    "health": step_health,
    "answer": step_answer,
    "plan": step_plan,
    "cease": step_cease,
    "cease-decision": step_cease_decision,
    "consent": step_consent,
    "handoff": step_handoff,
}


@dataclass
class Loaded:
    added: list[Planned]
    existing: list[Planned]
    seconds: float


async def load(stack: Stack, seed: int, extra: int = 0, lang: str = "en") -> Loaded:
    started = time.monotonic()
    settings = Settings(home=stack.home)
    ledger = Ledger.open(stack.home / f"demo-{seed}.json")
    plan = spread(seed, today_in_wales(), extra)
    limit = asyncio.Semaphore(CONCURRENCY)

    def client(service: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=stack.url_of(service), timeout=30)

    async with (
        client("referral") as referral,
        client("health-liaison") as liaison,
        client("idp") as idp,
        client("advocacy") as advocacy,
    ):
        apis = Apis(settings, referral, liaison, idp, advocacy)

        done = 0
        said = started

        async def one(case: Planned) -> bool:
            nonlocal done, said
            async with limit:
                new = await load_case(apis, ledger, case)
            done += 1
            now = time.monotonic()
            if now - said >= PROGRESS_EVERY and done < len(plan):
                said = now
                seconds = f"{now - started:.0f}"
                say(lang, "progress", progress=True, done=done, total=len(plan), seconds=seconds)
            return new

        # Every case runs to the end of its step even if another fails: nothing left half-known.
        results = await asyncio.gather(*(one(c) for c in plan), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    added = [bool(r) for r in results]
    return Loaded(
        added=[c for c, new in zip(plan, added, strict=True) if new],
        existing=[c for c, new in zip(plan, added, strict=True) if not new],
        seconds=time.monotonic() - started,
    )


def people() -> dict[str, dict[str, str]]:
    with PEOPLE.open(encoding="utf-8") as f:
        return {
            row["subject"]: row
            for row in csv.DictReader(line for line in f if not line.startswith("#"))
        }


def run(args: argparse.Namespace) -> int:
    stack = Stack.load(args.home)
    if stack is None or stack.endpoints is None:
        say(args.lang, "no-stack", home=str(args.home))
        return 1
    try:
        loaded = asyncio.run(load(stack, args.seed, args.extra, args.lang))
    except DemoFailed as exc:
        say(args.lang, "failed", reason=str(exc))
        return 1
    except httpx.HTTPError as exc:
        say(args.lang, "failed", reason=f"{type(exc).__name__} {exc}".strip())
        return 1
    if loaded.added:
        kinds = sorted({c.kind for c in loaded.added})
        authorities = len({c.authority for c in loaded.added})
        say(args.lang, "loaded", cases=len(loaded.added), authorities=authorities)
        print("  " + ", ".join(kinds))
    if loaded.existing and not loaded.added:
        say(args.lang, "nothing-new", cases=len(loaded.existing))
    elif loaded.existing:
        say(args.lang, "some-existing", cases=len(loaded.existing))
    say(args.lang, "took", seconds=f"{loaded.seconds:.1f}")
    say(args.lang, "sign-in", url=stack.url_of("console"))
    known = people()
    for subject in SIGN_IN_AS:
        person = known.get(subject)
        if person:
            say(args.lang, f"who.{person['role']}", name=person["name"], subject=subject)
    return 0
