"""Cohort match rules on a real database: setting a round up, refusing bad rank lists by name,
running, re-running and publishing, who may do what, and, on random rounds pushed through the
service, a stored result that is stable and equals the `matching` package's answer."""

from __future__ import annotations

import importlib.util
import random
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import extender.placement.match_models  # noqa: F401  (tables in metadata until schema.py has it)
from extender.accounts import service as accounts
from extender.accounts.audit import Actor
from extender.accounts.models import AuditEvent, OutboxMessage, Role, User
from extender.curriculum import service as curriculum
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound
from extender.placement import match_ranks as ranks
from extender.placement import match_service as match
from extender.placement.match_models import MatchRound
from extender.placement.matching import MatchInstance
from extender.placement.models import Opportunity
from tests.conftest import World
from tests.placement.test_matching import peer_resident_optimal

ADMIN = Actor(None, "program_admin@example.org")
HAS_PEER = importlib.util.find_spec("matching") is not None


def opportunity(
    db: Session,
    world: World,
    title: str,
    *,
    kind: str = "shadowing",
    status: str = "published",
    slots: int = 1,
    org: str = "practice",
) -> Opportunity:
    opp = Opportunity(org_id=world.orgs[org].id, kind=kind, title=title, status=status, slots=slots)
    db.add(opp)
    db.flush()
    return opp


def learner(db: Session, world: World, name: str) -> User:
    user = accounts.create_user(
        db, ADMIN, email=f"{name}@example.org", display_name=name.title(), password="x" * 12
    )
    accounts.grant_role(db, ADMIN, user=user, org=world.orgs["academy"], role=Role.LEARNER.value)
    curriculum.enroll(db, ADMIN, curriculum.get_cohort(db, world.cohort.slug), user)
    return user


@dataclass
class Round:
    rnd: MatchRound
    opps: list[Opportunity]
    learners: list[User]


def open_round(db: Session, world: World, n_opps: int = 2, n_learners: int = 3) -> Round:
    rnd = match.create_round(
        db, ADMIN, db.merge(world.orgs["academy"]), title="Shadowing", cohort_slug="cpehr-1"
    )
    opps = [opportunity(db, world, f"Site {i}", slots=1) for i in range(n_opps)]
    for opp in opps:
        match.add_opportunity(db, ADMIN, rnd, opp.id)
    learners = [learner(db, world, f"learner-{rnd.id[:6]}-{i}") for i in range(n_learners)]
    for user in learners:
        match.add_learner(db, ADMIN, rnd, user)
    match.open_ranking(db, ADMIN, rnd)
    return Round(rnd, opps, learners)


def recruiter(db: Session, world: World) -> User:
    return db.merge(world.users["employer_recruiter"])


# --- bad rank lists are refused by name ---------------------------------------------------------


def test_it_refuses_a_learner_list_naming_an_unknown_opportunity(db: Session, world: World) -> None:
    r = open_round(db, world)

    with pytest.raises(
        InvalidInput, match="opportunity 'no-such-thing' is not part of this round"
    ) as caught:
        ranks.submit_learner_ranks(db, ADMIN, r.rnd, r.learners[0], [r.opps[0].id, "no-such-thing"])

    assert caught.value.status_code == 422
    assert ranks.rank_lists(db, r.rnd, ranks.LEARNER) == {}


def test_it_refuses_a_list_naming_a_closed_opportunity(db: Session, world: World) -> None:
    r = open_round(db, world)
    closed = r.opps[1]
    closed.title, closed.status = "Closed clinic", "closed"

    with pytest.raises(InvalidInput, match=f"'Closed clinic' \\({closed.id}\\) is closed"):
        ranks.submit_learner_ranks(db, ADMIN, r.rnd, r.learners[0], [closed.id])


def test_it_refuses_an_opportunity_that_is_not_in_the_round(db: Session, world: World) -> None:
    r = open_round(db, world)
    elsewhere = opportunity(db, world, "Elsewhere")

    with pytest.raises(InvalidInput, match=f"'{elsewhere.id}' is not part of this round") as caught:
        ranks.submit_learner_ranks(db, ADMIN, r.rnd, r.learners[0], [elsewhere.id])
    assert "Elsewhere" not in caught.value.message


