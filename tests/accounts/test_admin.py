from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.models import AuditEvent, Membership, User
from tests.conftest import World, login


def _events(db: Session, action: str) -> list[AuditEvent]:
    """Events of ``action`` made by people (the world fixture's set-up is by 'test')."""
    return list(
        db.scalars(
            select(AuditEvent).where(AuditEvent.action == action, AuditEvent.actor_email != "test")
        )
    )


def test_it_creates_an_organization_and_audits_it(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = login(client, "platform_admin@example.org")
    response = client.post(
        "/admin/organizations",
        data={
            "name": "Riverside Clinic",
            "slug": "riverside",
            "kind": "medical_practice",
            "city": "Akron",
            "state": "oh",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    [event] = _events(db, "organization.create")
    assert event.actor_email == "platform_admin@example.org"
    assert event.after == {
        "slug": "riverside",
        "name": "Riverside Clinic",
        "kind": "medical_practice",
    }
    assert event.client_address == "testclient"


def test_it_grants_and_revokes_roles_with_before_and_after(
    client: TestClient, world: World, db: Session
) -> None:
    csrf = login(client, "platform_admin@example.org")
    client.post(
        "/admin/organizations/practice/members",
        data={"email": "learner@example.org", "role": "employer_recruiter", "csrf_token": csrf},
    )
    learner = world.users["learner"]
    assert db.scalar(
        select(Membership).where(
            Membership.user_id == learner.id, Membership.role == "employer_recruiter"
        )
    )
    client.post(
        "/admin/organizations/practice/members/revoke",
        data={"user_id": learner.id, "role": "employer_recruiter", "csrf_token": csrf},
    )
    db.expire_all()
    assert not db.scalar(
        select(Membership).where(
            Membership.user_id == learner.id, Membership.role == "employer_recruiter"
        )
    )
    [grant] = _events(db, "membership.grant")
    [revoke] = _events(db, "membership.revoke")
    assert grant.after == {"organization": "practice", "role": "employer_recruiter"}
    assert revoke.before == {"organization": "practice", "role": "employer_recruiter"}


def test_it_refuses_an_unknown_role_with_a_message(client: TestClient, world: World) -> None:
    csrf = login(client, "platform_admin@example.org")
    response = client.post(
        "/admin/organizations/practice/members",
        data={"email": "learner@example.org", "role": "wizard", "csrf_token": csrf},
    )
    assert response.status_code == 422
    assert "role must be one of" in response.text


def test_it_deactivates_a_user_and_ends_their_sessions(
    client: TestClient, world: World, db: Session
) -> None:
    from fastapi import FastAPI

    assert isinstance(client.app, FastAPI)
    with TestClient(client.app) as learner_client:
        login(learner_client, "learner@example.org")
        csrf = login(client, "platform_admin@example.org")
        target = world.users["learner"].id
        client.post(f"/admin/users/{target}/active", data={"active": "0", "csrf_token": csrf})
        assert learner_client.get("/dashboard", follow_redirects=False).status_code == 303
    assert db.get(User, target).is_active is False  # type: ignore[union-attr]
    assert _events(db, "user.deactivate")


def test_it_filters_the_audit_log(client: TestClient, world: World) -> None:
    csrf = login(client, "platform_admin@example.org")
    client.post(
        "/admin/organizations",
        data={"name": "Filter Me", "slug": "filter-me", "kind": "employer", "csrf_token": csrf},
    )
    page = client.get(
        "/admin/audit", params={"action": "organization.create", "actor": "platform_admin"}
    ).text
    assert "filter-me" in page and "1 events" in page
    api = client.get("/api/v1/audit", params={"action": "membership.grant"}).json()
    assert api["total"] == 9 and all(e["action"] == "membership.grant" for e in api["items"])
    bad = client.get("/api/v1/audit", params={"since": "yesterday"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "since"


def test_it_answers_api_errors_in_one_shape(client: TestClient, world: World) -> None:
    csrf = login(client, "platform_admin@example.org")
    headers = {"X-CSRF-Token": csrf}
    missing = client.post(
        "/api/v1/organizations", json={"slug": "x1", "kind": "employer"}, headers=headers
    )
    assert missing.status_code == 422
    assert missing.json()["error"] | {"details": None} == {
        "code": "invalid_input",
        "message": "name is required",
        "field": "name",
        "details": None,
    }
    malformed = client.post(
        "/api/v1/organizations",
        content=b"{oops",
        headers={**headers, "content-type": "application/json"},
    )
    assert malformed.status_code == 422
    assert malformed.json()["error"]["message"] == "the request body is not valid JSON"
    body = {"slug": "practice", "name": "Again", "kind": "employer"}
    duplicate = client.post("/api/v1/organizations", json=body, headers=headers)
    assert duplicate.status_code == 409 and duplicate.json()["error"]["field"] == "slug"
    unknown = client.post(
        "/api/v1/organizations/nope/memberships",
        json={"email": "learner@example.org", "role": "learner"},
        headers=headers,
    )
    assert unknown.status_code == 404
