"""Issuer signing keys: generation, RFC 7638 thumbprints, JWK/Multikey forms, and encryption of
private keys at rest (AES-256-GCM under a key derived from the application secret)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from extender.credentials.vc.encoding import (
    EncodingError,
    b64url_decode,
    b64url_encode,
    multibase_b58_decode,
    multibase_b58_encode,
)
from extender.errors import InvalidInput

Alg = Literal["EdDSA", "RS256"]
SUPPORTED_ALGS: tuple[Alg, ...] = ("EdDSA", "RS256")
PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey
PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey

_ED25519_MULTICODEC = b"\xed\x01"
_TOKEN_VERSION = "v1"
_HKDF_INFO = b"extender issuer private key v1"


class KeyDecryptionError(InvalidInput):
    """The encrypted private key cannot be opened (wrong secret or damaged token)."""


class KeyFormatError(InvalidInput):
    """A JWK, PEM or Multikey value that is not a usable key."""


@dataclass(frozen=True)
class IssuerKey:
    kid: str
    alg: Alg
    public_jwk: dict[str, Any]
    # Never in a repr: a logged or printed key (tracebacks, assertion output) shows no secret.
    private_pem: bytes | None = field(repr=False)

    def public_only(self) -> IssuerKey:
        return IssuerKey(self.kid, self.alg, dict(self.public_jwk), None)


def generate_key(alg: Alg) -> IssuerKey:
    private: PrivateKey
    if alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    elif alg == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise KeyFormatError(f"unsupported key algorithm {alg!r}; use EdDSA or RS256")
    return issuer_key_from_private_pem(_private_pem(private), alg)


def issuer_key_from_private_pem(pem: bytes, alg: Alg) -> IssuerKey:
    private = load_private_key(pem)
    if _alg_of(private.public_key()) != alg:
        raise KeyFormatError(f"the private key is not a {alg} key")
    jwk = public_jwk(private.public_key())
    return IssuerKey(kid=thumbprint(jwk), alg=alg, public_jwk=jwk, private_pem=pem)


def load_private_key(pem: bytes) -> PrivateKey:
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"not a PEM private key: {exc}") from exc
    if not isinstance(private, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
        raise KeyFormatError("private key must be Ed25519 or RSA")
    return private


def _private_pem(private: PrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _alg_of(public: PublicKey) -> Alg:
    return "EdDSA" if isinstance(public, ed25519.Ed25519PublicKey) else "RS256"


def _int_b64(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def public_jwk(public: PublicKey) -> dict[str, Any]:
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)}
    numbers = public.public_numbers()
    return {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without whitespace."""
    required = {"OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}.get(jwk.get("kty", ""))
    if required is None:
        raise KeyFormatError(f"unsupported JWK kty {jwk.get('kty')!r}")
    members = {name: jwk[name] for name in required if name in jwk}
    if len(members) != len(required):
        missing = sorted(set(required) - set(members))
        raise KeyFormatError(f"JWK lacks {', '.join(missing)}")
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def public_key_from_jwk(jwk: dict[str, Any]) -> PublicKey:
    if not isinstance(jwk, dict):
        raise KeyFormatError("JWK must be a JSON object")
    try:
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            raw = b64url_decode(str(jwk["x"]))
            if len(raw) != 32:
                raise KeyFormatError("Ed25519 JWK 'x' must be 32 bytes")
            return ed25519.Ed25519PublicKey.from_public_bytes(raw)
        if jwk.get("kty") == "RSA":
            n = int.from_bytes(b64url_decode(str(jwk["n"])), "big")
            e = int.from_bytes(b64url_decode(str(jwk["e"])), "big")
            if n.bit_length() < 2048:
                raise KeyFormatError("RSA JWK modulus is shorter than 2048 bits")
            return rsa.RSAPublicNumbers(e, n).public_key()
    except KeyError as exc:
        raise KeyFormatError(f"JWK lacks {exc.args[0]!r}") from exc
    except (EncodingError, ValueError) as exc:
        if isinstance(exc, KeyFormatError):
            raise
        raise KeyFormatError(f"invalid JWK: {exc}") from exc
    raise KeyFormatError(f"unsupported JWK (kty={jwk.get('kty')!r}, crv={jwk.get('crv')!r})")


def alg_for_jwk(jwk: dict[str, Any]) -> Alg:
    return _alg_of(public_key_from_jwk(jwk))


def multikey(jwk: dict[str, Any]) -> str:
    """Ed25519 public key as a Multikey publicKeyMultibase ("z6Mk...")."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise KeyFormatError("Multikey form is only defined here for Ed25519 keys")
    raw = b64url_decode(str(jwk["x"]))
    return multibase_b58_encode(_ED25519_MULTICODEC + raw)


def jwk_from_multikey(value: str) -> dict[str, Any]:
    try:
        data = multibase_b58_decode(value)
    except EncodingError as exc:
        raise KeyFormatError(f"invalid publicKeyMultibase: {exc}") from exc
    if not data.startswith(_ED25519_MULTICODEC) or len(data) != 34:
        raise KeyFormatError("publicKeyMultibase is not an Ed25519 public key")
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(data[2:])}


def jwks(keys: Iterable[IssuerKey]) -> dict[str, Any]:
    """A JWK Set of the public keys (never any private member)."""
    entries = []
    for key in keys:
        entry = {**key.public_jwk, "kid": key.kid, "alg": key.alg, "use": "sig"}
        entries.append(entry)
    return {"keys": entries}


# --- encryption at rest ----------------------------------------------------------------------


def _derive(secret: str, salt: bytes) -> bytes:
    if not secret:
        raise KeyDecryptionError("the secret used to protect issuer keys is empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO)
    return hkdf.derive(secret.encode("utf-8"))


def encrypt_private_key(pem: bytes, secret: str) -> str:
    """Token "v1.<salt>.<nonce>.<ciphertext+tag>" (base64url parts)."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_derive(secret, salt)).encrypt(nonce, pem, _TOKEN_VERSION.encode())
    return ".".join([_TOKEN_VERSION, *(b64url_encode(part) for part in (salt, nonce, sealed))])


def decrypt_private_key(token: str, secret: str) -> bytes:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 4 or parts[0] != _TOKEN_VERSION:
        raise KeyDecryptionError("encrypted key is not a v1 token (v1.salt.nonce.ciphertext)")
    try:
        salt, nonce, sealed = (b64url_decode(part) for part in parts[1:])
    except EncodingError as exc:
        raise KeyDecryptionError(f"encrypted key token is damaged: {exc}") from exc
    if len(salt) != 16 or len(nonce) != 12:
        raise KeyDecryptionError("encrypted key token is damaged: bad salt or nonce length")
    try:
        return AESGCM(_derive(secret, salt)).decrypt(nonce, sealed, _TOKEN_VERSION.encode())
    except InvalidTag as exc:
        raise KeyDecryptionError(
            "cannot decrypt the issuer private key: wrong secret key, or the stored key was altered"
        ) from exc


def signing_key(key: IssuerKey) -> PrivateKey:
    if key.private_pem is None:
        raise KeyFormatError(f"issuer key {key.kid} has no private part loaded")
    return _loaded(key.private_pem)


@lru_cache(maxsize=8)
def _loaded(pem: bytes) -> PrivateKey:
    """Parsing a PEM (an RSA one above all: it checks the key) costs far more than signing."""
    return load_private_key(pem)


def as_public_key(key: IssuerKey) -> PublicKey:
    return public_key_from_jwk(key.public_jwk)


def cast_alg(value: str) -> Alg:
    if value not in SUPPORTED_ALGS:
        raise KeyFormatError(f"unsupported algorithm {value!r}; use EdDSA or RS256")
    return value