def test_it_refuses_ranking_the_same_opportunity_twice(db: Session, world: World) -> None:
    r = open_round(db, world)

    with pytest.raises(InvalidInput, match="ranked more than once"):
        ranks.submit_learner_ranks(db, ADMIN, r.rnd, r.learners[0], [r.opps[0].id] * 2)


def test_it_refuses_a_site_list_naming_a_learner_outside_the_round(
    db: Session, world: World
) -> None:
    r = open_round(db, world)
    outsider = db.merge(world.users["other_learner"])

    with pytest.raises(InvalidInput, match=f"'{outsider.id}' is not taking part") as caught:
        ranks.submit_site_ranks(db, ADMIN, r.rnd, recruiter(db, world), r.opps[0].id, [outsider.id])
    assert outsider.display_name not in caught.value.message
    with pytest.raises(InvalidInput, match="learner 'ghost' is not taking part"):
        ranks.submit_site_ranks(db, ADMIN, r.rnd, recruiter(db, world), r.opps[0].id, ["ghost"])


def test_it_replaces_a_list_when_it_is_submitted_again(db: Session, world: World) -> None:
    r = open_round(db, world)
    a, b = r.opps[0].id, r.opps[1].id
    me = r.learners[0]

    ranks.submit_learner_ranks(db, ADMIN, r.rnd, me, [a, b])
    ranks.submit_learner_ranks(db, ADMIN, r.rnd, me, [b])

    assert ranks.rank_lists(db, r.rnd, ranks.LEARNER) == {me.id: [b]}


# --- setting a round up -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "problem"),
    [("job", "published", "'Wrong' is a job opportunity"), ("shadowing", "draft", "no published")],
)
def test_it_only_offers_published_shadowing_and_internships(
    db: Session, world: World, kind: str, status: str, problem: str
) -> None:
    rnd = match.create_round(db, ADMIN, db.merge(world.orgs["academy"]), title="R")
    opp = opportunity(db, world, "Wrong", kind=kind, status=status)

    with pytest.raises(InvalidInput, match=problem):
        match.add_opportunity(db, ADMIN, rnd, opp.id)


def test_it_only_takes_learners_enrolled_in_the_rounds_cohort(db: Session, world: World) -> None:
    rnd = match.create_round(
        db, ADMIN, db.merge(world.orgs["academy"]), title="R", cohort_slug="cpehr-1"
    )

    with pytest.raises(InvalidInput, match=r"other_learner@example\.org is not an active learner"):
        match.add_learner(db, ADMIN, rnd, db.merge(world.users["other_learner"]))
    match.add_learner(db, ADMIN, rnd, db.merge(world.users["learner"]))
    with pytest.raises(Conflict, match="already in this round"):
        match.add_learner(db, ADMIN, rnd, db.merge(world.users["learner"]))


def test_it_adds_every_active_learner_of_the_cohort_once(db: Session, world: World) -> None:
    rnd = match.create_round(
        db, ADMIN, db.merge(world.orgs["academy"]), title="R", cohort_slug="cpehr-1"
    )
    stays, leaves = learner(db, world, "stays"), learner(db, world, "leaves")
    cohort = curriculum.get_cohort(db, "cpehr-1")
    next(e for e in cohort.enrollments if e.user_id == leaves.id).status = "withdrawn"

    assert match.add_cohort_learners(db, ADMIN, rnd) == 2
    assert match.add_cohort_learners(db, ADMIN, rnd) == 0
    assert {u.email for u in match.round_learners(db, rnd)} == {
        stays.email,
        "learner@example.org",
    }


def test_it_refuses_a_cohort_of_another_program(db: Session, world: World) -> None:
    with pytest.raises(NotFound, match="no cohort cphit-other in this program"):
        match.create_round(
            db, ADMIN, db.merge(world.orgs["academy"]), title="R", cohort_slug="cphit-other"
        )


