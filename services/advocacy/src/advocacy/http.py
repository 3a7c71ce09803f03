"""Every HTTP router of the service, in one place (main and the tests compose the same app)."""

from fastapi import APIRouter

from advocacy import api, internal

ROUTERS: tuple[APIRouter, ...] = (api.router, internal.router)
