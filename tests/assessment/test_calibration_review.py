"""What a psychometrician reviews before approving a calibration, and what approval does:
the response matrix is read with a fixed number of bound parameters (PostgreSQL refuses more
than 65,535), the run records per-item fit and names items by id in every warning, the run
page shows parameters, SEs, fit, flags and warnings above the approve button, and approval
clears the parameters of the track's items the run does not cover."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import AuditEvent, User
from extender.assessment import bank, calibration, forms
from extender.assessment.models import CalibrationRun, ExamSession, Item, ItemVersion, Response
from extender.assessment.simulate import simulate_sittings
from extender.curriculum import service as curriculum
from extender.curriculum.models import Track
from extender.errors import Conflict
from tests.conftest import CONTENT_DIR, World, login

ACTOR = Actor.system("test")
INDEXED = re.compile(r"\bitem \d+\b")


@pytest.fixture
def sittings(db: Session, world: World) -> str:
    """60 submitted sittings of one published 20-item CPEHR form."""
    banks = bank.load_bank_files(CONTENT_DIR, bank.objective_tracks(db))
    bank.sync_bank(db, ACTOR, {"CPEHR": banks["CPEHR"]})
    track = curriculum.get_track(db, "CPEHR")
    forms.update_blueprint(db, ACTOR, track, total_items=20, time_limit_minutes=30, cut_percent=65)
    [form] = forms.assemble(db, ACTOR, track, name="Review", seed=4)
    forms.publish(db, ACTOR, form)
    users = [
        User(email=f"rv{n}@example.org", display_name=f"R {n}", password_hash="!", is_active=False)
        for n in range(60)
    ]
    db.add_all(users)
    db.flush()
    simulate_sittings(db, form, track, users, seed=9)
    db.commit()
    return form.id


def _track(db: Session) -> Track:
    return curriculum.get_track(db, "CPEHR")


def _everyone_right(db: Session, form_id: str) -> str:
    """Make one item of the form answered right by everyone; the engine must exclude it."""
    pk = forms.get_form(db, form_id).items["items"][0]
    db.execute(update(Response).where(Response.item_version_pk == pk).values(correct=True))
    db.flush()
    version = db.get(ItemVersion, pk)
    assert version is not None
    return version.item_id


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def test_the_response_matrix_binds_no_parameter_per_sitting(
    db: Session, engine: Engine, sittings: str
) -> None:
    track = _track(db)
    with _statements(engine) as seen:
        _, matrix = calibration.response_matrix(db, track)
    assert matrix.shape == (60, 20)
    assert seen, "the matrix is read from the database"
    for statement, params in seen:
        assert len(params or ()) <= 3, f"{len(params)} parameters in {statement}"
    for query in (
        calibration.sittings_query(track),
        calibration.right_answers_query(track),
        calibration.item_versions_query(track),
    ):
        for dialect in (postgresql.dialect(), sqlite.dialect()):
            assert len(query.compile(dialect=dialect).params) <= 3


def test_the_response_matrix_matches_a_direct_count(db: Session, sittings: str) -> None:
    item_ids, matrix = calibration.response_matrix(db, _track(db))
    col = {item: j for j, item in enumerate(item_ids)}
    rows = list(
        db.scalars(
            select(ExamSession)
            .where(ExamSession.status == "submitted")
            .order_by(ExamSession.submitted_at, ExamSession.id)
        )
    )
    expected = np.full((len(rows), len(item_ids)), np.nan)
    for n, s in enumerate(rows):
        for pk in s.layout["items"]:
            version = db.get(ItemVersion, pk)
            assert version is not None
            right = db.scalar(
                select(Response.correct).where(
                    Response.session_id == s.id, Response.item_version_pk == pk
                )
            )
            expected[n, col[version.item_id]] = 1.0 if right else 0.0
    np.testing.assert_array_equal(matrix, expected)


def test_a_run_stores_item_fit_and_names_items_in_warnings(db: Session, sittings: str) -> None:
    stuck = _everyone_right(db, sittings)
    run = calibration.run_calibration(db, ACTOR, _track(db), "2pl")
    params = run.parameters
    assert stuck in params["excluded"] and stuck not in params["items"]
    assert params["warnings"], "the excluded item is warned about"
    assert any(f"item {stuck} excluded" in w for w in params["warnings"])
    assert not any(INDEXED.search(w) for w in params["warnings"])
    for p in params["items"].values():
        assert p["infit"] is not None and p["outfit"] is not None and p["n"] == 60
        assert 0.3 < p["infit"] < 3 and 0.3 < p["outfit"] < 3
    assert params["columns"] == sorted([*params["items"], *params["excluded"]])


def test_item_ids_replace_matrix_columns_and_flags_name_the_problem() -> None:
    ids = ["CPEHR-I001", "CPEHR-I002", "CPEHR-I003"]
    assert (
        calibration.name_items("item 2: slope at its lower bound (check the key)", ids)
        == "item CPEHR-I003: slope at its lower bound (check the key)"
    )
    assert calibration.name_items("item 7 excluded: x", ids) == "item 7 excluded: x"
    assert calibration.name_items("EM did not converge in 500 iterations", ids).startswith("EM")
    bad = {"a": 0.1, "b": 4.5, "c": 0.0, "se_b": 1.6, "infit": 1.45, "outfit": 0.6}
    flags = " | ".join(calibration.item_flags(bad, "2pl", "estimated"))
    assert "near 0" in flags and "|b| = 4.50 > 4" in flags and "SE(b) = 1.60" in flags
    assert "misfit: infit 1.45" in flags and "overfit: outfit 0.60" in flags
    assert "not positive" in calibration.item_flags({**bad, "a": -0.2}, "2pl", "estimated")[0]
    good = {"a": 1.2, "b": 0.3, "c": 0.0, "se_b": 0.2, "infit": 1.0, "outfit": 1.05}
    assert calibration.item_flags(good, "2pl", "estimated") == ()
    assert calibration.item_flags(bad, "2pl", "anchored") == ()
    assert "heavy guessing" in calibration.item_flags({**good, "c": 0.4}, "3pl", "estimated")[0]


def test_the_run_page_shows_parameters_fit_flags_and_warnings_before_approval(
    client: TestClient, db: Session, sittings: str
) -> None:
    stuck = _everyone_right(db, sittings)
    db.commit()
    csrf = login(client, "psychometrician@example.org")
    page = client.post("/exams/admin/CPEHR/calibrations", data={"model": "2pl", "csrf_token": csrf})
    [run] = calibration.runs_of(db, _track(db))
    assert page.status_code == 200 and str(page.url).endswith(f"/exams/admin/calibrations/{run.id}")
    html = page.text
    approve = html.index("Approve this calibration")
    for item_id, p in run.parameters["items"].items():
        cell = html.index(f">{item_id}</a>")
        assert cell < approve
        assert (
            f"{p['a']:.2f} ({p['se_a']:.2f})" in html and f"{p['b']:.2f} ({p['se_b']:.2f})" in html
        )
        assert f"{p['infit']:.2f}" in html
    assert html.index(f"item {stuck} excluded") < approve
    assert "Infit" in html and "Outfit" in html and "No item loses its parameters" in html
    assert not INDEXED.search(html.split("<h2>Warnings</h2>")[1].split("<h2>Items</h2>")[0])
    listing = client.get("/exams/admin/CPEHR/calibrations").text
    assert "Review and approve" in listing and f"/exams/admin/calibrations/{run.id}" in listing


def test_approval_clears_parameters_of_items_the_run_does_not_cover(
    client: TestClient, db: Session, sittings: str
) -> None:
    track = _track(db)
    first = calibration.run_calibration(db, ACTOR, track, "2pl")
    calibration.approve(db, ACTOR, first)
    # An item on no form still carries parameters from some earlier scale.
    form_items = set(first.parameters["items"])
    stale = db.scalars(
        select(Item).where(Item.track_id == track.id, Item.id.not_in(form_items)).order_by(Item.id)
    ).first()
    assert stale is not None
    stale.irt_a, stale.irt_b, stale.irt_c = 1.1, 0.4, 0.0
    # The second run excludes an item the first run covered.
    stuck = _everyone_right(db, sittings)
    second = calibration.run_calibration(db, ACTOR, track, "2pl")
    assert stuck in second.parameters["excluded"]
    db.commit()
    assert calibration.losing_parameters(db, second) == sorted([stale.id, stuck])
    csrf = login(client, "psychometrician@example.org")
    page = client.get(f"/exams/admin/calibrations/{second.id}").text
    assert "2 items lose their parameters" in page
    assert page.index("2 items lose their parameters") < page.index("Approve this calibration")
    assert stale.id in page
    done = client.post(f"/exams/admin/calibrations/{second.id}/approve", data={"csrf_token": csrf})
    assert done.status_code == 200 and "2 items the run does not cover lost" in done.text
    db.expire_all()
    for item_id in (stale.id, stuck):
        item = db.get(Item, item_id)
        assert item is not None and (item.irt_a, item.irt_b, item.irt_c) == (None, None, None)
    covered = db.scalars(select(Item).where(Item.id.in_(list(second.parameters["items"])))).all()
    assert covered and all(i.irt_a is not None for i in covered)
    approvals = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "calibration.approve", AuditEvent.target_id == second.id
        )
    ).all()
    [record] = approvals
    assert record.before is not None and record.after is not None
    assert record.before["cleared"][stale.id] == {"a": 1.1, "b": 0.4, "c": 0.0}
    assert sorted(record.after["cleared"]) == sorted([stale.id, stuck])
    assert record.actor_email == "psychometrician@example.org"


def test_an_anchored_run_keeps_approved_items_that_had_no_responses(
    db: Session, sittings: str
) -> None:
    track = _track(db)
    first = calibration.run_calibration(db, ACTOR, track, "2pl")
    calibration.approve(db, ACTOR, first)
    items = dict(first.parameters["items"])
    pretest = sorted(items)[0]
    items.pop(pretest)
    absent = db.scalars(
        select(Item).where(
            Item.track_id == track.id, Item.id.not_in(list(first.parameters["items"]))
        )
    ).first()
    assert absent is not None
    items[absent.id] = {"a": 0.9, "b": -0.5, "c": 0.0, "se_a": 0.1, "se_b": 0.1, "se_c": 0.0}
    absent.irt_a, absent.irt_b, absent.irt_c = 0.9, -0.5, 0.0
    first.parameters = {**first.parameters, "items": items}
    db.flush()
    run = calibration.run_calibration(db, ACTOR, track, "2pl", anchor=True)
    assert run.parameters["carried"] == [absent.id]
    assert pretest not in run.parameters["anchored"] and pretest in run.parameters["items"]
    assert calibration.losing_parameters(db, run) == []
    review = calibration.review(db, run)
    sources = {row.item_id: row.source for row in review.items}
    assert sources[absent.id] == "carried" and sources[pretest] == "estimated"
    calibration.approve(db, ACTOR, run)
    db.refresh(absent)
    assert (absent.irt_a, absent.irt_b) == (0.9, -0.5)


def test_runs_recorded_before_names_get_their_warnings_translated(
    db: Session, world: World
) -> None:
    run = CalibrationRun(
        track_id=_track(db).id, model="2pl", created_by="t", n_examinees=60, n_items=2,
        converged=True, iterations=5, log_likelihood=-1.0, status="superseded",
        parameters={
            "items": {"A-1": {"a": 1.0, "b": 0.0, "c": 0.0}, "C-3": {"a": 1.0, "b": 0.0, "c": 0.0}},
            "excluded": {"B-2": "everyone answered it correctly"},
            "warnings": ["item 1 excluded: everyone answered it correctly"],
        },
    )  # fmt: skip
    db.add(run)
    db.flush()
    review = calibration.review(db, run)
    assert review.warnings == ["item B-2 excluded: everyone answered it correctly"]
    assert review.losing is None
    with pytest.raises(Conflict):
        calibration.approve(db, ACTOR, run)
