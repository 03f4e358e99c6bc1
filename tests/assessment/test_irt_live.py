"""IRT in live exams: fixed forms scored by EAP ability with the cut carried to theta, and
adaptive delivery with the same guarantees as fixed forms (answers saved as given, resumable,
doubled requests harmless), stopping rules, no repeated or enemy items, and refusals."""

from __future__ import annotations

import re
import threading
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import AuditEvent
from extender.assessment import adaptive, adaptive_delivery, bank, delivery, forms, irt, irt_scoring
from extender.assessment.models import CalibrationRun, ExamSession, Item, ItemVersion
from extender.curriculum import service as curriculum
from extender.curriculum.models import XapiStatement
from extender.db import session_factory
from extender.errors import Conflict, InvalidInput
from tests.conftest import CONTENT_DIR, World, login

ACTOR = Actor.system("test")


@pytest.fixture
def calibrated(db: Session, world: World) -> dict[str, dict[str, float]]:
    """The shipped CPEHR bank with an approved calibration run (known 2PL parameters), a
    blueprint, and the world's learner eligible."""
    banks = bank.load_bank_files(CONTENT_DIR, bank.objective_tracks(db))
    bank.sync_bank(db, ACTOR, {"CPEHR": banks["CPEHR"]})
    track = curriculum.get_track(db, "CPEHR")
    forms.update_blueprint(db, ACTOR, track, total_items=20, time_limit_minutes=30, cut_percent=65)
    rng = np.random.default_rng(3)
    items = db.scalars(select(Item).where(Item.track_id == track.id).order_by(Item.id)).all()
    params = {
        i.id: {"a": float(rng.uniform(0.7, 2.0)), "b": float(rng.normal(0, 1)), "c": 0.0}
        for i in items
    }
    db.add(
        CalibrationRun(
            track_id=track.id,
            model="2pl",
            created_by="test",
            n_examinees=500,
            n_items=len(items),
            converged=True,
            iterations=30,
            log_likelihood=-1.0,
            parameters={"items": params, "excluded": {}},
            status="approved",
        )
    )
    delivery.grant_eligibility(db, ACTOR, world.users["learner"], track)
    db.flush()
    return params


def _answer(db: Session, exam: ExamSession, pk: int, right: bool, n: int) -> None:
    version = db.get(ItemVersion, pk)
    assert version is not None
    key = version.key_list
    wrong = [o["id"] for o in version.option_list if o["id"] not in key][:1]
    if version.type == "ordering":
        wrong = list(reversed(key))
    delivery.save_answer(
        db,
        exam,
        item_version_pk=pk,
        answer=key if right else wrong,
        flagged=False,
        idempotency_key=f"key-{exam.id}-{pk}-{n}",
        seq=n,
    )


def test_a_fixed_form_scored_by_irt_reports_eap_theta_around_the_cut(
    db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    track = curriculum.get_track(db, "CPEHR")
    [form] = forms.assemble(db, ACTOR, track, name="IRT form", seed=2)
    forms.publish(db, ACTOR, form)
    irt_scoring.use_irt_scoring(db, ACTOR, form, track, cut_theta=None)
    pks = list(form.items["items"])
    item_ids = [db.get(ItemVersion, pk).item_id for pk in pks]  # type: ignore[union-attr]
    params = irt.ItemParameters(
        [calibrated[i]["a"] for i in item_ids], [calibrated[i]["b"] for i in item_ids]
    )
    expected_cut = irt.convert_cut_score(0.65 * len(pks), "raw", params).theta
    assert form.scoring == "irt" and form.cut_theta == pytest.approx(expected_cut, abs=1e-3)
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "exam_form.scoring")).first()
    # A later calibration supersedes the run: the form keeps scoring with what it froze.
    frozen = db.scalars(select(CalibrationRun).where(CalibrationRun.status == "approved")).one()
    frozen.status = "superseded"
    db.add(
        CalibrationRun(
            track_id=track.id, model="2pl", created_by="t", n_examinees=900, n_items=1,
            converged=True, iterations=3, log_likelihood=-1.0, status="approved",
            parameters={"items": {i: {"a": 0.4, "b": 2.5, "c": 0.0} for i in calibrated}},
        )
    )  # fmt: skip
    db.flush()

    learner = world.users["learner"]
    exam = delivery.start(db, learner, track, seed=1)
    pattern = [n % 3 != 0 for n in range(len(pks))]  # two thirds right
    for n, pk in enumerate(pks):
        _answer(db, exam, pk, pattern[n], n + 1)
    delivery.submit(db, exam)
    correct = [pattern[pks.index(pk)] for pk in pks]
    direct = irt.estimate_eap(np.asarray([[1.0 if c else 0.0 for c in correct]]), params)
    assert exam.theta == pytest.approx(float(direct.theta[0]), abs=1e-3)
    assert exam.theta_se == pytest.approx(float(direct.se[0]), abs=1e-3)
    assert exam.passed == (exam.theta >= form.cut_theta)
    assert (exam.scaled_score >= 300) == exam.passed  # type: ignore[operator]
    assert exam.domain_results and exam.domain_results["scoring"]["method"] == "irt"
    assert exam.raw_score == sum(pattern)
    # The bank now carries the new run's values; the report still shows what scores the form.
    for item in db.scalars(select(Item).where(Item.id.in_(item_ids))):
        item.irt_a, item.irt_b = 0.4, 2.5
    versions = [db.get(ItemVersion, pk) for pk in pks]
    shown = irt_scoring.report_parameters(db, form, versions)  # type: ignore[arg-type]
    assert shown is not None and list(shown.a) == pytest.approx(list(params.a))
    form.scoring = "raw"
    bank_view = irt_scoring.report_parameters(db, form, versions)  # type: ignore[arg-type]
    assert bank_view is not None and set(bank_view.a) == {0.4}


