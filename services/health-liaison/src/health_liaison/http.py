"""Every HTTP router of the service, in one place (main and the tests compose the same app)."""

from fastapi import APIRouter

from health_liaison import api, fhir

ROUTERS: tuple[APIRouter, ...] = (api.router, fhir.router)
