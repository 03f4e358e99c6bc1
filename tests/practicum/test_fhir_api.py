from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World, login

FHIR = "application/fhir+json"


def _patient(family: str = "Okafor", given: str = "Grace", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "name": [{"family": family, "given": [given]}],
        "gender": "female",
        "birthDate": "1984-03-09",
        "identifier": [{"system": "urn:example:mrn", "value": f"MRN-{family}"}],
        "telecom": [{"system": "phone", "value": "(614) 555-0101"}],
        **extra,
    }


def _create(api: TestClient, ws: str, resource: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"/fhir/{ws}/{resource['resourceType']}", json=resource)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_it_creates_reads_updates_and_deletes_with_versions(
    learner_api: TestClient, workspace: str
) -> None:
    created = learner_api.post(f"/fhir/{workspace}/Patient", json=_patient())
    assert created.status_code == 201
    assert created.headers["content-type"].startswith(FHIR)
    pid = created.json()["id"]
    assert created.headers["etag"] == 'W/"1"'
    assert created.headers["location"].endswith(f"/Patient/{pid}/_history/1")
    updated = learner_api.put(
        f"/fhir/{workspace}/Patient/{pid}", json={**_patient(), "id": pid, "gender": "male"}
    )
    assert updated.status_code == 200 and updated.json()["meta"]["versionId"] == "2"
    assert learner_api.get(f"/fhir/{workspace}/Patient/{pid}/_history/1").json()["gender"] == (
        "female"
    )
    history = learner_api.get(f"/fhir/{workspace}/Patient/{pid}/_history").json()
    assert history["type"] == "history" and history["total"] == 2
    assert learner_api.delete(f"/fhir/{workspace}/Patient/{pid}").status_code == 204
    gone = learner_api.get(f"/fhir/{workspace}/Patient/{pid}")
    assert gone.status_code == 410 and gone.json()["resourceType"] == "OperationOutcome"
    stale = learner_api.put(
        f"/fhir/{workspace}/Patient/{pid}",
        json={**_patient(), "id": pid},
        headers={"If-Match": 'W/"1"'},
    )
    assert stale.status_code == 412


def test_it_names_the_path_of_each_problem_in_an_invalid_resource(
    learner_api: TestClient, workspace: str
) -> None:
    bad = _patient(birthDate="1984-13-45", colour="blue")
    bad["name"] = [{"family": "X", "given": "not-a-list"}]
    response = learner_api.post(f"/fhir/{workspace}/Patient", json=bad)
    assert response.status_code == 422
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    paths = {issue["expression"][0] for issue in outcome["issue"]}
    assert {"Patient.birthDate", "Patient.colour", "Patient.name[0].given"} <= paths
    broken = learner_api.post(
        f"/fhir/{workspace}/Patient", content=b"{not json", headers={"content-type": FHIR}
    )
    assert broken.status_code == 400
    assert "not valid JSON" in broken.json()["issue"][0]["diagnostics"]


def test_a_transaction_with_one_bad_entry_changes_nothing(
    learner_api: TestClient, workspace: str
) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:p1",
                "resource": _patient(),
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
                    "subject": {"reference": "urn:uuid:p1"},
                    "valueQuantity": "nine",
                },
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    response = learner_api.post(f"/fhir/{workspace}", json=bundle)
    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"][0].startswith("Bundle.entry[1]")
    assert learner_api.get(f"/fhir/{workspace}/Patient").json()["total"] == 0


def test_a_transaction_resolves_urn_uuids_and_refuses_missing_references(
    learner_api: TestClient, workspace: str
) -> None:
    obs = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
        "subject": {"reference": "urn:uuid:p1"},
        "valueQuantity": {
            "value": 9.4,
            "unit": "%",
            "system": "http://unitsofmeasure.org",
            "code": "%",
        },
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": obs, "request": {"method": "POST", "url": "Observation"}},
            {
                "fullUrl": "urn:uuid:p1",
                "resource": _patient(),
                "request": {"method": "POST", "url": "Patient"},
            },
        ],
    }
    response = learner_api.post(f"/fhir/{workspace}", json=bundle)
    assert response.status_code == 200, response.text
    locations = [e["response"]["location"] for e in response.json()["entry"]]
    patient_id = locations[1].split("/")[1]
    stored = learner_api.get(f"/fhir/{workspace}/{locations[0].rsplit('/_history', 1)[0]}")
    assert stored.json()["subject"]["reference"] == f"Patient/{patient_id}"
    dangling = {**obs, "subject": {"reference": "Patient/does-not-exist"}}
    refused = learner_api.post(
        f"/fhir/{workspace}",
        json={
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [{"resource": dangling, "request": {"method": "POST", "url": "Observation"}}],
        },
    )
    assert refused.status_code == 422
    assert "Patient/does-not-exist" in refused.json()["issue"][0]["diagnostics"]