def test_irt_scoring_needs_an_approved_run_with_every_item(db: Session, world: World) -> None:
    banks = bank.load_bank_files(CONTENT_DIR, bank.objective_tracks(db))
    bank.sync_bank(db, ACTOR, {"CPEHR": banks["CPEHR"]})
    track = curriculum.get_track(db, "CPEHR")
    forms.update_blueprint(db, ACTOR, track, total_items=12, time_limit_minutes=30, cut_percent=65)
    [form] = forms.assemble(db, ACTOR, track, name="No calibration", seed=2)
    with pytest.raises(Conflict, match="no approved calibration run"):
        irt_scoring.use_irt_scoring(db, ACTOR, form, track, cut_theta=None)
    first = db.get(ItemVersion, form.items["items"][0])
    assert first is not None
    db.add(
        CalibrationRun(
            track_id=track.id, model="2pl", created_by="t", n_examinees=60, n_items=1,
            converged=True, iterations=3, log_likelihood=-1.0, status="approved",
            parameters={"items": {first.item_id: {"a": 1.0, "b": 0.0, "c": 0.0}}, "excluded": {}},
        )
    )  # fmt: skip
    db.flush()
    with pytest.raises(Conflict, match="has no parameters for"):
        irt_scoring.use_irt_scoring(db, ACTOR, form, track, cut_theta=None)
    assert form.scoring == "raw"


def _adaptive(db: Session, **overrides: object) -> tuple[object, object]:
    track = curriculum.get_track(db, "CPEHR")
    settings_ = adaptive.AdaptiveSettings(
        **{"min_items": 5, "max_items": 12, "se_target": 0.45, **overrides}  # type: ignore[arg-type]
    )
    form = adaptive.create_adaptive_form(db, ACTOR, track, name="CAT", settings=settings_)
    forms.publish(db, ACTOR, form)
    return track, form


def test_an_adaptive_exam_chooses_items_one_at_a_time_and_stops_by_rule(
    db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    track, form = _adaptive(db)
    assert form.kind == "adaptive" and form.adaptive is not None  # type: ignore[attr-defined]
    exposure = form.adaptive["exposure"]  # type: ignore[attr-defined]
    assert len(exposure) == len(form.adaptive["pool"]) and all(0 < k <= 1 for k in exposure)  # type: ignore[attr-defined]
    [created] = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "exam_form.create_adaptive")
    ).all()
    # Every setting the committee chose is in the audit record, not only some of them.
    assert created.after is not None
    assert {"randomesque", "r_max", "sprt_half_width", "time_limit_minutes"} <= set(created.after)
    exam = delivery.start(db, world.users["learner"], track)  # type: ignore[arg-type]
    assert delivery.is_adaptive(exam) and len(exam.layout["items"]) == 1
    n = 0
    while exam.status == "in_progress":
        n += 1
        pk = exam.layout["items"][-1]
        _answer(db, exam, pk, right=n % 2 == 1, n=n)
        step = adaptive_delivery.confirm_adaptive(db, exam, n)
        assert (step.next_number is None) == (exam.status == "submitted")
    administered = exam.layout["items"]
    assert 5 <= len(administered) <= 12 and len(set(administered)) == len(administered)
    assert exam.submit_reason and exam.submit_reason.startswith("adaptive: ")
    assert exam.theta is not None and exam.theta_se is not None
    if exam.submit_reason == "adaptive: se_target":
        assert exam.theta_se <= 0.45 + 1e-3
    ids = {db.get(ItemVersion, pk).item_id for pk in administered}  # type: ignore[union-attr]
    for pk in administered:
        enemies = set(db.get(ItemVersion, pk).enemies.get("ids", []))  # type: ignore[union-attr]
        assert not enemies & ids
    assert exam.max_score == len(administered)


