"""A credential's status as every verifier sees it, on both databases.

Extender issues one BitstringStatusListEntry with statusPurpose "message" and statusSize 2
(0x0 active, 0x1 suspended, 0x2 revoked, 0x3 undefined) naming /status/message-<n>. So a
suspension is seen by our own verification and equally by a generic verifier given only the
published list: the offline path (`extender credentials verify --offline`) and the online
path used for another issuer's credential. The published list is signed once per change.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from extender.accounts.audit import Actor
from extender.cli import app as cli
from extender.config import Settings, get_settings
from extender.credentials import issuance, issuer, lifecycle, status, verification
from extender.credentials.models import Credential
from extender.credentials.vc.schema import validate_ob3
from extender.credentials.vc.status_list import MIN_ENTRIES, BitstringStatusList
from extender.credentials.vc.verify import VerificationReport
from extender.db import session_factory, unit_of_work
from extender.errors import NotFound
from tests.conftest import World
from tests.credentials.factories import passed_exam

STAFF = Actor(None, "program@example.org")


@pytest.fixture
def issued(engine: Engine, world: World, settings: Settings) -> tuple[str, dict[str, Any], str]:
    """A CPHIT certification, committed: its id, signed document and JWT."""
    with unit_of_work(session_factory(engine)) as s:
        learner = world.users["learner"]
        passed_exam(s, learner, "CPHIT", datetime.now(UTC) - timedelta(hours=1))
        (cred,) = issuance.issue_due(s, STAFF, learner.id, settings)
        assert isinstance(cred, Credential)
        return cred.id, cred.document, cred.jwt


def _change(engine: Engine, cred_id: str, action: str) -> None:
    with unit_of_work(session_factory(engine)) as s:
        lifecycle.change_status(s, STAFF, lifecycle.get(s, cred_id), action, f"{action} (test)")


def _local(engine: Engine, settings: Settings, document: Any) -> VerificationReport:
    with unit_of_work(session_factory(engine)) as s:
        return verification.verify_local(s, settings, document)


def _published(client: TestClient, document: dict[str, Any]) -> dict[str, Any]:
    """The list the credential names, as /status/{list} serves it to anyone."""
    path = urlsplit(document["credentialStatus"]["statusListCredential"]).path
    response = client.get(path)
    assert response.status_code == 200, response.text
    listing: dict[str, Any] = response.json()
    return listing


def _offline(client: TestClient, document: Any, listing: dict[str, Any]) -> VerificationReport:
    """What a generic verifier concludes from the issuer's published keys and list alone."""
    keys = verification.keys_from_jwks(client.get("/.well-known/did.json").json())
    return verification.verify_offline(document, keys, [listing])


def _status(report: VerificationReport) -> str:
    return report.check("status").reason


def test_an_issued_credential_carries_one_2_bit_message_entry(
    engine: Engine, settings: Settings, issued: tuple[str, dict[str, Any], str]
) -> None:
    _, document, token = issued
    entry = document["credentialStatus"]
    assert isinstance(entry, dict)  # one object: what the OB 3.0 schema allows
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "message" and entry["statusSize"] == 2
    assert entry["statusListCredential"] == "http://127.0.0.1:8000/status/message-1"
    assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
    assert entry["statusMessage"] == [
        {"status": "0x0", "message": "active"},
        {"status": "0x1", "message": "suspended"},
        {"status": "0x2", "message": "revoked"},
        {"status": "0x3", "message": "undefined"},
    ]
    assert validate_ob3(document) == []
    for form in (document, token):
        report = _local(engine, settings, form)
        assert report.valid, report.failures()
        assert _status(report).startswith("active (status 0x0,")


