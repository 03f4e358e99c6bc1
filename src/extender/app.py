"""Composition root: builds the FastAPI app from every domain's router. Only the CLI and the
ASGI entry point import this module."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.middleware.sessions import SessionMiddleware

from extender import __version__
from extender.accounts import routes as accounts_routes
from extender.analytics import cohort_routes
from extender.analytics import routes as analytics_routes
from extender.assessment import admin_routes as assessment_admin_routes
from extender.assessment import irt_routes
from extender.assessment import routes as assessment_routes
from extender.config import Settings, get_settings
from extender.credentials import routes as credentials_routes
from extender.curriculum import routes as curriculum_routes
from extender.db import get_engine, session_factory
from extender.errors import DomainError
from extender.placement import match_routes
from extender.placement import routes as placement_routes
from extender.practicum import fhir_routes
from extender.practicum import routes as practicum_routes
from extender.practicum.fhir.validation import FhirError
from extender.practicum.scenarios import load_scenarios
from extender.web import system_routes
from extender.web.deps import SESSION_COOKIE, csrf_protect
from extender.web.errors import domain_error_handler, install_error_handlers
from extender.web.middleware import BodySizeLimit
from extender.web.templating import register_template_dir

PACKAGE_DIR = Path(__file__).parent
DOMAINS_WITH_TEMPLATES = (
    "accounts",
    "curriculum",
    "assessment",
    "practicum",
    "analytics",
    "credentials",
    "placement",
)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or get_engine(settings.resolved_database_url())
    app = FastAPI(
        title="Extender API",
        version=__version__,
        description="Learn, practise, certify and place health-IT paraprofessionals. Every "
        'error is `{"error": {"code", "message", "field"}}` with a 4xx status. Authenticate '
        "with `Authorization: Bearer <token>` (create one on your account page).",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.scenarios = load_scenarios(settings.content_dir)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.env == "production",
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    _install_fhir_error_handlers(app)

    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "web" / "static"), name="static")
    for domain in DOMAINS_WITH_TEMPLATES:
        register_template_dir(PACKAGE_DIR / domain / "templates")

    app.include_router(system_routes.router)
    for module in (accounts_routes, curriculum_routes):
        app.include_router(module.pages)
        app.include_router(module.api)
    app.include_router(assessment_routes.pages)
    app.include_router(assessment_admin_routes.pages)
    app.include_router(irt_routes.pages)
    app.include_router(assessment_routes.api)
    app.include_router(practicum_routes.pages)
    app.include_router(fhir_routes.router)
    app.include_router(analytics_routes.pages)
    app.include_router(cohort_routes.pages)
    for router in (
        *credentials_routes.routers,
        *placement_routes.routers,
        match_routes.router,
    ):
        app.include_router(router)
    return app


def _install_fhir_error_handlers(app: FastAPI) -> None:
    """The sandbox FHIR API answers every error as an OperationOutcome."""

    async def fhir_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FhirError)
        return fhir_routes.fhir_error_response(exc)

    async def domain_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/fhir/"):
            assert isinstance(exc, DomainError)
            return fhir_routes.domain_error_as_outcome(exc)
        return await domain_error_handler(request, exc)

    app.add_exception_handler(FhirError, fhir_error)
    app.add_exception_handler(DomainError, domain_error)


def asgi() -> FastAPI:
    """Entry point for ASGI servers: ``uvicorn --factory extender.app:asgi``."""
    return create_app()
