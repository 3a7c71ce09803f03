"""A s.20 request as FHIR resources, and a board system's Task back into an answer.

NHS Wales systems speak FHIR R4. `fhir.resources` models R4 only on pydantic v1, which clashes
with the rest of the stack, so every resource here is validated with its R4B model: ServiceRequest,
Task and Patient are the same in R4 and R4B in every element used (the CapabilityStatement says
so). The ServiceRequest is the referral (Act s.20), the Task its progress and answer (s.20, s.21;
Regs reg 11), the Patient the learner identified by NHS number.
"""

from datetime import UTC, date
from typing import Any

from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from pydantic import BaseModel, ValidationError

from health_liaison import nhs_number
from health_liaison.models import HealthInputRequest, LearnerDetails, RequestStatus
from health_liaison.routing import board
from llwybr_clock.shipped import find_authority

BASE = "https://llwybr.example/fhir"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
ONS = f"{BASE}/Id/ons-code"
REQUEST_ID = f"{BASE}/Id/health-request"
CASE_ID = f"{BASE}/Id/case"
STAFF = {"clinician": f"{BASE}/Id/clinician", "team": f"{BASE}/Id/team"}
OUTCOME = f"{BASE}/CodeSystem/health-input-outcome"
OUTPUT = f"{BASE}/CodeSystem/health-input-output"
BUSINESS_STATUS = f"{BASE}/CodeSystem/health-request-status"

SERVICE_REQUEST_STATUS = {
    RequestStatus.OPEN: "active",
    RequestStatus.ASSIGNED: "active",
    RequestStatus.IMPRACTICAL: "active",
    RequestStatus.RESPONDED: "completed",
    RequestStatus.WITHDRAWN: "revoked",
}
TASK_STATUS = {
    RequestStatus.OPEN: "requested",
    RequestStatus.ASSIGNED: "accepted",
    RequestStatus.IMPRACTICAL: "in-progress",
    RequestStatus.RESPONDED: "completed",
    RequestStatus.WITHDRAWN: "cancelled",
}
# Task.status values (FHIR R4 task-status), checked here since the models do not bind codes.
TASK_STATUSES = frozenset(
    {
        "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
        "in-progress", "on-hold", "failed", "completed", "entered-in-error",
    }
)  # fmt: skip

WHAT_IS_ASKED = (
    "Whether there is a relevant treatment or service likely to be of benefit in addressing "
    "the learner's additional learning needs, and whether it should be provided in Welsh "
    "(ALN and Education Tribunal (Wales) Act 2018 ss.20-21)"
)


