"""Tables of the journey context besides its outbox and inbox: the school calendars every
worker counts on (one store in PostgreSQL, so several workers share it) and the escalation
ladders authorities set. Names carry `journey_`: the suite loads every service's models into
one metadata."""

from datetime import datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def _ts() -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=False)


class StoredCalendar(SQLModel, table=True):
    """An authority's imported calendar (school "") or a school's own rows on top of it."""

    __tablename__ = "journey_calendars"

    authority: str = Field(primary_key=True, description="ONS code")
    school: str = Field(default="", primary_key=True, description="'' for the authority's")
    format: str = Field(description="csv or ics")
    text: str = Field(sa_column=Column(Text, nullable=False))
    imported_at: datetime = Field(sa_column=_ts())


class CalendarChange(SQLModel, table=True):
    """Every import, oldest first: what an admin page lists; its id stamps workers' caches."""

    __tablename__ = "journey_calendar_changes"

    id: int | None = Field(default=None, primary_key=True)
    authority: str = Field(index=True)
    school: str = ""
    format: str
    calendar_version: str = Field(description="the snapshot clocks of that scope now use")
    imported_at: datetime = Field(sa_column=_ts())
    source: str = Field(description="who imported it: cli, migration, api")


class StoredLadder(SQLModel, table=True):
    """One version of an authority's escalation ladder for one rule; the highest version is in
    force. `steps` null: back to the default (journey/ladder.py). Never updated, only added."""

    __tablename__ = "journey_ladders"
    __table_args__ = (UniqueConstraint("authority", "rule", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    authority: str = Field(index=True, description="ONS code")
    rule: str
    version: int = Field(description="1, 2, ... per authority and rule")
    steps: list[dict[str, object]] | None = Field(default=None, sa_column=Column(JSONB))
    set_at: datetime = Field(sa_column=_ts())
    set_by: str = Field(description="who set it: cli, api")
