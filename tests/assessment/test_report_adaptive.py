"""The exam report of an adaptive form counts only the items each candidate saw and summarises
the test by theta and the scaled score (no raw score, KR-20 or raw cut); reading any report
never writes to the bank, and saving a fixed form's statistics is an explicit, audited POST."""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import AuditEvent, User
from extender.assessment import adaptive, adaptive_delivery, bank, delivery, forms, report
from extender.assessment.models import (
    CalibrationRun,
    ExamForm,
    ExamSession,
    Item,
    ItemVersion,
    Response,
)
from extender.assessment.simulate import answer_for, simulate_sittings
from extender.curriculum import service as curriculum
from extender.errors import Conflict
from tests.conftest import CONTENT_DIR, World, login

ACTOR = Actor.system("test")


def _calibrated_bank(db: Session) -> dict[str, dict[str, float]]:
    banks = bank.load_bank_files(CONTENT_DIR, bank.objective_tracks(db))
    bank.sync_bank(db, ACTOR, {"CPEHR": banks["CPEHR"]})
    track = curriculum.get_track(db, "CPEHR")
    forms.update_blueprint(db, ACTOR, track, total_items=12, time_limit_minutes=30, cut_percent=60)
    rng = np.random.default_rng(3)
    items = db.scalars(select(Item).where(Item.track_id == track.id).order_by(Item.id)).all()
    params = {
        i.id: {"a": float(rng.uniform(0.7, 2.0)), "b": float(rng.normal(0, 1)), "c": 0.0}
        for i in items
    }
    db.add(
        CalibrationRun(
            track_id=track.id, model="2pl", created_by="test", n_examinees=500,
            n_items=len(items), converged=True, iterations=30, log_likelihood=-1.0,
            parameters={"items": params, "excluded": {}}, status="approved",
        )
    )  # fmt: skip
    db.flush()
    return params


def _people(db: Session, prefix: str, n: int) -> list[User]:
    users = [
        User(
            email=f"{prefix}{k}@example.org",
            display_name=f"{prefix} {k}",
            password_hash="!",
            is_active=False,
        )
        for k in range(n)
    ]
    db.add_all(users)
    db.flush()
    return users


@pytest.fixture
def adaptive_form(db: Session, world: World) -> str:
    """An adaptive form of the calibrated CPEHR bank with twelve submitted sittings of
    candidates of mixed ability (answers drawn from the form's own parameters)."""
    _calibrated_bank(db)
    track = curriculum.get_track(db, "CPEHR")
    settings = adaptive.AdaptiveSettings(min_items=5, max_items=10, se_target=0.5)
    form = adaptive.create_adaptive_form(db, ACTOR, track, name="CAT", settings=settings)
    forms.publish(db, ACTOR, form)
    assert form.adaptive is not None
    pool = {p["pk"]: p for p in form.adaptive["pool"]}
    rng = np.random.default_rng(11)
    pick = random.Random(5)
    for n, user in enumerate(_people(db, "cat", 12)):
        delivery.grant_eligibility(db, ACTOR, user, track, group="A" if n % 2 else "B")
        exam = delivery.start(db, user, track)
        theta = float(rng.normal(0, 1.2))
        step = 0
        while exam.status == "in_progress":
            step += 1
            pk = exam.layout["items"][-1]
            version = db.get(ItemVersion, pk)
            assert version is not None
            p = pool[pk]
            right = rng.random() < 1 / (1 + math.exp(-p["a"] * (theta - p["b"])))
            delivery.save_answer(
                db,
                exam,
                item_version_pk=pk,
                answer=answer_for(version, right, pick),
                flagged=False,
                idempotency_key=f"k-{exam.id}-{step}",
                seq=step,
                seconds_spent=30.0 + step,
            )
            adaptive_delivery.confirm_adaptive(db, exam, step)
    db.commit()
    return form.id


def _bank_statistics(db: Session) -> dict[str, tuple[float | None, float | None]]:
    db.expire_all()
    return {i.id: (i.p_value, i.point_biserial) for i in db.scalars(select(Item))}


def test_an_adaptive_report_counts_only_the_items_each_candidate_saw(
    db: Session, adaptive_form: str
) -> None:
    form = forms.get_form(db, adaptive_form)
    result = report.build_report(db, form)
    sittings = list(
        db.scalars(
            select(ExamSession).where(
                ExamSession.form_id == form.id, ExamSession.status == "submitted"
            )
        )
    )
    assert result.sittings == len(sittings) == 12
    seen: dict[int, list[ExamSession]] = {}
    for s in sittings:
        for pk in s.layout["items"]:
            seen.setdefault(pk, []).append(s)
    # Only administered items are columns; each item's n is the sittings that saw it.
    assert {v.pk for v in result.versions} == set(seen)
    for version, stats in zip(result.versions, result.items.items, strict=True):
        who = seen[version.pk]
        assert stats.n_presented == len(who)
        right = [
            bool(
                db.scalar(
                    select(Response.correct).where(
                        Response.session_id == s.id, Response.item_version_pk == version.pk
                    )
                )
            )
            for s in who
        ]
        assert stats.p_value == pytest.approx(sum(right) / len(who))
        if stats.point_biserial is not None:
            theta = np.array([s.theta for s in who], float)
            expected = np.corrcoef(np.array(right, float), theta)[0, 1]
            assert stats.point_biserial == pytest.approx(expected)
    # A candidate saw 5-10 items: statistics over the whole pool would give every item n = 12.
    assert min(s.n_presented for s in result.items.items) < 12
    # No raw-score statistics; the theta/scaled summary instead.
    assert result.summary is None and result.cut_raw is None and result.dif is None
    a = result.adaptive
    assert a is not None
    thetas = [float(s.theta) for s in sittings if s.theta is not None]
    assert a.mean_theta == pytest.approx(sum(thetas) / 12)
    assert a.pass_rate == pytest.approx(sum(bool(s.passed) for s in sittings) / 12)
    assert a.mean_length == pytest.approx(sum(len(s.layout["items"]) for s in sittings) / 12)
    assert sum(a.histogram) == 12
    assert a.items_seen == len(seen) and a.pool_size == len(form.items["items"])
    assert result.expected_p is not None and all(0 < p < 1 for p in result.expected_p)


