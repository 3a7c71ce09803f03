"""The DECLO inbox (placeholder until its own commit)."""

from fastapi import APIRouter

router = APIRouter()
