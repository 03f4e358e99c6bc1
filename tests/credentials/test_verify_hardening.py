"""Verification of hostile documents stays cheap: a document is refused before any JSON-LD work
when it is too large, too deeply nested, too big in objects, values or array items, or names
blank nodes; RDF canonicalization is bounded; a Data Integrity proof is not checked on a
document that already failed its context or schema check; the API never blocks the event
loop; and the JWKS names keys by the kid the JWTs carry.

Assertions are on reasons, never on time."""

from __future__ import annotations

import copy
import importlib
import inspect
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from extender.accounts.audit import Actor
from extender.config import Settings
from extender.credentials import issuance, public_routes
from extender.credentials.models import Credential
from extender.credentials.vc.canonical import CanonicalizationLimitError, canonicalize
from extender.credentials.vc.encoding import b64url_decode
from extender.credentials.vc.jose import verify_signature
from extender.credentials.vc.keys import public_key_from_jwk
from extender.credentials.vc.verify import (
    CHECK_NAMES,
    MAX_ARRAY_ITEMS,
    MAX_DOCUMENT_BYTES,
    MAX_NESTING,
    MAX_OBJECTS,
    MAX_VALUES,
    refused_early,
)
from extender.db import session_factory, unit_of_work
from tests.conftest import World
from tests.credentials.factories import passed_exam
from tests.credentials.test_vc_golden import make_world

WORLD = make_world()
RELATED = "https://example.org/vocab#related"


def poison_evidence(count: int) -> list[dict[str, Any]]:
    """The reviewer's document: blank nodes that all point at each other (exponential work
    for RDF canonicalization)."""
    return [
        {
            "id": f"_:b{i}",
            "type": ["Evidence"],
            RELATED: [{"@id": f"_:b{j}"} for j in range(count) if j != i],
        }
        for i in range(count)
    ]


def look_alike_tree(depth: int) -> dict[str, Any]:
    """The same without any blank-node identifier: a binary tree of identical anonymous
    nodes, which canonicalization can only tell apart by deep comparison."""
    node: dict[str, Any] = {"type": ["Evidence"]}
    if depth:
        node[RELATED] = [look_alike_tree(depth - 1), look_alike_tree(depth - 1)]
    return node


def nested(levels: int) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for _ in range(levels - 1):
        doc = {"x": doc}
    return doc


def signed() -> dict[str, Any]:
    secured = WORLD.secure(WORLD.credential(), "di")
    assert isinstance(secured, dict)
    return secured


def assert_refused(report: Any, reason: str) -> None:
    assert not report.valid and report.credential is None
    assert [check.name for check in report.checks] == list(CHECK_NAMES)
    assert reason in report.check("format").reason, report.check("format").reason
    assert all(not check.passed for check in report.checks)
    assert report.check("signature").reason.startswith("not checked:")


# --- the verifier's limits -----------------------------------------------------------------


def test_the_poison_document_is_refused_for_its_blank_node_ids() -> None:
    doc = signed()
    doc["evidence"] = poison_evidence(7)
    report = WORLD.verify(doc)
    assert_refused(report, "blank node identifier '_:b")
    assert "Extender credentials never use them" in report.check("format").reason
    assert_refused(WORLD.verify(json.dumps(doc)), "blank node identifier")


@pytest.mark.parametrize("where", ["id", "reference", "property"])
def test_any_blank_node_identifier_is_refused(where: str) -> None:
    doc = signed()
    if where == "id":
        doc["credentialSubject"]["id"] = "_:subject"
    elif where == "reference":
        doc["evidence"][0][RELATED] = {"@id": "_:x"}
    else:
        doc["credentialSubject"]["_:p"] = "value"
    assert_refused(WORLD.verify(doc), "blank node identifier")


def test_a_jwt_payload_is_held_to_the_same_limits() -> None:
    from extender.credentials.vc import encode_jwt

    doc = WORLD.credential()
    doc["evidence"] = poison_evidence(7)
    token = encode_jwt(doc, WORLD.ed, WORLD.method(WORLD.ed))
    report = WORLD.verify(token)
    assert report.format == "jwt"
    assert_refused(report, "JWT payload refused: blank node identifier")


