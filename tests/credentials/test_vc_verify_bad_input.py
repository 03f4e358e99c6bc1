"""verify() on malformed and hostile input: a clear failed check, never an exception, never
"valid"."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extender.credentials.vc import encode_jwt, verify
from extender.credentials.vc.encoding import b64url_encode
from extender.credentials.vc.verify import CHECK_NAMES
from tests.credentials.test_vc_golden import NOW, failed, make_world

WORLD = make_world()


def _part(obj: Any) -> str:
    return b64url_encode(json.dumps(obj).encode())


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("", "the document is empty"),
        ("   ", "the document is empty"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ([1, 2], "must be a JSON object"),
        (42, "must be a JSON object"),
        (None, "must be a JSON object"),
        (b"\xff\xfe", "not UTF-8"),
        ("hello world", "neither JSON nor a JWT"),
        ("a.b.c", "neither JSON nor a JWT"),
    ],
)
def test_unparseable_document_fails_every_check_with_the_reason(document: Any, reason: str) -> None:
    report = WORLD.verify(document)
    assert not report.valid and report.format == "unknown" and report.credential is None
    assert [check.name for check in report.checks] == list(CHECK_NAMES)
    assert reason in report.check("format").reason
    assert all(not check.passed for check in report.checks)
    assert report.check("schema").reason.startswith("not checked:")


def test_jwt_with_alg_none_is_never_valid() -> None:
    token = f"{_part({'alg': 'none', 'typ': 'vc+jwt'})}.{_part(WORLD.credential())}."
    report = WORLD.verify(token)
    assert not report.valid
    assert report.check("format").reason == (
        "neither JSON nor a JWT: JWT alg 'none' is refused: the token is not signed "
        "(empty signature)"
    )
    token = (
        f"{_part({'alg': 'none', 'kid': WORLD.method(WORLD.ed)})}.{_part(WORLD.credential())}.AA"
    )
    report = WORLD.verify(token)
    assert not report.valid and report.format == "jwt"
    assert "alg 'none' is refused" in report.check("signature").reason


@pytest.mark.parametrize(
    ("alg", "reason"),
    [
        (5, "JWT alg 5 is not an algorithm name (EdDSA or RS256 only)"),
        (None, "JWT alg null is not an algorithm name (EdDSA or RS256 only)"),
        ("None", "JWT alg 'None' is refused: the token is not signed"),
        ("HS256", "JWT alg 'HS256' is not supported (EdDSA or RS256 only)"),
    ],
)
def test_a_bad_jwt_alg_is_named_as_it_is(alg: Any, reason: str) -> None:
    header = {"alg": alg, "kid": WORLD.method(WORLD.ed), "typ": "vc+jwt"}
    report = WORLD.verify(f"{_part(header)}.{_part(WORLD.credential())}.AA")
    assert report.format == "jwt" and not report.valid
    assert report.check("signature").reason == reason


def test_jwt_with_a_mismatched_kid_fails_signature() -> None:
    # signed with the Ed25519 key, header names the RSA key of the same issuer
    token = encode_jwt(WORLD.credential(), WORLD.ed, WORLD.method(WORLD.rsa))
    problems = failed(WORLD.verify(token))
    assert list(problems) == ["signature"]
    assert "is an RS256 key but the JWT header says EdDSA" in problems["signature"]


@pytest.mark.parametrize("fmt", ["di", "jwt-eddsa"])
def test_unknown_context_fails_context_naming_it(fmt: str) -> None:
    doc = WORLD.credential()
    doc["@context"].append("https://evil.example/context.jsonld")
    if fmt == "di":
        secured: Any = WORLD.secure(copy.deepcopy(doc) | {"@context": doc["@context"][:2]}, fmt)
        secured["@context"] = doc["@context"]
    else:
        secured = encode_jwt(doc, WORLD.ed, WORLD.method(WORLD.ed))
    report = WORLD.verify(secured)
    assert not report.valid
    assert report.check("context").reason == "unknown context 'https://evil.example/context.jsonld'"
    if fmt == "di":
        assert "https://evil.example/context.jsonld" in report.check("signature").reason


@pytest.mark.parametrize(
    ("contexts", "reason"),
    [
        ("https://www.w3.org/ns/credentials/v2", "must be a non-empty list"),
        ([], "must be a non-empty list"),
        (
            ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "the first @context must be https://www.w3.org/ns/credentials/v2",
        ),
        (
            ["https://www.w3.org/ns/credentials/v2", {"@vocab": "https://evil.example/#"}],
            "embedded @context objects are not accepted",
        ),
    ],
)
def test_bad_context_lists_fail_the_context_check(contexts: Any, reason: str) -> None:
    doc = WORLD.credential()
    doc["@context"] = contexts
    token = encode_jwt(doc, WORLD.ed, WORLD.method(WORLD.ed))
    report = WORLD.verify(token)
    assert not report.valid
    assert reason in report.check("context").reason


def test_schema_violation_is_reported_by_path() -> None:
    doc = WORLD.credential()
    del doc["credentialSubject"]["achievement"]["criteria"]
    report = WORLD.verify(encode_jwt(doc, WORLD.ed, WORLD.method(WORLD.ed)))
    assert list(failed(report)) == ["schema"]
    assert "$.credentialSubject.achievement.criteria" in report.check("schema").reason


def test_issuer_that_is_not_did_web_fails_issuer_key() -> None:
    doc = WORLD.credential()
    doc["issuer"]["id"] = "https://credentials.example.org"
    report = WORLD.verify(encode_jwt(doc, WORLD.ed, WORLD.method(WORLD.ed)))
    assert "is not a did:web identifier" in report.check("issuer-key").reason
    assert not report.valid


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ({"type": "StatusList2021Entry"}, "not a BitstringStatusListEntry"),
        ({"type": "BitstringStatusListEntry", "statusPurpose": "refresh"}, "not supported"),
        (
            {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "-1",
                "statusListCredential": "https://x",
            },
            "not a non-negative integer string",
        ),
        (
            {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "1",
                "statusSize": 2,
                "statusListCredential": "https://x",
            },
            "statusSize 2 is not supported",
        ),
        (
            {
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": "999999999",
                "statusListCredential": None,
            },
            "no statusListCredential",
        ),
    ],
)
def test_unusable_status_entry_fails_status(status: dict[str, Any], reason: str) -> None:
    doc = WORLD.credential()
    doc["credentialStatus"] = {"id": "https://x#1", **status}
    report = WORLD.verify(encode_jwt(doc, WORLD.ed, WORLD.method(WORLD.ed)))
    assert reason in report.check("status").reason
    assert not report.valid


def test_index_beyond_the_list_fails_status() -> None:
    doc = WORLD.credential()
    doc["credentialStatus"]["statusListIndex"] = "131072"
    report = WORLD.verify(encode_jwt(doc, WORLD.ed, WORLD.method(WORLD.ed)))
    assert "index 131072 is outside 0..131071" in report.check("status").reason


def test_resolvers_that_raise_are_reported_not_propagated() -> None:
    def broken(_: str) -> Any:
        raise ConnectionError("issuer unreachable")

    secured = WORLD.secure(WORLD.credential(), "di")
    report = verify(secured, resolve_key=broken, resolve_status_list=broken, now=NOW)
    problems = failed(report)
    assert "unknown key" in problems["signature"]
    assert "could not be retrieved: issuer unreachable" in problems["status"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200) | st.binary(max_size=200) | json_values)
def test_arbitrary_input_never_raises_and_is_never_valid(document: Any) -> None:
    report = WORLD.verify(document)
    assert not report.valid
    assert [check.name for check in report.checks] == list(CHECK_NAMES)


_FIELDS = ["@context", "type", "issuer", "validFrom", "credentialSubject", "credentialStatus"]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(_FIELDS), json_values)
def test_any_field_replaced_by_junk_is_never_valid_and_never_raises(field: str, junk: Any) -> None:
    signed = WORLD.secure(WORLD.credential(), "di")
    assert isinstance(signed, dict)
    doc = copy.deepcopy(signed)
    doc[field] = junk
    report = WORLD.verify(doc)
    assert not report.valid
    assert not report.check("signature").passed or doc == signed
