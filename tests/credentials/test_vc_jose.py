"""VC-JOSE: compact JWS encoding and every refusal of decode_jwt, with its reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extender.credentials.vc import IssuerKey, decode_jwt, encode_jwt
from extender.credentials.vc.encoding import b64url_decode, b64url_encode
from extender.credentials.vc.jose import JwsError, parse_jws, verify_signature
from extender.credentials.vc.keys import public_key_from_jwk
from tests.credentials.test_vc_golden import _keys

DID = "did:web:issuer.example"
CLAIMS: dict[str, Any] = {"id": "urn:uuid:1", "name": "Zoë's credential ✓", "n": [1, 2.5, None]}

# RFC 8037 appendix A.4: the Ed25519 JWS of "Example of Ed25519 signing".
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)


def _resolver(*keys: IssuerKey) -> Any:
    known = {f"{DID}#{key.kid}": key.public_only() for key in keys}
    return known.get


def _part(obj: Any) -> str:
    return b64url_encode(json.dumps(obj).encode())


def test_rfc_8037_ed25519_signature_verifies() -> None:
    header, payload, signature = RFC8037_JWS.split(".")
    public = public_key_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X})
    data = f"{header}.{payload}".encode()
    assert verify_signature(public, "EdDSA", data, b64url_decode(signature))
    assert not verify_signature(public, "EdDSA", data + b"x", b64url_decode(signature))
    assert not verify_signature(public, "RS256", data, b64url_decode(signature))


@pytest.mark.parametrize("which", [0, 1])
def test_round_trip_with_header_fields(which: int) -> None:
    key = _keys()[which]
    token = encode_jwt(CLAIMS, key, f"{DID}#{key.kid}")
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header == {"alg": key.alg, "kid": f"{DID}#{key.kid}", "typ": "vc+jwt", "cty": "vc"}
    payload, check = decode_jwt(token, _resolver(key))
    assert check.passed and check.name == "signature"
    assert payload == CLAIMS


def _forge(header: dict[str, Any], signature: str = "c2ln") -> str:
    return f"{_part(header)}.{_part(CLAIMS)}.{signature}"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "none", "kid": f"{DID}#k"}, "alg 'none' is refused"),
        ({"alg": "NONE", "kid": f"{DID}#k"}, "alg 'NONE' is refused"),
        ({"alg": "HS256", "kid": f"{DID}#k"}, "alg 'HS256' is not supported"),
        ({"alg": 5, "kid": f"{DID}#k"}, "JWT alg 5 is not an algorithm name"),
        ({"alg": None, "kid": f"{DID}#k"}, "JWT alg null is not an algorithm name"),
        ({"alg": ["EdDSA"], "kid": f"{DID}#k"}, 'JWT alg ["EdDSA"] is not an algorithm name'),
        ({"kid": f"{DID}#k"}, "no 'alg'"),
        ({"alg": "EdDSA"}, "no 'kid'"),
        ({"alg": "EdDSA", "kid": f"{DID}#k", "typ": "JWT"}, "typ 'JWT' is not 'vc+jwt'"),
        ({"alg": "EdDSA", "kid": f"{DID}#k", "crit": ["b64"]}, "critical extensions"),
    ],
)
def test_unacceptable_header_is_refused(header: dict[str, Any], reason: str) -> None:
    payload, check = decode_jwt(_forge(header), _resolver(*_keys()[:2]))
    assert payload is None and not check.passed
    assert reason in check.reason


def test_alg_none_with_empty_signature_is_refused() -> None:
    token = f"{_part({'alg': 'none'})}.{_part(CLAIMS)}."
    payload, check = decode_jwt(token, _resolver())
    assert payload is None
    assert "alg 'none' is refused" in check.reason


@pytest.mark.parametrize(
    ("alg", "reason"),
    [
        ("none", "JWT alg 'none' is refused: the token is not signed (empty signature)"),
        (5, "JWT alg 5 is not an algorithm name (EdDSA or RS256 only) (empty signature)"),
        ("HS256", "JWT alg 'HS256' is not supported (EdDSA or RS256 only) (empty signature)"),
        ("EdDSA", "JWT has an empty signature"),
    ],
)
def test_an_unsigned_token_is_refused_for_its_alg_first(alg: Any, reason: str) -> None:
    """The structure-only parse (what the verifier's format check uses) names the bad alg
    before the empty signature."""
    token = f"{_part({'alg': alg, 'kid': f'{DID}#k'})}.{_part(CLAIMS)}."
    with pytest.raises(JwsError) as caught:
        parse_jws(token, check_header=False)
    assert caught.value.message == reason


def test_a_payload_nested_too_deeply_is_refused_not_raised() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    token = f"{_part({'alg': 'EdDSA', 'kid': f'{DID}#k'})}.{b64url_encode(deep.encode())}.c2ln"
    payload, check = decode_jwt(token, _resolver())
    assert payload is None and check.reason == "JWT payload is nested too deeply to be read"


def test_kid_the_resolver_does_not_know_is_refused() -> None:
    ed, _, outsider = _keys()
    token = encode_jwt(CLAIMS, outsider, f"{DID}#{outsider.kid}")
    payload, check = decode_jwt(token, _resolver(ed))
    assert payload is None
    assert check.reason == f"unknown key: no public key for kid '{DID}#{outsider.kid}'"


def test_kid_of_one_key_with_a_signature_of_another_is_refused() -> None:
    ed, _, outsider = _keys()
    token = encode_jwt(CLAIMS, outsider, f"{DID}#{ed.kid}")
    payload, check = decode_jwt(token, _resolver(ed))
    assert payload is None
    assert "signature does not match key" in check.reason


def test_key_whose_alg_differs_from_the_header_is_refused() -> None:
    ed, rsa_key, _ = _keys()
    token = encode_jwt(CLAIMS, ed, f"{DID}#{rsa_key.kid}")
    payload, check = decode_jwt(token, _resolver(ed, rsa_key))
    assert payload is None
    assert (
        check.reason == f"key '{DID}#{rsa_key.kid}' is an RS256 key but the JWT header says EdDSA"
    )


def test_resolver_that_raises_is_an_unknown_key() -> None:
    ed = _keys()[0]

    def broken(_: str) -> IssuerKey | None:
        raise RuntimeError("key store down")

    payload, check = decode_jwt(encode_jwt(CLAIMS, ed, f"{DID}#{ed.kid}"), broken)
    assert payload is None and "unknown key" in check.reason


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "expected 3 dot-separated parts, got 1"),
        ("a.b", "expected 3 dot-separated parts, got 2"),
        ("a.b.c.d", "got 4"),
        ("!!!.e30.c2ln", "header is not base64url"),
        (f"{b64url_encode(b'not json')}.e30.c2ln", "header is not JSON"),
        (f"{_part([1, 2])}.e30.c2ln", "header is not a JSON object"),
        (
            f"{_part({'alg': 'EdDSA', 'kid': 'k'})}.{b64url_encode(b'{')}.c2ln",
            "payload is not JSON",
        ),
        (f"{_part({'alg': 'EdDSA', 'kid': 'k'})}.e30.c2l=", "signature is not base64url"),
        (f"{_part({'alg': 'EdDSA', 'kid': 'k'})}.e30.", "empty signature"),
    ],
)
def test_malformed_token_is_refused_with_a_reason(token: str, reason: str) -> None:
    payload, check = decode_jwt(token, _resolver())
    assert payload is None and not check.passed
    assert reason in check.reason


def test_non_ascii_bytes_are_refused() -> None:
    payload, check = decode_jwt("é.é.é".encode(), _resolver())
    assert payload is None and "non-ASCII" in check.reason


@given(st.text(max_size=120) | st.binary(max_size=120))
def test_decode_never_raises_and_never_accepts_garbage(token: str | bytes) -> None:
    payload, check = decode_jwt(token, _resolver(*_keys()[:2]))
    assert payload is None and not check.passed and check.reason