def test_a_document_over_the_size_limit_is_refused_unread() -> None:
    doc = signed()
    doc["evidence"][0]["narrative"] = "x" * MAX_DOCUMENT_BYTES
    reason = f"at most {MAX_DOCUMENT_BYTES} bytes (256 KiB) are accepted"
    assert_refused(WORLD.verify(doc), reason)
    assert_refused(WORLD.verify(json.dumps(doc)), reason)
    assert_refused(WORLD.verify(json.dumps(doc).encode()), reason)
    assert_refused(WORLD.verify("a" * (MAX_DOCUMENT_BYTES + 1)), reason)


@pytest.mark.parametrize("levels", [MAX_NESTING + 1, 500, 30_000])
def test_deep_nesting_is_refused_with_a_reason_not_an_exception(levels: int) -> None:
    reason = f"nested more than {MAX_NESTING} levels deep"
    text = '{"x":' * (levels - 1) + "{}" + "}" * (levels - 1)
    assert_refused(WORLD.verify(text), reason)
    if levels < 1000:
        assert_refused(WORLD.verify(nested(levels)), reason)


def test_nesting_up_to_the_limit_is_not_refused_for_depth() -> None:
    doc = signed()
    doc["credentialSubject"]["achievement"]["criteria"]["narrative"] = "ok"
    assert refused_early(doc) is None
    assert refused_early(nested(MAX_NESTING)) is None


