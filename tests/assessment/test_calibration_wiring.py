"""Calibration from stored responses: the run is recorded with its convergence, approval
writes the parameters to the bank, a run that did not converge cannot be approved, and the
exam report gains the test information function and item curves."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import User
from extender.assessment import bank, calibration, forms
from extender.assessment.models import Item
from extender.assessment.simulate import simulate_sittings
from extender.curriculum import service as curriculum
from extender.errors import Conflict, InvalidInput
from tests.conftest import CONTENT_DIR, World, login


@pytest.fixture
def sittings(db: Session, world: World) -> str:
    banks = bank.load_bank_files(CONTENT_DIR, bank.objective_tracks(db))
    bank.sync_bank(db, Actor.system("t"), {"CPEHR": banks["CPEHR"]})
    track = curriculum.get_track(db, "CPEHR")
    forms.update_blueprint(
        db, Actor.system("t"), track, total_items=20, time_limit_minutes=30, cut_percent=65
    )
    [form] = forms.assemble(db, Actor.system("t"), track, name="Calib", seed=4)
    forms.publish(db, Actor.system("t"), form)
    users = [
        User(
            email=f"sim{n}@example.org", display_name=f"Sim {n}", password_hash="!", is_active=False
        )
        for n in range(120)
    ]
    db.add_all(users)
    db.flush()
    simulate_sittings(db, form, track, users, seed=9)
    db.commit()
    return form.id


def test_a_calibration_is_recorded_and_approval_writes_parameters(
    db: Session, sittings: str
) -> None:
    track = curriculum.get_track(db, "CPEHR")
    run = calibration.run_calibration(db, Actor.system("t"), track, "2pl")
    assert run.n_examinees == 120 and run.converged and run.status == "pending"
    assert run.n_items + len(run.parameters["excluded"]) == 20
    changed = calibration.approve(db, Actor.system("t"), run)
    assert changed == run.n_items
    calibrated = db.scalars(select(Item).where(Item.irt_a.is_not(None))).all()
    assert len(calibrated) == changed and all(i.irt_a and i.irt_a > 0 for i in calibrated)
    with pytest.raises(Conflict):
        calibration.approve(db, Actor.system("t"), run)


def test_a_run_that_did_not_converge_cannot_be_approved(
    db: Session, sittings: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extender.assessment import irt

    real = irt.calibrate
    monkeypatch.setattr(irt, "calibrate", lambda m, model, **kw: real(m, model, max_iter=1, **kw))
    run = calibration.run_calibration(
        db, Actor.system("t"), curriculum.get_track(db, "CPEHR"), "3pl"
    )
    assert not run.converged and run.status == "not_converged"
    with pytest.raises(Conflict, match=r"not converged"):
        calibration.approve(db, Actor.system("t"), run)


def test_too_few_sittings_are_refused(db: Session, world: World) -> None:
    with pytest.raises(Conflict, match="at least 50 submitted sittings"):
        calibration.run_calibration(db, Actor.system("t"), curriculum.get_track(db, "CPEHR"), "2pl")


def test_the_report_shows_information_and_curves_after_approval(
    client: TestClient, db: Session, sittings: str
) -> None:
    csrf = login(client, "psychometrician@example.org")
    before = client.get(f"/exams/admin/forms/{sittings}/report").text
    assert "No approved IRT calibration" in before
    client.post("/exams/admin/CPEHR/calibrations", data={"model": "2pl", "csrf_token": csrf})
    [run] = calibration.runs_of(db, curriculum.get_track(db, "CPEHR"))
    client.post(f"/exams/admin/calibrations/{run.id}/approve", data={"csrf_token": csrf})
    after = client.get(f"/exams/admin/forms/{sittings}/report").text
    if run.parameters["excluded"]:
        assert "No approved IRT calibration" in after
    else:
        assert "Test information" in after and "Item characteristic curves" in after


def test_an_anchored_run_keeps_approved_items_fixed_and_calibrates_new_ones(
    db: Session, sittings: str
) -> None:
    track = curriculum.get_track(db, "CPEHR")
    with pytest.raises(Conflict, match="no approved calibration to anchor"):
        calibration.run_calibration(db, Actor.system("t"), track, "2pl", anchor=True)
    first = calibration.run_calibration(db, Actor.system("t"), track, "2pl")
    calibration.approve(db, Actor.system("t"), first)
    with pytest.raises(Conflict, match="nothing to add"):
        calibration.run_calibration(db, Actor.system("t"), track, "2pl", anchor=True)
    # A second form brings items nobody has calibrated yet (pretest items).
    [second] = forms.assemble(db, Actor.system("t"), track, name="Pretest", seed=11)
    forms.publish(db, Actor.system("t"), second)
    users = [
        User(email=f"pre{n}@example.org", display_name=f"P {n}", password_hash="!", is_active=False)
        for n in range(120)
    ]
    db.add_all(users)
    db.flush()
    simulate_sittings(db, second, track, users, seed=10)
    run = calibration.run_calibration(db, Actor.system("t"), track, "2pl", anchor=True)
    approved = first.parameters["items"]
    anchored = set(run.parameters["anchored"])
    assert anchored == set(approved) - set(first.parameters["excluded"])
    for item_id in anchored:
        assert run.parameters["items"][item_id]["a"] == pytest.approx(approved[item_id]["a"])
        assert run.parameters["items"][item_id]["b"] == pytest.approx(approved[item_id]["b"])
    new = set(run.parameters["items"]) - anchored
    assert new and all(run.parameters["items"][i]["a"] for i in new)


def test_an_anchored_run_must_use_the_approved_model(db: Session, sittings: str) -> None:
    """3PL anchors refitted as 2PL would lose their guessing parameter and move the scale."""
    from extender.assessment.models import CalibrationRun

    track = curriculum.get_track(db, "CPEHR")
    first = calibration.run_calibration(db, Actor.system("t"), track, "2pl")
    items = dict(first.parameters["items"])
    items.pop(sorted(items)[0])  # one item is still a pretest item
    db.add(
        CalibrationRun(
            track_id=track.id, model="3pl", created_by="t", n_examinees=120,
            n_items=len(items), converged=True, iterations=9, log_likelihood=-1.0,
            parameters={"items": {i: {**p, "c": 0.2} for i, p in items.items()}, "excluded": {}},
            status="approved",
        )
    )  # fmt: skip
    db.flush()
    with pytest.raises(InvalidInput, match="same model"):
        calibration.run_calibration(db, Actor.system("t"), track, "2pl", anchor=True)