def test_it_keeps_rounds_inside_their_program(db: Session, world: World) -> None:
    r = open_round(db, world)

    with pytest.raises(NotFound):
        match.round_in_program(db, db.merge(world.orgs["other"]), r.rnd.id)


# --- who may rank -------------------------------------------------------------------------------


def test_it_lets_only_the_sites_own_recruiters_rank_for_it(db: Session, world: World) -> None:
    r = open_round(db, world)
    foreign = opportunity(db, world, "Other org's slot", org="other")
    match.add_opportunity(db, ADMIN, r.rnd, foreign.id)

    with pytest.raises(NotFound, match=f"no opportunity {foreign.id} that you rank for") as e:
        ranks.submit_site_ranks(db, ADMIN, r.rnd, recruiter(db, world), foreign.id, [])
    assert "Other org" not in e.value.message and e.value.status_code == 404


def test_it_hides_a_round_from_a_learner_who_is_not_in_it(db: Session, world: World) -> None:
    r = open_round(db, world)

    with pytest.raises(NotFound):
        ranks.submit_learner_ranks(
            db, ADMIN, r.rnd, db.merge(world.users["other_learner"]), [r.opps[0].id]
        )


def test_it_closes_lists_after_the_rank_deadline(db: Session, world: World) -> None:
    r = open_round(db, world)
    r.rnd.rank_deadline = utcnow() - timedelta(minutes=1)

    with pytest.raises(Conflict, match="rank deadline"):
        ranks.submit_learner_ranks(db, ADMIN, r.rnd, r.learners[0], [r.opps[0].id])


def test_it_does_not_take_lists_before_ranking_opens(db: Session, world: World) -> None:
    rnd = match.create_round(db, ADMIN, db.merge(world.orgs["academy"]), title="R")
    match.add_learner(db, ADMIN, rnd, db.merge(world.users["learner"]))

    with pytest.raises(Conflict, match="ranking has not opened"):
        ranks.submit_learner_ranks(db, ADMIN, rnd, db.merge(world.users["learner"]), [])


# --- run, re-run, publish -----------------------------------------------------------------------


def rank_textbook(db: Session, world: World) -> Round:
    """Two one-slot sites, three learners: l0 and l1 both want site 0 first, and site 0
    prefers l1, so l0 falls back to site 1 and l2 is left over."""
    r = open_round(db, world)
    (s0, s1), (l0, l1, l2) = r.opps, r.learners
    rec = recruiter(db, world)
    ranks.submit_learner_ranks(db, ADMIN, r.rnd, l0, [s0.id, s1.id])
    ranks.submit_learner_ranks(db, ADMIN, r.rnd, l1, [s0.id])
    ranks.submit_learner_ranks(db, ADMIN, r.rnd, l2, [s1.id])
    ranks.submit_site_ranks(db, ADMIN, r.rnd, rec, s0.id, [l1.id, l0.id])
    ranks.submit_site_ranks(db, ADMIN, r.rnd, rec, s1.id, [l0.id, l2.id])
    return r


def test_it_runs_the_round_and_stores_a_verified_result(db: Session, world: World) -> None:
    r = rank_textbook(db, world)
    (s0, s1), (l0, l1, l2) = r.opps, r.learners

    match.run(db, ADMIN, r.rnd)

    result = r.rnd.result
    assert result is not None and r.rnd.status == "run"
    assert {p["learner"]: p["opportunity"] for p in result["pairs"]} == {l0.id: s1.id, l1.id: s0.id}
    l0_pair = next(p for p in result["pairs"] if p["learner"] == l0.id)
    assert (l0_pair["learner_rank"], l0_pair["site_rank"]) == (2, 1)
    assert result["unmatched_learners"] == [l2.id]
    assert result["unfilled"] == {}
    assert result["blocking_pairs"] == [] and result["verified"] is True
    assert match.result_summary(r.rnd)["matched"] == 2


