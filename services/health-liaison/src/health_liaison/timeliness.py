"""The board view of timeliness: per board and per authority, how many s.20 requests are open,
due this week and overdue, and how quickly answers came over a chosen period (Regs reg 11)."""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from pydantic import BaseModel
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from health_liaison.access import Viewer
from health_liaison.models import AWAITING_ANSWER, HealthInputRequest, RequestStatus
from health_liaison.routing import board
from health_liaison.service import is_overdue
from llwybr_common.audit import audit

SIX_WEEKS = 42  # Regs reg 11(2)


class FiguresPublic(BaseModel):
    open: int = 0
    due_this_week: int = 0
    overdue: int = 0
    answered_in_period: int = 0
    median_days_to_respond: float | None = None
    answered_within_6_weeks_percent: float | None = None


class AuthorityFiguresPublic(FiguresPublic):
    authority: str


class BoardFiguresPublic(FiguresPublic):
    board: str
    name_cy: str
    name_en: str
    authorities: list[AuthorityFiguresPublic]


class TimelinessPublic(BaseModel):
    period_from: date
    period_to: date
    as_of: date
    boards: list[BoardFiguresPublic]


def _within_limit(request: HealthInputRequest) -> bool:
    """Answered on or before the statutory due date (6 weeks rolled to a working day); with no
    due date (the limit was lifted under reg 11(3)) the plain 42 days are the measure."""
    assert request.answered_on is not None
    limit = request.due or request.received_on + timedelta(days=SIX_WEEKS)
    return request.answered_on <= limit


def figures(
    requests: Iterable[HealthInputRequest], *, today: date, period_from: date, period_to: date
) -> FiguresPublic:
    week_end = today + timedelta(days=6 - today.weekday())  # Sunday of this week
    out = FiguresPublic()
    answered: list[HealthInputRequest] = []
    for r in requests:
        if r.status in AWAITING_ANSWER or r.status == RequestStatus.IMPRACTICAL:
            out.open += 1
        if r.status in AWAITING_ANSWER and r.due is not None and today <= r.due <= week_end:
            out.due_this_week += 1
        if is_overdue(r, today):
            out.overdue += 1
        if r.answered_on is not None and period_from <= r.answered_on <= period_to:
            answered.append(r)
    out.answered_in_period = len(answered)
    if answered:
        out.median_days_to_respond = float(
            statistics.median(
                (r.answered_on - r.received_on).days for r in answered if r.answered_on
            )
        )
        within = sum(1 for r in answered if _within_limit(r))
        out.answered_within_6_weeks_percent = round(100.0 * within / len(answered), 1)
    return out


async def timeliness(
    session: AsyncSession,
    *,
    viewer: Viewer,
    period_from: date,
    period_to: date,
    today: date,
) -> TimelinessPublic:
    """Health roles see their boards with every authority in them; LA roles their authorities."""
    query = select(HealthInputRequest).where(
        or_(
            col(HealthInputRequest.status).in_(
                [s.value for s in (*AWAITING_ANSWER, RequestStatus.IMPRACTICAL)]
            ),
            col(HealthInputRequest.answered_on).between(period_from, period_to),
        )
    )
    if viewer.is_health:
        query = query.where(col(HealthInputRequest.board).in_(sorted(viewer.boards)))
    else:
        query = query.where(col(HealthInputRequest.authority).in_(sorted(viewer.authorities)))
    rows = list((await session.exec(query)).all())
    by_board: dict[str, list[HealthInputRequest]] = defaultdict(list)
    for r in rows:
        by_board[r.board].append(r)
    board_codes = sorted(viewer.boards) if viewer.is_health else sorted(by_board)
    report = TimelinessPublic(period_from=period_from, period_to=period_to, as_of=today, boards=[])
    for code in board_codes:
        in_board = by_board.get(code, [])
        by_authority: dict[str, list[HealthInputRequest]] = defaultdict(list)
        for r in in_board:
            by_authority[r.authority].append(r)
        lhb = board(code)
        period = {"today": today, "period_from": period_from, "period_to": period_to}
        report.boards.append(
            BoardFiguresPublic(
                board=code,
                name_cy=lhb.name_cy,
                name_en=lhb.name_en,
                authorities=[
                    AuthorityFiguresPublic(authority=a, **figures(rs, **period).model_dump())
                    for a, rs in sorted(by_authority.items())
                ],
                **figures(in_board, **period).model_dump(),
            )
        )
    # Aggregates only, but still a read of health data: one audit row for the report.
    audit(
        session,
        viewer.principal,
        action="read",
        resource="health-timeliness",
        resource_id=",".join(board_codes) or "-",
        purpose=f"timeliness {period_from}..{period_to}",
    )
    return report
