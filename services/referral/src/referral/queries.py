"""The case list: filters, sorted by nearest due date, keyset pagination with an opaque cursor."""

from datetime import date

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.cursor import decode_cursor, encode_cursor
from referral.models import Case, Child


async def list_cases(
    session: AsyncSession,
    *,
    authorities: set[str] | None,
    schools: set[str],
    authority: str | None,
    school: str | None,
    deciding_body: str | None,
    state: str | None,
    due_before: date | None,
    overdue: bool | None,
    today: date,
    limit: int,
    cursor: str | None,
) -> tuple[list[tuple[Case, Child]], str | None]:
    query = select(Case, Child).join(Child, col(Child.id) == col(Case.child_id))
    owner = col(Case.deciding_authority)
    if authorities is not None:
        visible = [owner.in_(authorities)] if authorities else []
        if schools:
            visible.append(col(Case.school_ref).in_(schools))
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
