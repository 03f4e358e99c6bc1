"""Issuer keys: generation, RFC 7638 thumbprints, JWK / Multikey / JWKS forms, did:web, and
private keys encrypted at rest."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st

from extender.credentials.vc import (
    KeyDecryptionError,
    decrypt_private_key,
    did_document,
    did_web,
    encrypt_private_key,
    generate_key,
    jwks,
    keys_from_did_document,
    multikey,
    public_key_from_jwk,
)
from extender.credentials.vc.did import did_web_url
from extender.credentials.vc.encoding import (
    EncodingError,
    b58_decode,
    b58_encode,
    b64url_decode,
    b64url_encode,
)
from extender.credentials.vc.keys import (
    KeyFormatError,
    issuer_key_from_private_pem,
    jwk_from_multikey,
    thumbprint,
)
from extender.errors import InvalidInput
from tests.credentials.test_vc_golden import _keys

# RFC 8037 appendix A.2 / A.3: an Ed25519 public key and its RFC 7638 thumbprint.
RFC8037_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_thumbprint_matches_rfc_8037_example() -> None:
    assert thumbprint(RFC8037_JWK) == RFC8037_THUMBPRINT
    assert thumbprint({**RFC8037_JWK, "kid": "ignored", "use": "sig"}) == RFC8037_THUMBPRINT


def test_generated_keys_are_named_by_their_thumbprint() -> None:
    ed, rsa_key, _ = _keys()
    assert ed.alg == "EdDSA" and rsa_key.alg == "RS256"
    assert ed.kid == thumbprint(ed.public_jwk) and rsa_key.kid == thumbprint(rsa_key.public_jwk)
    assert isinstance(public_key_from_jwk(ed.public_jwk), ed25519.Ed25519PublicKey)
    public = public_key_from_jwk(rsa_key.public_jwk)
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    assert ed.private_pem is not None and ed.private_pem.startswith(b"-----BEGIN PRIVATE KEY")
    assert ed.public_only().private_pem is None


def test_key_from_pem_refuses_the_wrong_algorithm() -> None:
    ed, _, _ = _keys()
    assert ed.private_pem is not None
    with pytest.raises(KeyFormatError, match="not a RS256 key"):
        issuer_key_from_private_pem(ed.private_pem, "RS256")
    with pytest.raises(KeyFormatError, match="not a PEM private key"):
        issuer_key_from_private_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n", "EdDSA")
    with pytest.raises(KeyFormatError, match="unsupported key algorithm"):
        generate_key("ES256")  # type: ignore[arg-type]


def test_jwks_lists_public_members_only() -> None:
    ed, rsa_key, _ = _keys()
    document = jwks([ed, rsa_key])
    assert [entry["kid"] for entry in document["keys"]] == [ed.kid, rsa_key.kid]
    assert [entry["alg"] for entry in document["keys"]] == ["EdDSA", "RS256"]
    for entry in document["keys"]:
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(entry)
        assert entry["use"] == "sig"


def test_multikey_is_z6mk_and_round_trips() -> None:
    ed, rsa_key, _ = _keys()
    value = multikey(ed.public_jwk)
    assert value.startswith("z6Mk")
    assert jwk_from_multikey(value) == ed.public_jwk
    with pytest.raises(KeyFormatError, match="only defined here for Ed25519"):
        multikey(rsa_key.public_jwk)
    with pytest.raises(KeyFormatError, match="not an Ed25519 public key"):
        jwk_from_multikey("z" + b58_encode(b"\x12\x20" + bytes(32)))
    with pytest.raises(KeyFormatError, match="invalid publicKeyMultibase"):
        jwk_from_multikey("uAAAA")


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, "must be 32 bytes"),
        ({"kty": "OKP", "crv": "Ed25519"}, "lacks 'x'"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "not base64!"}, "invalid JWK"),
        ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "shorter than 2048 bits"),
        ({"kty": "EC", "crv": "P-256"}, "unsupported JWK"),
        ([], "must be a JSON object"),
    ],
)
def test_unusable_jwk_is_refused_with_a_reason(jwk: object, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        public_key_from_jwk(jwk)  # type: ignore[arg-type]


def test_private_key_encryption_round_trip() -> None:
    ed, _, _ = _keys()
    assert ed.private_pem is not None
    token = encrypt_private_key(ed.private_pem, "app-secret-key")
    assert token.startswith("v1.") and b"PRIVATE" not in token.encode()
    assert decrypt_private_key(token, "app-secret-key") == ed.private_pem
    # a fresh salt and nonce every time
    assert encrypt_private_key(ed.private_pem, "app-secret-key") != token


def test_wrong_secret_or_altered_token_is_a_clear_error() -> None:
    token = encrypt_private_key(b"pem bytes", "right secret")
    with pytest.raises(KeyDecryptionError, match="wrong secret key"):
        decrypt_private_key(token, "wrong secret")
    version, salt, nonce, sealed = token.split(".")
    altered = ".".join([version, salt, nonce, sealed[:-2] + ("A" if sealed[-2] != "A" else "B")])
    with pytest.raises(KeyDecryptionError, match="wrong secret key, or the stored key was altered"):
        decrypt_private_key(altered + sealed[-1], "right secret")
    with pytest.raises(KeyDecryptionError, match="not a v1 token"):
        decrypt_private_key("garbage", "right secret")
    with pytest.raises(KeyDecryptionError, match="damaged"):
        decrypt_private_key("v1.!!.AAAA.AAAA", "right secret")
    with pytest.raises(KeyDecryptionError, match="is empty"):
        encrypt_private_key(b"pem", "")
    assert issubclass(KeyDecryptionError, InvalidInput)


def test_did_web_percent_encodes_the_port() -> None:
    assert did_web("127.0.0.1:8000") == "did:web:127.0.0.1%3A8000"
    assert did_web("Credentials.Example.org") == "did:web:credentials.example.org"
    # loopback hosts (development, tests) are fetched over plain http, every other over https
    assert did_web_url("did:web:127.0.0.1%3A8000") == "http://127.0.0.1:8000/.well-known/did.json"
    assert did_web_url("did:web:localhost") == "http://localhost/.well-known/did.json"
    assert did_web_url("did:web:example.org") == "https://example.org/.well-known/did.json"
    assert (
        did_web_url("did:web:localhost.evil.example%3A8443")
        == "https://localhost.evil.example:8443/.well-known/did.json"
    )
    for bad_did in ("did:web:", "did:key:z6Mk", "did:web:host:path", "did:web:a%2Fb", "x"):
        with pytest.raises(InvalidInput, match="not a host-only did:web"):
            did_web_url(bad_did)
    for bad in ("", "host/path", "user@host", "a b"):
        with pytest.raises(InvalidInput, match="not a host name"):
            did_web(bad)


def test_did_document_round_trips_both_key_kinds() -> None:
    ed, rsa_key, _ = _keys()
    did = did_web("127.0.0.1:8000")
    document = did_document(did, [ed, rsa_key])
    methods = {method["id"]: method for method in document["verificationMethod"]}
    assert methods[f"{did}#{ed.kid}"]["type"] == "Multikey"
    assert methods[f"{did}#{ed.kid}"]["publicKeyMultibase"] == multikey(ed.public_jwk)
    assert methods[f"{did}#{rsa_key.kid}"]["type"] == "JsonWebKey"
    assert "d" not in methods[f"{did}#{rsa_key.kid}"]["publicKeyJwk"]
    assert document["assertionMethod"] == [f"{did}#{ed.kid}", f"{did}#{rsa_key.kid}"]
    found = keys_from_did_document(document)
    assert found[f"{did}#{ed.kid}"].public_jwk == ed.public_jwk
    assert found[f"{did}#{rsa_key.kid}"].alg == "RS256"


def test_did_document_with_a_substituted_key_is_refused() -> None:
    ed, _, outsider = _keys()
    did = did_web("example.org")
    document = did_document(did, [ed])
    document["verificationMethod"][0]["publicKeyMultibase"] = multikey(outsider.public_jwk)
    with pytest.raises(KeyFormatError, match="not its key's thumbprint"):
        keys_from_did_document(document)
    document = did_document(did, [ed])
    document["verificationMethod"][0]["controller"] = "did:web:evil.example"
    with pytest.raises(InvalidInput, match="not controlled by"):
        keys_from_did_document(document)


@pytest.mark.parametrize(
    "change",
    [
        {"assertionMethod": [{"id": "embedded"}]},
        {"assertionMethod": "did:web:example.org#x"},
        {"verificationMethod": {"id": "x"}},
    ],
)
def test_a_malformed_did_document_is_refused_with_a_reason(change: dict[str, object]) -> None:
    ed, _, _ = _keys()
    document = did_document(did_web("example.org"), [ed]) | change
    try:
        found = keys_from_did_document(document)
    except InvalidInput as exc:
        assert "must be lists" in exc.message
    else:  # an embedded assertion method is ignored, never trusted
        assert found == {}


@given(st.binary(max_size=80))
def test_base58_and_base64url_round_trip(data: bytes) -> None:
    assert b58_decode(b58_encode(data)) == data
    encoded = b64url_encode(data)
    assert "=" not in encoded
    assert b64url_decode(encoded) == data


@given(st.text(max_size=40))
def test_base64url_decoder_fails_cleanly_on_any_text(text: str) -> None:
    """Any text either decodes to bytes that encode back to it or fails with EncodingError."""
    try:
        data = b64url_decode(text)
    except EncodingError:
        return
    assert b64url_decode(b64url_encode(data)) == data
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_private_key_never_appears_in_a_repr() -> None:
    ed, rsa_key, _ = _keys()
    for key in (ed, rsa_key):
        assert key.private_pem is not None
        text = repr(key) + str(key) + f"{key!r}"
        assert "PRIVATE KEY" not in text and key.private_pem.decode() not in text
        assert key.kid in text
