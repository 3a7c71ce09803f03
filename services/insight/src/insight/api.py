"""HTTP routes of the insight service (read-only)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/insight", tags=["insight"])
