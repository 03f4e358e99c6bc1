from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.models import OutboxMessage, PasswordResetToken
from tests.conftest import World, csrf_of, login


def _request_reset(client: TestClient, email: str) -> str:
    token = csrf_of(client)
    response = client.post("/password-reset", data={"email": email, "csrf_token": token})
    assert response.status_code == 200
    return response.text


def _link(db: Session) -> str:
    body = db.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
    assert body is not None
    match = re.search(r"(/password-reset/[\w-]+)", body)
    assert match
    return match.group(1)


def test_it_writes_the_reset_link_to_the_outbox(
    client: TestClient, world: World, db: Session
) -> None:
    text = _request_reset(client, "learner@example.org")
    assert "If an account exists" in text
    message = db.scalars(select(OutboxMessage)).one()
    assert message.to_address == "learner@example.org"
    assert "/password-reset/" in message.body


def test_it_says_the_same_for_unknown_addresses_and_sends_nothing(
    client: TestClient, world: World, db: Session
) -> None:
    assert "If an account exists" in _request_reset(client, "ghost@example.org")
    assert db.scalars(select(OutboxMessage)).all() == []


def test_it_resets_the_password_once(client: TestClient, world: World, db: Session) -> None:
    _request_reset(client, "learner@example.org")
    link = _link(db)
    token = csrf_of(client)
    done = client.post(
        link,
        data={"password": "fresh-password-1", "confirm": "fresh-password-1", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    login(client, "learner@example.org", "fresh-password-1")
    again = client.post(
        link,
        data={
            "password": "another-pass-2",
            "confirm": "another-pass-2",
            "csrf_token": csrf_of(client),
        },
    )
    assert again.status_code == 422 and "invalid, used or expired" in again.text


def test_it_refuses_expired_links(client: TestClient, world: World, db: Session) -> None:
    _request_reset(client, "learner@example.org")
    link = _link(db)
    for token in db.scalars(select(PasswordResetToken)):
        token.expires_at -= timedelta(hours=2)
    db.commit()
    assert client.get(link).status_code == 400


def test_it_refuses_a_short_new_password(client: TestClient, world: World, db: Session) -> None:
    _request_reset(client, "learner@example.org")
    response = client.post(
        _link(db), data={"password": "short", "confirm": "short", "csrf_token": csrf_of(client)}
    )
    assert response.status_code == 422 and "at least 10 characters" in response.text
