"""Every HTTP router of the service, in one place (main and the tests compose the same app)."""

from fastapi import APIRouter

from insight import api

ROUTERS: tuple[APIRouter, ...] = (api.router,)
