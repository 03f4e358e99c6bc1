"""Review findings on the cohort match, pinned on both databases: out-of-range numbers answer 422
naming the field and the allowed range (never a 500 from the database or from ``int()``), and
nobody learns the title of an opportunity, round or learner they may not see: such ids answer
404 (or, inside a list, 422) naming only the id that was sent."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from extender.db import session_factory, unit_of_work
from extender.errors import InvalidInput, NotFound
from extender.placement import match_ranks as ranks
from extender.placement import match_service as match
from extender.placement.match_models import MatchOpportunity
from extender.placement.match_routes import parse_rank_form
from tests.conftest import World, login
from tests.placement.test_match_service import ADMIN, Round, open_round, opportunity, recruiter

HUGE = "99999999999999999999"  # the review's example: does not fit a 64-bit integer
ENORMOUS = "9" * 5000  # longer than Python converts from text by default


def staff_round(engine: Engine, world: World) -> tuple[str, str]:
    """A draft round of the academy and a published shadowing opportunity not yet in it."""
    with unit_of_work(session_factory(engine)) as db:
        rnd = match.create_round(db, ADMIN, db.merge(world.orgs["academy"]), title="Spring")
        opp = opportunity(db, world, "Front desk")
        return rnd.id, opp.id


def ranked_round(engine: Engine, world: World, *, foreign_title: str = "Secret ward") -> Round:
    """An open round with the shared learner, plus an opportunity of another organization."""
    with unit_of_work(session_factory(engine)) as db:
        r = open_round(db, world, n_opps=1, n_learners=1)
        match.add_learner(db, ADMIN, r.rnd, db.merge(world.users["learner"]))
        foreign = opportunity(db, world, foreign_title, org="other")
        match.add_opportunity(db, ADMIN, r.rnd, foreign.id)
        r.opps.append(foreign)
    return r


# --- capacity -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [HUGE, ENORMOUS, "0", "1001", "-3", "2.5", "ten", "١٢"])
def test_the_form_refuses_a_capacity_outside_1_to_1000(
    client: TestClient, engine: Engine, world: World, raw: str
) -> None:
    round_id, opp_id = staff_round(engine, world)
    token = login(client, "program_admin@example.org")

    response = client.post(
        f"/programs/academy/match/{round_id}/opportunities",
        data={"csrf_token": token, "opportunity": opp_id, "capacity": raw},
    )

    assert response.status_code == 422
    assert "capacity must be a whole number from 1 to 1000" in response.text
    assert ENORMOUS not in response.text
    with session_factory(engine)() as db:
        assert db.scalars(select(MatchOpportunity)).all() == []


def test_the_form_takes_the_largest_capacity_and_a_blank_one(
    client: TestClient, engine: Engine, world: World
) -> None:
    round_id, opp_id = staff_round(engine, world)
    with unit_of_work(session_factory(engine)) as db:
        other_id = opportunity(db, world, "Back office", slots=4).id
    token = login(client, "program_admin@example.org")
    base = f"/programs/academy/match/{round_id}/opportunities"
    assert "(1 to 1000; blank: the opportunity" in client.get(base.rsplit("/", 1)[0]).text

    for opp, raw in ((opp_id, " 1000 "), (other_id, "")):
        response = client.post(
            base,
            data={"csrf_token": token, "opportunity": opp, "capacity": raw},
            follow_redirects=False,
        )
        assert response.status_code == 303

    with session_factory(engine)() as db:
        stored = {mo.opportunity_id: mo.capacity for mo in db.scalars(select(MatchOpportunity))}
    assert stored == {opp_id: 1000, other_id: None}


@pytest.mark.parametrize("value", [10**20, 2**63, 1001, 0, -1])
def test_the_service_refuses_a_capacity_outside_1_to_1000(
    db: Session, world: World, value: int
) -> None:
    """Every entry point (form, CLI, demo, a future API) goes through `add_opportunity`."""
    rnd = match.create_round(db, ADMIN, db.merge(world.orgs["academy"]), title="R")
    opp = opportunity(db, world, "Front desk")

    with pytest.raises(InvalidInput, match="capacity must be a whole number from 1 to 1000") as e:
        match.add_opportunity(db, ADMIN, rnd, opp.id, value)

    assert e.value.field == "capacity" and e.value.status_code == 422
    assert match.round_opportunities(db, rnd) == []


def test_the_service_stores_a_capacity_of_1000(db: Session, world: World) -> None:
    rnd = match.create_round(db, ADMIN, db.merge(world.orgs["academy"]), title="R")
    opp = opportunity(db, world, "Front desk")

    mo = match.add_opportunity(db, ADMIN, rnd, opp.id, match.MAX_CAPACITY)
    db.flush()

    assert match.capacity(mo, opp) == 1000
    assert match.parse_capacity("") is None and match.parse_capacity("0007") == 7


# --- rank positions and list lengths ------------------------------------------------------------


@pytest.mark.parametrize("raw", [HUGE, ENORMOUS, "10001", "0"])
def test_a_rank_form_refuses_a_position_outside_1_to_the_limit(
    client: TestClient, engine: Engine, world: World, raw: str
) -> None:
    r = ranked_round(engine, world)
    token = login(client, "learner@example.org")

    response = client.post(
        f"/match/{r.rnd.id}/ranks", data={"csrf_token": token, f"rank-{r.opps[0].id}": raw}
    )

    assert response.status_code == 422
    assert "must be a whole number from 1 to 10000" in response.text
    assert ENORMOUS not in response.text


def test_a_site_form_refuses_a_huge_position(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = ranked_round(engine, world)
    token = login(client, "employer_recruiter@example.org")

    response = client.post(
        f"/match/{r.rnd.id}/sites/{r.opps[0].id}/ranks",
        data={"csrf_token": token, f"rank-{world.users['learner'].id}": HUGE},
    )

    assert response.status_code == 422 and "from 1 to 10000" in response.text


def test_the_parser_takes_the_highest_position() -> None:
    assert parse_rank_form({"rank-a": "10000", "rank-b": "1"}, "rank-") == ["b", "a"]
    with pytest.raises(InvalidInput, match="must be a whole number from 1 to 10000"):
        parse_rank_form({"rank-a": "10001"}, "rank-")


def test_the_api_refuses_a_list_longer_than_the_limit(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = ranked_round(engine, world)
    token = login(client, "learner@example.org")

    response = client.post(
        f"/api/v1/match/{r.rnd.id}/ranks",
        json={"ranks": [f"x{i}" for i in range(ranks.MAX_RANKS + 1)]},
        headers={"X-CSRF-Token": token},
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "ranks"


def test_the_service_refuses_a_list_longer_than_the_limit(
    db: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = open_round(db, world, n_opps=2, n_learners=1)
    monkeypatch.setattr(ranks, "MAX_RANKS", 1)

    with pytest.raises(InvalidInput, match="at most 1 entries; this one has 2") as e:
        ranks.submit_learner_ranks(db, ADMIN, r.rnd, r.learners[0], [o.id for o in r.opps])

    assert e.value.field == "ranks"


# --- nothing leaks about other organizations' opportunities ----------------------------------


def test_a_recruiter_gets_404_for_another_orgs_site_without_its_title(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = ranked_round(engine, world)
    foreign = r.opps[1]
    token = login(client, "employer_recruiter@example.org")
    url = f"/match/{r.rnd.id}/sites/{foreign.id}"

    page = client.get(url)
    post = client.post(f"{url}/ranks", data={"csrf_token": token, "rank-x": "1"})

    for response in (page, post):
        assert response.status_code == 404
        assert "Secret ward" not in response.text
        assert f"no opportunity {foreign.id} that you rank for" in response.text


def test_a_foreign_site_looks_like_a_missing_one(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = ranked_round(engine, world)
    login(client, "employer_recruiter@example.org")

    def message(round_id: str, opp_id: str) -> str:
        response = client.get(
            f"/match/{round_id}/sites/{opp_id}", headers={"Accept": "application/json"}
        )
        assert response.status_code == 404
        text: str = response.json()["error"]["message"]
        return text.replace(round_id, "R").replace(opp_id, "O")

    foreign = message(r.rnd.id, r.opps[1].id)
    assert message(r.rnd.id, "no-such-opportunity") == foreign
    assert message("no-such-round", r.opps[1].id) == foreign
    assert message("no-such-round", "no-such-opportunity") == foreign


def test_a_published_round_says_nothing_to_a_foreign_recruiter(
    client: TestClient, engine: Engine, world: World
) -> None:
    """The round's status used to be checked first: a 409 naming the round's title."""
    r = ranked_round(engine, world)
    with unit_of_work(session_factory(engine)) as db:
        rnd = db.merge(r.rnd)
        match.run(db, ADMIN, rnd)
        match.publish(db, ADMIN, rnd)
    token = login(client, "employer_recruiter@example.org")

    response = client.post(
        f"/match/{r.rnd.id}/sites/{r.opps[1].id}/ranks", data={"csrf_token": token}
    )

    assert response.status_code == 404 and "Shadowing" not in response.text


def test_a_learner_outside_a_round_is_not_told_its_title(db: Session, world: World) -> None:
    r = open_round(db, world)
    match.run(db, ADMIN, r.rnd)
    match.publish(db, ADMIN, r.rnd)

    with pytest.raises(NotFound) as e:
        ranks.submit_learner_ranks(db, ADMIN, r.rnd, db.merge(world.users["other_learner"]), [])

    assert r.rnd.title not in e.value.message and r.rnd.id in e.value.message


def test_a_learner_ranking_a_draft_elsewhere_is_not_told_its_title(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = ranked_round(engine, world)
    with unit_of_work(session_factory(engine)) as db:
        draft = opportunity(db, world, "Unannounced ward", status="draft", org="other")
    token = login(client, "learner@example.org")

    response = client.post(
        f"/api/v1/match/{r.rnd.id}/ranks",
        json={"ranks": [draft.id]},
        headers={"X-CSRF-Token": token},
    )

    assert response.status_code == 422
    assert (
        response.json()["error"]["message"] == f"opportunity {draft.id!r} is not part of this round"
    )


def test_a_recruiter_ranking_an_outsider_is_not_told_their_name(db: Session, world: World) -> None:
    r = open_round(db, world)
    outsider = db.merge(world.users["other_learner"])

    with pytest.raises(InvalidInput) as e:
        ranks.submit_site_ranks(db, ADMIN, r.rnd, recruiter(db, world), r.opps[0].id, [outsider.id])

    assert e.value.message == f"learner {outsider.id!r} is not taking part in this round"


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_staff_adding_an_unpublished_opportunity_are_not_told_its_title(
    db: Session, world: World, status: str
) -> None:
    rnd = match.create_round(db, ADMIN, db.merge(world.orgs["academy"]), title="R")
    hidden = opportunity(db, world, "Unannounced ward", status=status, org="other")

    with pytest.raises(InvalidInput) as e:
        match.add_opportunity(db, ADMIN, rnd, hidden.id)
    with pytest.raises(InvalidInput) as unknown:
        match.add_opportunity(db, ADMIN, rnd, "no-such-id")

    assert e.value.message == f"no published opportunity {hidden.id!r}"
    assert unknown.value.message == "no published opportunity 'no-such-id'"
