"""The cohort-match pages over HTTP: staff run and publish, learners and recruiters rank with the
no-JavaScript forms, bad lists answer 422 naming the culprit, and each role's limits hold."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from extender.db import session_factory, unit_of_work
from extender.errors import InvalidInput
from extender.placement import match_ranks
from extender.placement import match_service as match
from extender.placement.match_routes import parse_rank_form
from tests.conftest import World, login
from tests.placement.test_match_service import ADMIN, Round, open_round


def make_round(engine: Engine, world: World) -> Round:
    with unit_of_work(session_factory(engine)) as db:
        r = open_round(db, world, n_opps=2, n_learners=1)
        match.add_learner(db, ADMIN, r.rnd, db.merge(world.users["learner"]))
    return r


def test_it_saves_a_learners_numbered_list(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = make_round(engine, world)
    token = login(client, "learner@example.org")
    a, b = r.opps[0].id, r.opps[1].id

    response = client.post(
        f"/match/{r.rnd.id}/ranks",
        data={"csrf_token": token, f"rank-{a}": "2", f"rank-{b}": "1"},
        follow_redirects=False,
    )

    assert response.status_code == 303
    page = client.get(f"/match/{r.rnd.id}").text
    assert f'name="rank-{b}" inputmode="numeric" size="3" value="1"' in page
    with session_factory(engine)() as db:
        lists = match_ranks.rank_lists(db, r.rnd, match_ranks.LEARNER)
        assert lists[world.users["learner"].id] == [b, a]


def test_it_answers_422_naming_an_unknown_opportunity(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = make_round(engine, world)
    token = login(client, "learner@example.org")

    form = client.post(f"/match/{r.rnd.id}/ranks", data={"csrf_token": token, "rank-bogus-id": "1"})
    api = client.post(
        f"/api/v1/match/{r.rnd.id}/ranks",
        json={"ranks": [r.opps[0].id, "bogus-id"]},
        headers={"X-CSRF-Token": token},
    )

    assert form.status_code == 422
    assert "opportunity &#39;bogus-id&#39; is not part of this round" in form.text
    assert api.status_code == 422
    assert api.json()["error"]["message"] == "opportunity 'bogus-id' is not part of this round"


def test_it_answers_422_naming_a_closed_opportunity(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = make_round(engine, world)
    with unit_of_work(session_factory(engine)) as db:
        closed = db.merge(r.opps[1])
        closed.title, closed.status = "Shut clinic", "closed"
    token = login(client, "learner@example.org")

    api = client.post(
        f"/api/v1/match/{r.rnd.id}/ranks",
        json={"ranks": [closed.id]},
        headers={"X-CSRF-Token": token},
    )

    assert api.status_code == 422
    assert api.json()["error"]["message"] == f"opportunity 'Shut clinic' ({closed.id}) is closed"


def test_staff_run_review_and_publish_a_round(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = make_round(engine, world)
    learner_token = login(client, "learner@example.org")
    client.post(
        f"/match/{r.rnd.id}/ranks",
        data={"csrf_token": learner_token, f"rank-{r.opps[0].id}": "1"},
    )
    client.cookies.clear()
    recruiter_token = login(client, "employer_recruiter@example.org")
    site_page = client.get(f"/match/{r.rnd.id}/sites/{r.opps[0].id}")
    assert site_page.status_code == 200 and "Learner" in site_page.text
    client.post(
        f"/match/{r.rnd.id}/sites/{r.opps[0].id}/ranks",
        data={"csrf_token": recruiter_token, f"rank-{world.users['learner'].id}": "1"},
    )
    client.cookies.clear()
    token = login(client, "program_admin@example.org")
    base = f"/programs/academy/match/{r.rnd.id}"

    assert client.post(f"{base}/run", data={"csrf_token": token}).status_code == 200
    page = client.get(base).text
    assert "Verified: no blocking pair" in page
    assert client.post(f"{base}/publish", data={"csrf_token": token}).status_code == 200

    assert 'id="round-status" class="badge ok">published' in client.get(base).text
    client.cookies.clear()
    login(client, "learner@example.org")
    assert "You matched with <strong>Site 0</strong>" in client.get(f"/match/{r.rnd.id}").text


def test_it_lets_instructors_read_but_not_run(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = make_round(engine, world)
    token = login(client, "instructor@example.org")
    base = f"/programs/academy/match/{r.rnd.id}"

    assert client.get(base).status_code == 200
    assert client.post(f"{base}/run", data={"csrf_token": token}).status_code == 403


def test_it_keeps_other_programs_and_sites_out(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = make_round(engine, world)
    login(client, "other_admin@example.org")
    assert client.get(f"/programs/academy/match/{r.rnd.id}").status_code == 403
    assert client.get(f"/programs/other-academy/match/{r.rnd.id}").status_code == 404
    client.cookies.clear()
    login(client, "other_learner@example.org")
    assert client.get(f"/match/{r.rnd.id}").status_code == 404


def test_it_creates_a_round_from_the_form(client: TestClient, world: World) -> None:
    token = login(client, "program_admin@example.org")

    response = client.post(
        "/programs/academy/match",
        data={"csrf_token": token, "title": "Winter", "cohort": "cpehr-1", "rank_deadline": "x"},
    )

    assert (
        response.status_code == 422 and "rank deadline &#39;x&#39; is not a date" in response.text
    )
    ok = client.post(
        "/programs/academy/match",
        data={"csrf_token": token, "title": "Winter", "rank_deadline": "2030-01-31"},
    )
    assert ok.status_code == 200 and "Winter" in ok.text


def test_an_admin_removes_a_learner_from_the_round_page(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = make_round(engine, world)
    me = world.users["learner"]
    learner_token = login(client, "learner@example.org")
    client.post(
        f"/match/{r.rnd.id}/ranks", data={"csrf_token": learner_token, f"rank-{r.opps[0].id}": "1"}
    )
    client.cookies.clear()
    token = login(client, "program_admin@example.org")
    base = f"/programs/academy/match/{r.rnd.id}"
    page = client.get(base).text
    assert f'action="{base}/learners/{me.id}/remove"' in page
    assert f"Remove {me.display_name}</button>" in page

    response = client.post(
        f"{base}/learners/{me.id}/remove", data={"csrf_token": token}, follow_redirects=False
    )

    assert response.status_code == 303 and response.headers["location"] == base
    page = client.get(base).text
    assert f"{me.display_name} removed, with their list" in page
    assert f"/learners/{me.id}/remove" not in page
    with session_factory(engine)() as db:
        assert me.id not in {u.id for u in match.round_learners(db, r.rnd)}
        assert me.id not in match_ranks.rank_lists(db, r.rnd, match_ranks.LEARNER)
    again = client.post(f"{base}/learners/{me.id}/remove", data={"csrf_token": token})
    assert again.status_code == 404 and f"learner {me.id} is not in this round" in again.text
    client.cookies.clear()
    login(client, "learner@example.org")
    assert client.get(f"/match/{r.rnd.id}").status_code == 404


def test_only_the_programs_admin_removes_learners(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = make_round(engine, world)
    me = world.users["learner"].id
    path = f"/match/{r.rnd.id}/learners/{me}/remove"

    token = login(client, "instructor@example.org")
    assert f"/learners/{me}/remove" not in client.get(f"/programs/academy/match/{r.rnd.id}").text
    assert client.post(f"/programs/academy{path}", data={"csrf_token": token}).status_code == 403
    client.cookies.clear()
    token = login(client, "other_admin@example.org")
    assert client.post(f"/programs/academy{path}", data={"csrf_token": token}).status_code == 403
    assert (
        client.post(f"/programs/other-academy{path}", data={"csrf_token": token}).status_code == 404
    )
    with session_factory(engine)() as db:
        assert me in {u.id for u in match.round_learners(db, r.rnd)}


def test_a_published_round_has_no_remove_buttons(
    client: TestClient, engine: Engine, world: World
) -> None:
    r = make_round(engine, world)
    with unit_of_work(session_factory(engine)) as db:
        rnd = db.merge(r.rnd)
        match.run(db, ADMIN, rnd)
        match.publish(db, ADMIN, rnd)
    token = login(client, "program_admin@example.org")
    base = f"/programs/academy/match/{r.rnd.id}"
    me = world.users["learner"].id

    assert "/remove" not in client.get(base).text
    response = client.post(f"{base}/learners/{me}/remove", data={"csrf_token": token})
    assert response.status_code == 409 and "published" in response.text


# --- the rank-form parser -----------------------------------------------------------------------


@given(
    st.dictionaries(
        st.text("abc0123", min_size=1, max_size=5), st.integers(1, match_ranks.MAX_RANKS)
    )
)
def test_it_orders_ids_by_their_numbers(ranks: dict[str, int]) -> None:
    unique = {k: v for k, v in ranks.items() if list(ranks.values()).count(v) == 1}
    fields = {f"rank-{k}": f" {v} " for k, v in unique.items()} | {"rank-blank": "", "other": "3"}

    assert parse_rank_form(fields, "rank-") == sorted(unique, key=unique.__getitem__)


@given(st.text(min_size=1).filter(lambda s: not (s.strip().isascii() and s.strip().isdigit())))
def test_it_refuses_a_position_that_is_not_a_whole_number(raw: str) -> None:
    if not raw.strip():
        assert parse_rank_form({"rank-a": raw}, "rank-") == []
        return
    with pytest.raises(InvalidInput, match="must be a whole number from 1"):
        parse_rank_form({"rank-a": raw}, "rank-")


def test_it_refuses_two_entries_with_one_position() -> None:
    with pytest.raises(InvalidInput, match="'a' and 'b' are both ranked 2"):
        parse_rank_form({"rank-a": "2", "rank-b": "2"}, "rank-")
    with pytest.raises(InvalidInput, match="must be a whole number from 1"):
        parse_rank_form({"rank-a": "0"}, "rank-")