def test_conditional_create_does_not_duplicate(learner_api: TestClient, workspace: str) -> None:
    header = {"If-None-Exist": "identifier=urn:example:mrn|MRN-Okafor"}
    first = learner_api.post(f"/fhir/{workspace}/Patient", json=_patient(), headers=header)
    second = learner_api.post(f"/fhir/{workspace}/Patient", json=_patient(), headers=header)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert learner_api.get(f"/fhir/{workspace}/Patient").json()["total"] == 1


def test_a_batch_reports_each_entry(learner_api: TestClient, workspace: str) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"resource": _patient(), "request": {"method": "POST", "url": "Patient"}},
            {
                "resource": _patient(gender="robotic-ish", birthDate="x"),
                "request": {"method": "POST", "url": "Patient"},
            },
        ],
    }
    response = learner_api.post(f"/fhir/{workspace}", json=bundle).json()
    statuses = [e["response"]["status"] for e in response["entry"]]
    assert statuses[0].startswith("201") and statuses[1] == "422"
    assert learner_api.get(f"/fhir/{workspace}/Patient").json()["total"] == 1


def _lab(patient: str, value: float, when: str, code: str = "4548-4") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
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
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": "%",
            "system": "http://unitsofmeasure.org",
            "code": "%",
        },
    }


def test_it_searches_with_the_common_parameters(learner_api: TestClient, workspace: str) -> None:
    grace = _create(learner_api, workspace, _patient())
    _create(
        learner_api, workspace, _patient("Okamoto", "Ken", gender="male", birthDate="1990-07-01")
    )
    _create(learner_api, workspace, _patient("Smith", "Anna", birthDate="1984-11-30"))
    for value, when in ((7.1, "2025-02-01"), (9.6, "2026-03-15"), (8.0, "2026-08-20")):
        _create(learner_api, workspace, _lab(grace["id"], value, when))

    def ids(query: str) -> list[str]:
        response = learner_api.get(f"/fhir/{workspace}/{query}")
        assert response.status_code == 200, response.text
        return [
            e["resource"]["id"] for e in response.json()["entry"] if e["search"]["mode"] == "match"
        ]

    assert len(ids("Patient?name=oka")) == 2
    assert len(ids("Patient?family:exact=Okafor")) == 1
    assert len(ids("Patient?birthdate=1984")) == 2
    assert len(ids("Patient?birthdate=ge1985-01-01")) == 1
    assert len(ids("Patient?gender=male")) == 1
    assert ids("Patient?identifier=urn:example:mrn|MRN-Okafor") == [grace["id"]]
    assert len(ids("Patient?phone=6145550101")) == 3
    assert len(ids(f"Observation?subject=Patient/{grace['id']}&code=http://loinc.org|4548-4")) == 3
    assert len(ids("Observation?date=ge2026-01-01")) == 2
    assert len(ids("Observation?value-quantity=gt9|http://unitsofmeasure.org|%")) == 1
    assert len(ids("Observation?date=2026&value-quantity=le8")) == 1
    newest = learner_api.get(f"/fhir/{workspace}/Observation?_sort=-date&_count=1").json()
    assert newest["entry"][0]["resource"]["effectiveDateTime"] == "2026-08-20"
    assert newest["total"] == 3 and any(link["relation"] == "next" for link in newest["link"])
    nxt = next(link["url"] for link in newest["link"] if link["relation"] == "next")
    second = learner_api.get(nxt.replace("http://testserver", "")).json()
    assert second["entry"][0]["resource"]["effectiveDateTime"] == "2026-03-15"
    included = learner_api.get(
        f"/fhir/{workspace}/Observation?_include=Observation:patient&_count=2"
    ).json()
    modes = [e["search"]["mode"] for e in included["entry"]]
    assert modes.count("include") == 1
    bad = learner_api.get(f"/fhir/{workspace}/Patient?shoe-size=9")
    assert bad.status_code == 400 and "unknown search parameter" in bad.text
    bad_date = learner_api.get(f"/fhir/{workspace}/Patient?birthdate=yesterday")
    assert bad_date.status_code == 400


