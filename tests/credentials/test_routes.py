"""The public surface (keys, status lists, verify API, shared page and downloads), the wallet
and the staff page."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.config import Settings
from extender.credentials import issuance
from extender.credentials.models import Credential, PendingApproval
from extender.db import session_factory, unit_of_work
from tests.conftest import World, login
from tests.credentials.factories import attempt, passed_exam

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def issued(engine: Engine, world: World, settings: Settings) -> str:
    """learner holds a CPHIT certification; returns its id."""
    with unit_of_work(session_factory(engine)) as s:
        learner = world.users["learner"]
        passed_exam(s, learner, "CPHIT", NOW - timedelta(hours=3))
        (cred,) = issuance.issue_due(s, Actor.system("test"), learner.id, settings)
        assert isinstance(cred, Credential)
        return cred.id


def _share(client: TestClient, world: World, cred_id: str) -> str:
    token = login(client, world.users["learner"].email)
    response = client.post(
        f"/credentials/{cred_id}/share", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    wallet = client.get("/credentials").text
    match = re.search(r'class="share-link" href="http://127\.0\.0\.1:8000/c/([^"]+)"', wallet)
    assert match, wallet
    return match.group(1)


def test_it_publishes_the_keys_as_jwks_and_did_web(client: TestClient, issued: str) -> None:
    jwks = client.get("/.well-known/jwks.json").json()
    assert {k["alg"] for k in jwks["keys"]} == {"EdDSA", "RS256"}
    did = client.get("/.well-known/did.json").json()
    assert did["id"] == "did:web:127.0.0.1%3A8000"
    assert len(did["verificationMethod"]) == 2


def test_the_status_list_is_served_signed_both_ways(client: TestClient, issued: str) -> None:
    doc = client.get("/status/message-1").json()
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert doc["credentialSubject"]["statusPurpose"] == "message"
    assert doc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    token = client.get("/status/message-1?format=jwt")
    assert token.headers["content-type"].startswith("application/vc+jwt")
    assert token.text.count(".") == 2
    # New credentials use message lists; the 1-bit lists exist only for older credentials.
    assert client.get("/status/revocation-1").status_code == 404
    assert client.get("/status/suspension-1").status_code == 404
    assert client.get("/status/message-99").status_code == 404
    assert client.get("/status/other-1").status_code == 404


def test_the_public_page_shows_it_verified(client: TestClient, world: World, issued: str) -> None:
    slug = _share(client, world, issued)
    client.post("/logout", headers={"X-CSRF-Token": login(client, world.users["learner"].email)})
    anonymous = TestClient(client.app)
    page = anonymous.get(f"/c/{slug}")
    assert page.status_code == 200
    assert 'id="verified-badge">Verified' in page.text
    assert (
        '<meta property="og:title" content="Learner: Certified Professional in Health' in page.text
    )
    assert "twitter:card" in page.text
    link = re.search(r'href="(https://www\.linkedin\.com/profile/add\?[^"]+)"', page.text)
    assert link
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert query["startTask"] == ["CERTIFICATION_NAME"]
    assert query["certId"] == [issued]
    assert query["expirationYear"] == [str(NOW.year + 2)]
    assert anonymous.get(f"/c/{slug}.json").json()["proof"]["type"] == "DataIntegrityProof"
    assert anonymous.get(f"/c/{slug}.jwt").text.count(".") == 2
    pdf = anonymous.get(f"/c/{slug}.pdf")
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 2000


def test_unknown_or_withdrawn_addresses_are_not_found(
    client: TestClient, world: World, issued: str
) -> None:
    assert client.get("/c/no-such-slug").status_code == 404
    slug = _share(client, world, issued)
    token = login(client, world.users["learner"].email)
    client.post(f"/credentials/{issued}/unshare", data={"csrf_token": token})
    for suffix in ("", ".json", ".jwt", ".pdf"):
        assert client.get(f"/c/{slug}{suffix}").status_code == 404


def test_a_learner_cannot_share_someone_elses_credential(
    client: TestClient, world: World, issued: str
) -> None:
    token = login(client, world.users["other_learner"].email)
    response = client.post(f"/credentials/{issued}/share", data={"csrf_token": token})
    assert response.status_code == 404
    assert client.get(f"/credentials/{issued}.json").status_code == 404


def test_the_verify_api_reports_each_check(client: TestClient, engine: Engine, issued: str) -> None:
    with session_factory(engine)() as s:
        cred = s.get(Credential, issued)
        assert cred is not None
        doc, token = cred.document, cred.jwt
    good = client.post("/api/v1/verify", json=doc).json()
    assert good["valid"] is True and good["format"] == "json-ld"
    assert [c["name"] for c in good["checks"]] == [
        "format",
        "context",
        "schema",
        "signature",
        "issuer-key",
        "validity",
        "status",
    ]
    as_jwt = client.post(
        "/api/v1/verify", content=token, headers={"content-type": "application/vc+jwt"}
    ).json()
    assert as_jwt["valid"] is True and as_jwt["format"] == "jwt"
    assert client.post("/api/v1/verify", json=token).json()["valid"] is True
    tampered = copy.deepcopy(doc)
    tampered["credentialSubject"]["name"] = "Somebody Else"
    report = client.post("/api/v1/verify", json=tampered).json()
    assert report["valid"] is False
    failed = {c["name"]: c["reason"] for c in report["checks"] if not c["passed"]}
    assert "signature" in failed and "format" not in failed


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not valid JSON"),
        (b"", "send a credential"),
        (b"[1, 2]", "must be a JSON object"),
    ],
)
def test_the_verify_api_refuses_bad_bodies(client: TestClient, body: bytes, message: str) -> None:
    response = client.post(
        "/api/v1/verify", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]


def test_a_jwt_with_alg_none_is_never_valid(client: TestClient, issued: str) -> None:
    import base64

    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    token = f"{part({'alg': 'none', 'typ': 'vc+jwt'})}.{part({'id': 'x'})}."
    report = client.post(
        "/api/v1/verify", content=token, headers={"content-type": "application/vc+jwt"}
    ).json()
    assert report["valid"] is False


def test_staff_revoke_and_the_wallet_shows_it(
    client: TestClient, world: World, issued: str
) -> None:
    token = login(client, world.users["program_admin"].email)
    page = client.get("/staff/credentials")
    assert issued in page.text
    empty = client.post(
        f"/staff/credentials/{issued}/status",
        data={"csrf_token": token, "action": "revoke", "reason": ""},
    )
    assert empty.status_code == 422 and "reason" in empty.text
    done = client.post(
        f"/staff/credentials/{issued}/status",
        data={"csrf_token": token, "action": "revoke", "reason": "issued in error"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    login(client, world.users["learner"].email)
    assert 'data-status="revoked"' in client.get("/credentials").text


def test_a_program_admin_only_manages_their_programs_learners(
    client: TestClient, world: World, issued: str
) -> None:
    token = login(client, world.users["other_admin"].email)
    assert issued not in client.get("/staff/credentials").text
    response = client.post(
        f"/staff/credentials/{issued}/status",
        data={"csrf_token": token, "action": "revoke", "reason": "x"},
    )
    assert response.status_code == 404


def test_staff_approve_a_pending_certification(
    client: TestClient, engine: Engine, world: World, settings: Settings
) -> None:
    with unit_of_work(session_factory(engine)) as s:
        learner = world.users["learner"]
        passed_exam(s, learner, "CPEHR", NOW - timedelta(days=1))
        attempt(s, learner, "duplicate-patient-cleanup", NOW - timedelta(days=9), 90.0)
        attempt(s, learner, "quality-measure-report", NOW - timedelta(days=8), 90.0)
    token = login(client, world.users["program_admin"].email)
    checked = client.post(
        "/staff/credentials/issue-due",
        data={"csrf_token": token, "email": learner.email},
    )
    assert "2 credential(s) issued, 1 waiting for approval" in checked.text
    with session_factory(engine)() as s:
        approval = s.query(PendingApproval).one()
        approval_id = approval.id
    response = client.post(
        f"/staff/credentials/approvals/{approval_id}/approve", data={"csrf_token": token}
    )
    assert "Approved" in response.text
    with session_factory(engine)() as s:
        assert s.query(Credential).filter_by(achievement_id="cpehr").count() == 1


def test_staff_record_ce_with_checked_input(client: TestClient, world: World, db: Session) -> None:
    token = login(client, world.users["platform_admin"].email)
    bad = client.post(
        "/staff/credentials/ce",
        data={
            "csrf_token": token,
            "email": world.users["learner"].email,
            "track": "CPHIT",
            "credits": "lots",
            "title": "t",
            "provider": "p",
            "completed_on": "2026-01-01",
        },
    )
    assert bad.status_code == 422 and "credits must be a number" in bad.text
    ok = client.post(
        "/staff/credentials/ce",
        data={
            "csrf_token": token,
            "email": world.users["learner"].email,
            "track": "CPHIT",
            "credits": "2.5",
            "title": "HL7 webinar",
            "provider": "HL7",
            "completed_on": "2026-01-01",
        },
    )
    assert ok.status_code == 200 and "CE recorded" in ok.text


def test_the_transcript_is_signed(
    client: TestClient, world: World, engine: Engine, settings: Settings, issued: str
) -> None:
    login(client, world.users["learner"].email)
    response = client.get("/credentials/transcript.json")
    assert response.status_code == 200, response.text[:3000]
    doc = response.json()
    assert doc["type"] == ["VerifiablePresentation"]
    assert doc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert [c["id"].rsplit("/", 1)[-1] for c in doc["verifiableCredential"]] == [issued]
    from extender.credentials.issuer import key_resolver
    from extender.credentials.vc.data_integrity import verify_proof

    with session_factory(engine)() as s:
        assert verify_proof(doc, key_resolver(s, settings)).passed
        doc["verifiableCredential"][0]["credentialSubject"]["name"] = "Somebody Else"
        assert not verify_proof(doc, key_resolver(s, settings)).passed
    token = client.get("/credentials/transcript.json?format=jwt").text
    assert token.count(".") == 2


@settings_(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_the_verify_api_never_fails_on_arbitrary_bodies(client: TestClient, body: bytes) -> None:
    for content_type in ("application/json", "application/vc+jwt"):
        response = client.post(
            "/api/v1/verify", content=body, headers={"content-type": content_type}
        )
        assert response.status_code in (200, 422)
        if response.status_code == 200:
            assert response.json()["valid"] is False
