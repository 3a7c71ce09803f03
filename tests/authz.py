"""The authorization matrix, shared by each service's matrix test: every route of the app, for
every role with a scope that covers the seeded records and one that does not, and for no token
and a garbage token.

Each service's module says what its endpoints promise (`Expect`) and who may see each seeded
record (`Record`); `check` tries one cell (an endpoint, a caller) on each real record and on an
id that does not exist, and returns every leak it finds:

- a caller without a token or with a bad one gets 401 problem+json, except on the public routes;
- a caller who may not see a record never gets a 2xx for it, nor any body carrying its data
  (ids, names, dates of birth, notes), and the record answers exactly as one that does not
  exist (same status, same `code`);
- a command follows the permission matrix: a caller who may act and sees the record is not
  refused (403/404); one who sees it and may not act gets 403 with the refusal's code.
"""

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from llwybr_common.auth import mint_token
from llwybr_common.settings import Settings
from llwybr_contracts.vocabulary import Role

CARDIFF, SWANSEA = "W06000015", "W06000011"
CARDIFF_AND_VALE, SWANSEA_BAY = "W11000029", "W11000031"
SCHOOL, OTHER_SCHOOL = "6812345", "6899999"
FEI, OTHER_FEI = "10099011", "10099006"  # UKPRNs of the shipped (illustrative) FEI register
# An id no record has: what a record the caller may not see must look like.
MISSING = "00000000-0000-4000-8000-00000000dead"

