"""Data Integrity proofs, cryptosuite eddsa-rdfc-2022: the W3C test vector, round trips, and
refusals (unknown contexts, undefined terms, altered proofs)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from extender.credentials.vc import add_proof, multikey, verify_proof
from extender.credentials.vc.canonical import CanonicalizationError, canonicalize
from extender.credentials.vc.contexts import UnknownContextError, document_loader
from extender.credentials.vc.data_integrity import ProofError
from extender.credentials.vc.encoding import multibase_b58_decode, multibase_b58_encode
from extender.credentials.vc.keys import IssuerKey, issuer_key_from_private_pem
from tests.credentials.test_vc_golden import ISSUED, make_world

# W3C "Data Integrity EdDSA Cryptosuites v1.0", appendix B.1 (eddsa-rdfc-2022): the example key
# pair, unsecured credential, proof options and the resulting proofValue.
W3C_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
W3C_METHOD = f"did:key:{W3C_PUBLIC}#{W3C_PUBLIC}"
W3C_CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
W3C_PROOF_VALUE = (
    "z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseabecm3ijx4K1FBTQsCZahKZme"
)
W3C_DOCUMENT: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
# The examples context is not shipped (it is only for the spec's examples); the test supplies it.
EXAMPLES = {
    "https://www.w3.org/ns/credentials/examples/v2": {
        "@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}
    }
}


def _w3c_key() -> IssuerKey:
    secret = multibase_b58_decode(W3C_SECRET)
    assert secret[:2] == b"\x80\x26"  # multicodec ed25519-priv
    private = ed25519.Ed25519PrivateKey.from_private_bytes(secret[2:])
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return issuer_key_from_private_pem(pem, "EdDSA")


def test_w3c_test_vector_proof_value() -> None:
    key = _w3c_key()
    assert multikey(key.public_jwk) == W3C_PUBLIC
    signed = add_proof(W3C_DOCUMENT, key, W3C_METHOD, W3C_CREATED, extra_contexts=EXAMPLES)
    assert signed["proof"] == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2023-02-24T23:36:38Z",
        "verificationMethod": W3C_METHOD,
        "proofPurpose": "assertionMethod",
        "proofValue": W3C_PROOF_VALUE,
    }
    resolve = {W3C_METHOD: key.public_only()}.get
    assert verify_proof(signed, resolve, extra_contexts=EXAMPLES).passed
    assert "proof" not in W3C_DOCUMENT  # the input is not modified


def test_w3c_document_canonical_form_is_what_the_spec_hashes() -> None:
    nquads = canonicalize(W3C_DOCUMENT, EXAMPLES)
    assert (
        "<did:example:abcdefgh> <https://www.w3.org/ns/credentials/examples#alumniOf> "
        '"The School of Examples" .\n'
    ) in nquads
    assert (
        "<urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33> "
        "<https://www.w3.org/2018/credentials#validFrom> "
        '"2023-01-01T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
    ) in nquads
    assert (
        len(nquads.splitlines()) == 8
    )  # 2 types, name, description, issuer, validFrom, subject, alumniOf


def test_without_the_examples_context_the_document_is_refused_by_name() -> None:
    with pytest.raises(UnknownContextError, match="examples/v2"):
        canonicalize(W3C_DOCUMENT)
    check = verify_proof(
        {
            **W3C_DOCUMENT,
            "proof": add_proof(
                W3C_DOCUMENT, _w3c_key(), W3C_METHOD, W3C_CREATED, extra_contexts=EXAMPLES
            )["proof"],
        },
        {W3C_METHOD: _w3c_key().public_only()}.get,
    )
    assert not check.passed
    assert "unknown JSON-LD context 'https://www.w3.org/ns/credentials/examples/v2'" in check.reason


def test_loader_serves_only_shipped_contexts() -> None:
    loaded = document_loader("https://www.w3.org/ns/credentials/v2")
    assert loaded["document"]["@context"]["VerifiableCredential"]
    loaded["document"]["@context"].clear()  # a private copy: the cache is not changed
    assert document_loader("https://www.w3.org/ns/credentials/v2")["document"]["@context"]
    with pytest.raises(UnknownContextError, match=r"https://evil\.example/ctx"):
        document_loader("https://evil.example/ctx")


def test_signing_refuses_rsa_keys_and_double_proofs() -> None:
    world = make_world()
    doc = world.credential()
    with pytest.raises(ProofError, match="needs an Ed25519 key, not RS256"):
        add_proof(doc, world.rsa, world.method(world.rsa), ISSUED)
    signed = add_proof(doc, world.ed, world.method(world.ed), ISSUED)
    with pytest.raises(ProofError, match="already has a proof"):
        add_proof(signed, world.ed, world.method(world.ed), ISSUED)


def test_signing_refuses_undefined_terms_and_relative_ids() -> None:
    world = make_world()
    doc = world.credential()
    doc["credentialSubject"]["shoeSize"] = 44
    with pytest.raises(CanonicalizationError, match=r"undefined term.*shoeSize"):
        add_proof(doc, world.ed, world.method(world.ed), ISSUED)
    doc = world.credential()
    doc["evidence"][0]["id"] = "attempts/77"
    with pytest.raises(CanonicalizationError, match=r"relative IRI.*attempts/77"):
        add_proof(doc, world.ed, world.method(world.ed), ISSUED)


def _signed() -> tuple[dict[str, Any], Any]:
    world = make_world()
    return add_proof(world.credential(), world.ed, world.method(world.ed), ISSUED), world


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("cryptosuite", "ecdsa-rdfc-2019", "proof cryptosuite is 'ecdsa-rdfc-2019'"),
        ("type", "Ed25519Signature2020", "proof type is 'Ed25519Signature2020'"),
        ("proofPurpose", "authentication", "proof proofPurpose is 'authentication'"),
        ("proofValue", "uABCD", "not multibase base58btc"),
        ("proofValue", "z3yMkVq", "not 64"),
        ("proofValue", "z0OIl", "invalid base58btc character"),
        ("created", "yesterday", "is not a date-time"),
        ("created", "2026-03-01T09:30:01Z", "does not match the document"),
        ("@context", ["https://w3id.org/security/data-integrity/v2"], "does not start"),
    ],
)
def test_altered_proof_fails_with_a_reason(field: str, value: Any, reason: str) -> None:
    signed, world = _signed()
    signed["proof"][field] = value
    check = verify_proof(signed, world.resolve_key)
    assert not check.passed and check.name == "signature"
    assert reason in check.reason


def test_proof_context_that_prefixes_the_documents_is_accepted() -> None:
    signed, world = _signed()
    signed["proof"]["@context"] = signed["@context"][:1]
    assert verify_proof(signed, world.resolve_key).passed


def test_proof_that_is_not_an_object_fails() -> None:
    signed, world = _signed()
    signed["proof"] = [signed["proof"]]
    assert "single JSON object" in verify_proof(signed, world.resolve_key).reason
    missing = copy.deepcopy(signed)
    missing["proof"] = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "proofPurpose": "assertionMethod",
    }
    assert "no verificationMethod" in verify_proof(missing, world.resolve_key).reason


def test_reordered_json_still_verifies_because_the_rdf_is_the_same() -> None:
    signed, world = _signed()
    shuffled = dict(reversed(list(signed.items())))
    shuffled["credentialSubject"] = dict(reversed(list(signed["credentialSubject"].items())))
    assert verify_proof(shuffled, world.resolve_key).passed


def test_proof_value_is_a_base58btc_ed25519_signature() -> None:
    signed, _ = _signed()
    raw = multibase_b58_decode(signed["proof"]["proofValue"])
    assert len(raw) == 64
    assert multibase_b58_encode(raw) == signed["proof"]["proofValue"]
