"""VC-JOSE-COSE: a credential secured as a compact JWS (RFC 7515) whose payload is the
credential JSON itself. Implemented on `cryptography` so every refusal has our own reason."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from extender.credentials.vc.checks import Check, KeyResolver, resolve_safely
from extender.credentials.vc.encoding import EncodingError, b64url_decode, b64url_encode
from extender.credentials.vc.keys import (
    SUPPORTED_ALGS,
    IssuerKey,
    KeyFormatError,
    PrivateKey,
    PublicKey,
    public_key_from_jwk,
    signing_key,
)
from extender.errors import InvalidInput

JWT_TYP = "vc+jwt"
SIGNATURE = "signature"


class JwsError(InvalidInput):
    """A token that is not a well-formed compact JWS of ours."""


class JwsTooDeep(JwsError):
    """A header or payload nested too deeply for the JSON reader."""


@dataclass(frozen=True)
class ParsedJws:
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _sign(private: PrivateKey, alg: str, data: bytes) -> bytes:
    if alg == "EdDSA" and isinstance(private, ed25519.Ed25519PrivateKey):
        return private.sign(data)
    if alg == "RS256" and isinstance(private, rsa.RSAPrivateKey):
        return private.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise KeyFormatError(f"the private key cannot sign with {alg}")


def verify_signature(public: PublicKey, alg: str, data: bytes, signature: bytes) -> bool:
    try:
        if alg == "EdDSA" and isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(signature, data)
            return True
        if alg == "RS256" and isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False


def _json_part(obj: dict[str, Any]) -> str:
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return b64url_encode(text.encode("utf-8"))


def encode_jwt(doc: dict[str, Any], key: IssuerKey, verification_method: str) -> str:
    header = {"alg": key.alg, "kid": verification_method, "typ": JWT_TYP, "cty": "vc"}
    signing_input = f"{_json_part(header)}.{_json_part(doc)}".encode("ascii")
    signature = _sign(signing_key(key), key.alg, signing_input)
    return signing_input.decode("ascii") + "." + b64url_encode(signature)


def _decode_object(part: str, what: str) -> dict[str, Any]:
    try:
        raw = b64url_decode(part)
    except EncodingError as exc:
        raise JwsError(f"JWT {what} is not base64url: {exc}") from exc
    try:
        value = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise JwsTooDeep(f"JWT {what} is nested too deeply to be read") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise JwsError(f"JWT {what} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise JwsError(f"JWT {what} is not a JSON object")
    return value


def alg_problem(header: dict[str, Any]) -> str | None:
    """Why the header's alg cannot be accepted, naming the value it has, or None."""
    if "alg" not in header:
        return "JWT header has no 'alg'"
    alg = header["alg"]
    if not isinstance(alg, str):
        shown = json.dumps(alg, ensure_ascii=False)
        if len(shown) > 40:
            shown = shown[:37] + "..."
        return f"JWT alg {shown} is not an algorithm name (EdDSA or RS256 only)"
    if alg.lower() == "none":
        return f"JWT alg {alg!r} is refused: the token is not signed"
    if alg not in SUPPORTED_ALGS:
        return f"JWT alg {alg[:40]!r} is not supported (EdDSA or RS256 only)"
    return None


def header_problem(header: dict[str, Any]) -> str | None:
    """Why this JOSE header cannot be accepted, or None."""
    problem = alg_problem(header)
    if problem:
        return problem
    if "crit" in header:
        return f"JWT header has critical extensions {header['crit']!r} we do not know"
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        return "JWT header has no 'kid' naming the verification method"
    if header.get("typ", JWT_TYP) != JWT_TYP:
        return f"JWT typ {header.get('typ')!r} is not {JWT_TYP!r}"
    return None


def parse_jws(token: str | bytes, *, check_header: bool = True) -> ParsedJws:
    """The parts of a compact JWS; with check_header=False only its structure is checked."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError as exc:
            raise JwsError("JWT contains non-ASCII bytes") from exc
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise JwsError(f"not a compact JWS: expected 3 dot-separated parts, got {len(parts)}")
    header = _decode_object(parts[0], "header")
    problem = header_problem(header) if check_header else None
    if problem:
        raise JwsError(problem)
    payload = _decode_object(parts[1], "payload")
    try:
        signature = b64url_decode(parts[2])
    except EncodingError as exc:
        raise JwsError(f"JWT signature is not base64url: {exc}") from exc
    if not signature:
        # An unsigned token's first problem is its alg (typically 'none'): say so.
        problem = alg_problem(header)
        raise JwsError(f"{problem} (empty signature)" if problem else "JWT has an empty signature")
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    return ParsedJws(header, payload, signing_input, signature)


def check_jws(parsed: ParsedJws, resolve_key: KeyResolver) -> Check:
    problem = header_problem(parsed.header)
    if problem:
        return Check.fail(SIGNATURE, problem)
    kid, alg = parsed.header["kid"], parsed.header["alg"]
    key = resolve_safely(resolve_key, kid)
    if key is None:
        return Check.fail(SIGNATURE, f"unknown key: no public key for kid {kid!r}")
    if key.alg != alg:
        return Check.fail(
            SIGNATURE, f"key {kid!r} is an {key.alg} key but the JWT header says {alg}"
        )
    try:
        public = public_key_from_jwk(key.public_jwk)
    except KeyFormatError as exc:
        return Check.fail(SIGNATURE, f"key {kid!r} is unusable: {exc.message}")
    if not verify_signature(public, alg, parsed.signing_input, parsed.signature):
        return Check.fail(SIGNATURE, f"JWS {alg} signature does not match key {kid!r}")
    return Check.ok(SIGNATURE, f"JWS {alg} signature verified with {kid}")


def decode_jwt(token: str | bytes, resolve_key: KeyResolver) -> tuple[dict[str, Any] | None, Check]:
    """The payload only when the signature verified; otherwise None and the reason."""
    try:
        parsed = parse_jws(token)
    except JwsError as exc:
        return None, Check.fail(SIGNATURE, exc.message)
    check = check_jws(parsed, resolve_key)
    return (parsed.payload if check.passed else None), check
