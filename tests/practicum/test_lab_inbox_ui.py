"""The interface inbox of the inbound lab interface scenario: the messages as they arrived and
field by field, the lab's compendium, the .hl7 download, and the "Create a resource" box that
files results as Observations through the same Store (validation, audit) as the FHIR API."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extender.practicum import hl7v2, inbox
from extender.practicum.generator.lab_inbox import (
    INTERPRETATION_SYSTEM,
    LAB_NAME,
    RESULT_ID_SYSTEM,
    compendium_rows,
)
from extender.practicum.models import FhirResource, Workspace
from tests.conftest import World, login

SCENARIO = "inbound-lab-interface"
STATUS = {"F": "final", "C": "corrected"}


def observation_json(text: str, set_id: str, patient_id: str) -> dict[str, Any]:
    """The Observation the brief asks for, for OBX ``set_id`` of the message ``text``."""
    message = hl7v2.parse(text)
    obr = message.first("OBR")
    assert obr is not None
    obx = next(s for s in message.all("OBX") if s.get("1") == set_id)
    loinc = obx.get("3.1") if obx.get("3.3") == "LN" else None
    loinc = loinc or next(
        r["loinc"] for r in compendium_rows() if r["local_code"] == obx.get("3.1")
    )
    unit = obx.get("6.1")
    return {
        "resourceType": "Observation",
        "identifier": [{"system": RESULT_ID_SYSTEM, "value": f"{obr.get('3.1')}-{set_id}"}],
        "status": STATUS[obx.get("11")],
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": datetime.strptime(obx.get("14"), "%Y%m%d%H%M%z").isoformat(),
        "valueQuantity": {
            "value": float(obx.get("5")),
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
        "interpretation": [{"coding": [{"system": INTERPRETATION_SYSTEM, "code": obx.get("8")}]}],
    }


@dataclass
class Lab:
    ws: str
    csrf: str
    messages: list[str]
    key: list[dict[str, Any]]

    @property
    def url(self) -> str:
        return f"/practicum/ws/{self.ws}"

    def text_of(self, control_id: str) -> str:
        return next(m for m in self.messages if hl7v2.parse(m).control_id == control_id)

    def first(self, kind: str) -> dict[str, Any]:
        return next(m for m in self.key if m["kind"] == kind)


@pytest.fixture
def lab(client: TestClient, world: World, db: Session) -> Lab:
    csrf = login(client, "learner@example.org")
    started = client.post(
        f"/practicum/scenarios/{SCENARIO}/start",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    ws = started.headers["location"].rstrip("/").split("/")[-1]
    workspace = db.get(Workspace, ws)
    assert workspace is not None and workspace.inbox and workspace.answer_key
    return Lab(ws, csrf, workspace.inbox["messages"], workspace.answer_key["key"]["lab_messages"])


def _patient_id(client: TestClient, lab: Lab, mrn: str) -> str:
    bundle = client.get(f"/fhir/{lab.ws}/Patient", params={"identifier": mrn}).json()
    assert bundle["total"] == 1, bundle
    return str(bundle["entry"][0]["resource"]["id"])


def _create(client: TestClient, lab: Lab, resource: Any) -> Any:
    text = resource if isinstance(resource, str) else json.dumps(resource, indent=2)
    return client.post(f"{lab.url}/inbox/resource", data={"resource": text, "csrf_token": lab.csrf})


def _count(db: Session, ws: str, rtype: str = "Observation") -> int:
    db.expire_all()
    return int(
        db.scalar(
            select(func.count()).where(
                FhirResource.workspace_id == ws, FhirResource.resource_type == rtype
            )
        )
        or 0
    )


def _filed_cell(html: str, position: int, set_id: str) -> str:
    match = re.search(rf'<tr id="obx-{position}-{set_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for OBX {set_id} of message {position}"
    cell = re.search(r'<td class="filed">(.*?)</td>', match.group(1), re.S)
    assert cell
    return cell.group(1)


def test_the_inbox_lists_every_message_and_the_compendium(client: TestClient, lab: Lab) -> None:
    overview = client.get(lab.url)
    assert f'href="{lab.url}/inbox">Interface inbox</a>' in overview.text
    page = client.get(f"{lab.url}/inbox")
    assert page.status_code == 200
    assert len(lab.key) == len(lab.messages) >= 8
    for message in lab.key:
        assert f"<code>{message['control_id']}</code>" in page.text
    assert page.text.count('<section class="card" id="msg-') == len(lab.messages)
    for row in compendium_rows():
        assert f"<code>{row['local_code']}</code>" in page.text
        assert f"<code>{row['loinc']}</code>" in page.text
    assert LAB_NAME in page.text and 'href="#create"' in page.text
    assert "OBX-3" in page.text and "PID-5" in page.text  # the field-by-field view
    assert '<span class="tok-seg">MSH</span>' in page.text  # the raw message, highlighted
    correction = lab.first("correction")
    assert "Corrected result: previously reported as" in page.text, correction


def test_the_download_is_every_message_in_one_file(client: TestClient, lab: Lab) -> None:
    response = client.get(f"{lab.url}/inbox.hl7")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("x-application/hl7-v2+er7")
    assert re.fullmatch(
        r'attachment; filename="inbound-lab-interface[a-z0-9-]*-inbox\.hl7"',
        response.headers["content-disposition"],
    )
    body = response.content.decode()
    assert "\n" not in body and body.endswith("\r")
    split = hl7v2.split_batch(body)
    assert [hl7v2.parse(m).control_id for m in split] == [m["control_id"] for m in lab.key]
    assert split == ["\r".join(re.split(r"\r\n|\r|\n", m.strip())) for m in lab.messages]


def test_a_result_filed_from_the_box_is_shown_as_filed(
    client: TestClient, lab: Lab, db: Session
) -> None:
    clean = lab.first("clean")
    text = lab.text_of(clean["control_id"])
    message = hl7v2.parse(text)
    pid = message.first("PID")
    assert pid is not None
    patient = _patient_id(client, lab, pid.get("3.1"))
    assert f"Patient/{patient}" == clean["patient"]
    position = lab.messages.index(text) + 1
    before = client.get(f"{lab.url}/inbox").text
    assert "not filed" in _filed_cell(before, position, "1")

    done = _create(client, lab, observation_json(text, "1", patient))
    assert done.status_code == 200 and done.url.path == f"{lab.url}/inbox"
    created = re.search(r"Created Observation/([0-9a-f]+)\.", done.text)
    assert created, done.text
    cell = _filed_cell(done.text, position, "1")
    assert "filed" in cell and "not filed" not in cell
    assert f'href="{lab.url}/patients/{patient}#results">Observation/{created.group(1)}' in cell
    workspace = db.get(Workspace, lab.ws)
    assert workspace is not None
    identifier = clean["results"][0]["identifier"]
    assert inbox.filed_results(db, workspace) == {identifier: [f"Observation/{created.group(1)}"]}
    audit = client.get(
        f"/fhir/{lab.ws}/AuditEvent", params={"entity": f"Observation/{created.group(1)}"}
    ).json()
    assert audit["total"] == 1 and audit["entry"][0]["resource"]["agent"][0]["policy"] == ["ui"]

    twice = _create(client, lab, observation_json(text, "1", patient))
    assert "filed 2 times" in _filed_cell(twice.text, position, "1")


BAD_INPUT = [
    (
        '{"resourceType": "Observation",\n  "status": final}',
        "not valid JSON: Expecting value at line 2, column 13",
    ),
    ("[1, 2]", "must be an object (a FHIR resource), not list"),
    ('{"status": "final"}', "resourceType is missing"),
    ('{"resourceType": "Patient"}', "not Patient"),
    ("   ", "paste a FHIR resource"),
    (
        '{"resourceType": "Observation", "valueQuantity": {"value": NaN}}',
        "NaN is not a JSON number",
    ),
    ('{"resourceType": "Observation", "status": "final"}', "Observation.code: Field required"),
    (
        '{"resourceType": "Observation", "status": "final", "code": {"text": "x"},'
        ' "subject": {"reference": "Patient/nobody"}}',
        "reference(s) to missing resources: Patient/nobody",
    ),
    (
        '{"resourceType": "Bundle", "type": "collection"}',
        "Bundle.type must be transaction or batch",
    ),
    (
        '{"resourceType": "Bundle", "type": "transaction", "entry":'
        ' [{"resource": 5, "request": {"method": "POST", "url": "Observation"}}]}',
        "Bundle.entry[0].resource must be a JSON object",
    ),
]
ERROR = re.compile(r'id="resource-error"><strong>Nothing was created:</strong> (.*?)</div>', re.S)


@pytest.mark.parametrize(("text", "expected"), BAD_INPUT)
def test_bad_input_is_refused_with_its_reason_and_kept_in_the_box(
    client: TestClient, lab: Lab, db: Session, text: str, expected: str
) -> None:
    before = _count(db, lab.ws)
    response = _create(client, lab, text)
    assert response.status_code == 422
    error = ERROR.search(response.text)
    assert error and expected in error.group(1).replace("&#39;", "'"), response.text
    if text.strip():
        assert ">" + text.replace('"', "&#34;") + "</textarea>" in response.text
    assert 'aria-invalid="true"' in response.text
    assert _count(db, lab.ws) == before


@pytest.mark.parametrize("kind", ["transaction", "batch"])
def test_a_bundle_with_one_bad_entry_creates_nothing(
    client: TestClient, lab: Lab, db: Session, kind: str
) -> None:
    clean = lab.first("clean")
    text = lab.text_of(clean["control_id"])
    patient = clean["patient"].split("/")[1]
    good = observation_json(text, "1", patient)
    bad = {k: v for k, v in good.items() if k != "code"}
    bundle = {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"resource": r, "request": {"method": "POST", "url": "Observation"}}
            for r in (good, bad)
        ],
    }
    observations, audits = _count(db, lab.ws), _count(db, lab.ws, "AuditEvent")
    response = _create(client, lab, bundle)
    assert response.status_code == 422
    assert "Bundle.entry[1].resource.code: Field required" in response.text
    assert _count(db, lab.ws) == observations
    assert _count(db, lab.ws, "AuditEvent") == audits


def test_a_value_too_long_to_index_is_refused_not_a_server_error(
    client: TestClient, lab: Lab, db: Session
) -> None:
    clean = lab.first("clean")
    good = observation_json(lab.text_of(clean["control_id"]), "1", clean["patient"].split("/")[1])
    unit = "x" * 60  # longer than the search index's unit column (PostgreSQL enforces it)
    before = _count(db, lab.ws)
    response = _create(
        client, lab, {**good, "valueQuantity": {**good["valueQuantity"], "code": unit}}
    )
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert "too long for the sandbox to store" in response.text
        assert _count(db, lab.ws) == before


def test_the_whole_scenario_can_be_worked_from_the_inbox_page(
    client: TestClient, lab: Lab, db: Session
) -> None:
    for message in lab.key:
        if message["kind"] != "clean":
            continue
        text, patient = lab.text_of(message["control_id"]), message["patient"].split("/")[1]
        obx = [s.get("1") for s in hl7v2.parse(text).all("OBX")]
        entries = [
            {
                "resource": observation_json(text, set_id, patient),
                "request": {"method": "POST", "url": "Observation"},
            }
            for set_id in obx
        ]
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        done = _create(client, lab, bundle)
        assert done.status_code == 200
        expected = f"Created {len(obx)} resources: " if len(obx) > 1 else "Created Observation/"
        assert expected in done.text
    workspace = db.get(Workspace, lab.ws)
    assert workspace is not None
    filed = inbox.filed_results(db, workspace)
    correction = lab.first("correction")
    text = lab.text_of(correction["control_id"])
    patient = correction["patient"].split("/")[1]
    for result in correction["results"]:
        [reference] = filed[result["identifier"]]
        set_id = result["identifier"].rsplit("-", 1)[1]
        put = {**observation_json(text, set_id, patient), "id": reference.split("/")[1]}
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [{"resource": put, "request": {"method": "PUT", "url": reference}}],
        }
        done = _create(client, lab, bundle)
        assert done.status_code == 200 and f"Updated {reference}." in done.text
    not_filed = [m["control_id"] for m in lab.key if m["action"] in ("return", "ignore")]
    submitted = client.post(
        f"{lab.url}/submit", data={"not_filed": "\n".join(not_filed), "csrf_token": lab.csrf}
    )
    assert submitted.status_code == 200
    assert '<span class="badge ok" id="result-badge">Passed</span>' in submitted.text
    assert ": 100.0%</h1>" in submitted.text


def test_a_message_that_does_not_parse_is_still_listed(
    client: TestClient, lab: Lab, db: Session
) -> None:
    workspace = db.get(Workspace, lab.ws)
    assert workspace is not None
    workspace.inbox = {"messages": [*lab.messages, "PID|1||123"]}
    db.commit()
    page = client.get(f"{lab.url}/inbox")
    assert page.status_code == 200
    assert "This message could not be read: the message must start with an MSH segment" in page.text
    assert "PID|1||123" in re.sub(r"<[^>]+>", "", page.text)  # the raw text, still shown


def test_a_workspace_without_an_inbox_has_none(
    client: TestClient, world: World, workspace: str
) -> None:
    csrf = login(client, "learner@example.org")
    assert "Interface inbox" not in client.get(f"/practicum/ws/{workspace}").text
    for response in (
        client.get(f"/practicum/ws/{workspace}/inbox"),
        client.get(f"/practicum/ws/{workspace}/inbox.hl7"),
        client.post(
            f"/practicum/ws/{workspace}/inbox/resource",
            data={"resource": '{"resourceType": "Observation"}', "csrf_token": csrf},
        ),
    ):
        assert response.status_code == 404
        assert "this workspace has no interface inbox" in response.text


def test_another_learner_cannot_reach_the_inbox(client: TestClient, lab: Lab, db: Session) -> None:
    before = _count(db, lab.ws)
    client.post("/logout", data={"csrf_token": lab.csrf})
    csrf = login(client, "other_learner@example.org")
    assert client.get(f"{lab.url}/inbox").status_code == 404
    assert client.get(f"{lab.url}/inbox.hl7").status_code == 404
    clean = lab.first("clean")
    observation = observation_json(
        lab.text_of(clean["control_id"]), "1", clean["patient"].split("/")[1]
    )
    response = client.post(
        f"{lab.url}/inbox/resource",
        data={"resource": json.dumps(observation), "csrf_token": csrf},
    )
    assert response.status_code == 404 and "no such workspace" in response.text
    assert _count(db, lab.ws) == before
