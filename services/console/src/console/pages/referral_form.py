"""The new referral form (placeholder until its own commit)."""

from fastapi import APIRouter

router = APIRouter()