def test_reading_either_report_writes_nothing_to_the_bank(
    client: TestClient, db: Session, world: World, adaptive_form: str
) -> None:
    track = curriculum.get_track(db, "CPEHR")
    [fixed] = forms.assemble(db, ACTOR, track, name="Fixed", seed=3)
    forms.publish(db, ACTOR, fixed)
    simulate_sittings(db, fixed, track, _people(db, "fix", 6), seed=4)
    db.commit()
    before = _bank_statistics(db)
    login(client, "psychometrician@example.org")
    page = client.get(f"/exams/admin/forms/{adaptive_form}/report")
    assert page.status_code == 200
    text = page.text
    assert "mean θ" in text and "mean scaled score" in text and "pass rate" in text
    assert ">KR-20<" not in text and "pass rate at raw cut" not in text
    assert "mean raw score" not in text
    assert "Save these statistics to the bank" not in text
    assert "r with θ" in text and "Expected p" in text
    csv_text = client.get(f"/exams/admin/forms/{adaptive_form}/report.csv").text
    assert "r_with_theta" in csv_text and "mean_theta" in csv_text
    assert "cut_raw" not in csv_text and "reliability" not in csv_text
    fixed_page = client.get(f"/exams/admin/forms/{fixed.id}/report").text
    assert ">KR-20<" in fixed_page and "Save these statistics to the bank" in fixed_page
    assert _bank_statistics(db) == before


def test_saving_a_fixed_forms_statistics_is_an_audited_post(
    client: TestClient, db: Session, world: World, adaptive_form: str
) -> None:
    track = curriculum.get_track(db, "CPEHR")
    [fixed] = forms.assemble(db, ACTOR, track, name="Fixed", seed=3)
    forms.publish(db, ACTOR, fixed)
    simulate_sittings(db, fixed, track, _people(db, "fix", 6), seed=4)
    db.commit()
    expected = report.build_report(db, fixed)
    before = _bank_statistics(db)
    csrf = login(client, "psychometrician@example.org")
    refused = client.post(
        f"/exams/admin/forms/{adaptive_form}/report/statistics", data={"csrf_token": csrf}
    )
    assert refused.status_code == 409 and "adaptive" in refused.text
    assert _bank_statistics(db) == before
    saved = client.post(
        f"/exams/admin/forms/{fixed.id}/report/statistics", data={"csrf_token": csrf}
    )
    assert saved.status_code == 200 and "Saved the p-values and point-biserials of" in saved.text
    after = _bank_statistics(db)
    for version, stats in zip(expected.versions, expected.items.items, strict=True):
        assert after[version.item_id][0] == pytest.approx(stats.p_value)
    untouched = set(after) - {v.item_id for v in expected.versions}
    assert all(after[i] == before[i] for i in untouched)
    [event] = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "exam_form.store_statistics")
    ).all()
    assert event.target_id == fixed.id and event.actor_email == "psychometrician@example.org"
    assert event.after is not None and len(event.after["items"]) == len(expected.versions)
    with pytest.raises(Conflict, match="adaptive"):
        report.store_statistics(
            db, ACTOR, report.build_report(db, forms.get_form(db, adaptive_form))
        )


def test_the_fixed_form_report_is_unchanged(db: Session, world: World) -> None:
    """Raw score, KR-20 and the raw cut stay for fixed forms; every item is seen by everyone."""
    _calibrated_bank(db)
    track = curriculum.get_track(db, "CPEHR")
    [fixed] = forms.assemble(db, ACTOR, track, name="Fixed", seed=3)
    forms.publish(db, ACTOR, fixed)
    simulate_sittings(db, fixed, track, _people(db, "fix", 8), seed=4)
    result = report.build_report(db, fixed)
    assert result.adaptive is None and result.summary is not None
    assert result.cut_raw == math.ceil(0.6 * 12)
    assert all(s.n_presented == 8 for s in result.items.items)
    totals = sorted(
        s.raw_score or 0
        for s in db.scalars(select(ExamSession).where(ExamSession.form_id == fixed.id))
    )
    assert result.summary.mean == pytest.approx(sum(totals) / 8)
    assert result.summary.reliability_method == "KR-20"


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_the_report_selects_responses_by_join_not_by_a_list_of_sittings(dialect: object) -> None:
    form = ExamForm(id="f" * 32)
    compiled = report.responses_query(form).compile(dialect=dialect)  # type: ignore[arg-type]
    assert len(compiled.params) == 2  # the form id and the status, however many sittings
    assert re.search(r"\bJOIN exam_sessions\b", str(compiled))
