"""The FHIR R4 endpoint: pull a request as ServiceRequest + Task + Patient, push the answer
as a Task, everything validated with the R4B models; bad resources are 422 naming the field."""

from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from health_liaison import fhir_resources as fr
from llwybr_contracts.events import HealthInputRequested

from .conftest import CARDIFF, SWANSEA_BAY, Desk

pytestmark = pytest.mark.service


async def open_one(desk: Desk, request_id: str) -> None:
    event = HealthInputRequested(
        case_id=f"case-{request_id}",
        request_id=request_id,
        authority=CARDIFF,
        start=date(2026, 11, 16),
    )
    await desk.publish(event, case_id=event.case_id)


async def get(desk: Desk, path: str, **kw: Any) -> dict[str, Any]:
    response = await desk.http.get(f"/fhir/R4/{path}", headers=desk.declo(), **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = response.json()
    return body


def answered(task: dict[str, Any], *, welsh: bool | None = True) -> dict[str, Any]:
    out = dict(task)
    out["status"] = "completed"
    out["output"] = [
        {
            "type": {"coding": [{"system": fr.OUTPUT, "code": "outcome"}]},
            "valueCodeableConcept": {
                "coding": [{"system": fr.OUTCOME, "code": "service-identified"}]
            },
        },
        {
            "type": {"coding": [{"system": fr.OUTPUT, "code": "service"}]},
            "valueString": "Occupational therapy",
        },
    ]
    if welsh is not None:
        out["output"].append(
            {
                "type": {"coding": [{"system": fr.OUTPUT, "code": "welsh-delivery"}]},
                "valueBoolean": welsh,
            }
        )
    out["note"] = [{"text": "Fine motor assessment booked."}]
    return out


async def test_round_trip_of_a_request_and_its_answer(desk: Desk) -> None:
    desk.set_today(date(2026, 12, 1))
    await open_one(desk, "f1")

    metadata = await get(desk, "metadata")
    CapabilityStatement.model_validate(metadata)
    assert metadata["fhirVersion"] == "4.0.1" and "R4B" in metadata["description"]

    bundle = await get(desk, "ServiceRequest", params={"status": "active"})
    Bundle.model_validate(bundle)
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["f1"]
    request = await get(desk, "ServiceRequest/f1")
    ServiceRequest.model_validate(request)
    assert request["status"] == "active" and request["authoredOn"] == "2026-11-16"
    assert request["performer"][0]["identifier"] == {"system": fr.ODS, "value": "7A4"}

    task = await get(desk, "Task/f1")
    Task.model_validate(task)
    assert (task["status"], task["restriction"]["period"]["end"]) == ("requested", "2026-12-29")

    # The board's system gives the NHS number, then answers by updating the Task.
    patient = {
        "resourceType": "Patient",
        "id": "case-f1",
        "identifier": [{"system": fr.NHS_NUMBER, "value": "9434765919"}],
        "name": [{"family": "Jones", "given": ["Cerys"]}],
        "birthDate": "2019-05-01",
    }
    put = await desk.http.put("/fhir/R4/Patient/case-f1", json=patient, headers=desk.declo())
    assert put.status_code == 200, put.text
    read_back = Patient.model_validate(await get(desk, "Patient/case-f1"))
    assert [i.value for i in read_back.identifier or []] == ["9434765919"]

    pushed = await desk.http.put("/fhir/R4/Task/f1", json=answered(task), headers=desk.declo())
    assert pushed.status_code == 200, pushed.text
    done = await get(desk, "Task/f1")
    Task.model_validate(done)
    assert done["status"] == "completed" and done["executionPeriod"]["end"] == "2026-12-01"
    outputs = {o["type"]["coding"][0]["code"]: o for o in done["output"]}
    assert outputs["welsh-delivery"]["valueBoolean"] is True
    assert (await get(desk, "ServiceRequest/f1"))["status"] == "completed"

    await desk.relay()
    assert [e["data"]["outcome"] for e in desk.published] == ["service-identified"]
    retry = await desk.http.put("/fhir/R4/Task/f1", json=answered(task), headers=desk.declo())
    assert retry.status_code == 200  # PUT is idempotent: the same answer again changes nothing
    await desk.relay()
    assert len(desk.published) == 1
    changed = await desk.http.put(
        "/fhir/R4/Task/f1", json=answered(task, welsh=False), headers=desk.declo()
    )
    assert changed.status_code == 409
    assert "answered on 2026-12-01" in changed.json()["detail"]


async def test_bad_resources_are_refused_naming_the_field(desk: Desk) -> None:
    await open_one(desk, "f2")
    task = await get(desk, "Task/f2")

    not_a_task = {**task, "status": None, "authoredOn": "yesterday"}
    bad = await desk.http.put("/fhir/R4/Task/f2", json=not_a_task, headers=desk.declo())
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in bad.json()["errors"]} >= {"Task.authoredOn"}

    no_welsh = await desk.http.put(
        "/fhir/R4/Task/f2", json=answered(task, welsh=None), headers=desk.declo()
    )
    assert no_welsh.status_code == 422
    assert [e["field"] for e in no_welsh.json()["errors"]] == ["Task.output[welsh-delivery]"]

    wrong_number = {
        "resourceType": "Patient",
        "identifier": [{"system": fr.NHS_NUMBER, "value": "9434765918"}],
    }
    refused = await desk.http.put(
        "/fhir/R4/Patient/case-f2",
        json=wrong_number,
        headers={**desk.declo(), "Accept-Language": "en"},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "Patient.identifier[0].value",
            "code": "fhir-rule",
            "reason": "the NHS number's check digit does not match",
        }
    ]
    assert (await get(desk, "Task/f2"))["status"] == "requested"  # nothing stored

    other = await desk.http.get("/fhir/R4/Task/f2", headers=desk.declo(SWANSEA_BAY))
    assert other.status_code == 404
    la = await desk.http.get("/fhir/R4/Task/f2", headers=desk.la_officer())
    assert la.status_code == 403
