from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, World, csrf_of, login

GENERIC = "That email and password do not match an account."


def test_it_signs_in_and_sends_each_person_to_their_dashboard(
    client: TestClient, world: World
) -> None:
    login(client, "learner@example.org")
    response = client.get("/dashboard", follow_redirects=False)
    assert response.headers["location"] == "/dashboard/learner"
    assert "CPEHR One" in client.get("/dashboard/learner").text


def test_it_gives_one_generic_message_for_wrong_password_and_unknown_email(
    client: TestClient, world: World
) -> None:
    token = csrf_of(client)
    wrong = client.post(
        "/login",
        data={"email": "learner@example.org", "password": "nope-nope-1", "csrf_token": token},
    )
    unknown = client.post(
        "/login", data={"email": "nobody@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert GENERIC in wrong.text and GENERIC in unknown.text


def test_it_throttles_repeated_failures_per_account(client: TestClient, world: World) -> None:
    token = csrf_of(client)
    for _ in range(5):
        client.post(
            "/login",
            data={"email": "learner@example.org", "password": "wrong-wrong", "csrf_token": token},
        )
    blocked = client.post(
        "/login", data={"email": "learner@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes" in blocked.text
    assert 0 < int(blocked.headers["retry-after"]) <= 15 * 60
    other = client.post(
        "/login",
        data={"email": "instructor@example.org", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert other.status_code == 303, "another account from the same address is not locked yet"


def test_it_throttles_many_failures_from_one_address(client: TestClient, world: World) -> None:
    token = csrf_of(client)
    for i in range(20):
        client.post(
            "/login",
            data={"email": f"guess{i}@example.org", "password": "x" * 10, "csrf_token": token},
        )
    blocked = client.post(
        "/login", data={"email": "learner@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert "Try again in" in blocked.text


def test_it_refuses_a_form_posted_without_its_csrf_token(client: TestClient, world: World) -> None:
    csrf_of(client)
    response = client.post("/login", data={"email": "learner@example.org", "password": PASSWORD})
    assert response.status_code == 403
    assert "security token" in response.text
    forged = client.post(
        "/login",
        data={"email": "learner@example.org", "password": PASSWORD, "csrf_token": "forged"},
    )
    assert forged.status_code == 403


def test_it_signs_out(client: TestClient, world: World) -> None:
    token = login(client, "learner@example.org")
    client.post("/logout", data={"csrf_token": token})
    response = client.get("/dashboard/learner", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_it_ends_other_sessions_when_the_password_changes(
    app: object, client: TestClient, world: World
) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    with TestClient(app) as other:
        login(other, "learner@example.org")
        token = login(client, "learner@example.org")
        response = client.post(
            "/account/password",
            data={"current": PASSWORD, "password": "a-brand-new-password", "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert client.get("/account").status_code == 200, "the changing session stays in"
        assert other.get("/account", follow_redirects=False).status_code == 303


def test_it_does_not_redirect_off_site_after_login(client: TestClient, world: World) -> None:
    token = csrf_of(client)
    response = client.post(
        "/login",
        data={
            "email": "learner@example.org",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/dashboard"
