"""The exam committee's work: blueprint, assembly, publishing (frozen), item status and
versions, the exam report against a direct count, and the QTI and bank-report commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from extender.accounts.audit import Actor
from extender.assessment import bank, forms
from extender.assessment.models import ExamForm, ExamSession, Item, Response
from extender.assessment.report import build_report
from extender.assessment.simulate import simulate_sittings
from extender.cli import app as cli
from extender.config import get_settings
from extender.curriculum import service as curriculum
from extender.db import session_factory, unit_of_work
from tests.conftest import CONTENT_DIR, World, login


@pytest.fixture
def cpehr_bank(engine: Engine, world: World) -> None:
    with unit_of_work(session_factory(engine)) as s:
        banks = bank.load_bank_files(CONTENT_DIR, bank.objective_tracks(s))
        bank.sync_bank(s, Actor.system("test"), {"CPEHR": banks["CPEHR"]})


def test_the_committee_assembles_parallel_forms_and_publishing_freezes_them(
    client: TestClient, world: World, cpehr_bank: None, db: Session
) -> None:
    csrf = login(client, "psychometrician@example.org")
    page = client.get("/exams/admin/CPEHR")
    assert page.status_code == 200 and "Items per domain" in page.text
    client.post(
        "/exams/admin/CPEHR/blueprint",
        data={
            "total_items": "24",
            "time_limit_minutes": "40",
            "cut_percent": "72",
            "csrf_token": csrf,
        },
    )
    made = client.post(
        "/exams/admin/CPEHR/forms",
        data={"name": "Spring", "parallel": "2", "seed": "3", "csrf_token": csrf},
    )
    assert "Spring A, Spring B" in made.text
    built = list(db.scalars(select(ExamForm).order_by(ExamForm.name)))
    assert [len(f.items["items"]) for f in built] == [24, 24]
    assert not set(built[0].items["items"]) & set(built[1].items["items"])
    client.post(f"/exams/admin/forms/{built[0].id}/publish", data={"csrf_token": csrf})
    again = client.post(f"/exams/admin/forms/{built[0].id}/publish", data={"csrf_token": csrf})
    assert again.status_code == 409 and "frozen" in again.text
    bad = client.post(
        "/exams/admin/CPEHR/blueprint",
        data={
            "total_items": "2",
            "time_limit_minutes": "40",
            "cut_percent": "72",
            "csrf_token": csrf,
        },
    )
    assert bad.status_code == 422 and "5 to 300 items" in bad.text


def test_editing_an_item_makes_a_version_and_status_follows_the_workflow(
    db: Session, cpehr_bank: None
) -> None:
    item = bank.get_item(db, "CPEHR-I001")
    spec = next(
        i
        for i in bank.load_bank_files(CONTENT_DIR, bank.objective_tracks(db))["CPEHR"]
        if i.id == "CPEHR-I001"
    )
    old = bank.current_version(db, item).pk
    version = bank.edit_item(
        db, Actor.system("t"), item, spec.model_copy(update={"stem": spec.stem + " (revised)"})
    )
    assert version.version == 2 and version.pk != old
    bank.set_status(db, Actor.system("t"), item, "retired")
    with pytest.raises(Exception, match="cannot go from retired to draft"):
        bank.set_status(db, Actor.system("t"), item, "draft")


def test_the_report_matches_a_direct_count(
    db: Session, engine: Engine, world: World, cpehr_bank: None
) -> None:
    track = curriculum.get_track(db, "CPEHR")
    forms.update_blueprint(
        db, Actor.system("t"), track, total_items=12, time_limit_minutes=20, cut_percent=60
    )
    [form] = forms.assemble(db, Actor.system("t"), track, name="Report", seed=1)
    forms.publish(db, Actor.system("t"), form)
    users = [
        world.users[k]
        for k in (
            "learner",
            "other_learner",
            "instructor",
            "proctor",
            "psychometrician",
            "program_admin",
        )
    ]
    simulate_sittings(db, form, track, users, seed=5)
    db.commit()
    result = build_report(db, form)
    sittings = list(db.scalars(select(ExamSession).where(ExamSession.form_id == form.id)))
    exposure = forms.refresh_exposure(db, track)
    assert set(exposure.values()) == {6} and len(exposure) == 12, "each item seen by 6 sittings"
    assert result.sittings == len(sittings) == 6
    for version, stats in zip(result.versions, result.items.items, strict=True):
        right = db.scalars(
            select(Response.correct).where(Response.item_version_pk == version.pk)
        ).all()
        assert stats.p_value == pytest.approx(sum(bool(r) for r in right) / 6)
    totals = sorted(s.raw_score or 0 for s in sittings)
    assert result.summary.mean == pytest.approx(sum(totals) / 6)
    assert result.cut_raw == 8  # ceil(60% of 12 = 7.2)
    passing = sum(t >= 8 for t in totals)
    assert result.summary.pass_rate == pytest.approx(passing / 6)
    assert result.groups == ("A", "B") and result.dif is not None


def test_qti_export_then_import_and_the_bank_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str, cpehr_bank: None, db: Session
) -> None:
    monkeypatch.setenv("EXTENDER_DATABASE_URL", db_url)
    monkeypatch.setenv("EXTENDER_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = tmp_path / "cpehr.zip"
        exported = runner.invoke(
            cli, ["exams", "export-qti", "--track", "CPEHR", "--out", str(out)]
        )
        assert exported.exit_code == 0, exported.output
        assert "wrote 65 items" in exported.output
        again = runner.invoke(cli, ["exams", "import-qti", str(out)])
        assert again.exit_code == 0 and "65 unchanged" in again.output
        broken = tmp_path / "broken.zip"
        broken.write_bytes(b"not a zip")
        refused = runner.invoke(cli, ["exams", "import-qti", str(broken)])
        assert refused.exit_code == 2 and "nothing imported" in refused.output
        report = runner.invoke(cli, ["exams", "bank-report"])
        assert report.exit_code == 0 and "CPEHR: 65 items" in report.output
    finally:
        get_settings.cache_clear()
    assert db.scalar(select(Item).where(Item.status == "draft")) is None


def test_an_angoff_study_recommends_a_cut_that_the_committee_adopts(
    client: TestClient, world: World, cpehr_bank: None, db: Session
) -> None:
    track = curriculum.get_track(db, "CPEHR")
    forms.update_blueprint(
        db, Actor.system("t"), track, total_items=6, time_limit_minutes=20, cut_percent=70
    )
    [form] = forms.assemble(db, Actor.system("t"), track, name="Angoff", seed=2)
    db.commit()
    pks = form.items["items"]
    from extender.accounts import service as accounts

    second = accounts.get_user(db, world.users["platform_admin"].id)
    accounts.grant_role(
        db, Actor.system("t"), user=second, org=world.orgs["board"], role="psychometrician"
    )
    db.commit()
    csrf = login(client, "psychometrician@example.org")
    url = f"/exams/admin/forms/{form.id}/angoff"
    bad = client.post(url, data={f"rating-{pks[0]}": "1.4", "csrf_token": csrf})
    assert bad.status_code == 422 and "from 0 to 1" in bad.text
    client.post(url, data={**{f"rating-{pk}": "0.6" for pk in pks}, "csrf_token": csrf})
    too_early = client.post(f"{url}/adopt", data={"csrf_token": csrf})
    assert too_early.status_code == 409
    with TestClient(client.app) as other:
        other_csrf = login(other, "platform_admin@example.org")
        other.post(url, data={**{f"rating-{pk}": "0.8" for pk in pks}, "csrf_token": other_csrf})
    page = client.get(url).text
    # panelists' cuts 3.6 and 4.8 of 6 items: mean 4.2 = 70.0%
    assert "70.0%" in page and "4.2 of 6 items" in page
    client.post(f"{url}/adopt", data={"csrf_token": csrf})
    db.expire_all()
    assert forms.blueprint_for(db, track).cut_percent == 70.0


def test_program_admins_grant_eligibility_with_extra_time(
    client: TestClient, world: World, cpehr_bank: None, db: Session
) -> None:
    from extender.assessment import delivery

    csrf = login(client, "program_admin@example.org")
    assert "Exam eligibility and accommodations" in client.get("/dashboard/program").text
    client.post(
        "/programs/academy/exam-eligibility",
        data={
            "email": "learner@example.org",
            "track": "CPEHR",
            "time_factor": "1.5",
            "csrf_token": csrf,
        },
    )
    from extender.accounts import service as accounts

    learner = accounts.get_user(db, world.users["learner"].id)
    rights = delivery.eligibility(db, learner, curriculum.get_track(db, "CPEHR"))
    assert rights is not None and rights.time_factor == 1.5
    odd = client.post(
        "/programs/academy/exam-eligibility",
        data={
            "email": "learner@example.org",
            "track": "CPEHR",
            "time_factor": "3",
            "csrf_token": csrf,
        },
    )
    assert odd.status_code == 422 and "extra time must be" in odd.text


def test_the_item_page_saves_a_new_version_and_names_bad_fields(
    client: TestClient, world: World, cpehr_bank: None, db: Session
) -> None:
    csrf = login(client, "psychometrician@example.org")
    page = client.get("/exams/admin/items/CPEHR-I002")
    assert page.status_code == 200 and "version 1" in page.text
    item = bank.get_item(db, "CPEHR-I002")
    current = bank.current_version(db, item)
    form = {f"option-{o['id']}": o["text"] for o in current.option_list}
    form.update(
        {
            "objective": item.objective_code,
            "stem": current.stem + " Revised.",
            "key": ",".join(current.key_list),
            "rationale": current.rationale,
            "reference": current.reference,
            "csrf_token": csrf,
        }
    )
    saved = client.post("/exams/admin/items/CPEHR-I002", data=form)
    assert saved.status_code == 200 and "version 2" in saved.text
    bad = client.post("/exams/admin/items/CPEHR-I002", data={**form, "key": "Z"})
    assert bad.status_code == 422 and "names options that do not exist" in bad.text
