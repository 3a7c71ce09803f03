"""The append-only audit log: every read of a child's record and every change, with who,
what, when and why. Rows are written in the same transaction as the
change they describe; a database trigger refuses UPDATE and DELETE."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.auth import Principal


class AuditRecord(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: str = Field(primary_key=True)
    at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
    actor: str = Field(index=True)
    actor_roles: str
    action: str = Field(description="read | create | update | command | denied")
    resource: str = Field(description="what was touched, e.g. case, learner, health-request")
    resource_id: str = Field(index=True)
    case_id: str | None = Field(default=None, index=True)
    purpose: str = Field(default="", description="why: the endpoint or command")
    outcome: str = "ok"


# Installed by every service's initial migration: the audit log only grows.
APPEND_ONLY_SQL = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
)


def audit(
    session: AsyncSession,
    principal: Principal,
    *,
    action: str,
    resource: str,
    resource_id: str,
    case_id: str | None = None,
    purpose: str = "",
    outcome: str = "ok",
) -> AuditRecord:
    record = AuditRecord(
        id=str(uuid.uuid4()),
        at=datetime.now(UTC),
        actor=principal.subject,
        actor_roles=principal.audit_roles(),
        action=action,
        resource=resource,
        resource_id=resource_id,
        case_id=case_id,
        purpose=purpose,
        outcome=outcome,
    )
    session.add(record)
    return record
