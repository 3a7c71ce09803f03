"""The FHIR R4 endpoint: a board's own system pulls s.20 requests and pushes answers without
the UI (interoperability with NHS Wales). Health roles of the board only; every read is
audited; each write goes through the same service functions as the inbox API."""

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.task import Task

from health_liaison import fhir_resources as fr
from health_liaison import service
from health_liaison.access import (
    ASSIGNERS,
    IMPRACTICAL_RECORDERS,
    RESPONDERS,
    Viewer,
    require_health_role,
    viewer_of,
)
from health_liaison.api import Rt, referral_directory
from health_liaison.models import RequestStatus, ResponseCreate
from health_liaison.referral_client import ReferralDirectory
from llwybr_common.auth import CurrentPrincipal
from llwybr_common.errors import AccessDenied, FieldError, Invalid
from llwybr_common.unit_of_work import unit_of_work
from llwybr_common.wales import Today

router = APIRouter(prefix="/fhir/R4", tags=["FHIR R4"])

FHIR_JSON = "application/fhir+json"
SEARCH_STATUS = {
    "active": (RequestStatus.OPEN, RequestStatus.ASSIGNED, RequestStatus.IMPRACTICAL),
    "completed": (RequestStatus.RESPONDED,),
    "revoked": (RequestStatus.WITHDRAWN,),
}
# Where a broken rule of the answer sits in a Task.
TASK_FIELD = {"service": "Task.output[service]", "welsh_delivery": "Task.output[welsh-delivery]"}


def fhir(body: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, media_type=FHIR_JSON)


def health_viewer(principal: CurrentPrincipal) -> Viewer:
    viewer = viewer_of(principal)
    if not viewer.is_health:
        raise AccessDenied("access.fhir-health-only")
    return viewer


HealthViewer = Annotated[Viewer, Depends(health_viewer)]


def invalid_resource(exc: fr.FhirInvalid) -> Invalid:
    """FHIR's own rules keep their English reason inside a Welsh or English frame."""
    return Invalid(
        *(FieldError(e["field"], "fhir-rule", {"reason": e["reason"]}) for e in exc.errors)
    )


@router.get("/metadata")
async def capability_statement(on: Today) -> JSONResponse:
    return fhir(fr.capability_statement(on))


@router.get("/ServiceRequest")
async def search_service_requests(
    request: Request,
    rt: Rt,
    viewer: HealthViewer,
    on: Today,
    status: str | None = None,
    count: Annotated[int, Query(alias="_count", ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(alias="_cursor")] = None,
) -> JSONResponse:
    if status is not None and status not in SEARCH_STATUS:
        raise Invalid(FieldError("status", "enum", {"expected": ", ".join(sorted(SEARCH_STATUS))}))
    filters = service.InboxFilter(status=SEARCH_STATUS[status] if status else ())
    async with unit_of_work(rt, viewer.principal, purpose="FHIR search ServiceRequest") as uow:
        rows, next_cursor = await service.list_inbox(
            uow.session, viewer=viewer, filters=filters, today=on, limit=count, cursor=cursor
        )
    base = str(request.url.remove_query_params(["_cursor"]))
    links = [{"relation": "self", "url": str(request.url)}]
    if next_cursor:
        params = {k: v for k, v in request.query_params.items() if k != "_cursor"}
        params["_cursor"] = next_cursor
        links.append({"relation": "next", "url": f"{base.split('?')[0]}?{urlencode(params)}"})
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "link": links,
            "entry": [
                {"resource": fr.service_request(r), "search": {"mode": "match"}} for r in rows
            ],
        }
    )
    return fhir(fr.serialise(bundle))


@router.get("/ServiceRequest/{request_id}")
async def read_service_request(request_id: str, rt: Rt, viewer: HealthViewer) -> JSONResponse:
    purpose = "FHIR read ServiceRequest"
    async with unit_of_work(rt, viewer.principal, purpose=purpose) as uow:
        found = await service.read_request(
            uow, viewer=viewer, request_id=request_id, purpose=purpose
        )
    return fhir(fr.service_request(found))


@router.get("/Task/{request_id}")
async def read_task(request_id: str, rt: Rt, viewer: HealthViewer) -> JSONResponse:
    purpose = "FHIR read Task"
    async with unit_of_work(rt, viewer.principal, purpose=purpose) as uow:
        found = await service.read_request(
            uow, viewer=viewer, request_id=request_id, purpose=purpose
        )
    return fhir(fr.task(found))