def test_patient_everything_returns_the_compartment(
    learner_api: TestClient, workspace: str
) -> None:
    grace = _create(learner_api, workspace, _patient())
    other = _create(learner_api, workspace, _patient("Smith", "Anna"))
    _create(learner_api, workspace, _lab(grace["id"], 7.0, "2026-01-01"))
    _create(learner_api, workspace, _lab(other["id"], 7.0, "2026-01-01"))
    bundle = learner_api.get(f"/fhir/{workspace}/Patient/{grace['id']}/$everything").json()
    assert bundle["total"] == 2
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {"Patient", "Observation"}


def test_every_access_is_recorded_as_an_audit_event(
    learner_api: TestClient, workspace: str
) -> None:
    grace = _create(learner_api, workspace, _patient())
    learner_api.get(f"/fhir/{workspace}/Patient/{grace['id']}")
    events = learner_api.get(
        f"/fhir/{workspace}/AuditEvent?patient=Patient/{grace['id']}&_sort=date"
    ).json()
    actions = [e["resource"]["action"] for e in events["entry"]]
    assert actions[:2] == ["C", "R"]
    agent = events["entry"][1]["resource"]["agent"][0]
    assert agent["altId"] == "learner@example.org" and agent["network"]["address"]


def test_workspaces_are_private(
    client: TestClient, learner_api: TestClient, workspace: str, world: World
) -> None:
    _create(learner_api, workspace, _patient())
    login(client, "other_learner@example.org")
    for path in ("metadata", "Patient"):
        response = client.get(f"/fhir/{workspace}/{path}")
        assert response.status_code == 404
        assert response.json()["resourceType"] == "OperationOutcome"
    assert client.get(f"/fhir/{'0' * 32}/Patient").status_code == 404
    anonymous = TestClient(client.app).get(f"/fhir/{workspace}/Patient")
    assert anonymous.status_code == 401
    assert client.get(f"/practicum/ws/{workspace}/patients").status_code == 404


def test_capability_statement_and_size_limit(
    learner_api: TestClient, workspace: str, app: Any
) -> None:
    cap = learner_api.get(f"/fhir/{workspace}/metadata").json()
    assert cap["resourceType"] == "CapabilityStatement" and cap["fhirVersion"] == "4.0.1"
    assert any(r["type"] == "Observation" for r in cap["rest"][0]["resource"])
    huge = b"{" + b" " * (app.state.settings.max_body_bytes + 10) + b"}"
    response = learner_api.post(f"/fhir/{workspace}", content=huge, headers={"content-type": FHIR})
    assert response.status_code == 413


def test_a_bundle_entry_whose_resource_is_not_an_object_is_a_400(
    learner_api: TestClient, workspace: str
) -> None:
    for kind in ("transaction", "batch"):
        bundle = {
            "resourceType": "Bundle",
            "type": kind,
            "entry": [{"resource": 5, "request": {"method": "POST", "url": "Patient"}}],
        }
        response = learner_api.post(f"/fhir/{workspace}", json=bundle)
        assert response.status_code == 400, response.text
        assert response.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource"]


def test_an_overlong_unit_or_system_is_stored_not_a_500(
    learner_api: TestClient, workspace: str
) -> None:
    patient = learner_api.post(f"/fhir/{workspace}/Patient", json=_patient()).json()
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org/" + "x" * 300, "code": "4548-4"}]},
        "subject": {"reference": f"Patient/{patient['id']}"},
        "valueQuantity": {"value": 7.1, "system": "http://unitsofmeasure.org", "code": "%" * 60},
    }
    response = learner_api.post(f"/fhir/{workspace}/Observation", json=observation)
    assert response.status_code == 201, response.text
    stored = learner_api.get(f"/fhir/{workspace}/Observation/{response.json()['id']}")
    assert stored.json()["valueQuantity"]["code"] == "%" * 60