# Open to anyone: liveness, readiness, and the API's own description (the FHIR capability
# statement is one: FHIR clients read /metadata before they authenticate, and it holds no record).
PUBLIC = frozenset(
    {
        ("GET", "/fhir/R4/metadata"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        ("GET", "/redoc"),
    }
)

LA_ROLES = frozenset(
    {Role.LA_OFFICER, Role.LA_MANAGER, Role.HEAD_OF_SERVICE, Role.EARLY_YEARS_OFFICER}
)
HEALTH_ROLES = frozenset({Role.DECLO, Role.HEALTH_LIAISON, Role.CLINICIAN, Role.BOARD_ALN_LEAD})


def _scopes(role: Role) -> tuple[str, str]:
    """The scope that covers the seeded records for this role, and one that does not."""
    if role in LA_ROLES or role in (Role.ADMIN, Role.SERVICE):
        return f"la:{CARDIFF}", f"la:{SWANSEA}"
    if role is Role.SCHOOL_ALNCO:
        return f"school:{SCHOOL}", f"school:{OTHER_SCHOOL}"
    if role is Role.FEI_ALNCO:
        return f"fei:{FEI}", f"fei:{OTHER_FEI}"
    if role in HEALTH_ROLES:
        return f"board:{CARDIFF_AND_VALE}", f"board:{SWANSEA_BAY}"
    if role is Role.ADVOCATE:
        return "advocacy:snap-cymru", "advocacy:tros-gynnal"
    if role is Role.WG_ANALYST:  # national aggregates only: no scope reaches a case
        return "wales", f"la:{CARDIFF}"
    raise AssertionError(f"no scopes for the new role {role}: say which scope it is read in")


_TOKENS: dict[tuple[str, Role, str | None], str] = {}


def _token(settings: Settings, role: Role, scope: str | None) -> str:
    """One token per caller and app (minting is an RSA signature; the matrix asks thousands)."""
    key = (str(settings.home), role, scope)  # the home holds the signing key
    if key not in _TOKENS:
        scopes = [scope] if scope else []
        _TOKENS[key] = mint_token(
            settings, subject=f"matrix-{role.value}", roles=[role], scopes=scopes
        )
    return _TOKENS[key]


@dataclass(frozen=True)
class Caller:
    role: Role | None = None
    scope: str | None = None
    in_scope: bool = False
    garbage: bool = False

    @property
    def authenticated(self) -> bool:
        return self.role is not None

    def headers(self, settings: Settings) -> dict[str, str]:
        if self.garbage:
            return {"Authorization": "Bearer not.a.token"}
        if self.role is None:
            return {}
        return {"Authorization": f"Bearer {_token(settings, self.role, self.scope)}"}

    def has(self, *roles: Role) -> bool:
        return self.role in roles

    def scoped(self, scope: str) -> bool:
        return self.scope == scope

    def __str__(self) -> str:
        if self.garbage:
            return "garbage-token"
        if self.role is None:
            return "no-token"
        return f"{self.role.value}@{self.scope}"


def callers() -> list[Caller]:
    every = [Caller(), Caller(garbage=True)]
    for role in Role:
        inside, outside = _scopes(role)
        every += [Caller(role, inside, in_scope=True), Caller(role, outside)]
    return every


@dataclass(frozen=True)
class Record:
    """One seeded record: what identifies it, what is personal in it, and who may see each."""

    name: str
    ids: tuple[str, ...]
    sees: Callable[[Caller], bool]
    personal: tuple[str, ...] = ()
    # Who may see the personal data (by default whoever sees the record).
    sees_personal: Callable[[Caller], bool] | None = None

    def secrets_for(self, caller: Caller) -> list[str]:
        """What of this record must not be in a body this caller gets."""
        hidden = [] if self.sees(caller) else list(self.ids)
        personal_ok = (self.sees_personal or self.sees)(caller)
        return hidden + ([] if personal_ok else list(self.personal))

    def seen_by(self, sees: Callable[[Caller], bool]) -> "Record":
        """The same record behind an endpoint that shows it to fewer callers."""
        return dataclasses.replace(self, sees=sees, sees_personal=None)


@dataclass(frozen=True)
class Target:
    """A record an endpoint is tried on, and the parameters naming it (and naming nothing)."""

    record: Record
    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    missing_path: dict[str, str] = field(default_factory=dict)
    missing_query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Expect:
    """What one endpoint promises.

    `targets`: the records it is tried on by id (none for a list or a create);
    `shows`: the records a list or a create might reveal;
    `acts`: for a command, who may take the step on the target's record (None: a read);
    `refusal`: the code of a 403 to a caller who sees the record and may not act;
    `listing`: a 2xx is the answer to anyone signed in, as long as it matches the answer about
    nothing (a filter naming a record the caller may not see finds nothing);
    `echoes`: the body sends personal data of its own, so only ids are looked for."""

    targets: tuple[Target, ...] = ()
    shows: tuple[Record, ...] = ()
    acts: Callable[[Caller, Record], bool] | None = None
    refusal: str | None = None
    listing: bool = False
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    echoes: bool = False
    must_see: bool = True  # a caller who may see a record reads it with a 2xx


def routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app answers: its OpenAPI, and its routing table for the routes
    left out of the schema (an included router's own routes are expanded where FastAPI keeps
    them behind an include)."""
    found = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    for route in app.routes:
        expand = getattr(route, "effective_route_contexts", None)
        for each in expand() if callable(expand) else [route]:
            path, methods = getattr(each, "path", None), getattr(each, "methods", None)
            if isinstance(path, str) and methods:
                found |= {(m, path) for m in methods if m not in ("HEAD", "OPTIONS")}
    return found


def _fill(template: str, params: dict[str, str]) -> str:
    return template.format(**params) if params else template


def _code(r: httpx.Response) -> str | None:
    try:
        body = r.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _is_problem(r: httpx.Response) -> bool:
    return r.headers.get("content-type", "").startswith("application/problem+json")


@dataclass
class Tally:
    cells: int = 0
    requests: int = 0
    leaks: list[str] = field(default_factory=list)


async def check(
    http: httpx.AsyncClient,
    settings: Settings,
    method: str,
    template: str,
    expect: Expect | None,
    caller: Caller,
    tally: Tally,
) -> list[str]:
    """Try one cell; the leaks it finds (also added to `tally`)."""
    tally.cells += 1
    headers = caller.headers(settings)
    leaks: list[str] = []
    cell = f"{method} {template} as {caller}"

    async def call(path: dict[str, str], query: dict[str, str]) -> httpx.Response:
        tally.requests += 1
        body = expect.body if expect is not None else None
        kwargs: dict[str, Any] = {"headers": headers, "params": {**query}}
        if method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = body if body is not None else {}
        return await http.request(method, _fill(template, path), **kwargs)

    if (method, template) in PUBLIC:
        r = await call({}, {})
        if r.status_code == 401:
            leaks.append(f"{cell}: a public route asked for a token")
        tally.leaks += leaks
        return leaks
    assert expect is not None, f"{method} {template} has no expectation"

    tries: list[tuple[Target | None, httpx.Response, httpx.Response | None]] = []
    for each in expect.targets:
        tries.append(
            (
                each,
                await call(each.path, {**expect.query, **each.query}),
                await call(each.missing_path, {**expect.query, **each.missing_query}),
            )
        )
    if not expect.targets:
        tries.append((None, await call({}, expect.query), None))

    for target, real, missing in tries:
        where = f"{cell} on {target.record.name if target else 'the collection'}"
        records = (target.record,) if target else ()
        secrets = [s for rec in (*records, *expect.shows) for s in rec.secrets_for(caller)]
        text = real.text
        if expect.echoes:
            secrets = [
                s for rec in (*records, *expect.shows) if not rec.sees(caller) for s in rec.ids
            ]
        # The caller's own id in the URL may come back (as in a not-found answer); nothing else.
        if target is not None:
            for value in (*target.path.values(), *target.query.values()):
                text = text.replace(value, MISSING)
        shown = [s for s in secrets if s in text]
        if shown:
            leaks.append(f"{where}: {real.status_code} carries {shown}: {real.text[:300]}")

        if not caller.authenticated:
            if real.status_code != 401 or not _is_problem(real):
                leaks.append(f"{where}: {real.status_code} without a valid token, not 401")
            elif not str(_code(real)).startswith("unauthenticated."):
                leaks.append(f"{where}: 401 with code {_code(real)}")
            continue

        if target is None:
            continue
        assert missing is not None
        sees = target.record.sees(caller)
        if not sees:
            if 200 <= real.status_code < 300 and not expect.listing:
                leaks.append(f"{where}: {real.status_code} for a record out of sight")
            same = (real.status_code, _code(real)) == (missing.status_code, _code(missing))
            if same and expect.listing and real.is_success:
                same = json.loads(text) == missing.json()
            if not same:
                leaks.append(
                    f"{where}: answers {real.status_code} {_code(real)} unlike a missing record "
                    f"({missing.status_code} {_code(missing)}): {real.text[:200]}"
                )
            continue
        if expect.acts is None:
            if expect.must_see and not real.is_success:
                leaks.append(f"{where}: {real.status_code} {_code(real)} for a visible record")
            continue
        if expect.acts(caller, target.record):
            if real.status_code in (401, 403, 404):
                leaks.append(f"{where}: refused {real.status_code} {_code(real)}; may act")
        elif real.status_code != 403 or (expect.refusal and _code(real) != expect.refusal):
            leaks.append(
                f"{where}: {real.status_code} {_code(real)}; may not act, expected 403 "
                f"{expect.refusal or ''}"
            )
    tally.leaks += leaks
    return leaks


def uncovered(app: FastAPI, expectations: Iterable[tuple[str, str]]) -> list[str]:
    """Routes with no expectation, and expectations for routes that are gone."""
    have = routes(app) - PUBLIC
    named = set(expectations)
    return [f"no expectation for {m} {p}" for m, p in sorted(have - named)] + [
        f"expectation for {m} {p}, which the app does not answer" for m, p in sorted(named - have)
    ]


def cells(app: FastAPI, known: dict[tuple[str, str, str], str] | None = None) -> list[Any]:
    """Every (route, caller) of the app as pytest params; a known leak is xfail(strict), so
    the day it is fixed the matrix says so."""
    known = dict(known or {})
    params = []
    for method, path in sorted(routes(app)):
        for caller in callers():
            reason = known.pop((method, path, str(caller)), None)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(
                pytest.param((method, path), caller, id=f"{method} {path} {caller}", marks=marks)
            )
    assert not known, f"known leaks of cells that do not exist: {sorted(known)}"
    return params


def report(service: str, tally: Tally, known: int = 0) -> str:
    return (
        f"authorization matrix of {service}: {tally.cells} cells tried "
        f"({tally.requests} requests), {len(tally.leaks)} leaks ({known} known, xfail strict)"
    )