class FhirInvalid(Exception):
    """A resource that does not validate; `errors` name the fields (FHIR paths)."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['reason']}" for e in errors))
        self.errors = errors


def _emit(model: type[BaseModel], body: dict[str, Any]) -> dict[str, Any]:
    """Validate what we send with the R4B model and send its own serialisation."""
    resource = model.model_validate(body)
    return serialise(resource)


def serialise(resource: BaseModel) -> dict[str, Any]:
    return resource.model_dump(mode="json", by_alias=True, exclude_none=True)


def _path(resource_type: str, loc: tuple[Any, ...]) -> str:
    path = resource_type
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def parse(model: type[BaseModel], body: Any, resource_type: str) -> Any:
    """Validate an incoming resource with its R4B model, or raise FhirInvalid naming fields."""
    if not isinstance(body, dict) or body.get("resourceType") != resource_type:
        raise FhirInvalid([{"field": "resourceType", "reason": f"send a {resource_type}"}])
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise FhirInvalid(
            [
                {"field": _path(resource_type, tuple(e["loc"])), "reason": e["msg"]}
                for e in exc.errors()
            ]
        ) from exc


def _organisation_of_board(code: str) -> dict[str, Any]:
    lhb = board(code)
    return {
        "type": "Organization",
        "identifier": {"system": ODS, "value": lhb.ods_code},
        "display": lhb.name_en,
    }


def _authority(code: str) -> dict[str, Any]:
    try:
        name = find_authority(code).name_en
    except Exception:
        name = code
    return {"type": "Organization", "identifier": {"system": ONS, "value": code}, "display": name}


def service_request(request: HealthInputRequest) -> dict[str, Any]:
    return _emit(
        ServiceRequest,
        {
            "resourceType": "ServiceRequest",
            "id": request.request_id,
            "identifier": [{"system": REQUEST_ID, "value": request.request_id}],
            "status": SERVICE_REQUEST_STATUS[RequestStatus(request.status)],
            "intent": "order",
            "category": [{"text": "ALN section 20 referral"}],
            "code": {"text": WHAT_IS_ASKED},
            "subject": {"reference": f"Patient/{request.case_id}"},
            "authoredOn": request.received_on.isoformat(),
            "requester": _authority(request.authority),
            "performer": [_organisation_of_board(request.board)],
            "supportingInfo": [
                {"identifier": {"system": CASE_ID, "value": request.case_id}, "display": "case"}
            ],
        },
    )


def task(request: HealthInputRequest) -> dict[str, Any]:
    status = RequestStatus(request.status)
    body: dict[str, Any] = {
        "resourceType": "Task",
        "id": request.request_id,
        "identifier": [{"system": REQUEST_ID, "value": request.request_id}],
        "basedOn": [{"reference": f"ServiceRequest/{request.request_id}"}],
        "status": TASK_STATUS[status],
        "businessStatus": {"coding": [{"system": BUSINESS_STATUS, "code": status.value}]},
        "intent": "order",
        "for": {"reference": f"Patient/{request.case_id}"},
        "authoredOn": request.received_on.isoformat(),
        "lastModified": request.updated_at.astimezone(UTC).isoformat(),
        "requester": _authority(request.authority),
        "owner": _organisation_of_board(request.board),
    }
    if request.due is not None:
        # Regs reg 11: the answer is due by this date (6 weeks, rolled to a working day).
        body["restriction"] = {"period": {"end": request.due.isoformat()}}
    if request.assigned_to and request.assigned_kind in STAFF:
        body["owner"] = {
            "identifier": {"system": STAFF[request.assigned_kind], "value": request.assigned_to},
            "display": request.assigned_to,
        }
    if status == RequestStatus.IMPRACTICAL and request.impractical_reason:
        body["statusReason"] = {"text": request.impractical_reason}
    if request.answered_on is not None:
        body["executionPeriod"] = {"end": request.answered_on.isoformat()}
    if request.outcome:
        output: list[dict[str, Any]] = [
            {
                "type": {"coding": [{"system": OUTPUT, "code": "outcome"}]},
                "valueCodeableConcept": {"coding": [{"system": OUTCOME, "code": request.outcome}]},
            }
        ]
        if request.service:
            output.append(
                {
                    "type": {"coding": [{"system": OUTPUT, "code": "service"}]},
                    "valueString": request.service,
                }
            )
        if request.welsh_delivery is not None:
            output.append(
                {
                    "type": {"coding": [{"system": OUTPUT, "code": "welsh-delivery"}]},
                    "valueBoolean": request.welsh_delivery,
                }
            )
        body["output"] = output
    if request.clinical_notes:
        body["note"] = [{"text": request.clinical_notes}]
    return _emit(Task, body)


def patient(case_id: str, learner: LearnerDetails | None) -> dict[str, Any]:
    body: dict[str, Any] = {"resourceType": "Patient", "id": case_id}
    if learner is not None:
        if learner.nhs_number:
            body["identifier"] = [{"system": NHS_NUMBER, "value": learner.nhs_number}]
        if learner.given_name or learner.family_name:
            name: dict[str, Any] = {"use": "official"}
            if learner.family_name:
                name["family"] = learner.family_name
            if learner.given_name:
                name["given"] = [learner.given_name]
            body["name"] = [name]
        if learner.date_of_birth:
            body["birthDate"] = learner.date_of_birth.isoformat()
    return _emit(Patient, body)


# --- what a board system sends ------------------------------------------------------------------


def _code(concept: Any, system: str) -> str | None:
    for coding in getattr(concept, "coding", None) or []:
        if coding.system == system:
            return str(coding.code) if coding.code else None
    return None


def nhs_number_in(identifiers: Any, resource_path: str) -> str | None:
    """The NHS number among identifiers, its check digit validated (422 naming the field)."""
    for i, identifier in enumerate(identifiers or []):
        if identifier.system == NHS_NUMBER:
            value = str(identifier.value or "")
            reason = nhs_number.why_invalid(value)
            if reason:
                raise FhirInvalid([{"field": f"{resource_path}[{i}].value", "reason": reason}])
            return nhs_number.normalise(value)
    return None


class TaskUpdate(BaseModel):
    """What a board system asks for by PUTting a Task."""

    action: str  # respond | impractical | assign | none
    outcome: str | None = None
    service: str | None = None
    welsh_delivery: bool | None = None
    notes: str | None = None
    reason: str | None = None
    assignee: str | None = None
    assignee_kind: str | None = None


def read_task_update(resource: Any) -> TaskUpdate:
    """Interpret a validated R4B Task: completed with outputs is an answer; the `impractical`
    business status with a status reason is Regs reg 11(3); accepted with an owner assigns."""
    if resource.status not in TASK_STATUSES:
        raise FhirInvalid(
            [{"field": "Task.status", "reason": f"not a task-status code: {resource.status}"}]
        )
    if resource.for_fhir is not None and resource.for_fhir.identifier is not None:
        nhs_number_in([resource.for_fhir.identifier], "Task.for.identifier")
    business = _code(resource.businessStatus, BUSINESS_STATUS)
    if resource.status == "completed":
        update = TaskUpdate(action="respond")
        for i, out in enumerate(resource.output or []):
            kind = _code(out.type, OUTPUT)
            if kind == "outcome":
                update.outcome = _code(out.valueCodeableConcept, OUTCOME)
                if update.outcome not in ("service-identified", "no-service"):
                    raise FhirInvalid(
                        [
                            {
                                "field": f"Task.output[{i}].valueCodeableConcept",
                                "reason": f"code service-identified or no-service from {OUTCOME}",
                            }
                        ]
                    )
            elif kind == "service":
                update.service = out.valueString
            elif kind == "welsh-delivery":
                update.welsh_delivery = out.valueBoolean
        if update.outcome is None:
            raise FhirInvalid(
                [
                    {
                        "field": "Task.output",
                        "reason": f"a completed Task needs an output of type outcome ({OUTPUT})",
                    }
                ]
            )
        notes = [n.text for n in (resource.note or []) if n.text]
        update.notes = "\n\n".join(notes) or None
        return update
    if business == RequestStatus.IMPRACTICAL.value:
        reason = resource.statusReason.text if resource.statusReason else None
        if not reason or not reason.strip():
            raise FhirInvalid(
                [{"field": "Task.statusReason.text", "reason": "say why (Regs reg 11(3))"}]
            )
        return TaskUpdate(action="impractical", reason=reason.strip())
    if resource.status == "accepted" and resource.owner is not None and resource.owner.identifier:
        ident = resource.owner.identifier
        kind = next((k for k, system in STAFF.items() if system == ident.system), None)
        if kind is None or not ident.value:
            raise FhirInvalid(
                [
                    {
                        "field": "Task.owner.identifier",
                        "reason": f"identify a clinician ({STAFF['clinician']}) or team ({STAFF['team']})",
                    }
                ]
            )
        return TaskUpdate(action="assign", assignee=str(ident.value), assignee_kind=kind)
    return TaskUpdate(action="none")


def capability_statement(today: date) -> dict[str, Any]:
    read = [{"code": "read"}]
    return _emit(
        CapabilityStatement,
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": today.isoformat(),
            "publisher": "Llwybr",
            "kind": "instance",
            "name": "LlwybrHealthLiaison",
            "title": "Llwybr health liaison: ALN section 20 requests for Local Health Boards",
            "description": (
                "Section 20 requests (ALN and Education Tribunal (Wales) Act 2018) for a Local "
                "Health Board's DECLO: pull ServiceRequests and Tasks, push answers by updating the "
                "Task. Resources follow FHIR R4 (4.0.1); they are validated with the R4B models of "
                "fhir.resources, because ServiceRequest, Task and Patient are the same in R4 and R4B "
                "in every element this server uses. Errors answer as RFC 9457 problem+json."
            ),
            "software": {"name": "Llwybr health-liaison", "version": "1.0"},
            "implementation": {
                "description": "Llwybr health-liaison FHIR endpoint",
                "url": "/fhir/R4",
            },
            "fhirVersion": "4.0.1",
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        "Bearer JWT with role declo, health-liaison, clinician or board-aln-lead "
                        "and scope board:<ONS code>; a board sees only its own requests."
                    ),
                    "security": {"description": "OAuth2 bearer tokens (RS256 JWT)."},
                    "resource": [
                        {
                            "type": "ServiceRequest",
                            "interaction": [*read, {"code": "search-type"}],
                            "searchParam": [
                                {"name": "status", "type": "token"},
                                {"name": "_count", "type": "number"},
                            ],
                        },
                        {
                            "type": "Task",
                            "interaction": [*read, {"code": "update"}],
                            "documentation": (
                                "PUT with status completed and outputs outcome, service, "
                                "welsh-delivery to answer (Act ss.20-21); businessStatus impractical "
                                "with statusReason for Regs reg 11(3); status accepted with an owner "
                                "identifier to assign a clinician or team."
                            ),
                        },
                        {
                            "type": "Patient",
                            "interaction": [*read, {"code": "update"}],
                            "documentation": "NHS number check digit (modulus 11) validated.",
                        },
                    ],
                }
            ],
        },
    )
