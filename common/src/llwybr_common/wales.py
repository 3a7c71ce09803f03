"""Today in Wales. Every statutory date is a date in Wales (Europe/London), whatever the
server's own time zone: a referral made at 00:30 BST on 1 April was made on 1 April.

Routes take it as the `Today` dependency; a test may pin it with `app.state.today`.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request

WALES = ZoneInfo("Europe/London")


def today_in_wales() -> date:
    return datetime.now(WALES).date()


def request_today(request: Request) -> date:
    """Today in Wales, or the day a test pinned with `app.state.today` (a callable)."""
    override: Callable[[], date] | None = getattr(request.app.state, "today", None)
    return override() if override else today_in_wales()


Today = Annotated[date, Depends(request_today)]
