"""The recipients directory: who is told, in which language, on which channels.

Keyword-only functions inside one unit of work; refusals are domain errors. Every change is
audited (a recipient's name and address are personal data: the audit names the record's id).
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from llwybr_common.auth import parse_scope
from llwybr_common.errors import AccessDenied, Conflict, FieldError, Invalid, NotFound
from llwybr_common.people import Person
from llwybr_common.unit_of_work import UnitOfWork
from llwybr_contracts.vocabulary import Role
from notifications.access import DirectoryManager
from notifications.models import Recipient, RecipientCreate

LANGUAGES = ("cy", "en", "both")
CHANNELS = ("in-app", "email")
# Roles a person can hold in the directory (a service is not a person).
PERSON_ROLES = frozenset(r.value for r in Role) - {Role.SERVICE}


def field_errors(data: RecipientCreate, prefix: str = "") -> tuple[str, list[FieldError]]:
    """The canonical scope (`la:W06000015` for a bare `W06000015`) and every bad field."""
    errors: list[FieldError] = []
    scope = data.scope.strip()
    if data.role not in PERSON_ROLES:
        errors.append(
            FieldError(f"{prefix}role", "notifications.role-unknown", {"role": data.role})
        )
    if scope:
        try:
            scope = ":".join(parse_scope(scope))
        except ValueError:
            errors.append(FieldError(f"{prefix}scope", "notifications.scope-unknown"))
    elif data.role != Role.ADMIN:
        errors.append(FieldError(f"{prefix}scope", "notifications.scope-required"))
    email = data.email.strip()
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or any(c.isspace() for c in email):
        errors.append(FieldError(f"{prefix}email", "notifications.email-invalid"))
    if not data.channels or len(set(data.channels)) != len(data.channels):
        errors.append(FieldError(f"{prefix}channels", "notifications.channels-invalid"))
    if not data.name.strip():
        errors.append(FieldError(f"{prefix}name", "notifications.name-required"))
    return scope, errors


def _apply(row: Recipient, data: RecipientCreate, scope: str, now: datetime) -> None:
    row.role, row.scope = data.role, scope
    row.name, row.email = data.name.strip(), data.email.strip()
    row.language, row.channels, row.digest = data.language, list(data.channels), data.digest
    row.subject = data.subject or row.subject
    row.updated_at = now


async def _subject_taken(session: AsyncSession, subject: str | None, but: str | None) -> bool:
    if not subject:
        return False
    found = (await session.exec(select(Recipient).where(Recipient.subject == subject))).first()
    return found is not None and found.id != but


async def create(
    uow: UnitOfWork,
    *,
    manager: DirectoryManager,
    items: Sequence[RecipientCreate],
    where: Sequence[str] | None = None,
) -> list[Recipient]:
    """Add recipients (one, or a whole CSV: all or none). `where` names each item in a field
    error (a CSV's `line[N].`); by default a single item has no prefix."""
    if where is None:
        where = [f"items[{n}]." for n in range(len(items))] if len(items) > 1 else [""]
    checked: list[tuple[RecipientCreate, str]] = []
    errors: list[FieldError] = []
    for data, prefix in zip(items, where, strict=True):
        scope, bad = field_errors(data, prefix=prefix)
        errors += bad
        checked.append((data, scope))
    if errors:
        raise Invalid(*errors)
    for _, scope in checked:
        if not manager.may_manage(scope):
            raise AccessDenied("notifications.recipients-scope", scope=scope)
    now = datetime.now(UTC)
    rows = []
    for data, scope in checked:
        if await _subject_taken(uow.session, data.subject, None):
            raise Conflict("notifications.recipient-subject-taken")
        row = Recipient(
            id=str(uuid.uuid4()),
            created_at=now,
            channels=[],
            name="",
            email="",
            role="",
            scope="",
            language="",
        )
        _apply(row, data, scope, now)
        uow.session.add(row)
        uow.audit(action="create", resource="recipient", resource_id=row.id)
        rows.append(row)
    return rows


async def listing(session: AsyncSession, *, manager: DirectoryManager) -> list[Recipient]:
    query = select(Recipient).order_by(col(Recipient.scope), col(Recipient.role), col(Recipient.id))
    if manager.scopes is not None:
        query = query.where(col(Recipient.scope).in_(sorted(manager.scopes)))
    return list((await session.exec(query)).all())


async def _own(uow: UnitOfWork, manager: DirectoryManager, recipient_id: str) -> Recipient:
    """The recipient, if this manager may see it; otherwise as if it did not exist."""
    row = await uow.session.get(Recipient, recipient_id)
    if row is None or not manager.may_manage(row.scope):
        raise NotFound("notifications.recipient-not-found", recipient_id=recipient_id)
    return row


async def update(
    uow: UnitOfWork, *, manager: DirectoryManager, recipient_id: str, data: RecipientCreate
) -> Recipient:
    row = await _own(uow, manager, recipient_id)
    scope, errors = field_errors(data)
    if errors:
        raise Invalid(*errors)
    if not manager.may_manage(scope):
        raise AccessDenied("notifications.recipients-scope", scope=scope)
    if await _subject_taken(uow.session, data.subject, row.id):
        raise Conflict("notifications.recipient-subject-taken")
    _apply(row, data, scope, datetime.now(UTC))
    uow.session.add(row)
    uow.audit(action="update", resource="recipient", resource_id=row.id)
    return row


async def delete(uow: UnitOfWork, *, manager: DirectoryManager, recipient_id: str) -> None:
    row = await _own(uow, manager, recipient_id)
    await uow.session.delete(row)
    uow.audit(action="delete", resource="recipient", resource_id=recipient_id)


def from_person(person: Person) -> RecipientCreate:
    return RecipientCreate.model_validate(
        {
            "role": person.role,
            "scope": person.scope,
            "name": person.name,
            "email": person.email,
            "language": person.language,
            "channels": list(person.channels),
            "digest": person.digest,
            "subject": person.subject or None,
        }
    )


async def seed(session: AsyncSession, people: Sequence[Person]) -> int:
    """Embedded mode: add the illustrative people not yet in the directory (by subject), so a
    restart adds nobody twice and keeps any change made through the API. Returns how many."""
    now = datetime.now(UTC)
    added = 0
    for person in people:
        if await _subject_taken(session, person.subject, None):
            continue
        data = from_person(person)
        scope, errors = field_errors(data)
        if errors:
            raise ValueError(f"people file line {person.line}: {errors[0].field}")
        row = Recipient(
            id=str(uuid.uuid4()),
            created_at=now,
            channels=[],
            name="",
            email="",
            role="",
            scope="",
            language="",
        )
        _apply(row, data, scope, now)
        session.add(row)
        added += 1
    return added
