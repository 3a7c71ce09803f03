"""HTTP routes of the insight service: read-only figures, scoped like every other read.

Handlers are thin: who is asking, one read in one unit of work (audited), the view. A national
caller gets aggregates with small numbers suppressed and no case ids; exports are suppressed for
everyone.
"""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from insight import exports, statutory, timeliness
from insight.access import Viewer, viewer_of
from insight.timeliness import GroupBy, TimelinessReport
from llwybr_clock.shipped import UnknownAuthorityError, find_authority
from llwybr_common.auth import CurrentPrincipal
from llwybr_common.errors import AccessDenied, FieldError, Invalid
from llwybr_common.runtime import Runtime
from llwybr_common.unit_of_work import unit_of_work
from llwybr_common.wales import Today
from llwybr_contracts.vocabulary import RuleId

router = APIRouter(prefix="/api/v1/insight", tags=["insight"])


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


Rt = Annotated[Runtime, Depends(runtime)]
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


def _period(on: date, period_from: date | None, period_to: date | None) -> tuple[date, date]:
    period_to = period_to or on
    period_from = period_from or period_to - timedelta(days=365)
    if period_from > period_to:
        raise Invalid(FieldError("from", "period-reversed"))
    return period_from, period_to


def _authority(viewer: Viewer, authority: str | None) -> str | None:
    """An authority filter the caller may ask for: any in Wales nationally, else its own."""
    if authority is None:
        return None
    try:
        found = find_authority(authority)
    except UnknownAuthorityError:
        raise Invalid(FieldError("authority", "unknown-authority", {"value": authority})) from None
    code = found.ons_code
    if viewer.kind == "la" and code not in viewer.codes:
        raise AccessDenied("insight.access.authority", authority=code)
    if viewer.kind == "board" and found.health_board_ons_code not in viewer.codes:
        raise AccessDenied("insight.access.authority", authority=code)
    return code


async def _timeliness(
    rt: Runtime,
    viewer: Viewer,
    *,
    on: date,
    authority: str | None,
    rule: RuleId | None,
    period_from: date | None,
    period_to: date | None,
    group_by: GroupBy,
    export: bool,
) -> TimelinessReport:
    start, end = _period(on, period_from, period_to)
    code = _authority(viewer, authority)
    purpose = f"GET /api/v1/insight/timeliness{' (export)' if export else ''} {start}..{end}"
    async with unit_of_work(rt, viewer.principal, purpose=purpose) as uow:
        clocks = await timeliness.load(
            uow.session, viewer, authority=code, rule=rule.value if rule else None
        )
        report = timeliness.build(
            clocks,
            rules=timeliness.all_rules(rule.value if rule else None),
            group_by=group_by,
            today=on,
            period_from=start,
            period_to=end,
            scope=viewer.scope,
            suppress=viewer.national or export,
        )
        uow.audit(action="read", resource="insight-timeliness", resource_id=viewer.scope)
        # A scoped view names the cases that breached: each is a read of that case.
        shown = {
            b.case_id
            for r in report.rules
            for g in (r.total, *r.groups)
            for b in g.breach_list or ()
        }
        for case_id in sorted(shown):
            uow.audit(
                action="read", resource="case-timeliness", resource_id=case_id, case_id=case_id
            )
    return report


@router.get("/timeliness", response_model=TimelinessReport)
async def get_timeliness(
    rt: Rt,
    principal: CurrentPrincipal,
    on: Today,
    authority: str | None = None,
    rule: RuleId | None = None,
    period_from: From = None,
    period_to: To = None,
    group_by: GroupBy = GroupBy.AUTHORITY,
) -> TimelinessReport:
    return await _timeliness(
        rt,
        viewer_of(principal),
        on=on,
        authority=authority,
        rule=rule,
        period_from=period_from,
        period_to=period_to,
        group_by=group_by,
        export=False,
    )


@router.get("/statutory", response_model=statutory.StatutoryReport)
async def get_statutory(
    rt: Rt,
    principal: CurrentPrincipal,
    on: Today,
    authority: str | None = None,
    period_from: From = None,
    period_to: To = None,
) -> statutory.StatutoryReport:
    viewer = viewer_of(principal)
    return await _statutory(rt, viewer, on, authority, period_from, period_to, export=False)


async def _statutory(
    rt: Runtime,
    viewer: Viewer,
    on: date,
    authority: str | None,
    period_from: date | None,
    period_to: date | None,
    *,
    export: bool,
) -> statutory.StatutoryReport:
    start, end = _period(on, period_from, period_to)
    code = _authority(viewer, authority)
    purpose = f"GET /api/v1/insight/statutory{' (export)' if export else ''} {start}..{end}"
    async with unit_of_work(rt, viewer.principal, purpose=purpose) as uow:
        cases = await statutory.load(uow.session, viewer, authority=code)
        report = statutory.build(
            cases,
            today=on,
            period_from=start,
            period_to=end,
            scope=viewer.scope,
            suppress=viewer.national or export,
        )
        uow.audit(action="read", resource="insight-statutory", resource_id=viewer.scope)
    return report


@router.get(
    "/exports/{name}.{fmt}",
    response_class=Response,
    responses={200: {"content": {exports.CSV: {}, exports.ODS: {}}}},
)
async def get_export(
    name: exports.ExportName,
    fmt: exports.ExportFormat,
    rt: Rt,
    principal: CurrentPrincipal,
    on: Today,
    authority: str | None = None,
    rule: RuleId | None = None,
    period_from: From = None,
    period_to: To = None,
    group_by: GroupBy = GroupBy.AUTHORITY,
) -> Response:
    """Suppressed for every caller (an export leaves the system): no case ids, no cell under 5.
    The ODS workbook holds both tables and a notes sheet whatever `name` says."""
    viewer = viewer_of(principal)
    report = await _timeliness(
        rt,
        viewer,
        on=on,
        authority=authority,
        rule=rule,
        period_from=period_from,
        period_to=period_to,
        group_by=group_by,
        export=True,
    )
    figures = await _statutory(rt, viewer, on, authority, period_from, period_to, export=True)
    if fmt is exports.ExportFormat.CSV:
        body = (
            exports.timeliness_csv(report)
            if name is exports.ExportName.TIMELINESS
            else exports.statutory_csv(figures)
        )
        media, filename = exports.CSV, f"llwybr-{name.value}-{on}.csv"
        content = body.encode()
    else:
        content = exports.workbook(report, figures)
        media, filename = exports.ODS, f"llwybr-insight-{on}.ods"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
