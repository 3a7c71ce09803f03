"""Tables and API schemas of the referral service (SQLModel families: Base, Create, table,
Public). Identity and free text live here and only here; events carry the case id and the
pseudonymous child reference."""

from datetime import date, datetime
from enum import StrEnum

from llwybr_contracts.states import CaseState, DecidingBody
from pydantic import field_validator
from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class ReferralSource(StrEnum):
    PARENT = "parent"
    SCHOOL = "school"
    EARLY_YEARS_SETTING = "early-years-setting"
    HEALTH_BODY = "health-body"
    YOUNG_PERSON = "young-person"
    SOCIAL_SERVICES = "social-services"
    LOCAL_AUTHORITY = "local-authority"


class Language(StrEnum):
    CY = "cy"
    EN = "en"
    BOTH = "both"


class Learner(SQLModel):
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    date_of_birth: date


class ReferralCreate(SQLModel):
    learner: Learner
    authority: str = Field(min_length=2, description="home authority: ONS code or name")
    school_ref: str | None = None
    source: ReferralSource
    preferred_language: Language = Language.EN
    received_on: date
    concern: str = Field(min_length=1, max_length=10_000)

    @field_validator("received_on")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("received_on cannot be in the future")
        return value


class Child(SQLModel, table=True):
    __tablename__ = "children"

    id: str = Field(primary_key=True)
    child_ref: str = Field(unique=True, description="pseudonymous reference used in events")
    given_name: str
    family_name: str
    date_of_birth: date
    preferred_language: str


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    id: str = Field(primary_key=True)
    child_id: str = Field(foreign_key="children.id", index=True)
    authority: str = Field(index=True)
    school_ref: str | None = None
    state: str = Field(default=CaseState.DECISION_PENDING.value)
    deciding_body: str | None = None
    deciding_authority: str | None = None
    opened_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Referral(SQLModel, table=True):
    __tablename__ = "referrals"

    id: str = Field(primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True)
    source: str
    kind: str = "concern"
    received_on: date
    concern: str


class ReferralAccepted(SQLModel):
    case_id: str
    referral_id: str
    deciding_body: DecidingBody
    deciding_authority: str | None
    state: CaseState
