"""HTTP routes of the journey's school calendars: preview an import, import it, show one.

Who may: `CALENDAR_ADMINS` (llwybr_contracts.permissions): an LA's officers and managers for
their own authority (`la:<ONS>`) and its schools, a school's ALNCo for its own school only
(`school:<ref>`). A calendar is no one's personal data, so a refusal is a 403 with its
reason, never a 404. Every preview, import and read is audited; an import stores the calendar,
logs the change and queues `CalendarChanged` in one transaction (calendar_store.py).
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from llwybr_clock.errors import CalendarError, UnknownAuthorityError
from llwybr_clock.shipped import Authority, find_authority
from llwybr_clock.snapshot import CalendarSnapshot
from llwybr_common.audit import audit
from llwybr_common.auth import CurrentPrincipal, Principal
from llwybr_common.errors import AccessDenied, FieldError, Invalid
from llwybr_common.runtime import Runtime
from llwybr_common.unit_of_work import unit_of_work
from llwybr_contracts.permissions import CALENDAR_ADMINS, CalendarScope
from llwybr_workflows.calendar_store import CalendarStore, ChangeView, Preview
from llwybr_workflows.journey.activities import CaseSetupLoader
from llwybr_workflows.journey.contracts import CaseSetupRequest

router = APIRouter(prefix="/api/v1", tags=["school calendars"])
MAX_CALENDAR_CHARS = 500_000  # a year of an authority's rows is a few kB


class CalendarUpload(BaseModel):
    authority: str = Field(min_length=1, max_length=64, description="ONS code (or name)")
    school: str | None = Field(None, max_length=64, description="a school's reference")
    format: Literal["csv", "ics"]
    calendar: str = Field(min_length=1, max_length=MAX_CALENDAR_CHARS, description="file text")


class SnapshotSummary(BaseModel):
    version: str
    illustrative: bool
    first: date | None
    last: date | None
    school_days: int


class TermCount(BaseModel):
    start: date
    end: date
    school_days: int  # in the proposed calendar
    school_days_now: int  # in the current one, over the same dates


class CalendarPreview(BaseModel):
    authority: str
    authority_name_en: str
    authority_name_cy: str
    school: str | None
    current: SnapshotSummary
    proposed: SnapshotSummary
    unchanged: bool
    days_added: list[date]  # school days the import makes
    days_removed: list[date]  # school days it takes away
    terms: list[TermCount]


class CalendarImported(BaseModel):
    authority: str
    school: str | None
    calendar_version: str
    previous_version: str
    summary: SnapshotSummary


class CalendarChangePublic(BaseModel):
    school: str | None
    format: str
    calendar_version: str
    imported_at: datetime
    source: str


class CalendarView(BaseModel):
    authority: str
    authority_name_en: str
    authority_name_cy: str
    school: str | None
    current: SnapshotSummary
    changes: list[CalendarChangePublic]


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


Rt = Annotated[Runtime, Depends(runtime)]


def store_of(rt: Runtime) -> CalendarStore:
    return CalendarStore(rt.session, source=rt.source)


def _authority(value: str) -> Authority:
    try:
        return find_authority(value)
    except UnknownAuthorityError as exc:
        raise Invalid(
            FieldError("authority", "unknown-authority", {"value": value}, str(exc))
        ) from None


def _may_change(principal: Principal, authority: Authority, school: str | None) -> None:
    """403 with the reason unless the caller may change this calendar."""
    scope = CalendarScope.SCHOOL if school else CalendarScope.AUTHORITY
    roles = sorted(CALENDAR_ADMINS[scope])
    if not principal.has_role(*roles):
        raise AccessDenied("access.calendar-role", roles=", ".join(roles))
    la_roles = CALENDAR_ADMINS[CalendarScope.AUTHORITY]
    if principal.has_role(*la_roles) and authority.ons_code in principal.scoped("la"):
        return
    if school and principal.has_role("school-alnco") and school in principal.scoped("school"):
        return
    raise AccessDenied("access.calendar-scope", authority=authority.ons_code, school=school or "-")


def _may_read(principal: Principal, authority: Authority, school: str | None) -> None:
    """Those who may change a calendar may read it; an ALNCo reads its own school's."""
    if school is None and principal.has_role("school-alnco") and principal.scoped("school"):
        return  # an authority's term dates, which its schools follow: public information
    _may_change(principal, authority, school)


def _summary(snapshot: CalendarSnapshot) -> SnapshotSummary:
    return SnapshotSummary(
        version=snapshot.version,
        illustrative=snapshot.illustrative,
        first=snapshot.first,
        last=snapshot.last,
        school_days=len(snapshot.school_days),
    )


def _preview_view(found: Authority, school: str | None, preview: Preview) -> CalendarPreview:
    now, new = preview.current, preview.proposed
    before, after = set(now.school_days), set(new.school_days)
    return CalendarPreview(
        authority=found.ons_code,
        authority_name_en=found.name_en,
        authority_name_cy=found.name_cy,
        school=school,
        current=_summary(now),
        proposed=_summary(new),
        unchanged=now.version == new.version,
        days_added=[date.fromordinal(o) for o in sorted(after - before)],
        days_removed=[date.fromordinal(o) for o in sorted(before - after)],
        terms=[
            TermCount(
                start=start,
                end=end,
                school_days=new.school_days_between(start.toordinal(), end.toordinal()),
                school_days_now=now.school_days_between(start.toordinal(), end.toordinal()),
            )
            for start, end in preview.terms
        ],
    )