def test_adaptive_steps_are_idempotent_and_earlier_answers_final(
    db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    track, _ = _adaptive(db)
    exam = delivery.start(db, world.users["learner"], track)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="choose an answer"):
        adaptive_delivery.confirm_adaptive(db, exam, 1)
    first = exam.layout["items"][0]
    _answer(db, exam, first, True, 1)
    step = adaptive_delivery.confirm_adaptive(db, exam, 1)
    again = adaptive_delivery.confirm_adaptive(db, exam, 1)  # a doubled "continue"
    assert step == again and len(exam.layout["items"]) == 2
    with pytest.raises(Conflict, match="final"):
        _answer(db, exam, first, False, 2)
    # The choice is a function of the stored responses: rebuilding gives the same next item.
    layout = exam.layout
    exam.layout = {**layout, "items": layout["items"][:1]}
    adaptive_delivery.confirm_adaptive(db, exam, 1)
    assert exam.layout["items"] == layout["items"]


def test_confirming_a_question_not_yet_chosen_is_refused(
    db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    track, _ = _adaptive(db)
    exam = delivery.start(db, world.users["learner"], track)  # type: ignore[arg-type]
    _answer(db, exam, exam.layout["items"][0], True, 1)
    adaptive_delivery.confirm_adaptive(db, exam, 1)
    # Question 2 is unanswered: "confirming" question 3 must not skip it as a wrong answer.
    with pytest.raises(InvalidInput, match="not the current question"):
        adaptive_delivery.confirm_adaptive(db, exam, 3)
    with pytest.raises(InvalidInput, match="not the current question"):
        adaptive_delivery.confirm_adaptive(db, exam, 0)
    assert len(exam.layout["items"]) == 2 and exam.status == "in_progress"


def test_an_adaptive_answer_saved_before_time_ran_out_is_scored(
    client: TestClient,
    db: Session,
    world: World,
    calibrated: dict[str, dict[str, float]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from extender.assessment import routes

    issued: list[str] = []
    monkeypatch.setattr(
        routes, "issue_after", lambda db, user_id, s, source: issued.append(user_id)
    )
    track, _ = _adaptive(db, min_items=3, max_items=6, se_target=None, sprt=False)
    exam = delivery.start(db, world.users["learner"], track)  # type: ignore[arg-type]
    _answer(db, exam, exam.layout["items"][0], True, 1)
    adaptive_delivery.confirm_adaptive(db, exam, 1)
    _answer(db, exam, exam.layout["items"][1], True, 2)  # saved, never confirmed
    exam.used_seconds = float(exam.time_limit_seconds)
    db.commit()
    login(client, "learner@example.org")
    page = client.get(f"/exams/sessions/{exam.id}/items/2")
    db.refresh(exam)
    assert exam.status == "submitted" and exam.submit_reason == "time_expired"
    assert exam.max_score == 2 and exam.raw_score == 2 and exam.theta is not None
    assert "Submitted automatically when time ran out" in page.text
    assert issued == [exam.user_id]  # credentials are considered after the automatic submission


def test_adaptive_form_refuses_impossible_settings(
    db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    track = curriculum.get_track(db, "CPEHR")
    with pytest.raises(InvalidInput, match=r"exceeds the .* calibrated active items"):
        adaptive.create_adaptive_form(
            db, ACTOR, track, name="Too long", settings=adaptive.AdaptiveSettings(max_items=999)
        )
    with pytest.raises(InvalidInput, match="minimum length"):
        adaptive.create_adaptive_form(
            db,
            ACTOR,
            track,
            name="Backwards",
            settings=adaptive.AdaptiveSettings(min_items=9, max_items=5),
        )


def test_a_learner_takes_an_adaptive_exam_in_the_browser_path(
    client: TestClient, db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    _adaptive(db, min_items=3, max_items=6, se_target=None, sprt=False)
    db.commit()
    csrf = login(client, "learner@example.org")
    page = client.post("/exams/CPEHR/start", data={"csrf_token": csrf})
    assert "This exam is adaptive" in page.text and "Question 1" in page.text
    assert "Review all answers" not in page.text
    url = str(page.url)
    refused = client.post(url, data={"csrf_token": csrf, "save_key": "k" * 12, "go": "next"})
    assert "choose an answer to continue" in refused.text.lower()
    for n in range(1, 7):
        pk = int(re.search(r'data-item="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
        version = db.get(ItemVersion, pk)
        assert version is not None
        data = {"csrf_token": csrf, "save_key": f"save-key-{n:04d}", "seq": str(n), "go": "next"}
        if version.type == "ordering":
            data |= {f"rank-{o}": str(i + 1) for i, o in enumerate(version.key_list)}
        else:
            data |= {"answer": version.key_list}  # type: ignore[dict-item]
        if n == 1:
            garbled = client.post(str(page.url), data={**data, "seq": "soon"})
            assert garbled.status_code == 422 and "whole number" in garbled.text
        last_url, last_data = str(page.url), data
        page = client.post(last_url, data=last_data)
        if n < 6:
            assert f"Question {n + 1}" in page.text
            # Going back to an earlier question lands on the current one.
            assert f"Question {n + 1}" in client.get(url).text
    assert "Scored by item response theory from 6 questions" in page.text
    assert "maximum number of questions" in page.text
    # A doubled "continue" on the last question lands on the result, not on an error.
    doubled = client.post(last_url, data=last_data)
    assert doubled.status_code == 200 and "Scored by item response theory" in doubled.text
    assert "was not saved" not in doubled.text
    # Six questions over six domains: no domain gets a strong/weak verdict from one answer.
    assert "too few to judge" in page.text and ">strong<" not in page.text


def test_committee_pages_switch_scoring_and_summarise_adaptive_forms(
    client: TestClient, db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    track = curriculum.get_track(db, "CPEHR")
    [form] = forms.assemble(db, ACTOR, track, name="Switchable", seed=5)
    db.commit()
    csrf = login(client, "psychometrician@example.org")
    bad = client.post(
        f"/exams/admin/forms/{form.id}/scoring",
        data={"csrf_token": csrf, "scoring": "irt", "cut_theta": "abc"},
    )
    assert bad.status_code == 422 and "is not a number" in bad.text
    ok = client.post(
        f"/exams/admin/forms/{form.id}/scoring",
        data={"csrf_token": csrf, "scoring": "irt", "cut_theta": "0.25"},
    )
    assert "now scored by IRT (cut at theta +0.25)" in ok.text
    too_long = client.post(
        "/exams/admin/CPEHR/adaptive-forms",
        data={"csrf_token": csrf, "name": "CAT", "max_items": "500"},
    )
    assert too_long.status_code == 422 and "exceeds" in too_long.text
    made = client.post(
        "/exams/admin/CPEHR/adaptive-forms",
        data={"csrf_token": csrf, "name": "CAT", "min_items": "5", "max_items": "15", "sprt": "on"},
    )
    assert "Created adaptive form CAT (draft)" in made.text
    assert "Delivery: <strong>fixed forms</strong>" in made.text
    cat = db.scalars(
        select(forms.ExamForm).where(forms.ExamForm.kind == "adaptive")  # type: ignore[attr-defined]
    ).one()
    summary = client.get(f"/exams/admin/forms/{cat.id}/adaptive")
    assert "No submitted sittings yet" in summary.text and "Sympson" in summary.text
    fixed = client.get(f"/exams/admin/forms/{form.id}/adaptive")
    assert fixed.status_code == 409


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.booleans(), min_size=1, max_size=25),
    st.floats(min_value=-2, max_value=2),
    st.data(),
)
def test_irt_scores_never_drop_for_a_further_right_answer(
    pattern: list[bool], cut: float, data: st.DataObject
) -> None:
    rng = np.random.default_rng(len(pattern))
    params = irt.ItemParameters(rng.uniform(0.5, 2.0, len(pattern)), rng.normal(0, 1, len(pattern)))
    before = irt_scoring.score(params, pattern, cut)
    wrong = [i for i, right in enumerate(pattern) if not right]
    assert 100 <= before.scaled <= 500 and before.passed == (before.scaled >= 300)
    assert before.passed == (before.theta >= cut)
    if wrong:
        flip = data.draw(st.sampled_from(wrong))
        after = irt_scoring.score(params, [r or i == flip for i, r in enumerate(pattern)], cut)
        assert after.theta > before.theta and after.scaled >= before.scaled


def test_publishing_then_retiring_the_adaptive_form_switches_delivery_back(
    db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    track = curriculum.get_track(db, "CPEHR")
    [fixed] = forms.assemble(db, ACTOR, track, name="Fixed", seed=3)
    forms.publish(db, ACTOR, fixed)
    _, cat = _adaptive(db)
    learner = world.users["learner"]
    exam = delivery.start(db, learner, track)
    assert exam.form_id == cat.id and delivery.is_adaptive(exam)  # type: ignore[attr-defined]
    delivery.submit(db, exam)
    forms.retire(db, ACTOR, cat)  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="only a published form"):
        forms.retire(db, ACTOR, cat)  # type: ignore[arg-type]
    again = delivery.start(db, learner, track)
    assert again.form_id == fixed.id and not delivery.is_adaptive(again)


def test_the_exam_page_names_the_adaptive_form_that_delivery_uses(
    client: TestClient, db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    from datetime import timedelta

    track, first = _adaptive(db)
    _, second = _adaptive(db)
    first.name, second.name = "CAT older", "CAT newer"  # type: ignore[attr-defined]
    # The form created first was published last: new sittings use it.
    first.published_at = second.published_at + timedelta(minutes=5)  # type: ignore[attr-defined]
    exam = delivery.start(db, world.users["learner"], track)  # type: ignore[arg-type]
    assert exam.form_id == first.id  # type: ignore[attr-defined]
    db.commit()
    login(client, "psychometrician@example.org")
    page = client.get("/exams/admin/CPEHR").text
    assert "CAT older is published, so new sittings are adaptive" in page


def test_concurrent_doubled_continue_scores_the_sitting_once(
    engine: Engine, db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are what is tested; SQLite serialises writers anyway")
    track, _ = _adaptive(db, min_items=1, max_items=1, se_target=None, sprt=False)
    exam = delivery.start(db, world.users["learner"], track)  # type: ignore[arg-type]
    _answer(db, exam, exam.layout["items"][0], True, 1)
    db.commit()
    first, second = session_factory(engine)(), session_factory(engine)()
    try:
        mine, theirs = first.get(ExamSession, exam.id), second.get(ExamSession, exam.id)
        assert mine is not None and theirs is not None
        assert adaptive_delivery.confirm_adaptive(first, mine, 1).stop == "max_length"
        outcome: list[object] = []

        def doubled() -> None:
            try:
                outcome.append(adaptive_delivery.confirm_adaptive(second, theirs, 1))
                second.commit()
            except Conflict as exc:
                second.rollback()
                outcome.append(exc)

        worker = threading.Thread(target=doubled)
        worker.start()
        time.sleep(0.5)  # the doubled request arrives while the first is still committing
        first.commit()
        worker.join(timeout=30)
        assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    finally:
        first.close()
        second.close()
    statements = db.scalars(
        select(XapiStatement).where(XapiStatement.object_id.like("%/exams/CPEHR"))
    ).all()
    assert len(statements) == 1


def test_a_concurrent_doubled_save_is_acknowledged_not_an_error(
    engine: Engine, db: Session, world: World, calibrated: dict[str, dict[str, float]]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("needs two concurrent transactions")
    track, _ = _adaptive(db)
    exam = delivery.start(db, world.users["learner"], track)  # type: ignore[arg-type]
    db.commit()
    pk = exam.layout["items"][0]
    version = db.get(ItemVersion, pk)
    assert version is not None
    # The whole key is a valid answer to any item type (an ordering item needs every step).
    save = {"item_version_pk": pk, "answer": list(version.key_list), "flagged": False}
    first, second = session_factory(engine)(), session_factory(engine)()
    try:
        mine, theirs = first.get(ExamSession, exam.id), second.get(ExamSession, exam.id)
        assert mine is not None and theirs is not None
        delivery.save_answer(first, mine, idempotency_key="doubled-key", seq=1, **save)  # type: ignore[arg-type]
        outcome: list[object] = []

        def doubled() -> None:
            try:
                outcome.append(
                    delivery.save_answer(
                        second, theirs, idempotency_key="doubled-key", seq=1, **save
                    )  # type: ignore[arg-type]
                )
                second.commit()
            except Exception as exc:  # the old code raised IntegrityError here (a 500)
                second.rollback()
                outcome.append(exc)

        worker = threading.Thread(target=doubled)
        worker.start()
        time.sleep(0.5)
        first.commit()
        worker.join(timeout=30)
        [ack] = outcome
        assert isinstance(ack, delivery.SaveAck) and ack.duplicate and ack.seq == 1
    finally:
        first.close()
        second.close()
