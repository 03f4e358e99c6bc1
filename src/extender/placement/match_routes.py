"""Pages of the cohort match (staff, learners, sites)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
