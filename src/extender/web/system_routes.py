"""Routes that belong to the platform rather than a domain: home, health, API docs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from extender.accounts.models import AuditEvent
from extender.web.deps import MaybePrincipal
from extender.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: MaybePrincipal) -> Response:
    return render(request, "system/home.html", principal, {})


@router.get("/healthz")
def healthz(request: Request) -> Response:
    """200 when the database answers, 503 otherwise, for load balancers and monitors."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    try:
        with factory() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "unreachable",
                "error": {
                    "code": "database_unreachable",
                    "message": type(exc).__name__,
                    "field": None,
                },
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="Extender API",
        swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )


@router.post("/bench/ceiling")
def bench_ceiling(request: Request) -> Response:
    """The load benchmark's ceiling: the cheapest request that commits one row."""
    settings = request.app.state.settings
    if not settings.bench_endpoints or settings.env == "production":
        return JSONResponse(
            {"error": {"code": "not_found", "message": "not found", "field": None}}, status_code=404
        )
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        session.add(AuditEvent(action="bench.ceiling", target_type="bench", target_id="-"))
        session.commit()
    return JSONResponse({"ok": True})
