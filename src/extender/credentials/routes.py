"""Pages and API of the credentials domain; app.py includes every router in ``routers``."""

from __future__ import annotations

from fastapi import APIRouter

routers: list[APIRouter] = []
