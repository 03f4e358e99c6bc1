"""Extender as an issuer: its did:web identifier, its profile and its signing keys.

Keys are generated on first use (one Ed25519 and one RSA key), stored with the private half
encrypted under the deployment's secret key, and rotated on demand. A rotated key is retired,
not deleted: it stays in the JWKS and the DID document so every credential it signed still
verifies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.config import Settings
from extender.credentials.models import IssuerKeyRow
from extender.credentials.vc import keys as vckeys
from extender.credentials.vc.did import did_web
from extender.credentials.vc.keys import Alg, IssuerKey
from extender.credentials.vc.ob3 import IssuerProfile
from extender.db import utcnow
from extender.errors import InvalidInput

ISSUER_NAME = "Extender Certification Board"
DEFAULT_ALG: Alg = "EdDSA"


def base_url(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def issuer_did(settings: Settings) -> str:
    host = urlsplit(settings.base_url).netloc
    if not host:
        raise InvalidInput(f"EXTENDER_BASE_URL {settings.base_url!r} has no host")
    return did_web(host)


def issuer_profile(settings: Settings) -> IssuerProfile:
    return IssuerProfile(
        id=issuer_did(settings),
        name=ISSUER_NAME,
        url=base_url(settings),
        description="Certifies health-IT paraprofessionals trained and examined on Extender.",
    )


def verification_method(settings: Settings, kid: str) -> str:
    return f"{issuer_did(settings)}#{kid}"


def _public(row: IssuerKeyRow) -> IssuerKey:
    return IssuerKey(row.kid, vckeys.cast_alg(row.alg), dict(row.public_jwk), None)


def _store(session: Session, settings: Settings, alg: Alg) -> IssuerKeyRow:
    key = vckeys.generate_key(alg)
    assert key.private_pem is not None
    row = IssuerKeyRow(
        kid=key.kid,
        alg=alg,
        public_jwk=key.public_jwk,
        private_key_encrypted=vckeys.encrypt_private_key(
            key.private_pem, settings.resolved_secret_key()
        ),
    )
    session.add(row)
    session.flush()
    return row


def _active_row(session: Session, alg: Alg) -> IssuerKeyRow | None:
    return session.scalar(
        select(IssuerKeyRow)
        .where(IssuerKeyRow.alg == alg, IssuerKeyRow.retired_at.is_(None))
        .order_by(IssuerKeyRow.created_at.desc())
    )


def ensure_keys(session: Session, settings: Settings) -> None:
    """An active key for each algorithm, generated on first use."""
    for alg in vckeys.SUPPORTED_ALGS:
        if _active_row(session, alg) is None:
            _store(session, settings, alg)


def signing_key(session: Session, settings: Settings, alg: Alg = DEFAULT_ALG) -> IssuerKey:
    """The active key of ``alg`` with its private half decrypted."""
    ensure_keys(session, settings)
    row = _active_row(session, alg)
    assert row is not None
    pem = vckeys.decrypt_private_key(row.private_key_encrypted, settings.resolved_secret_key())
    return IssuerKey(row.kid, alg, dict(row.public_jwk), pem)


def rotate_key(session: Session, actor: Actor, settings: Settings, alg: str) -> IssuerKeyRow:
    """A new active key for ``alg``; the previous one is retired but stays published."""
    if alg not in vckeys.SUPPORTED_ALGS:
        raise InvalidInput(f"unknown key algorithm {alg}; use EdDSA or RS256", field="alg")
    chosen = vckeys.cast_alg(alg)
    old = _active_row(session, chosen)
    if old is not None:
        old.retired_at = utcnow()
    row = _store(session, settings, chosen)
    audit.record(
        session,
        actor,
        "credentials.key_rotated",
        "issuer_key",
        row.kid,
        before={"kid": old.kid} if old else None,
        after={"kid": row.kid, "alg": chosen},
    )
    return row


def all_keys(session: Session) -> list[IssuerKeyRow]:
    return list(session.scalars(select(IssuerKeyRow).order_by(IssuerKeyRow.created_at)))


def public_keys(session: Session) -> list[IssuerKey]:
    return [_public(row) for row in all_keys(session)]


def published_jwks(session: Session, settings: Settings) -> dict[str, Any]:
    """The JWK Set served at /.well-known/jwks.json. Each key's ``kid`` is its verification
    method id, ``did:web:<host>#<thumbprint>``: the ``kid`` our JWT headers carry and the id of
    the method in the DID document, so a JOSE library finds a JWT's key by exact ``kid``
    match. The thumbprint alone (the fragment) still resolves in our own verifier."""
    document = vckeys.jwks(public_keys(session))
    for entry in document["keys"]:
        entry["kid"] = verification_method(settings, str(entry["kid"]))
    return document


def key_resolver(session: Session, settings: Settings) -> Callable[[str], IssuerKey | None]:
    """Resolves ``did:web:<our host>#<kid>`` (or a bare kid) to one of our public keys; any
    other issuer's key is unknown here."""
    did = issuer_did(settings)

    def resolve(method: str) -> IssuerKey | None:
        prefix, _, kid = method.rpartition("#")
        if prefix and prefix != did:
            return None
        row = session.get(IssuerKeyRow, kid or method)
        return _public(row) if row is not None else None

    return resolve
