"""Today in Wales for a route: the `Today` dependency (a test may pin it with
`app.state.today`). What "today in Wales" is lives once, in `llwybr_clock.wales`."""

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import Depends, Request

from llwybr_clock.wales import WALES, today_in_wales

__all__ = ["WALES", "Today", "request_today", "today_in_wales"]


def request_today(request: Request) -> date:
    """Today in Wales, or the day a test pinned with `app.state.today` (a callable)."""
    override: Callable[[], date] | None = getattr(request.app.state, "today", None)
    return override() if override else today_in_wales()


Today = Annotated[date, Depends(request_today)]
