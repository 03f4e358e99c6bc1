"""`extender credentials ...`: list, export, verify (online against our database and offline
with given files), revoke, rotate-key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from extender.accounts.audit import Actor
from extender.cli import app as cli
from extender.config import Settings, get_settings
from extender.credentials import issuance, status
from extender.credentials.models import Credential
from extender.db import session_factory, unit_of_work
from tests.conftest import World
from tests.credentials.factories import passed_exam


@pytest.fixture
def cred_id(
    engine: Engine, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setenv("EXTENDER_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("EXTENDER_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("EXTENDER_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    with unit_of_work(session_factory(engine)) as s:
        learner = world.users["learner"]
        passed_exam(s, learner, "CPHIT", datetime.now(UTC) - timedelta(hours=1))
        (cred,) = issuance.issue_due(s, Actor.system("test"), learner.id, settings)
        assert isinstance(cred, Credential)
        return cred.id


@pytest.fixture(autouse=True)
def _fresh_settings() -> object:
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["credentials", *args])
    return result.exit_code, result.output


def test_it_lists_credentials_by_holder(cred_id: str) -> None:
    code, output = run("list", "--holder", "learner@example.org")
    assert code == 0 and cred_id in output and "1 credential(s)" in output
    code, output = run("list", "--holder", "nobody@example.org")
    assert code == 0 and "0 credential(s)" in output


def test_it_exports_and_verifies_both_formats(cred_id: str, tmp_path: Path) -> None:
    for fmt in ("json", "jwt"):
        out = tmp_path / f"c.{fmt}"
        assert run("export", cred_id, "--format", fmt, "--out", str(out))[0] == 0
        code, output = run("verify", str(out))
        assert code == 0, output
        assert "pass signature" in output and "VALID" in output
    rs = tmp_path / "rs.jwt"
    assert run("export", cred_id, "--format", "jwt", "--alg", "RS256", "--out", str(rs))[0] == 0
    assert run("verify", str(rs))[0] == 0


def test_a_tampered_file_exits_1_with_the_failing_check(cred_id: str, tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    run("export", cred_id, "--format", "json", "--out", str(out))
    doc = json.loads(out.read_text())
    doc["validUntil"] = "2099-01-01T00:00:00Z"
    out.write_text(json.dumps(doc))
    code, output = run("verify", str(out))
    assert code == 1
    assert "FAIL signature" in output and "NOT VALID" in output


def test_bad_usage_exits_2(cred_id: str, tmp_path: Path) -> None:
    assert run("verify", str(tmp_path / "missing.json"))[0] == 2
    assert run("export", cred_id, "--format", "xml", "--out", str(tmp_path / "x"))[0] == 2
    assert run("export", "nope", "--format", "json", "--out", str(tmp_path / "x"))[0] == 2
    assert run("verify", str(tmp_path / "x"), "--offline")[0] == 2
    assert run("revoke", cred_id, "--reason", " ")[0] == 2
    assert run("rotate-key", "--alg", "HS256")[0] == 2


def test_offline_verification_uses_only_the_given_files(
    cred_id: str, tmp_path: Path, engine: Engine, settings: Settings
) -> None:
    from extender.credentials.issuer import public_keys
    from extender.credentials.vc.keys import jwks

    cred_file = tmp_path / "c.jwt"
    run("export", cred_id, "--format", "jwt", "--out", str(cred_file))
    with unit_of_work(session_factory(engine)) as s:
        (tmp_path / "jwks.json").write_text(json.dumps(jwks(public_keys(s))))
        listing = status.signed_list_credential(s, settings, _status_list_of(cred_id, tmp_path))
    (tmp_path / "status.json").write_text(json.dumps(listing))
    keys = ["--keys", str(tmp_path / "jwks.json")]
    code, output = run(
        "verify", str(cred_file), "--offline", *keys, "--status-list", str(tmp_path / "status.json")
    )
    assert code == 0, output
    code, output = run("verify", str(cred_file), "--offline", *keys)
    assert code == 1 and "FAIL status" in output
    (tmp_path / "empty.json").write_text('{"keys": []}')
    assert (
        run("verify", str(cred_file), "--offline", "--keys", str(tmp_path / "empty.json"))[0] == 2
    )


def _status_list_of(cred_id: str, tmp_path: Path) -> str:
    """The status list a credential names (e.g. ``message-<id>``), from its exported JSON."""
    exported = tmp_path / "for-status.json"
    run("export", cred_id, "--format", "json", "--out", str(exported))
    url = json.loads(exported.read_text())["credentialStatus"]["statusListCredential"]
    return str(url).rsplit("/", 1)[1]


def test_revoke_and_rotate(cred_id: str, tmp_path: Path) -> None:
    code, output = run("revoke", cred_id, "--reason", "fraud")
    assert code == 0, output
    out = tmp_path / "c.json"
    run("export", cred_id, "--format", "json", "--out", str(out))
    code, output = run("verify", str(out))
    assert code == 1 and "FAIL status: revoked" in output
    code, output = run("rotate-key", "--alg", "RS256")
    assert code == 0 and "new RS256 key" in output


def test_a_did_document_only_vouches_for_its_own_did(tmp_path: Path) -> None:
    """Offline, a DID document's keys are bound to its DID: a credential claiming another
    issuer but signed with one of these keys must not pass the key checks."""
    from extender.credentials import verification
    from extender.credentials.vc import IssuerProfile, add_proof
    from extender.credentials.vc.did import did_document
    from tests.credentials.test_vc_golden import ISSUED, NOW, make_world

    vc = make_world()
    keys = verification.keys_from_jwks(did_document(vc.did, [vc.ed, vc.rsa]))
    lists = [doc for doc in vc.lists.values() if isinstance(doc, dict)]
    genuine = add_proof(vc.credential(), vc.ed, vc.method(vc.ed), ISSUED)
    assert verification.verify_offline(genuine, keys, lists, NOW).valid
    impostor = "did:web:impostor.example"
    claimed = vc.credential(
        issuer=IssuerProfile(id=impostor, name="Impostor", url="https://impostor.example")
    )
    forged = add_proof(claimed, vc.ed, f"{impostor}#{vc.ed.kid}", ISSUED)
    report = verification.verify_offline(forged, keys, lists, NOW)
    assert not report.valid
    assert "unknown key" in report.check("signature").reason
    assert not report.check("issuer-key").passed


@pytest.mark.parametrize(
    "key_file",
    [
        {"id": "did:web:x", "verificationMethod": [{"id": "did:web:x#k"}], "assertionMethod": 5},
        {
            "id": "did:web:x",
            "verificationMethod": [
                {
                    "id": "did:web:x#k",
                    "controller": "did:web:x",
                    "type": "Multikey",
                    "publicKeyMultibase": "not-multibase",
                }
            ],
            "assertionMethod": ["did:web:x#k"],
        },
        {"keys": [{"kid": "a", "kty": "OKP", "alg": "HS256"}]},
        [1, 2],
    ],
)
def test_an_unusable_key_file_exits_2_with_a_message(
    cred_id: str, tmp_path: Path, key_file: object
) -> None:
    cred_file = tmp_path / "c.json"
    run("export", cred_id, "--format", "json", "--out", str(cred_file))
    (tmp_path / "keys.json").write_text(json.dumps(key_file))
    code, output = run("verify", str(cred_file), "--offline", "--keys", str(tmp_path / "keys.json"))
    assert code == 2, output
    assert "error:" in output and "Traceback" not in output


def test_offline_verification_with_the_published_jwks(
    cred_id: str, tmp_path: Path, engine: Engine, settings: Settings
) -> None:
    """The JWKS as served (each kid the full verification method id the JWTs carry) works
    offline for both formats."""
    from extender.credentials.issuer import published_jwks

    list_id = _status_list_of(cred_id, tmp_path)
    with unit_of_work(session_factory(engine)) as s:
        (tmp_path / "jwks.json").write_text(json.dumps(published_jwks(s, settings)))
        listing = status.signed_list_credential(s, settings, list_id)
    (tmp_path / "status.json").write_text(json.dumps(listing))
    for fmt in ("json", "jwt"):
        cred_file = tmp_path / f"c.{fmt}"
        run("export", cred_id, "--format", fmt, "--out", str(cred_file))
        code, output = run(
            "verify",
            str(cred_file),
            "--offline",
            "--keys",
            str(tmp_path / "jwks.json"),
            "--status-list",
            str(tmp_path / "status.json"),
        )
        assert code == 0, output


def _poisoned(doc: dict[str, object]) -> dict[str, object]:
    related = "https://example.org/vocab#related"
    doc["evidence"] = [
        {"id": f"_:b{i}", "type": ["Evidence"], related: [{"@id": f"_:b{j}"} for j in range(7)]}
        for i in range(7)
    ]
    return doc


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda doc: "[" * 5_000 + "]" * 5_000, "nested more than 64 levels deep"),
        (lambda doc: '{"a":' * 100 + "1" + "}" * 100, "nested more than 64 levels deep"),
        (lambda doc: json.dumps(_poisoned(doc)), "blank node identifier '_:b"),
        (
            lambda doc: json.dumps({**doc, "description": "x" * 300_000}),
            "at most 262144 bytes (256 KiB) are accepted",
        ),
    ],
)
@pytest.mark.parametrize("offline", [False, True])
def test_a_hostile_file_fails_the_format_check_and_exits_1(
    cred_id: str, tmp_path: Path, make: object, reason: str, offline: bool
) -> None:
    """The same limits as the API, reported as a failed format check (no traceback)."""
    exported = tmp_path / "c.json"
    run("export", cred_id, "--format", "json", "--out", str(exported))
    assert callable(make)
    hostile = tmp_path / "hostile.json"
    hostile.write_text(make(json.loads(exported.read_text())))
    (tmp_path / "jwks.json").write_text(
        '{"keys": [{"kid": "k", "kty": "OKP", "crv": "Ed25519", '
        '"x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}'
    )
    options = ["--offline", "--keys", str(tmp_path / "jwks.json")] if offline else []
    code, output = run("verify", str(hostile), *options)
    assert code == 1, output
    assert "Traceback" not in output
    assert "FAIL format: " in output and reason in output
    assert "NOT VALID" in output
