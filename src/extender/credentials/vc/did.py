"""did:web identifiers and DID documents for the issuer, so that any verifier can find the
issuer's public keys at https://<host>/.well-known/did.json."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

from extender.credentials.vc.keys import (
    IssuerKey,
    KeyFormatError,
    alg_for_jwk,
    jwk_from_multikey,
    multikey,
    thumbprint,
)
from extender.errors import InvalidInput

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
# Defines the JsonWebKey verification method type (W3C Controlled Identifiers v1.0).
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"


def did_web(host: str) -> str:
    """did:web for a host, with the port's colon percent-encoded (did:web:127.0.0.1%3A8000)."""
    host = (host or "").strip().lower()
    if not host or any(char in host for char in "/?#@ "):
        raise InvalidInput(f"not a host name for did:web: {host!r}")
    return "did:web:" + quote(host, safe=".-")


LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


def did_web_url(did: str) -> str:
    """Where the DID document of a host-only did:web lives: https, except plain http for a
    loopback host (a development or test deployment has no certificate)."""
    if not did.startswith("did:web:") or ":" in did[len("did:web:") :]:
        raise InvalidInput(f"not a host-only did:web identifier: {did!r}")
    host = unquote(did[len("did:web:") :])
    if not host or any(char in host for char in "/?#@ \\"):
        raise InvalidInput(f"not a host-only did:web identifier: {did!r}")
    hostname = host.rsplit(":", 1)[0] if ":" in host else host
    scheme = "http" if hostname.lower() in LOOPBACK_HOSTS else "https"
    return f"{scheme}://{host}/.well-known/did.json"


def verification_method_id(did: str, key: IssuerKey) -> str:
    return f"{did}#{key.kid}"


def _method(did: str, key: IssuerKey) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": verification_method_id(did, key), "controller": did}
    if key.alg == "EdDSA":
        entry.update(type="Multikey", publicKeyMultibase=multikey(key.public_jwk))
    else:
        entry.update(type="JsonWebKey", publicKeyJwk={**key.public_jwk, "alg": key.alg})
    return entry


def did_document(did: str, keys: Iterable[IssuerKey]) -> dict[str, Any]:
    methods = [_method(did, key) for key in keys]
    ids = [method["id"] for method in methods]
    contexts = list(DID_CONTEXTS)
    if any(method["type"] == "JsonWebKey" for method in methods):
        contexts.append(CID_CONTEXT)
    return {
        "@context": contexts,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }


def keys_from_did_document(document: dict[str, Any]) -> dict[str, IssuerKey]:
    """Public keys by verification method id, for the assertion methods the document lists.
    A key whose fragment is not its own thumbprint is refused (it could be substituted)."""
    did = document.get("id")
    if not isinstance(did, str):
        raise InvalidInput("DID document has no id")
    listed, methods = (
        document.get("assertionMethod") or [],
        document.get("verificationMethod") or [],
    )
    if not isinstance(listed, list) or not isinstance(methods, list):
        raise InvalidInput("DID document assertionMethod and verificationMethod must be lists")
    # Embedded (object) assertion methods are not used by Extender; only references count.
    allowed = {entry for entry in listed if isinstance(entry, str)}
    found: dict[str, IssuerKey] = {}
    for method in methods:
        method_id = method.get("id") if isinstance(method, dict) else None
        if not isinstance(method_id, str) or method_id not in allowed:
            continue
        if method.get("controller") != did or not method_id.startswith(did + "#"):
            raise InvalidInput(f"verification method {method_id} is not controlled by {did}")
        if method.get("type") == "Multikey":
            jwk = jwk_from_multikey(str(method.get("publicKeyMultibase")))
        elif method.get("type") == "JsonWebKey" and isinstance(method.get("publicKeyJwk"), dict):
            jwk = {k: v for k, v in method["publicKeyJwk"].items() if k in ("kty", "n", "e")}
            jwk.update({k: v for k, v in method["publicKeyJwk"].items() if k in ("crv", "x")})
        else:
            raise KeyFormatError(f"verification method {method_id} has an unsupported type")
        kid = method_id.split("#", 1)[1]
        if thumbprint(jwk) != kid:
            raise KeyFormatError(f"verification method {method_id} is not its key's thumbprint")
        found[method_id] = IssuerKey(
            kid=kid, alg=alg_for_jwk(jwk), public_jwk=jwk, private_pem=None
        )
    return found
