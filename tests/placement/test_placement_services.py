"""Rules of the placement services on SQLite and PostgreSQL: visibility, search filters,
applications and their stages, notifications and the outbox, the digest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.models import AuditEvent, OutboxMessage
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound
from extender.placement import (
    applications,
    digest,
    opportunities,
    profiles,
    recommendations,
    search,
)
from extender.placement.models import Application, Notification
from extender.placement.schemas import SearchQuery
from tests.conftest import World
from tests.placement.factories import (
    ACTOR,
    SCENARIOS,
    opportunity,
    passed_exam,
    passed_scenario,
    profile,
)


def _search(db: Session, **params: object) -> list[str]:
    return [h.opportunity.title for h in search.search(db, SearchQuery.model_validate(params)).hits]


def test_it_filters_by_text_kind_distance_remote_and_competency(db: Session, world: World) -> None:
    org = world.orgs["practice"]
    opportunity(
        db, org, title="Madison HIM shadowing", zip="53703", required_competencies=["CPEHR-1.2"]
    )
    opportunity(db, org, title="Milwaukee Scheduling Job", kind="job", zip="53202")
    opportunity(
        db,
        org,
        title="Remote data cleanup project",
        kind="project",
        remote=True,
        zip=None,
        preferred_competencies=["CPEHR-2"],
    )
    opportunity(db, org, title="Draft only", publish=False)
    assert len(_search(db)) == 3
    assert _search(db, q="madison him") == ["Madison HIM shadowing"]
    assert _search(db, q="SCHEDULING") == ["Milwaukee Scheduling Job"]
    assert _search(db, q="100%_") == []
    assert _search(db, kind="project") == ["Remote data cleanup project"]
    near = _search(db, zip="53704", miles=20)
    assert near == ["Madison HIM shadowing", "Remote data cleanup project"]
    assert _search(db, zip="53704", miles=100, remote="onsite") == [
        "Madison HIM shadowing",
        "Milwaukee Scheduling Job",
    ]
    assert _search(db, remote="only") == ["Remote data cleanup project"]
    assert _search(db, competency=["CPEHR-1"]) == ["Madison HIM shadowing"]
    assert _search(db, competency=["CPEHR-2.4"]) == ["Remote data cleanup project"]


def test_it_pages_results_with_a_right_total(db: Session, world: World) -> None:
    for i in range(5):
        opportunity(db, world.orgs["practice"], title=f"Slot {i}")
    page = search.search(db, SearchQuery(per_page=2, page=3))
    assert page.total == 5 and page.pages == 3 and len(page.hits) == 1
    near = search.search(db, SearchQuery(zip="53703", miles=5, per_page=2, page=2))
    assert near.total == 5 and len(near.hits) == 2


def test_it_refuses_a_distance_without_a_zip_code() -> None:
    with pytest.raises(ValueError, match="needs a ZIP code"):
        SearchQuery(miles=10)


def test_it_validates_opportunities_and_audits_every_change(db: Session, world: World) -> None:
    org = world.orgs["practice"]
    with pytest.raises(InvalidInput, match="unknown credential: NOPE"):
        opportunity(db, org, required_credentials=["NOPE"])
    opp = opportunity(db, org, required_credentials=["CPEHR", "privacy-audit"], publish=False)
    opportunities.publish(db, ACTOR, opp)
    with pytest.raises(Conflict, match="only a draft"):
        opportunities.publish(db, ACTOR, opp)
    opportunities.close(db, ACTOR, opp)
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.target_id == opp.id)).all()
    assert actions == [
        "placement.opportunity.create",
        "placement.opportunity.publish",
        "placement.opportunity.close",
    ]


def test_it_keeps_one_application_when_a_learner_applies_twice(db: Session, world: World) -> None:
    learner = world.users["learner"]
    opp = opportunity(db, world.orgs["practice"])
    first, created = applications.apply(db, ACTOR, learner, opp, "hello")
    second, again = applications.apply(db, ACTOR, learner, opp, "hello again")
    assert created and not again and first.id == second.id
    assert len(db.scalars(select(Application)).all()) == 1


def test_it_refuses_applications_to_closed_opportunities(db: Session, world: World) -> None:
    opp = opportunity(db, world.orgs["practice"])
    opportunities.close(db, ACTOR, opp)
    with pytest.raises(Conflict, match="closed"):
        applications.apply(db, ACTOR, world.users["learner"], opp, "")


def test_it_moves_stages_and_notifies_the_other_side(db: Session, world: World) -> None:
    learner, recruiter = world.users["learner"], world.users["employer_recruiter"]
    org = world.orgs["practice"]
    opp = opportunity(db, org, slots=1)
    app, _ = applications.apply(db, ACTOR, learner, opp, "")
    with pytest.raises(Conflict, match="cannot move to accepted"):
        applications.learner_move(db, ACTOR, learner, app, "accepted")
    with pytest.raises(InvalidInput, match="unknown stage"):
        applications.recruiter_move(db, ACTOR, recruiter, org, app, "hired")
    applications.recruiter_move(db, ACTOR, recruiter, org, app, "interview")
    applications.recruiter_move(db, ACTOR, recruiter, org, app, "offer")
    applications.learner_move(db, ACTOR, learner, app, "accepted")
    with pytest.raises(Conflict, match="no longer change"):
        applications.learner_move(db, ACTOR, learner, app, "withdrawn")
    assert [h.to_stage for h in app.history] == ["applied", "interview", "offer", "accepted"]
    to_learner = db.scalars(
        select(Notification.text).where(Notification.user_id == learner.id)
    ).all()
    assert any("interview" in t for t in to_learner) and any("offer" in t for t in to_learner)
    mail = db.scalars(
        select(OutboxMessage.subject).where(OutboxMessage.to_address == recruiter.email)
    ).all()
    assert any("applied" in s for s in mail) and any("accepted your offer" in s for s in mail)
    other, _ = applications.apply(db, ACTOR, world.users["other_learner"], opp, "")
    with pytest.raises(Conflict, match="slots"):
        applications.recruiter_move(db, ACTOR, recruiter, org, other, "offer")


def test_it_hides_a_profile_until_the_learner_applies(db: Session, world: World) -> None:
    learner = world.users["learner"]
    org = world.orgs["practice"]
    profile(db, learner, zip="53703")
    with pytest.raises(NotFound):
        profiles.shared_with(db, org, learner.id)
    opp = opportunity(db, org)
    applications.apply(db, ACTOR, learner, opp, "")
    view = profiles.shared_with(db, org, learner.id)
    assert view.sections == {"details", "credentials", "practicum", "exams"}
    with pytest.raises(NotFound):
        profiles.shared_with(db, world.orgs["academy"], learner.id)


def test_it_honours_per_section_choices(db: Session, world: World) -> None:
    learner = world.users["learner"]
    org = world.orgs["practice"]
    profile(
        db,
        learner,
        show_practicum="employers",
        show_exams="hidden",
        show_details="hidden",
        show_credentials="hidden",
    )
    assert profiles.shared_with(db, org, learner.id).sections == {"practicum"}
    applications.apply(db, ACTOR, learner, opportunity(db, org), "")
    assert profiles.shared_with(db, org, learner.id).sections == {"practicum"}
    profile(
        db,
        learner,
        show_practicum="hidden",
        show_exams="hidden",
        show_details="hidden",
        show_credentials="hidden",
    )
    with pytest.raises(NotFound):
        profiles.shared_with(db, org, learner.id)


def test_it_recommends_on_verified_evidence_only(db: Session, world: World) -> None:
    learner = world.users["learner"]
    org = world.orgs["practice"]
    needs = SCENARIOS["privacy-audit"].objectives[0]
    wanted = opportunity(db, org, title="Needs audit skills", required_competencies=[needs])
    opportunity(db, org, title="Needs exam domain", required_competencies=["CPEHR-3"])
    top = recommendations.for_learner(db, learner, SCENARIOS)
    assert not any(f.eligible for f, _ in top)
    passed_scenario(db, learner, "privacy-audit")
    top = recommendations.for_learner(db, learner, SCENARIOS)
    assert top[0][1].id == wanted.id and top[0][0].eligible
    passed_exam(db, learner, "CPEHR", {"CPEHR-3": "strong"})
    assert all(f.eligible for f, _ in recommendations.for_learner(db, learner, SCENARIOS))


def test_it_recommends_only_candidates_who_share(db: Session, world: World) -> None:
    org = world.orgs["practice"]
    opp = opportunity(db, org, required_competencies=["CPEHR-3"])
    learner, other = world.users["learner"], world.users["other_learner"]
    passed_exam(db, learner, "CPEHR", {"CPEHR-3": "strong"})
    passed_exam(db, other, "CPEHR", {"CPEHR-3": "strong"})
    profile(db, learner, show_exams="employers")
    profile(db, other, show_exams="hidden")
    applications.apply(db, ACTOR, other, opp, "")
    found = {c.user.id: c for c in recommendations.candidates_for(db, org, opp, SCENARIOS)}
    assert found[learner.id].fit.eligible
    assert not found[other.id].fit.eligible  # applied, but hid the exam that proves it


def test_it_sends_a_digest_of_new_matches_once(db: Session, world: World) -> None:
    learner = world.users["learner"]
    profile(db, learner, zip="53704", travel_miles=30, kinds=["shadowing"])
    opportunity(db, world.orgs["practice"], title="Near shadowing")
    opportunity(db, world.orgs["practice"], title="Far shadowing", zip="98101")
    opportunity(db, world.orgs["practice"], title="Near job", kind="job")
    report = digest.run(db, SCENARIOS, now=utcnow() + timedelta(seconds=1))
    assert (report.sent, report.opportunities) == (1, 1)
    body = db.scalars(
        select(OutboxMessage.body).where(OutboxMessage.to_address == learner.email)
    ).one()
    assert "Near shadowing" in body and "Far shadowing" not in body and "Near job" not in body
    again = digest.run(db, SCENARIOS, now=utcnow() + timedelta(seconds=2))
    assert again.sent == 0


def test_withdrawing_the_last_application_stops_sharing(db: Session, world: World) -> None:
    learner, org = world.users["learner"], world.orgs["practice"]
    profile(db, learner, zip="53703")
    first, _ = applications.apply(db, ACTOR, learner, opportunity(db, org), "")
    second, _ = applications.apply(db, ACTOR, learner, opportunity(db, org, title="Go-live"), "")
    applications.learner_move(db, ACTOR, learner, first, "withdrawn")
    assert profiles.shared_with(db, org, learner.id).sections  # still applied through the other
    applications.learner_move(db, ACTOR, learner, second, "withdrawn")
    with pytest.raises(NotFound):
        profiles.shared_with(db, org, learner.id)


def test_slots_cannot_drop_below_the_applicants_who_accepted(db: Session, world: World) -> None:
    from extender.placement.schemas import OpportunityInput

    recruiter, org = world.users["employer_recruiter"], world.orgs["practice"]
    opp = opportunity(db, org, slots=2)
    for who in ("learner", "other_learner"):
        app, _ = applications.apply(db, ACTOR, world.users[who], opp, "")
        applications.recruiter_move(db, ACTOR, recruiter, org, app, "offer")
        applications.learner_move(db, ACTOR, world.users[who], app, "accepted")
    data = {"kind": "shadowing", "title": "Front desk shadowing", "zip": "53703"}
    with pytest.raises(InvalidInput, match="2 applicants have already accepted"):
        opportunities.update(db, ACTOR, opp, OpportunityInput(**data, slots=1), SCENARIOS)
    assert opp.slots == 2
    opportunities.update(db, ACTOR, opp, OpportunityInput(**data, slots=3), SCENARIOS)
    assert opp.slots == 3
