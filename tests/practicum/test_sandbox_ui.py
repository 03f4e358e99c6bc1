"""The sandbox EHR screens over a generated practice: search, chart, merge and undo, users and
roles, the audit viewer, result correction, and instructors' reset."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from extender.db import session_factory, unit_of_work
from extender.practicum import service
from extender.practicum.fhir.store import Store, references
from extender.practicum.generator.params import DefectParams, PracticeParams
from extender.practicum.models import PatientMerge, Workspace
from tests.conftest import World, login

SMALL = PracticeParams(
    patients=30,
    seed=11,
    years_of_history=2,
    audit_days=3,
    defects=DefectParams(
        duplicate_patients=2,
        lookalike_patients=1,
        overprivileged_accounts=1,
        coworker_accesses=1,
        vip_accesses=0,
        after_hours_browsing=0,
        family_accesses=0,
        miscoded_results=1,
    ),
)


@pytest.fixture
def practice(engine: Engine, world: World) -> str:
    with unit_of_work(session_factory(engine)) as s:
        ws = service.create_workspace(s, world.users["learner"], name="Practice", params=SMALL)
        return ws.id


def _key(db: Session, ws: str) -> dict:  # type: ignore[type-arg]
    workspace = db.get(Workspace, ws)
    assert workspace is not None and workspace.answer_key is not None
    return dict(workspace.answer_key["key"])


def _patient_refs(store: Store, ref: str) -> set[str]:
    rtype, rid = ref.split("/")
    return {
        r["reference"]
        for r in references(store.read(rtype, rid, audit=False))
        if r["reference"].startswith("Patient/")
    }


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_it_finds_patients_and_shows_a_chart(
    client: TestClient, practice: str, db: Session
) -> None:
    login(client, "learner@example.org")
    dup = _key(db, practice)["duplicates"][0]
    listing = client.get(
        f"/practicum/ws/{practice}/patients", params={"identifier": dup["original_mrn"]}
    )
    assert listing.status_code == 200 and dup["original_mrn"] in listing.text
    pid = dup["original"].split("/")[1]
    chart = client.get(f"/practicum/ws/{practice}/patients/{pid}")
    assert chart.status_code == 200
    for heading in ("Problems", "Medications", "Allergies", "Results", "Encounters"):
        assert f">{heading}</h2>" in chart.text
    bad = client.get(f"/practicum/ws/{practice}/patients", params={"birthdate": "soon"})
    assert bad.status_code == 400 and "not a FHIR date" in bad.text


def test_it_merges_repoints_references_and_undoes(
    client: TestClient, practice: str, db: Session
) -> None:
    csrf = login(client, "learner@example.org")
    dup = _key(db, practice)["duplicates"][0]
    survivor, merged = dup["original"].split("/")[1], dup["duplicate"].split("/")[1]
    moved = [r for r in dup["duplicate_resources"] if not r.startswith("urn:")]
    response = client.post(
        f"/practicum/ws/{practice}/merges",
        data={"survivor": survivor, "merged": merged, "csrf_token": csrf},
    )
    assert response.status_code == 200 and "Merged" in response.text
    store = Store(db, practice, audit=False)
    old = store.read("Patient", merged, audit=False)
    assert old["active"] is False and old["link"][0]["type"] == "replaced-by"
    for ref in moved:
        targets = _patient_refs(store, ref)
        assert f"Patient/{survivor}" in targets and f"Patient/{merged}" not in targets
    again = client.post(
        f"/practicum/ws/{practice}/merges",
        data={"survivor": survivor, "merged": merged, "csrf_token": csrf},
    )
    assert again.status_code == 409
    merge_id = db.scalars(select(PatientMerge.id)).one()
    client.post(f"/practicum/ws/{practice}/merges/{merge_id}/undo", data={"csrf_token": csrf})
    db.expire_all()
    assert store.read("Patient", merged, audit=False).get("active") is not False
    for ref in moved:
        targets = _patient_refs(store, ref)
        assert f"Patient/{merged}" in targets and f"Patient/{survivor}" not in targets


def test_it_edits_sandbox_users_and_refuses_unknown_roles(
    client: TestClient, practice: str, db: Session
) -> None:
    csrf = login(client, "learner@example.org")
    page = client.get(f"/practicum/ws/{practice}/users")
    assert page.status_code == 200
    over = _key(db, practice)["overprivileged_accounts"][0]
    workspace = db.get(Workspace, practice)
    assert workspace is not None
    account = next(
        a for a in service.staff_accounts(workspace) if a["username"] == over["username"]
    )
    keep = [r for r in account["roles"] if r not in over["excess_roles"]]
    client.post(
        f"/practicum/ws/{practice}/users",
        data={
            "mode": "update",
            "username": account["username"],
            "name": account["name"],
            "job_title": account["job_title"],
            "roles": keep,
            "active": "on",
            "csrf_token": csrf,
        },
    )
    db.expire_all()
    workspace = db.get(Workspace, practice)
    assert workspace is not None
    saved = next(a for a in service.staff_accounts(workspace) if a["username"] == over["username"])
    assert saved["roles"] == sorted(keep)
    bad = client.post(
        f"/practicum/ws/{practice}/users",
        data={
            "mode": "create",
            "username": "new.person",
            "name": "New Person",
            "job_title": account["job_title"],
            "roles": ["root"],
            "active": "on",
            "csrf_token": csrf,
        },
    )
    assert bad.status_code == 422 and "unknown role" in bad.text


def test_the_audit_viewer_filters_by_user_and_patient(
    client: TestClient, practice: str, db: Session
) -> None:
    login(client, "learner@example.org")
    planted = _key(db, practice)["inappropriate_accesses"][0]
    patient = planted["patients"][0]
    page = client.get(
        f"/practicum/ws/{practice}/audit", params={"user": planted["username"], "patient": patient}
    )
    assert page.status_code == 200 and patient in page.text
    assert re.search(r"(\d+) events", page.text)


def test_it_corrects_a_miscoded_result(client: TestClient, practice: str, db: Session) -> None:
    csrf = login(client, "learner@example.org")
    defect = _key(db, practice)["result_defects"][0]
    oid = defect["observation"].split("/")[1]
    response = client.post(
        f"/practicum/ws/{practice}/observations/{oid}",
        data={"loinc": "4548-4", "value": "7.2", "unit": "%", "csrf_token": csrf},
    )
    assert response.status_code == 200
    obs = Store(db, practice, audit=False).read("Observation", oid, audit=False)
    assert obs["code"]["coding"][0]["code"] == "4548-4"
    assert obs["valueQuantity"]["code"] == "%" and obs["meta"]["versionId"] == "2"
    bad = client.post(
        f"/practicum/ws/{practice}/observations/{oid}",
        data={"loinc": "hba1c", "value": "7.2", "unit": "%", "csrf_token": csrf},
    )
    assert bad.status_code == 422


def test_other_people_cannot_open_the_sandbox(client: TestClient, practice: str) -> None:
    login(client, "instructor@example.org")
    assert client.get(f"/practicum/ws/{practice}").status_code == 404
    assert client.get(f"/practicum/ws/{practice}/audit").status_code == 404