def test_it_discards_the_result_when_a_list_changes_and_runs_again(
    db: Session, world: World
) -> None:
    r = rank_textbook(db, world)
    (s0, s1), (l0, l1, l2) = r.opps, r.learners
    match.run(db, ADMIN, r.rnd)

    ranks.submit_site_ranks(db, ADMIN, r.rnd, recruiter(db, world), s1.id, [l2.id, l0.id])
    assert (r.rnd.status, r.rnd.result) == ("collecting", None)
    with pytest.raises(Conflict, match="run the match"):
        match.publish(db, ADMIN, r.rnd)

    match.run(db, ADMIN, r.rnd)
    assert r.rnd.result is not None
    assert {p["learner"]: p["opportunity"] for p in r.rnd.result["pairs"]} == {
        l1.id: s0.id,
        l2.id: s1.id,
    }


def test_it_publishes_notifies_and_freezes_the_round(db: Session, world: World) -> None:
    r = rank_textbook(db, world)
    match.run(db, ADMIN, r.rnd)

    sent = match.publish(db, ADMIN, r.rnd)

    assert r.rnd.status == "published" and r.rnd.published_by == ADMIN.email
    mail: dict[str, list[str]] = {}
    for message in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
        mail.setdefault(message.to_address, []).append(message.body)
    assert "You matched with Site 1." in mail[r.learners[0].email][0]
    assert "not matched" in mail[r.learners[2].email][0]
    l0, l1 = r.learners[0].display_name, r.learners[1].display_name
    assert sorted(mail["employer_recruiter@example.org"]) == [
        f"Site 0: matched with {l1}.",
        f"Site 1: matched with {l0}.",
    ]
    assert sent == 3 + 2
    with pytest.raises(Conflict, match="published"):
        ranks.submit_learner_ranks(db, ADMIN, r.rnd, r.learners[2], [r.opps[0].id])
    with pytest.raises(Conflict, match="already published"):
        match.run(db, ADMIN, r.rnd)
    with pytest.raises(Conflict, match="published"):
        match.add_cohort_learners(db, ADMIN, r.rnd)


def test_it_audits_every_step(db: Session, world: World) -> None:
    r = rank_textbook(db, world)
    match.run(db, ADMIN, r.rnd)
    match.publish(db, ADMIN, r.rnd)

    actions = db.execute(
        select(AuditEvent.action, func.count())
        .where(AuditEvent.target_id == r.rnd.id)
        .group_by(AuditEvent.action)
    ).all()
    counts = dict((a, n) for a, n in actions)
    assert counts == {
        "match.create": 1,
        "match.add_opportunity": 2,
        "match.add_learner": 3,
        "match.open": 1,
        "match.rank": 5,
        "match.run": 1,
        "match.publish": 1,
    }


def test_it_refuses_to_run_with_an_opportunity_closed_after_it_joined(
    db: Session, world: World
) -> None:
    r = rank_textbook(db, world)
    r.opps[1].status = "closed"

    with pytest.raises(InvalidInput, match=r"'Site 1' .* was closed after it joined"):
        match.run(db, ADMIN, r.rnd)
    match.remove_opportunity(db, ADMIN, r.rnd, r.opps[1].id)
    match.run(db, ADMIN, r.rnd)
    assert r.rnd.result is not None and r.rnd.result["unmatched_learners"] == [
        r.learners[0].id,
        r.learners[2].id,
    ]


def test_it_refuses_to_run_a_draft_round(db: Session, world: World) -> None:
    rnd = match.create_round(db, ADMIN, db.merge(world.orgs["academy"]), title="R")

    with pytest.raises(Conflict, match="open ranking"):
        match.run(db, ADMIN, rnd)


