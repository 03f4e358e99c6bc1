"""Pages and API of the credentials domain; app.py includes every router in ``routers``."""

from __future__ import annotations

from fastapi import APIRouter

from extender.credentials import public_routes, staff_routes, wallet_routes

routers: list[APIRouter] = [
    public_routes.router,
    wallet_routes.pages,
    staff_routes.pages,
    public_routes.pages,
]
