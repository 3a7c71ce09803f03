"""The clock's errors. Each message says exactly what was wrong, so the CLI can print it as is."""

from __future__ import annotations

from collections.abc import Iterable


class ClockError(ValueError):
    """Base class: bad input to the clock or its calendars."""


class UnknownRuleError(ClockError):
    def __init__(self, rule_id: str, valid: Iterable[str]) -> None:
        self.rule_id = rule_id
        super().__init__(f"unknown rule {rule_id!r}; valid rules: {', '.join(valid)}")


class CoverageError(ClockError):
    """A clock needs days outside its calendar's coverage (docs/rules.md#coverage)."""


class ExceptionRecordError(ClockError):
    """A pause, resume or lift that cannot be applied (e.g. a pause ending before it starts)."""


class CalendarError(ClockError):
    """A calendar that cannot be read or is inconsistent; the message names the line or event."""


class UnknownAuthorityError(ClockError):
    def __init__(self, query: str) -> None:
        self.query = query
        super().__init__(
            f"unknown authority {query!r}: give an ONS code (W06000001 to W06000024) or the "
            "English or Welsh name of one of the 22 Welsh local authorities; "
            "`llwybr calendar authorities` lists them"
        )