def test_it_removes_a_learner_with_every_rank_naming_them(db: Session, world: World) -> None:
    r = rank_textbook(db, world)
    (s0, s1), (l0, l1, l2) = r.opps, r.learners
    match.run(db, ADMIN, r.rnd)

    removed = match.remove_learner(db, ADMIN, r.rnd, l0.id)

    assert removed.id == l0.id
    assert (r.rnd.status, r.rnd.result) == ("collecting", None)
    assert {u.id for u in match.round_learners(db, r.rnd)} == {l1.id, l2.id}
    assert set(ranks.rank_lists(db, r.rnd, ranks.LEARNER)) == {l1.id, l2.id}
    assert ranks.rank_lists(db, r.rnd, ranks.SITE) == {s0.id: [l1.id], s1.id: [l2.id]}
    event = db.scalars(
        select(AuditEvent).where(
            AuditEvent.target_id == r.rnd.id, AuditEvent.action == "match.remove_learner"
        )
    ).one()
    assert event.actor_email == ADMIN.email
    assert event.before == {"learner": l0.email, "id": l0.id}
    with pytest.raises(NotFound):
        ranks.submit_learner_ranks(db, ADMIN, r.rnd, l0, [s0.id])

    match.run(db, ADMIN, r.rnd)
    assert r.rnd.result is not None
    assert {p["learner"]: p["opportunity"] for p in r.rnd.result["pairs"]} == {
        l1.id: s0.id,
        l2.id: s1.id,
    }


def test_it_only_removes_a_learner_who_is_in_an_unpublished_round(
    db: Session, world: World
) -> None:
    r = rank_textbook(db, world)
    outsider = db.merge(world.users["other_learner"])

    for missing in (outsider.id, "no-such-user"):
        with pytest.raises(NotFound, match=f"learner {missing} is not in this round"):
            match.remove_learner(db, ADMIN, r.rnd, missing)
    match.run(db, ADMIN, r.rnd)
    match.publish(db, ADMIN, r.rnd)
    with pytest.raises(Conflict, match="published"):
        match.remove_learner(db, ADMIN, r.rnd, r.learners[0].id)
    assert len(match.round_learners(db, r.rnd)) == 3


def test_a_removed_learner_can_be_added_again(db: Session, world: World) -> None:
    rnd = match.create_round(
        db, ADMIN, db.merge(world.orgs["academy"]), title="R", cohort_slug="cpehr-1"
    )
    me = db.merge(world.users["learner"])
    match.add_learner(db, ADMIN, rnd, me)

    match.remove_learner(db, ADMIN, rnd, me.id)
    assert match.round_learners(db, rnd) == []
    match.add_learner(db, ADMIN, rnd, me)
    assert match.round_learners(db, rnd) == [me]


# --- random rounds through the whole service ----------------------------------------------------


@pytest.mark.skipif(not HAS_PEER, reason="the `matching` package is not installed")
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), n_learners=st.integers(1, 6), n_sites=st.integers(1, 3))
def test_it_stores_a_stable_result_equal_to_the_peer_solvers_on_random_rounds(
    db: Session, world: World, seed: int, n_learners: int, n_sites: int
) -> None:
    rng = random.Random(seed)
    rnd = match.create_round(db, ADMIN, db.merge(world.orgs["academy"]), title=f"R{seed}")
    opps = [opportunity(db, world, f"S{j}", slots=rng.randint(1, 3)) for j in range(n_sites)]
    for opp in opps:
        match.add_opportunity(db, ADMIN, rnd, opp.id)
    learners = [learner(db, world, f"p{rnd.id[:8]}{i}") for i in range(n_learners)]
    for user in learners:
        match.add_learner(db, ADMIN, rnd, user)
    match.open_ranking(db, ADMIN, rnd)
    rec = recruiter(db, world)
    for user in learners:
        picks = rng.sample([o.id for o in opps], rng.randint(0, n_sites))
        ranks.submit_learner_ranks(db, ADMIN, rnd, user, picks)
    for opp in opps:
        picks = rng.sample([u.id for u in learners], rng.randint(0, n_learners))
        ranks.submit_site_ranks(db, ADMIN, rnd, rec, opp.id, picks)

    match.run(db, ADMIN, rnd)

    instance: MatchInstance = match.build_instance(db, rnd)
    assert rnd.result is not None and rnd.result["blocking_pairs"] == []
    stored = {p["learner"]: p["opportunity"] for p in rnd.result["pairs"]}
    assert stored == peer_resident_optimal(instance)
    placed = set(stored)
    assert set(rnd.result["unmatched_learners"]) == {u.id for u in learners} - placed
