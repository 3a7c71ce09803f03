"""FHIR R4 endpoint (placeholder while the inbox lands)."""

from fastapi import APIRouter

router = APIRouter(prefix="/fhir/R4", tags=["FHIR R4"])
