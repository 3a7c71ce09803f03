"""The case list: filters, sorted by nearest due date, keyset pagination with an opaque cursor;
and the open clocks of a page of cases, for the worktray's status tags."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.cursor import decode_cursor, encode_cursor
from referral.models import Case, CaseClock, Child, TimelineEntry

OPEN = ("running", "paused")


async def list_cases(
    session: AsyncSession,
    *,
    authorities: set[str] | None,
    schools: set[str],
    institutions: set[str] | None = None,
    authority: str | None,
    school: str | None,
    deciding_body: str | None,
    state: str | None,
    due_before: date | None,
    overdue: bool | None,
    today: date,
    rule: str | None = None,
    reference: str | None = None,
    limit: int,
    cursor: str | None,
) -> tuple[list[tuple[Case, Child]], str | None]:
    query = select(Case, Child).join(Child, col(Child.id) == col(Case.child_id))
    owner = col(Case.deciding_authority)
    if authorities is not None:
        visible = []
        if authorities:
            # an FEI's case has no deciding authority: the home authority's people see it
            home = and_(owner.is_(None), col(Case.authority).in_(authorities))
            visible += [owner.in_(authorities), home]
        if schools:
            visible.append(col(Case.school_ref).in_(schools))
        if institutions:
            visible.append(col(Case.institution_ukprn).in_(institutions))
        if not visible:
            return [], None
        query = query.where(or_(*visible))
    if authority:
        query = query.where(or_(owner == authority, col(Case.authority) == authority))
    if school:
        query = query.where(col(Case.school_ref) == school)
    if deciding_body:
        query = query.where(col(Case.deciding_body) == deciding_body)
    if state:
        query = query.where(col(Case.state) == state)
    if rule:  # an open clock of this rule, running or paused
        query = query.where(
            select(CaseClock.id)
            .where(
                col(CaseClock.case_id) == col(Case.id),
                col(CaseClock.rule) == rule,
                col(CaseClock.status).in_(OPEN),
            )
            .exists()
        )
    if reference:  # the case id or the child's reference, exactly
        query = query.where(or_(col(Case.id) == reference, col(Child.child_ref) == reference))
    if due_before:
        query = query.where(col(Case.next_due) < due_before)
    if overdue is True:
        query = query.where(col(Case.next_due) < today)
    elif overdue is False:
        query = query.where(or_(col(Case.next_due).is_(None), col(Case.next_due) >= today))
    if cursor:
        due, case_id = decode_cursor(cursor)
        if due is None:
            query = query.where(col(Case.next_due).is_(None), col(Case.id) > case_id)
        else:
            query = query.where(
                or_(
                    col(Case.next_due) > due,
                    and_(col(Case.next_due) == due, col(Case.id) > case_id),
                    col(Case.next_due).is_(None),
                )
            )
    query = query.order_by(col(Case.next_due).asc().nulls_last(), col(Case.id)).limit(limit + 1)
    rows = [(c, ch) for c, ch in (await session.exec(query)).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1][0] if more and rows else None
    return rows, (encode_cursor(last.next_due, last.id) if last else None)


async def open_clocks(
    session: AsyncSession, case_ids: Sequence[str]
) -> dict[str, list[tuple[CaseClock, bool]]]:
    """Each case's running and paused clocks, soonest first, each with whether the journey has
    warned that it is at risk (a `DeadlineAtRisk` for that rule and that due date)."""
    if not case_ids:
        return {}
    clocks = (
        await session.exec(
            select(CaseClock)
            .where(col(CaseClock.case_id).in_(case_ids), col(CaseClock.status).in_(OPEN))
            .order_by(col(CaseClock.due).asc().nulls_last(), col(CaseClock.rule))
        )
    ).all()
    warned = {
        (t.case_id, t.detail.split(",", 1)[0])  # "<rule> due <date>, level ..." (projection)
        for t in (
            await session.exec(
                select(TimelineEntry).where(
                    col(TimelineEntry.case_id).in_(case_ids),
                    TimelineEntry.kind == "DeadlineAtRisk",
                )
            )
        ).all()
    }
    out: dict[str, list[tuple[CaseClock, bool]]] = {}
    for c in clocks:
        at_risk = (c.case_id, f"{c.rule} due {c.due}") in warned
        out.setdefault(c.case_id, []).append((c, at_risk))
    return out