@router.put("/Task/{request_id}")
async def update_task(
    request_id: str,
    rt: Rt,
    viewer: HealthViewer,
    on: Today,
    body: Annotated[Any, Body()],
) -> JSONResponse:
    try:
        resource = fr.parse(Task, body, "Task")
        if resource.id not in (None, request_id):
            raise fr.FhirInvalid([{"field": "Task.id", "reason": "must match the URL"}])
        update = fr.read_task_update(resource)
    except fr.FhirInvalid as exc:
        raise invalid_resource(exc) from exc
    purpose = f"FHIR update Task {update.action}"
    async with unit_of_work(rt, viewer.principal, purpose=purpose) as uow:
        if update.action == "respond":
            require_health_role(viewer, RESPONDERS, "answering a request")
            answer = ResponseCreate.model_validate(
                {
                    "outcome": update.outcome,
                    "service": update.service,
                    "welsh_delivery": update.welsh_delivery,
                    "notes": update.notes,
                }
            )
            if errors := answer.field_errors():
                raise Invalid(
                    *(
                        FieldError(TASK_FIELD.get(e.field, e.field), e.code, e.params)
                        for e in errors
                    )
                )
            found = await service.read_request(
                uow, viewer=viewer, request_id=request_id, purpose="FHIR update Task"
            )
            # PUT is idempotent: the same answer sent again (a retry) changes nothing; a
            # different one is answering twice, refused by the service.
            if not service.same_answer(found, answer):
                found = await service.respond(
                    uow, viewer=viewer, request_id=request_id, answer=answer, today=on
                )
        elif update.action == "impractical":
            require_health_role(
                viewer, IMPRACTICAL_RECORDERS, "recording the 6 weeks as impractical"
            )
            found = await service.record_impractical(
                uow, viewer=viewer, request_id=request_id, reason=update.reason or "", today=on
            )
        elif update.action == "assign":
            require_health_role(viewer, ASSIGNERS, "assigning a request")
            found = await service.assign(
                uow,
                viewer=viewer,
                request_id=request_id,
                kind=update.assignee_kind or "team",
                assignee=update.assignee or "",
                today=on,
            )
        else:
            found = await service.read_request(
                uow,
                viewer=viewer,
                request_id=request_id,
                purpose="FHIR update Task (no change)",
            )
    return fhir(fr.task(found))


@router.get("/Patient/{case_id}")
async def read_patient(
    case_id: str,
    rt: Rt,
    viewer: HealthViewer,
    directory: Annotated[ReferralDirectory, Depends(referral_directory)],
) -> JSONResponse:
    async with unit_of_work(rt, viewer.principal, purpose="FHIR read Patient") as uow:
        await service.request_of_case(uow, viewer=viewer, case_id=case_id)
        learner = await service.stored_learner(uow.session, case_id=case_id)
    fetched = None if learner is not None else await directory.learner(case_id)
    purpose = "FHIR read Patient (health sharing agreement)"
    async with unit_of_work(rt, viewer.principal, purpose=purpose) as uow:
        if fetched is not None:
            number = (
                fetched.nhs_number
                if fetched.nhs_number and fr.nhs_number.is_valid(fetched.nhs_number)
                else None
            )
            learner = await service.keep_learner(
                uow,
                case_id=case_id,
                given_name=fetched.given_name,
                family_name=fetched.family_name,
                date_of_birth=fetched.date_of_birth,
                nhs_number=fr.nhs_number.normalise(number) if number else None,
                source="referral",
                purpose="claim-check for FHIR read Patient",
            )
        uow.audit(
            action="read",
            resource="learner",
            resource_id=case_id,
            case_id=case_id,
            outcome="ok" if learner is not None else "unavailable",
        )
    return fhir(fr.patient(case_id, learner))


@router.put("/Patient/{case_id}")
async def update_patient(
    case_id: str, rt: Rt, viewer: HealthViewer, body: Annotated[Any, Body()]
) -> JSONResponse:
    """A board's system may give the learner's NHS number, name and date of birth (all the
    sharing agreement allows); the NHS number must pass its check digit."""
    require_health_role(viewer, RESPONDERS + ASSIGNERS, "updating a learner's identifiers")
    try:
        resource = fr.parse(Patient, body, "Patient")
        if resource.id not in (None, case_id):
            raise fr.FhirInvalid([{"field": "Patient.id", "reason": "must match the URL"}])
        number = fr.nhs_number_in(resource.identifier, "Patient.identifier")
    except fr.FhirInvalid as exc:
        raise invalid_resource(exc) from exc
    name = (resource.name or [None])[0]
    birth: date | None = resource.birthDate
    async with unit_of_work(rt, viewer.principal, purpose="FHIR update Patient") as uow:
        await service.request_of_case(uow, viewer=viewer, case_id=case_id)
        learner = await service.keep_learner(
            uow,
            case_id=case_id,
            given_name=(name.given or [None])[0] if name else None,
            family_name=name.family if name else None,
            date_of_birth=birth,
            nhs_number=number,
            source="board-system",
            purpose="FHIR update Patient",
        )
    return fhir(fr.patient(case_id, learner))
