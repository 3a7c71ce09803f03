"""HTTP routes of the notifications service, thin: who is asking, one unit of work, the view.

- `/notifications`: a case's role-wide notifications, to whoever holds that role and scope.
- `/recipients`: the directory, for admins and (in their own scope) LA managers. POST takes one
  recipient as JSON, or a whole people CSV (`text/csv`, the columns of the embedded people
  file) to load an authority's staff at once: all rows or none.
- `/inbox`: the caller's own in-app notifications, by their token's subject.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from llwybr_common.auth import CurrentPrincipal, Principal
from llwybr_common.errors import FieldError, Invalid
from llwybr_common.people import PeopleFileError, parse_people
from llwybr_common.runtime import Runtime
from llwybr_common.unit_of_work import unit_of_work
from notifications import recipients, service
from notifications.access import directory_manager
from notifications.models import (
    InboxItem,
    InboxPage,
    Notification,
    NotificationPage,
    NotificationPublic,
    Recipient,
    RecipientCreate,
    RecipientPage,
    RecipientPublic,
)

router = APIRouter(prefix="/api/v1")


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


Rt = Annotated[Runtime, Depends(runtime)]


def _addressed_to(principal: Principal, note: Notification) -> bool:
    if principal.is_admin or principal.is_service:
        return True
    kind, _, value = note.recipient_scope.partition(":")
    return note.recipient_role in principal.roles and value in principal.scoped(kind)


@router.get("/notifications", response_model=NotificationPage)
async def list_notifications(
    request: Request, case_id: str, principal: CurrentPrincipal
) -> NotificationPage:
    async with request.app.state.runtime.session() as session:
        rows = await service.list_for_case(session, case_id=case_id)
    visible = [r for r in rows if _addressed_to(principal, r)]
    return NotificationPage(
        items=[NotificationPublic.model_validate(r, from_attributes=True) for r in visible]
    )


# --- the recipients directory ------------------------------------------------------------------


def _public(row: Recipient) -> RecipientPublic:
    return RecipientPublic.model_validate(row, from_attributes=True)


@router.get("/recipients", response_model=RecipientPage)
async def list_recipients(rt: Rt, principal: CurrentPrincipal) -> RecipientPage:
    manager = directory_manager(principal)
    async with unit_of_work(rt, principal, purpose="GET /api/v1/recipients") as uow:
        rows = await recipients.listing(uow.session, manager=manager)
        uow.audit(
            action="read",
            resource="recipients",
            resource_id=",".join(sorted(manager.scopes) if manager.scopes is not None else ["*"]),
        )
    return RecipientPage(items=[_public(r) for r in rows])


def _one(body: Any, loc: tuple[str, ...] = ("body",)) -> RecipientCreate:
    try:
        return RecipientCreate.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": (*loc, *e["loc"])} for e in exc.errors()]
        ) from exc


async def _items(request: Request) -> tuple[list[RecipientCreate], list[str] | None]:
    """The recipients a POST names, and how to name each in a field error (None: default)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "text/csv":
        try:
            body = await request.json()
        except ValueError as exc:
            raise Invalid(FieldError("body", "notifications.json-invalid")) from exc
        return [_one(body)], None
    try:
        people = parse_people((await request.body()).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Invalid(FieldError("body", "notifications.csv-invalid", message="not UTF-8")) from exc
    except PeopleFileError as exc:
        field = f"body.line[{exc.line}].{exc.column}"
        raise Invalid(FieldError(field, "notifications.csv-invalid", message=exc.reason)) from exc
    where = [f"line[{p.line}]" for p in people]
    items = [
        _one(recipients.from_person(p).model_dump(), ("body", w))
        for p, w in zip(people, where, strict=True)
    ]
    return items, [f"{w}." for w in where]


RECIPIENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": RecipientCreate.model_json_schema()},
            "text/csv": {"schema": {"type": "string", "description": "a people CSV"}},
        },
    }
}


@router.post(
    "/recipients", status_code=201, response_model=RecipientPage, openapi_extra=RECIPIENT_BODY
)
async def create_recipients(request: Request, rt: Rt, principal: CurrentPrincipal) -> RecipientPage:
    manager = directory_manager(principal)
    items, where = await _items(request)
    async with unit_of_work(rt, principal, purpose="POST /api/v1/recipients") as uow:
        rows = await recipients.create(uow, manager=manager, items=items, where=where)
        public = [_public(r) for r in rows]
    return RecipientPage(items=public)


@router.put("/recipients/{recipient_id}", response_model=RecipientPublic)
async def update_recipient(
    recipient_id: str, body: RecipientCreate, rt: Rt, principal: CurrentPrincipal
) -> RecipientPublic:
    manager = directory_manager(principal)
    async with unit_of_work(rt, principal, purpose=f"PUT /api/v1/recipients/{recipient_id}") as uow:
        row = await recipients.update(uow, manager=manager, recipient_id=recipient_id, data=body)
        return _public(row)


@router.delete("/recipients/{recipient_id}", status_code=204)
async def delete_recipient(recipient_id: str, rt: Rt, principal: CurrentPrincipal) -> Response:
    manager = directory_manager(principal)
    purpose = f"DELETE /api/v1/recipients/{recipient_id}"
    async with unit_of_work(rt, principal, purpose=purpose) as uow:
        await recipients.delete(uow, manager=manager, recipient_id=recipient_id)
    return Response(status_code=204)


# --- a person's inbox ---------------------------------------------------------------------------


@router.get("/inbox", response_model=InboxPage)
async def my_inbox(rt: Rt, principal: CurrentPrincipal) -> InboxPage:
    async with unit_of_work(rt, principal, purpose="GET /api/v1/inbox") as uow:
        rows = await service.inbox(uow)
        return InboxPage(items=[service.inbox_item(r) for r in rows])


@router.post("/inbox/{notification_id}/read", response_model=InboxItem)
async def mark_read(notification_id: str, rt: Rt, principal: CurrentPrincipal) -> InboxItem:
    purpose = f"POST /api/v1/inbox/{notification_id}/read"
    async with unit_of_work(rt, principal, purpose=purpose) as uow:
        note = await service.mark_read(uow, notification_id=notification_id)
        return service.inbox_item(note)
