"""Maps domain exceptions and validation failures to responses, once for the whole app.

API clients (paths under /api, /fhir, or asking for JSON) get
``{"error": {"code", "message", "field"}}``; people in a browser get a page that says the
same thing in words, with the same status code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from extender.errors import DomainError, NotAuthenticated, TooManyRequests


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/fhir/", "/.well-known/")) or path == "/healthz":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def _page(request: Request, status: int, title: str, message: str) -> Response:
    from extender.web.templating import render

    principal = getattr(request.state, "principal", None)
    return render(
        request,
        "error.html",
        principal,
        {"title": title, "message": message},
        status_code=status,
    )


def _field_of(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or None


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    if wants_json(request):
        return JSONResponse(
            error_body(exc.code, exc.message, exc.field),
            status_code=exc.status_code,
            headers=headers,
        )
    if isinstance(exc, NotAuthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    titles = {403: "Not allowed", 404: "Not found", 409: "Already done", 429: "Slow down"}
    response = _page(
        request, exc.status_code, titles.get(exc.status_code, "Cannot do that"), exc.message
    )
    if headers:
        response.headers.update(headers)
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request", "type": ""}
    field = _field_of(tuple(first.get("loc", ())))
    if first.get("type") == "json_invalid":
        message, field = "the request body is not valid JSON", None
    elif first.get("type") == "missing":
        message = f"{field} is required" if field else "a required value is missing"
    else:
        message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
    if wants_json(request):
        body = error_body("invalid_input", message, field)
        body["error"]["details"] = [
            {"field": _field_of(tuple(e.get("loc", ()))), "message": e.get("msg")} for e in errors
        ]
        return JSONResponse(body, status_code=422)
    return _page(request, 422, "Please check the form", message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
    message = str(exc.detail) if exc.detail else "error"
    if exc.status_code == 404 and message == "Not Found":
        message = "there is nothing at this address"
    if wants_json(request):
        return JSONResponse(
            error_body(codes.get(exc.status_code, "http_error"), message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
    return _page(
        request, exc.status_code, "Not found" if exc.status_code == 404 else "Error", message
    )


domain_error_handler = _domain_error


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
