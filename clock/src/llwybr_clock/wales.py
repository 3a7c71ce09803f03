"""Dates in Wales. Every statutory date is a date in Wales (Europe/London), whatever a
server's own time zone: a referral made at 00:30 BST on 1 April was made on 1 April.

Workflow code must not read the clock itself: it turns `workflow.now()` into a date with
`wales_date`; everything else asks `today_in_wales()`.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

WALES = ZoneInfo("Europe/London")


def wales_date(instant: datetime) -> date:
    """The date in Wales at this instant."""
    return instant.astimezone(WALES).date()


def today_in_wales() -> date:
    return datetime.now(WALES).date()
