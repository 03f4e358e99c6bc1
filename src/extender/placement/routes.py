"""Pages and API of the placement domain; app.py includes every router in ``routers``."""

from __future__ import annotations

from fastapi import APIRouter

from extender.placement import api_routes, learner_routes, recruiter_routes

routers: list[APIRouter] = [learner_routes.pages, recruiter_routes.pages, api_routes.api]
