from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.models import ApiToken
from tests.conftest import World, login


def _create_token(client: TestClient, csrf: str, name: str = "scripts") -> str:
    page = client.post("/account/tokens", data={"name": name, "csrf_token": csrf}).text
    match = re.search(r'<pre id="new-token">([^<]+)</pre>', page)
    assert match, "the new token is shown once on the account page"
    return match.group(1)


def test_it_authenticates_api_calls_with_a_bearer_token(
    app: object, client: TestClient, world: World
) -> None:
    secret = _create_token(client, login(client, "instructor@example.org"))
    anonymous = TestClient(client.app)
    me = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert me.json()["email"] == "instructor@example.org"
    assert me.json()["memberships"][0]["role"] == "instructor"


def test_it_stores_only_a_hash_and_shows_the_secret_once(
    client: TestClient, world: World, db: Session
) -> None:
    secret = _create_token(client, login(client, "instructor@example.org"))
    stored = db.scalars(select(ApiToken)).one()
    assert secret not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    assert secret not in client.get("/account").text


def test_it_refuses_revoked_and_unknown_tokens(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = login(client, "instructor@example.org")
    secret = _create_token(client, csrf)
    token_id = db.scalars(select(ApiToken.id)).one()
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    anonymous = TestClient(client.app)
    revoked = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "not_authenticated"
    bogus = anonymous.get("/api/v1/me", headers={"Authorization": "Bearer ext_nope"})
    assert bogus.status_code == 401


def test_it_lets_token_clients_post_without_csrf(client: TestClient, world: World) -> None:
    secret = _create_token(client, login(client, "platform_admin@example.org"))
    anonymous = TestClient(client.app)
    response = anonymous.post(
        "/api/v1/organizations",
        json={"slug": "new-rec", "name": "New REC", "kind": "regional_extension_center"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.text


def test_it_requires_csrf_for_cookie_authenticated_api_writes(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "platform_admin@example.org")
    body = {"slug": "new-rec", "name": "New REC", "kind": "regional_extension_center"}
    assert client.post("/api/v1/organizations", json=body).status_code == 403
    ok = client.post("/api/v1/organizations", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