def test_the_message_list_is_served_with_2_bits_per_entry(
    engine: Engine, client: TestClient, issued: tuple[str, dict[str, Any], str]
) -> None:
    cred_id, document, _ = issued
    index = int(document["credentialStatus"]["statusListIndex"])
    listing = _published(client, document)
    assert listing["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listing["credentialSubject"]["statusPurpose"] == "message"
    assert listing["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    bits = BitstringStatusList.decode(
        listing["credentialSubject"]["encodedList"], min_length=MIN_ENTRIES * 2
    )
    assert bits.entries(2) == MIN_ENTRIES and bits.get_value(index, 2) == 0
    _change(engine, cred_id, "suspend")
    bits = BitstringStatusList.decode(
        _published(client, document)["credentialSubject"]["encodedList"],
        min_length=MIN_ENTRIES * 2,
    )
    assert bits.get_value(index, 2) == 1
    assert list(bits.indices()) == [index * 2 + 1]
    token = client.get("/status/message-1?format=jwt")
    assert token.headers["content-type"].startswith("application/vc+jwt")
    # The 1-bit views belong to lists of older credentials only.
    assert client.get("/status/revocation-1").status_code == 404
    assert client.get("/status/suspension-1").status_code == 404


@pytest.mark.parametrize("form", ["json", "jwt"])
def test_suspend_reinstate_and_revoke_reach_our_verifier_and_a_generic_one(
    engine: Engine,
    settings: Settings,
    client: TestClient,
    issued: tuple[str, dict[str, Any], str],
    form: str,
) -> None:
    cred_id, document, token = issued
    secured: Any = document if form == "json" else token
    expected = {"suspend": "suspended (status 0x1;", "revoke": "revoked (status 0x2;"}
    for action in ("suspend", "reinstate", "revoke"):
        _change(engine, cred_id, action)
        ours = _local(engine, settings, secured)
        generic = _offline(client, secured, _published(client, document))
        for report in (ours, generic):
            if action == "reinstate":
                assert report.valid, report.failures()
                assert _status(report).startswith("active (status 0x0,")
            else:
                assert [c.name for c in report.failures()] == ["status"]
                assert _status(report).startswith(expected[action])
                assert "status list updated" in _status(report)
                assert "since" not in _status(report)


def test_another_issuers_verifier_online_sees_the_suspension(
    engine: Engine, client: TestClient, issued: tuple[str, dict[str, Any], str]
) -> None:
    """verify_remote is how the CLI checks a credential of another did:web issuer: it
    fetches the DID document and the status list the entry names."""
    cred_id, document, _ = issued
    fetched: list[str] = []

    def fetch(url: str) -> str:
        fetched.append(urlsplit(url).path)
        return client.get(urlsplit(url).path).text

    did = document["issuer"]["id"]
    assert verification.verify_remote(document, did, fetch=fetch).valid
    _change(engine, cred_id, "suspend")
    report = verification.verify_remote(document, did, fetch=fetch)
    assert _status(report).startswith("suspended (status 0x1;") and not report.valid
    assert "/status/message-1" in fetched


@pytest.fixture
def cli_env(engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EXTENDER_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("EXTENDER_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("EXTENDER_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["credentials", *args])
    return result.exit_code, result.output


def test_the_offline_cli_reports_a_suspension_from_the_published_list(
    engine: Engine,
    client: TestClient,
    issued: tuple[str, dict[str, Any], str],
    cli_env: None,
    tmp_path: Path,
) -> None:
    """The reviewer's command: verify --offline --keys did.json --status-list list.json."""
    cred_id, document, _ = issued
    (tmp_path / "s.json").write_text(json.dumps(document))
    (tmp_path / "did.json").write_text(client.get("/.well-known/did.json").text)
    args = ["verify", str(tmp_path / "s.json"), "--offline", "--keys", str(tmp_path / "did.json")]
    listing = tmp_path / "message.json"
    listing.write_text(json.dumps(_published(client, document)))
    code, output = _cli(*args, "--status-list", str(listing))
    assert code == 0, output
    _change(engine, cred_id, "suspend")
    listing.write_text(json.dumps(_published(client, document)))
    code, output = _cli(*args, "--status-list", str(listing))
    assert code == 1 and "FAIL status: suspended (status 0x1;" in output, output
    assert "NOT VALID" in output
    _change(engine, cred_id, "reinstate")
    listing.write_text(json.dumps(_published(client, document)))
    assert _cli(*args, "--status-list", str(listing))[0] == 0


# --- the signed list is kept until the list changes --------------------------------------------


def test_a_status_list_is_signed_once_per_change(
    engine: Engine,
    settings: Settings,
    issued: tuple[str, dict[str, Any], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cred_id, document, _ = issued
    signatures: list[str] = []
    add_proof, encode_jwt = status.data_integrity.add_proof, status.jose.encode_jwt

    def counted_proof(*args: Any, **kwargs: Any) -> dict[str, Any]:
        signatures.append("di")
        return add_proof(*args, **kwargs)

    def counted_jwt(*args: Any, **kwargs: Any) -> str:
        signatures.append("jwt")
        return encode_jwt(*args, **kwargs)

    monkeypatch.setattr(status.data_integrity, "add_proof", counted_proof)
    monkeypatch.setattr(status.jose, "encode_jwt", counted_jwt)
    status.clear_cache()
    factory = session_factory(engine)
    with unit_of_work(factory) as s:
        first = status.signed_list_credential(s, settings, "message-1")
        again = status.signed_list_credential(s, settings, "message-1")
        assert json.dumps(again) == json.dumps(first) and again is not first
        token = status.list_credential_jwt(s, settings, "message-1")
        assert status.list_credential_jwt(s, settings, "message-1") == token
        for _ in range(3):
            assert verification.verify_local(s, settings, document).valid
    assert signatures == ["di", "jwt"]
    _change(engine, cred_id, "suspend")
    with unit_of_work(factory) as s:
        changed = status.signed_list_credential(s, settings, "message-1")
        assert status.signed_list_credential(s, settings, "message-1") == changed
        assert not verification.verify_local(s, settings, document).valid
    assert signatures == ["di", "jwt", "di"]
    assert changed["validFrom"] >= first["validFrom"]
    assert changed["credentialSubject"]["encodedList"] != first["credentialSubject"]["encodedList"]
    # A new signing key signs the list again, with that key.
    with unit_of_work(factory) as s:
        key = issuer.rotate_key(s, STAFF, settings, "EdDSA")
    with unit_of_work(factory) as s:
        rotated = status.signed_list_credential(s, settings, "message-1")
    assert signatures == ["di", "jwt", "di", "di"]
    assert rotated["proof"]["verificationMethod"].endswith(f"#{key.kid}")


def test_a_list_is_published_only_under_its_own_purpose(
    engine: Engine, settings: Settings, issued: tuple[str, dict[str, Any], str]
) -> None:
    with unit_of_work(session_factory(engine)) as s:
        for value in ("revocation-1", "suspension-1", "message-2", "message-", "other-1"):
            with pytest.raises(NotFound):
                status.signed_list_credential(s, settings, value)