def _bad_calendar(exc: CalendarError, school: str | None) -> Invalid:
    """The parser's own words name the line or event (or the school reference)."""
    field = "school" if school and str(exc).startswith("school reference") else "calendar"
    return Invalid(FieldError(field, "calendar-invalid", {"reason": str(exc)}, str(exc)))


@router.post("/calendars/preview", response_model=CalendarPreview)
async def preview_calendar(
    body: CalendarUpload, rt: Rt, principal: CurrentPrincipal
) -> CalendarPreview:
    found = _authority(body.authority)
    school = body.school or None
    _may_change(principal, found, school)
    try:
        preview = await store_of(rt).preview(body.calendar, body.format, found.ons_code, school)
    except CalendarError as exc:
        raise _bad_calendar(exc, school) from None
    async with unit_of_work(rt, principal, purpose="POST /api/v1/calendars/preview") as uow:
        uow.audit(action="preview", resource="calendar", resource_id=_resource(found, school))
    return _preview_view(found, school, preview)


@router.post("/calendars", status_code=201, response_model=CalendarImported)
async def import_calendar(
    body: CalendarUpload, rt: Rt, principal: CurrentPrincipal
) -> CalendarImported:
    found = _authority(body.authority)
    school = body.school or None
    _may_change(principal, found, school)
    store = store_of(rt)
    previous = await store.snapshot(found.ons_code, school)
    try:
        snapshot = await store.import_calendar(
            body.calendar, body.format, found.ons_code, school, by=principal.subject,
            also=lambda session: audit(
                session, principal, action="import", resource="calendar",
                resource_id=_resource(found, school), purpose="POST /api/v1/calendars",
            ),
        )  # fmt: skip
    except CalendarError as exc:
        raise _bad_calendar(exc, school) from None
    return CalendarImported(
        authority=found.ons_code,
        school=school,
        calendar_version=snapshot.version,
        previous_version=previous.version,
        summary=_summary(snapshot),
    )


@router.get("/calendars/{authority}", response_model=CalendarView)
async def show_calendar(
    authority: str,
    rt: Rt,
    principal: CurrentPrincipal,
    school: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> CalendarView:
    found = _authority(authority)
    _may_read(principal, found, school or None)
    store = store_of(rt)
    try:
        snapshot = await store.snapshot(found.ons_code, school or None)
    except CalendarError as exc:
        raise _bad_calendar(exc, school) from None
    changes: list[ChangeView] = await store.changes(found.ons_code, limit=limit)
    if school:
        changes = [c for c in changes if c.school in (None, school)]
    async with unit_of_work(rt, principal, purpose=f"GET /api/v1/calendars/{authority}") as uow:
        uow.audit(action="read", resource="calendar", resource_id=_resource(found, school))
    return CalendarView(
        authority=found.ons_code,
        authority_name_en=found.name_en,
        authority_name_cy=found.name_cy,
        school=school or None,
        current=_summary(snapshot),
        changes=[
            CalendarChangePublic(
                school=c.school,
                format=c.format,
                calendar_version=c.calendar_version,
                imported_at=c.imported_at,
                source=c.source,
            )
            for c in changes
        ],
    )


class JourneyCalendars(BaseModel):
    """The snapshots a journey of this authority (and school) started in `year` counts on,
    exactly as its `load_case_setup` activity loads them (CalendarSnapshot.to_dict())."""

    authority: str
    school: str | None
    year: int
    school_calendar: dict[str, Any] | None
    bank_holidays: dict[str, Any]


def setup_loader(request: Request) -> CaseSetupLoader:
    """The journey's own loader (and its cache) on this process's store."""
    found: CaseSetupLoader | None = getattr(request.app.state, "setup_loader", None)
    if found is None:
        found = CaseSetupLoader(store_of(runtime(request)))
        request.app.state.setup_loader = found
    return found


@router.get("/internal/journey-calendars/{authority}", response_model=JourneyCalendars)
async def journey_calendars(
    authority: str,
    rt: Rt,
    principal: CurrentPrincipal,
    loader: Annotated[CaseSetupLoader, Depends(setup_loader)],
    year: Annotated[int, Query(ge=2000, le=2100)],
    school: Annotated[str | None, Query(max_length=64)] = None,
) -> JourneyCalendars:
    """For referral intake, which answers a referral with the first clock counted on these
    (docs/rules.md, "The first clock at intake"). Services only (term dates are no one's
    personal data; intake asks once per authority and school a minute)."""
    if not principal.is_service:
        raise AccessDenied("access.calendar-role", roles="service")
    found = _authority(authority)
    try:
        setup = await loader.load_case_setup(
            CaseSetupRequest(authority=found.ons_code, school_ref=school or None, year=year)
        )
    except CalendarError as exc:
        raise _bad_calendar(exc, school) from None
    purpose = f"GET /api/v1/internal/journey-calendars/{authority}"
    async with unit_of_work(rt, principal, purpose=purpose) as uow:
        uow.audit(action="read", resource="calendar", resource_id=_resource(found, school))
    return JourneyCalendars(
        authority=found.ons_code,
        school=school or None,
        year=year,
        school_calendar=setup.school_calendar,
        bank_holidays=setup.bank_holidays,
    )


def _resource(found: Authority, school: str | None) -> str:
    return f"{found.ons_code}/{school}" if school else found.ons_code
