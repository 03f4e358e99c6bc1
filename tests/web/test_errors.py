from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from extender.app import create_app
from extender.config import Settings


def test_healthz_answers_200_when_the_database_is_reachable(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_healthz_answers_503_when_the_database_is_not(settings: Settings) -> None:
    dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings, dead)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unreachable"


def test_unknown_api_paths_get_the_json_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message", "field"}


def test_unknown_pages_get_a_page(client: TestClient) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404 and "<main" in response.text


def test_huge_bodies_are_refused_before_parsing(app: FastAPI, client: TestClient) -> None:
    limit = app.state.settings.max_body_bytes
    response = client.post(
        "/api/v1/organizations",
        content=b"x" * (limit + 1),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_api_docs_and_openapi_are_served_without_internet(client: TestClient) -> None:
    docs = client.get("/api/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert "cdn" not in docs.lower()
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/tracks" in spec["paths"] and "/api/v1/me" in spec["paths"]
    assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200
