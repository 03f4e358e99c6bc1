"""The states of an application on SQLite and PostgreSQL: applying again after withdrawing,
declined applications, what a closed opportunity still allows, messages on ended
applications, sharing with an organization that declined, and the digest's new matches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from extender.accounts.models import AuditEvent, OutboxMessage
from extender.db import utcnow
from extender.errors import Conflict, NotFound
from extender.placement import applications, digest, opportunities, profiles
from extender.placement.models import Application, Notification
from tests.conftest import World, login
from tests.placement.factories import ACTOR, SCENARIOS, opportunity, profile

HIDE_ALL = {f"show_{s}": "hidden" for s in ("details", "credentials", "practicum", "exams")}


def _applied(db: Session, world: World, who: str = "learner", **fields: object) -> Application:
    opp = opportunity(db, world.orgs["practice"], **fields)
    app, created = applications.apply(db, ACTOR, world.users[who], opp, "first note")
    assert created
    return app


def _recruiter_notes(db: Session, world: World) -> list[str]:
    recruiter = world.users["employer_recruiter"]
    return list(db.scalars(select(Notification.text).where(Notification.user_id == recruiter.id)))


# Applying again


def test_applying_again_after_withdrawing_reopens_the_application(
    db: Session, world: World
) -> None:
    learner = world.users["learner"]
    app = _applied(db, world)
    applications.learner_move(db, ACTOR, learner, app, "withdrawn")
    before = len(_recruiter_notes(db, world))

    again, reopened = applications.apply(db, ACTOR, learner, app.opportunity, " second note ")

    assert reopened and again.id == app.id
    assert (again.stage, again.note) == ("applied", "second note")
    assert db.scalar(select(func.count()).select_from(Application)) == 1
    assert [(h.from_stage, h.to_stage) for h in again.history] == [
        (None, "applied"),
        ("applied", "withdrawn"),
        ("withdrawn", "applied"),
    ]
    assert again.history[-1].by_user_id == learner.id
    stages = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "placement.application.stage", AuditEvent.target_id == app.id)
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.before, e.after) for e in stages][-1] == (
        {"stage": "withdrawn"},
        {"stage": "applied"},
    )
    notes = _recruiter_notes(db, world)
    assert len(notes) == before + 1 and "applied again to Front desk shadowing" in notes[-1]
    mail = db.scalars(
        select(OutboxMessage.subject).where(
            OutboxMessage.to_address == world.users["employer_recruiter"].email
        )
    ).all()
    assert any("applied again" in s for s in mail)


def test_a_blank_note_keeps_the_previous_one_when_reopening(db: Session, world: World) -> None:
    learner = world.users["learner"]
    app = _applied(db, world)
    applications.learner_move(db, ACTOR, learner, app, "withdrawn")
    again, reopened = applications.apply(db, ACTOR, learner, app.opportunity, "   ")
    assert reopened and again.note == "first note"


def test_a_withdrawn_application_is_not_reopened_once_the_opportunity_closed(
    db: Session, world: World
) -> None:
    learner = world.users["learner"]
    app = _applied(db, world)
    applications.learner_move(db, ACTOR, learner, app, "withdrawn")
    opportunities.close(db, ACTOR, app.opportunity)
    with pytest.raises(Conflict, match="closed; your withdrawn application cannot be reopened"):
        applications.apply(db, ACTOR, learner, app.opportunity, "please")
    db.refresh(app)
    assert app.stage == "withdrawn" and len(app.history) == 2


def test_a_racing_second_reopen_changes_nothing(db: Session, world: World) -> None:
    learner = world.users["learner"]
    app = _applied(db, world)
    applications.learner_move(db, ACTOR, learner, app, "withdrawn")
    applications.apply(db, ACTOR, learner, app.opportunity, "first tab")
    db.commit()
    notes = len(_recruiter_notes(db, world))
    # The second tab read the application before the first tab's reopening committed.
    db.refresh(app)
    set_committed_value(app, "stage", "withdrawn")
    again, reopened = applications.apply(db, ACTOR, learner, app.opportunity, "second tab")
    assert not reopened and again.id == app.id
    assert (again.stage, again.note) == ("applied", "first tab")
    assert [h.to_stage for h in again.history] == ["applied", "withdrawn", "applied"]
    assert len(_recruiter_notes(db, world)) == notes


def test_applying_again_to_an_active_application_returns_it_unchanged(
    db: Session, world: World
) -> None:
    learner, recruiter = world.users["learner"], world.users["employer_recruiter"]
    app = _applied(db, world)
    applications.recruiter_move(db, ACTOR, recruiter, world.orgs["practice"], app, "interview")
    notes = len(_recruiter_notes(db, world))
    again, created = applications.apply(db, ACTOR, learner, app.opportunity, "other note")
    assert not created and again.id == app.id
    assert (again.stage, again.note) == ("interview", "first note")
    assert len(_recruiter_notes(db, world)) == notes


def test_a_learner_cannot_reopen_an_application_the_recruiter_declined(
    db: Session, world: World
) -> None:
    learner, recruiter = world.users["learner"], world.users["employer_recruiter"]
    app = _applied(db, world)
    applications.recruiter_move(db, ACTOR, recruiter, world.orgs["practice"], app, "declined")
    with pytest.raises(
        Conflict,
        match="Main St Practice declined your application to Front desk shadowing; "
        "it cannot be reopened",
    ):
        applications.apply(db, ACTOR, learner, app.opportunity, "please")
    assert app.stage == "declined"


def test_a_learner_cannot_reopen_an_offer_they_declined(db: Session, world: World) -> None:
    learner, recruiter = world.users["learner"], world.users["employer_recruiter"]
    app = _applied(db, world)
    applications.recruiter_move(db, ACTOR, recruiter, world.orgs["practice"], app, "offer")
    applications.learner_move(db, ACTOR, learner, app, "declined")
    with pytest.raises(Conflict, match="you declined the offer for Front desk shadowing"):
        applications.apply(db, ACTOR, learner, app.opportunity, "changed my mind")


def test_the_api_reopens_a_withdrawn_application_and_refuses_a_declined_one(
    client: TestClient, world: World, db: Session
) -> None:
    learner, recruiter = world.users["learner"], world.users["employer_recruiter"]
    withdrawn = _applied(db, world)
    applications.learner_move(db, ACTOR, learner, withdrawn, "withdrawn")
    declined = _applied(db, world, title="Billing shadowing")
    applications.recruiter_move(db, ACTOR, recruiter, world.orgs["practice"], declined, "declined")
    active = _applied(db, world, title="Coding shadowing")
    db.commit()
    csrf = login(client, "learner@example.org")
    headers = {"X-CSRF-Token": csrf}

    def post(app: Application) -> tuple[int, dict[str, object]]:
        url = f"/api/v1/placement/opportunities/{app.opportunity_id}/applications"
        response = client.post(url, json={"note": "again"}, headers=headers)
        return response.status_code, response.json()

    status, body = post(withdrawn)
    assert status == 201
    assert (body["id"], body["stage"], body["created"]) == (withdrawn.id, "applied", True)
    status, body = post(active)
    assert status == 200 and body["message"] == "you already applied; this is your application"
    assert body["stage"] == "applied" and body["created"] is False
    status, body = post(declined)
    assert status == 409
    error = body["error"]
    assert isinstance(error, dict)
    assert error["message"] == (
        "Main St Practice declined your application to Billing shadowing; it cannot be reopened"
    )


def test_the_application_page_offers_to_apply_again_after_withdrawing(
    client: TestClient, world: World, db: Session
) -> None:
    learner = world.users["learner"]
    app = _applied(db, world)
    applications.learner_move(db, ACTOR, learner, app, "withdrawn")
    db.commit()
    csrf = login(client, "learner@example.org")
    page = client.get(f"/placement/applications/{app.id}")
    assert "Apply again" in page.text and 'id="stage">withdrawn' in page.text
    again = client.post(
        f"/placement/opportunities/{app.opportunity_id}/apply",
        data={"csrf_token": csrf, "note": "I can start in May"},
    )
    assert again.status_code == 200 and 'id="stage">applied' in again.text
    assert "I can start in May" in again.text and "Apply again" not in again.text


# A closed opportunity


def test_nothing_moves_forward_on_a_closed_opportunity(db: Session, world: World) -> None:
    recruiter, org = world.users["employer_recruiter"], world.orgs["practice"]
    app = _applied(db, world, slots=3)
    other, _ = applications.apply(db, ACTOR, world.users["other_learner"], app.opportunity, "")
    opportunities.close(db, ACTOR, app.opportunity)
    for to in ("screening", "interview", "offer"):
        with pytest.raises(
            Conflict,
            match=f"Front desk shadowing is closed; its applications cannot move to {to} "
            r"\(they can still be declined\)",
        ):
            applications.recruiter_move(db, ACTOR, recruiter, org, app, to)
    assert app.stage == "applied"
    assert applications.recruiter_moves(app) == {"declined"}
    applications.recruiter_move(db, ACTOR, recruiter, org, app, "declined")
    assert app.stage == "declined"
    applications.learner_move(db, ACTOR, world.users["other_learner"], other, "withdrawn")
    assert other.stage == "withdrawn"


def test_an_offer_cannot_be_accepted_once_the_opportunity_closed(db: Session, world: World) -> None:
    learner, recruiter, org = (
        world.users["learner"],
        world.users["employer_recruiter"],
        world.orgs["practice"],
    )
    app = _applied(db, world, slots=2)
    other, _ = applications.apply(db, ACTOR, world.users["other_learner"], app.opportunity, "")
    applications.recruiter_move(db, ACTOR, recruiter, org, app, "offer")
    applications.recruiter_move(db, ACTOR, recruiter, org, other, "offer")
    assert applications.learner_moves(app) == {"accepted", "declined", "withdrawn"}
    opportunities.close(db, ACTOR, app.opportunity)
    with pytest.raises(Conflict, match="closed; this offer can no longer be accepted"):
        applications.learner_move(db, ACTOR, learner, app, "accepted")
    assert app.stage == "offer"
    assert applications.learner_moves(app) == {"declined", "withdrawn"}
    applications.learner_move(db, ACTOR, learner, app, "declined")
    applications.learner_move(db, ACTOR, world.users["other_learner"], other, "withdrawn")
    assert (app.stage, other.stage) == ("declined", "withdrawn")


def test_pages_of_a_closed_opportunity_offer_only_declining(
    client: TestClient, world: World, db: Session
) -> None:
    recruiter, org = world.users["employer_recruiter"], world.orgs["practice"]
    offered = _applied(db, world, slots=2)
    fresh, _ = applications.apply(db, ACTOR, world.users["other_learner"], offered.opportunity, "")
    applications.recruiter_move(db, ACTOR, recruiter, org, offered, "offer")
    opportunities.close(db, ACTOR, offered.opportunity)
    db.commit()
    csrf = login(client, "employer_recruiter@example.org")
    page = client.get(f"/placement/orgs/practice/applications/{fresh.id}")
    assert "cannot move further" in page.text and ">Decline</button>" in page.text
    assert "Make an offer" not in page.text and "Invite to interview" not in page.text
    refused = client.post(
        f"/placement/orgs/practice/applications/{fresh.id}/stage",
        data={"csrf_token": csrf, "stage": "interview"},
    )
    assert refused.status_code == 409 and "cannot move to interview" in refused.text
    client.cookies.clear()
    csrf = login(client, "learner@example.org")
    page = client.get(f"/placement/applications/{offered.id}")
    assert "can no longer be accepted" in page.text and "Accept offer" not in page.text
    assert "Decline offer" in page.text
    refused = client.post(
        f"/placement/applications/{offered.id}/stage",
        data={"csrf_token": csrf, "stage": "accepted"},
    )
    assert refused.status_code == 409 and "can no longer be accepted" in refused.text
    db.expire_all()
    stages = {a.id: a.stage for a in db.scalars(select(Application))}
    assert stages == {offered.id: "offer", fresh.id: "applied"}


# Messages on ended applications


def test_no_messages_on_a_withdrawn_application_but_the_thread_stays(
    db: Session, world: World
) -> None:
    learner, recruiter, org = (
        world.users["learner"],
        world.users["employer_recruiter"],
        world.orgs["practice"],
    )
    app = _applied(db, world)
    applications.send_message(db, ACTOR, recruiter, app, "Tuesday?", side="recruiter", org=org)
    applications.learner_move(db, ACTOR, learner, app, "withdrawn")
    for sender, side in ((learner, "learner"), (recruiter, "recruiter")):
        with pytest.raises(Conflict, match="withdrawn; its messages can be read but no new"):
            applications.send_message(db, ACTOR, sender, app, "hello", side=side, org=org)
    assert [m.body for m, _ in applications.messages(db, app)] == ["Tuesday?"]


def test_on_a_declined_application_only_the_recruiter_may_still_write(
    db: Session, world: World
) -> None:
    learner, recruiter, org = (
        world.users["learner"],
        world.users["employer_recruiter"],
        world.orgs["practice"],
    )
    app = _applied(db, world)
    applications.recruiter_move(db, ACTOR, recruiter, org, app, "declined")
    with pytest.raises(Conflict, match="declined; its messages can be read but you cannot"):
        applications.send_message(db, ACTOR, learner, app, "why?", side="learner", org=org)
    applications.send_message(
        db, ACTOR, recruiter, app, "Thanks; try again next term.", side="recruiter", org=org
    )
    assert [m.body for m, _ in applications.messages(db, app)] == ["Thanks; try again next term."]


def test_message_pages_refuse_with_409_and_keep_the_thread_readable(
    client: TestClient, world: World, db: Session
) -> None:
    learner, org = world.users["learner"], world.orgs["practice"]
    app = _applied(db, world)
    applications.send_message(db, ACTOR, learner, app, "Hello there", side="learner", org=org)
    applications.learner_move(db, ACTOR, learner, app, "withdrawn")
    db.commit()
    csrf = login(client, "employer_recruiter@example.org")
    page = client.get(f"/placement/orgs/practice/applications/{app.id}")
    assert "Hello there" in page.text and "Send message" not in page.text
    assert "no new ones sent" in page.text
    refused = client.post(
        f"/placement/orgs/practice/applications/{app.id}/messages",
        data={"csrf_token": csrf, "body": "Still there?"},
    )
    assert refused.status_code == 409 and "withdrawn" in refused.text
    client.cookies.clear()
    csrf = login(client, "learner@example.org")
    page = client.get(f"/placement/applications/{app.id}")
    assert "Hello there" in page.text and "Send message" not in page.text
    refused = client.post(
        f"/placement/applications/{app.id}/messages",
        data={"csrf_token": csrf, "body": "Sorry"},
    )
    assert refused.status_code == 409
    db.expire_all()
    assert [m.body for m, _ in applications.messages(db, app)] == ["Hello there"]


# Sharing with an organization that declined


def test_a_declined_application_stops_sharing_the_profile(db: Session, world: World) -> None:
    learner, recruiter, org = (
        world.users["learner"],
        world.users["employer_recruiter"],
        world.orgs["practice"],
    )
    profile(db, learner, zip="53703")
    app = _applied(db, world)
    assert profiles.shared_with(db, org, learner.id).applied
    applications.recruiter_move(db, ACTOR, recruiter, org, app, "declined")
    with pytest.raises(NotFound):
        profiles.shared_with(db, org, learner.id)
    assert learner.id not in profiles.applicants_of(db, org)
    # A live application to another of the organization's opportunities shares again.
    _applied(db, world, title="Go-live support")
    assert profiles.shared_with(db, org, learner.id).applied


def test_a_declined_offer_stops_sharing_too(db: Session, world: World) -> None:
    learner, recruiter, org = (
        world.users["learner"],
        world.users["employer_recruiter"],
        world.orgs["practice"],
    )
    app = _applied(db, world)
    applications.recruiter_move(db, ACTOR, recruiter, org, app, "offer")
    applications.learner_move(db, ACTOR, learner, app, "declined")
    with pytest.raises(NotFound):
        profiles.shared_with(db, org, learner.id)


def test_sections_opened_to_every_employer_stay_visible_after_a_decline(
    db: Session, world: World
) -> None:
    learner, recruiter, org = (
        world.users["learner"],
        world.users["employer_recruiter"],
        world.orgs["practice"],
    )
    profile(db, learner, **{**HIDE_ALL, "show_practicum": "employers", "show_details": "applied"})
    app = _applied(db, world)
    assert profiles.shared_with(db, org, learner.id).sections == {"practicum", "details"}
    applications.recruiter_move(db, ACTOR, recruiter, org, app, "declined")
    view = profiles.shared_with(db, org, learner.id)
    assert view.sections == {"practicum"} and not view.applied


def test_the_recruiter_gets_404_for_a_profile_after_declining(
    client: TestClient, world: World, db: Session
) -> None:
    learner, recruiter, org = (
        world.users["learner"],
        world.users["employer_recruiter"],
        world.orgs["practice"],
    )
    profile(db, learner, zip="53703")
    app = _applied(db, world)
    db.commit()
    login(client, "employer_recruiter@example.org")
    assert client.get(f"/placement/orgs/practice/candidates/{learner.id}").status_code == 200
    applications.recruiter_move(db, ACTOR, recruiter, org, app, "declined")
    db.commit()
    assert client.get(f"/placement/orgs/practice/candidates/{learner.id}").status_code == 404
    page = client.get(f"/placement/orgs/practice/applications/{app.id}")
    assert page.status_code == 200
    assert "no longer shared with you" in page.text and "Verified portfolio" in page.text


# The digest and the home page's new matches


def test_the_digest_leaves_out_opportunities_the_learner_applied_to(
    db: Session, world: World
) -> None:
    learner, recruiter, org = (
        world.users["learner"],
        world.users["employer_recruiter"],
        world.orgs["practice"],
    )
    profile(db, learner, zip="53704", travel_miles=30, kinds=["shadowing"])
    titles = ("Applied shadowing", "Withdrawn shadowing", "Declined shadowing", "Open shadowing")
    opps = {t: opportunity(db, org, title=t) for t in titles}
    applications.apply(db, ACTOR, learner, opps["Applied shadowing"], "")
    gone, _ = applications.apply(db, ACTOR, learner, opps["Withdrawn shadowing"], "")
    applications.learner_move(db, ACTOR, learner, gone, "withdrawn")
    no, _ = applications.apply(db, ACTOR, learner, opps["Declined shadowing"], "")
    applications.recruiter_move(db, ACTOR, recruiter, org, no, "declined")
    stored = profiles.get(db, learner)
    assert stored is not None
    now = utcnow() + timedelta(seconds=1)
    assert [o.title for _, o in digest.new_matches(db, stored, SCENARIOS, now)] == [
        "Open shadowing"
    ]
    report = digest.run(db, SCENARIOS, now=now)
    assert (report.sent, report.opportunities) == (1, 1)
    body = db.scalars(
        select(OutboxMessage.body).where(
            OutboxMessage.to_address == learner.email,
            OutboxMessage.subject.contains("new opportunities"),
        )
    ).one()
    assert "Open shadowing" in body
    assert not any(t in body for t in titles if t != "Open shadowing")


def test_the_home_page_new_matches_leave_out_applied_opportunities(
    client: TestClient, world: World, db: Session
) -> None:
    learner, org = world.users["learner"], world.orgs["practice"]
    profile(db, learner, zip="53704", travel_miles=30, kinds=["shadowing"])
    applied = opportunity(db, org, title="Applied shadowing")
    opportunity(db, org, title="Open shadowing")
    applications.apply(db, ACTOR, learner, applied, "")
    db.commit()
    login(client, "learner@example.org")
    html = client.get("/placement").text
    start = html.index("New matches since your last digest")
    fresh = html[start : html.index("Recommended for you", start)]
    assert "Open shadowing" in fresh and "Applied shadowing" not in fresh