def test_too_many_objects_values_or_array_items_are_refused() -> None:
    doc = signed()
    doc["evidence"] = [{RELATED: [{}] * 9} for _ in range(MAX_OBJECTS // 10 + 1)]
    assert_refused(WORLD.verify(doc), f"the document has more than {MAX_OBJECTS} JSON objects")
    doc = signed()
    doc["evidence"] = [{RELATED: ["v"] * MAX_ARRAY_ITEMS} for _ in range(MAX_VALUES // 100)]
    assert_refused(WORLD.verify(doc), f"the document has more than {MAX_VALUES} JSON values")
    doc = signed()
    doc["credentialSubject"]["achievement"]["tag"] = ["t"] * (MAX_ARRAY_ITEMS + 1)
    assert_refused(
        WORLD.verify(doc),
        f"the array at $.credentialSubject.achievement.tag has {MAX_ARRAY_ITEMS + 1} items; "
        f"at most {MAX_ARRAY_ITEMS} are accepted",
    )


def test_canonicalization_itself_is_bounded() -> None:
    """Whoever calls it (a status list fetched from another issuer, a transcript), a poison
    graph is refused after a bounded amount of work."""
    doc = WORLD.credential()
    doc["evidence"] = poison_evidence(7)
    with pytest.raises(CanonicalizationLimitError, match="too alike and too interlinked"):
        canonicalize(doc)
    doc["evidence"] = [look_alike_tree(7)]
    with pytest.raises(CanonicalizationLimitError, match="too alike and too interlinked"):
        canonicalize(doc)


def test_a_look_alike_tree_fails_the_signature_check_with_the_reason() -> None:
    doc = signed()
    doc["evidence"].append(look_alike_tree(7))
    report = WORLD.verify(doc)
    assert report.check("format").passed, report.check("format").reason
    assert report.check("schema").passed, report.check("schema").reason
    reason = report.check("signature").reason
    assert reason.startswith("cannot canonicalize: the document's blank nodes are too alike")
    assert not report.valid


@pytest.mark.parametrize("broken", ["schema", "context"])
def test_no_canonicalization_after_a_failed_context_or_schema_check(
    broken: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = importlib.import_module("extender.credentials.vc.verify")

    def must_not_run(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("checked the proof of a document that failed an earlier check")

    monkeypatch.setattr(verifier, "verify_proof", must_not_run)
    doc = signed()
    if broken == "schema":
        del doc["credentialSubject"]["achievement"]["criteria"]
    else:
        doc["credentialSubject"]["licenseState"] = "CA"
    report = WORLD.verify(doc)
    assert not report.check(broken).passed
    assert report.check("signature").reason.startswith(
        f"not attempted: the {broken} check failed ("
    )
    assert report.check(broken).reason in report.check("signature").reason


def test_a_jwt_signature_is_still_checked_when_the_schema_fails() -> None:
    """A JWS signature covers bytes, not RDF: checking it costs nothing and still tells a
    tampered token from an untampered one."""
    from extender.credentials.vc import encode_jwt

    doc = WORLD.credential()
    del doc["credentialSubject"]["achievement"]["criteria"]
    report = WORLD.verify(encode_jwt(doc, WORLD.ed, WORLD.method(WORLD.ed)))
    assert not report.check("schema").passed and report.check("signature").passed


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def issued(engine: Engine, world: World, settings: Settings) -> str:
    with unit_of_work(session_factory(engine)) as s:
        learner = world.users["learner"]
        passed_exam(s, learner, "CPHIT", datetime.now(UTC) - timedelta(hours=3))
        (cred,) = issuance.issue_due(s, Actor.system("test"), learner.id, settings)
        assert isinstance(cred, Credential)
        return cred.id


def _stored(engine: Engine, cred_id: str) -> tuple[dict[str, Any], str]:
    with session_factory(engine)() as s:
        cred = s.get(Credential, cred_id)
        assert cred is not None
        return copy.deepcopy(cred.document), cred.jwt


def test_the_verify_handler_runs_in_the_thread_pool() -> None:
    """A plain def: FastAPI runs it in a worker thread, so a slow verification never blocks
    the event loop (and with it every other request)."""
    (route,) = [
        r
        for r in public_routes.router.routes
        if isinstance(r, APIRoute) and r.path == "/api/v1/verify"
    ]
    assert route.endpoint is public_routes.verify_api
    assert not inspect.iscoroutinefunction(route.endpoint)


def test_the_api_refuses_the_poison_document_with_a_reason(
    client: TestClient, engine: Engine, issued: str
) -> None:
    doc, _ = _stored(engine, issued)
    doc["evidence"] = poison_evidence(7)
    response = client.post("/api/v1/verify", json=doc)
    assert response.status_code == 200
    report = response.json()
    assert report["valid"] is False
    checks = {c["name"]: c for c in report["checks"]}
    assert "blank node identifier '_:b" in checks["format"]["reason"]
    assert checks["signature"]["reason"].startswith("not checked:")


def test_the_api_refuses_a_body_over_the_limit_with_413(client: TestClient) -> None:
    body = json.dumps({"narrative": "x" * MAX_DOCUMENT_BYTES}).encode()
    response = client.post(
        "/api/v1/verify", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert f"at most {MAX_DOCUMENT_BYTES} bytes" in error["message"]

    def chunks() -> Any:  # no Content-Length: counted as it streams
        yield body[: len(body) // 2]
        yield body[len(body) // 2 :]

    response = client.post(
        "/api/v1/verify", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize("levels", [MAX_NESTING + 1, 5_000, 100_000])
def test_the_api_refuses_deep_nesting_with_422(client: TestClient, levels: int) -> None:
    body = ("[" * levels + "]" * levels).encode()
    response = client.post(
        "/api/v1/verify", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert f"nested more than {MAX_NESTING} levels deep" in response.json()["error"]["message"]


def test_the_api_reports_a_deep_jwt_payload_as_a_failed_format(client: TestClient) -> None:
    from extender.credentials.vc.encoding import b64url_encode

    header = b64url_encode(json.dumps({"alg": "EdDSA", "kid": "k"}).encode())
    payload = b64url_encode(("[" * 50_000 + "]" * 50_000).encode())
    response = client.post(
        "/api/v1/verify",
        content=f"{header}.{payload}.c2ln",
        headers={"content-type": "application/vc+jwt"},
    )
    assert response.status_code == 200
    checks = {c["name"]: c for c in response.json()["checks"]}
    assert f"nested more than {MAX_NESTING} levels deep" in checks["format"]["reason"]


# --- JWKS kid --------------------------------------------------------------------------------


def test_the_jwks_kid_is_the_kid_the_jwts_carry(
    client: TestClient, engine: Engine, issued: str
) -> None:
    """A standard JOSE library matches a JWT to a JWKS key by exact kid; the JWKS kid is also
    the verification method id in the DID document."""
    _, token = _stored(engine, issued)
    header = json.loads(b64url_decode(token.split(".")[0]))
    jwks = client.get("/.well-known/jwks.json").json()
    did = client.get("/.well-known/did.json").json()
    kids = [entry["kid"] for entry in jwks["keys"]]
    assert kids == [method["id"] for method in did["verificationMethod"]]
    assert all(kid.startswith(did["id"] + "#") for kid in kids)
    (entry,) = [e for e in jwks["keys"] if e["kid"] == header["kid"]]
    assert entry["alg"] == header["alg"] and "d" not in entry
    signing_input, _, signature = token.rpartition(".")
    public = public_key_from_jwk(entry)
    assert verify_signature(public, entry["alg"], signing_input.encode(), b64url_decode(signature))
    report = client.post(
        "/api/v1/verify", content=token, headers={"content-type": "application/vc+jwt"}
    ).json()
    assert report["valid"] is True
