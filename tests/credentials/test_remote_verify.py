"""`extender credentials verify FILE` of another issuer's credential: its did:web document and
status list are fetched over HTTP from a real server on a loopback port (never the internet);
when the issuer is unreachable or publishes the wrong keys, the checks fail saying why."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from extender.accounts.audit import Actor
from extender.cli import app as cli
from extender.config import Settings, get_settings
from extender.credentials import issuance, issuer, lifecycle, remote, status, verification
from extender.credentials.models import Credential
from extender.credentials.vc import generate_key
from extender.credentials.vc.did import did_document
from extender.db import session_factory, unit_of_work
from tests.conftest import World
from tests.credentials.factories import passed_exam


class IssuerServer:
    """Serves whatever documents a test puts in ``files`` and records the paths asked for."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.requests: list[str] = []
        files, requests = self.files, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                body = files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[IssuerServer]:
    running = IssuerServer()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EXTENDER_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("EXTENDER_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("EXTENDER_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _remote_settings(settings: Settings, port: int) -> Settings:
    """The other deployment: same code, another host (the CLI's own is 127.0.0.1:8000)."""
    return settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})


def _publish(engine: Engine, remote_settings: Settings, server: IssuerServer) -> None:
    with unit_of_work(session_factory(engine)) as s:
        did = issuer.issuer_did(remote_settings)
        server.files["/.well-known/did.json"] = json.dumps(did_document(did, issuer.public_keys(s)))
        listing = status.signed_list_credential(s, remote_settings, "message-1")
        server.files["/status/message-1"] = json.dumps(listing)


@pytest.fixture
def foreign(
    engine: Engine, world: World, settings: Settings, server: IssuerServer, tmp_path: Path
) -> tuple[Path, str, Settings]:
    """A credential issued by the deployment at the server's port, its documents published."""
    other = _remote_settings(settings, server.port)
    with unit_of_work(session_factory(engine)) as s:
        learner = world.users["learner"]
        passed_exam(s, learner, "CPHIT", datetime.now(UTC) - timedelta(hours=1))
        (cred,) = issuance.issue_due(s, Actor.system("test"), learner.id, other)
        assert isinstance(cred, Credential)
        cred_id, document = cred.id, cred.document
    _publish(engine, other, server)
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(document))
    return path, cred_id, other


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["credentials", *args])
    return result.exit_code, result.output


def test_another_issuers_credential_is_verified_with_its_published_documents(
    foreign: tuple[Path, str, Settings], server: IssuerServer
) -> None:
    path, _, _ = foreign
    code, output = run("verify", str(path))
    assert code == 0, output
    assert "VALID" in output and "FAIL" not in output
    assert "/.well-known/did.json" in server.requests
    assert "/status/message-1" in server.requests


def test_a_revocation_published_by_the_issuer_is_seen(
    foreign: tuple[Path, str, Settings], server: IssuerServer, engine: Engine
) -> None:
    path, cred_id, other = foreign
    with unit_of_work(session_factory(engine)) as s:
        lifecycle.change_status(s, Actor.system("test"), lifecycle.get(s, cred_id), "revoke", "x")
    _publish(engine, other, server)
    code, output = run("verify", str(path))
    assert code == 1 and "FAIL status: revoked (status 0x2;" in output, output


def test_an_unreachable_issuer_fails_the_key_checks_with_the_reason(
    foreign: tuple[Path, str, Settings], server: IssuerServer
) -> None:
    path, _, _ = foreign
    server.stop()
    code, output = run("verify", str(path))
    assert code == 1, output
    assert "FAIL signature" in output and "FAIL issuer-key" in output
    assert "issuer keys unavailable: could not fetch http://127.0.0.1:" in output
    assert "NOT VALID" in output


def test_a_did_document_with_other_keys_is_not_trusted(
    foreign: tuple[Path, str, Settings], server: IssuerServer
) -> None:
    path, _, other = foreign
    impostor = did_document(issuer.issuer_did(other), [generate_key("EdDSA")])
    server.files["/.well-known/did.json"] = json.dumps(impostor)
    code, output = run("verify", str(path))
    assert code == 1 and "FAIL signature: unknown key" in output, output
    # a document that is another DID's is refused as a whole
    server.files["/.well-known/did.json"] = json.dumps({**impostor, "id": "did:web:evil.example"})
    code, output = run("verify", str(path))
    assert code == 1 and "is not the document of did:web:127.0.0.1" in output, output


def test_a_missing_status_list_fails_the_status_check(
    foreign: tuple[Path, str, Settings], server: IssuerServer
) -> None:
    path, _, _ = foreign
    del server.files["/status/message-1"]
    code, output = run("verify", str(path))
    assert code == 1 and "FAIL status" in output and "HTTP 404" in output, output


def test_the_verify_api_still_fetches_nothing(
    foreign: tuple[Path, str, Settings], server: IssuerServer, client: TestClient
) -> None:
    path, _, _ = foreign
    server.requests.clear()
    report = client.post("/api/v1/verify", content=path.read_bytes()).json()
    assert report["valid"] is False and server.requests == []
    checks = {c["name"]: c for c in report["checks"]}
    assert "does not fetch other issuers' keys" in checks["signature"]["reason"]


def test_only_https_or_loopback_http_is_fetched() -> None:
    remote.check_url("https://example.org/.well-known/did.json")
    remote.check_url("http://localhost:8000/status/revocation-1")
    for url in ("http://example.org/x", "file:///etc/passwd", "ftp://h/x", "/relative"):
        with pytest.raises(remote.FetchError):
            remote.check_url(url)


def test_a_status_list_url_the_fetcher_refuses_is_reported(
    foreign: tuple[Path, str, Settings],
) -> None:
    path, _, other = foreign
    doc = json.loads(path.read_text())
    seen: list[str] = []

    def fetch(url: str) -> str:
        seen.append(url)
        return remote.fetch_text(url, timeout=0.5)

    report = verification.verify_remote(doc, issuer.issuer_did(other), fetch=fetch)
    assert report.valid, report.checks
    assert all(url.startswith(f"{other.base_url}/") for url in seen)


def test_a_slow_issuer_times_out_quickly() -> None:
    with socket.socket() as listener:  # accepts connections but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        started = datetime.now(UTC)
        with pytest.raises(remote.FetchError, match="could not fetch"):
            remote.fetch_text(f"http://127.0.0.1:{port}/.well-known/did.json", timeout=0.3)
        assert datetime.now(UTC) - started < timedelta(seconds=3)
