"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (W3C VC Data Integrity EdDSA
Cryptosuites v1.0, section 3.3): hash the canonical proof configuration and the canonical
document separately with SHA-256, sign proofConfigHash || documentHash with Ed25519."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from extender.credentials.vc.canonical import CanonicalizationError, canonicalize
from extender.credentials.vc.checks import Check, KeyResolver, resolve_safely
from extender.credentials.vc.contexts import UnknownContextError
from extender.credentials.vc.encoding import (
    EncodingError,
    multibase_b58_decode,
    multibase_b58_encode,
)
from extender.credentials.vc.keys import IssuerKey, KeyFormatError, public_key_from_jwk, signing_key
from extender.credentials.vc.ob3 import iso, parse_iso
from extender.errors import InvalidInput

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
SIGNATURE = "signature"
Contexts = Mapping[str, dict[str, Any]] | None


class ProofError(InvalidInput):
    """A proof that cannot be made or checked."""


def hash_data(
    unsecured: dict[str, Any], proof_config: dict[str, Any], extra_contexts: Contexts = None
) -> bytes:
    """proofConfigHash || transformedDocumentHash, both SHA-256 of canonical N-Quads."""
    config_hash = hashlib.sha256(canonicalize(proof_config, extra_contexts).encode()).digest()
    doc_hash = hashlib.sha256(canonicalize(unsecured, extra_contexts).encode()).digest()
    return config_hash + doc_hash


def _proof_config(document: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    if "@context" not in document:
        raise ProofError("the document has no @context")
    # The spec sets proofConfig.@context to the document's @context after copying the options,
    # so a proof cannot bring contexts of its own into what is signed.
    return {**options, "@context": copy.deepcopy(document["@context"])}


def add_proof(
    doc: dict[str, Any],
    key: IssuerKey,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
    *,
    extra_contexts: Contexts = None,
) -> dict[str, Any]:
    """A copy of `doc` with an embedded eddsa-rdfc-2022 proof."""
    if key.alg != "EdDSA":
        raise ProofError(f"eddsa-rdfc-2022 needs an Ed25519 key, not {key.alg}")
    if "proof" in doc:
        raise ProofError("the document already has a proof")
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": iso(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    unsecured = copy.deepcopy(doc)
    data = hash_data(unsecured, _proof_config(unsecured, options), extra_contexts)
    private = signing_key(key)
    if not isinstance(private, ed25519.Ed25519PrivateKey):
        raise ProofError("eddsa-rdfc-2022 needs an Ed25519 private key")
    proof = {**options, "proofValue": multibase_b58_encode(private.sign(data))}
    return {**unsecured, "proof": proof}


def _proof_problem(proof: Any, expected_purpose: str, contexts: Any) -> str | None:
    if not isinstance(proof, dict):
        return "proof must be a single JSON object"
    wanted = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "proofPurpose": expected_purpose}
    for name, value in wanted.items():
        if proof.get(name) != value:
            return f"proof {name} is {proof.get(name)!r}, expected {value!r}"
    for name in ("verificationMethod", "proofValue"):
        if not isinstance(proof.get(name), str) or not proof[name]:
            return f"proof has no {name}"
    if "@context" in proof:
        own = proof["@context"] if isinstance(proof["@context"], list) else [proof["@context"]]
        documents = contexts if isinstance(contexts, list) else [contexts]
        if documents[: len(own)] != own:
            return "proof @context does not start the document's @context"
    if "created" in proof:
        try:
            parse_iso(str(proof["created"]))
        except InvalidInput:
            return f"proof created {proof['created']!r} is not a date-time"
    return None


def proof_verification_method(doc: dict[str, Any]) -> str | None:
    proof = doc.get("proof")
    if isinstance(proof, dict) and isinstance(proof.get("verificationMethod"), str):
        return str(proof["verificationMethod"])
    return None


def verify_proof(
    doc: dict[str, Any],
    resolve_key: KeyResolver,
    *,
    expected_purpose: str = "assertionMethod",
    extra_contexts: Contexts = None,
) -> Check:
    if not isinstance(doc, dict) or "proof" not in doc:
        return Check.fail(SIGNATURE, "the document has no Data Integrity proof")
    proof = doc["proof"]
    problem = _proof_problem(proof, expected_purpose, doc.get("@context"))
    if problem:
        return Check.fail(SIGNATURE, problem)
    method = proof["verificationMethod"]
    try:
        signature = multibase_b58_decode(proof["proofValue"])
    except EncodingError as exc:
        return Check.fail(SIGNATURE, f"proofValue is not multibase base58btc: {exc}")
    if len(signature) != 64:
        return Check.fail(SIGNATURE, f"proofValue is {len(signature)} bytes, not 64")
    key = resolve_safely(resolve_key, method)
    if key is None:
        return Check.fail(SIGNATURE, f"unknown key: no public key for {method!r}")
    if key.alg != "EdDSA":
        return Check.fail(SIGNATURE, f"key {method!r} is {key.alg}, eddsa-rdfc-2022 needs EdDSA")
    try:
        public = public_key_from_jwk(key.public_jwk)
    except KeyFormatError as exc:
        return Check.fail(SIGNATURE, f"key {method!r} is unusable: {exc.message}")
    unsecured = {name: value for name, value in doc.items() if name != "proof"}
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    try:
        data = hash_data(unsecured, _proof_config(unsecured, options), extra_contexts)
    except (CanonicalizationError, UnknownContextError, ProofError) as exc:
        return Check.fail(SIGNATURE, f"cannot canonicalize: {exc.message}")
    if not isinstance(public, ed25519.Ed25519PublicKey):
        return Check.fail(SIGNATURE, f"key {method!r} is not an Ed25519 key")
    try:
        public.verify(signature, data)
    except Exception:
        return Check.fail(
            SIGNATURE, f"Data Integrity proof does not match the document (key {method})"
        )
    return Check.ok(SIGNATURE, f"eddsa-rdfc-2022 proof verified with {method}")
