"""Bitstring status lists: allocating a credential's index and publishing the signed lists.

Each stored list (``StatusList`` row, id ``"1"``, ``"2"``, ...) is published twice, with the
same indices: ``/status/revocation-<id>`` (bit set = revoked) and ``/status/suspension-<id>``
(bit set = suspended). A credential names only the revocation list in its
``credentialStatus``: the OB 3.0 schema allows a single status object. Extender's own
verification also consults the suspension list at the same index (see verification.py).
The bits are computed from the credentials' recorded status when the list is served, so the
list and the credentials cannot drift apart. Indices are drawn at
random, so a credential's position says nothing about when it was issued or to whom.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extender.config import Settings
from extender.credentials import issuer
from extender.credentials.models import Credential, StatusList
from extender.credentials.vc import data_integrity, jose
from extender.credentials.vc import status_list as bitstring
from extender.db import utcnow
from extender.errors import NotFound

LIST_LENGTH = 131072
# Fill a list to half before opening a new one, so random draws rarely collide.
MAX_FILL = LIST_LENGTH // 2
PURPOSES = ("revocation", "suspension")
PURPOSE_OF_STATUS = {"revocation": "revoked", "suspension": "suspended"}


def list_url(settings: Settings, list_id: str, purpose: str = "revocation") -> str:
    return f"{issuer.base_url(settings)}/status/{purpose}-{list_id}"


def allocate(session: Session) -> tuple[StatusList, int]:
    """A list with room and an index in it that no credential uses yet."""
    current = session.scalar(
        select(StatusList)
        .where(StatusList.used < MAX_FILL)
        .order_by(StatusList.created_at.desc())
        .with_for_update()
    )
    if current is None:
        count = len(session.scalars(select(StatusList.id)).all())
        current = StatusList(id=str(count + 1), purpose="revocation", length=LIST_LENGTH)
        session.add(current)
        session.flush()
    taken = set(
        session.scalars(
            select(Credential.status_index).where(Credential.status_list_id == current.id)
        )
    )
    index = secrets.randbelow(current.length)
    while index in taken:
        index = secrets.randbelow(current.length)
    current.used += 1
    return current, index


def parse_list_id(value: str) -> tuple[str, str]:
    purpose, _, list_id = value.partition("-")
    if purpose not in PURPOSES or not list_id:
        raise NotFound(f"no status list {value}")
    return purpose, list_id


def unsigned_list_credential(session: Session, settings: Settings, value: str) -> dict[str, Any]:
    purpose, list_id = parse_list_id(value)
    row = session.get(StatusList, list_id)
    if row is None:
        raise NotFound(f"no status list {value}")
    bits = bitstring.BitstringStatusList(row.length)
    for index in session.scalars(
        select(Credential.status_index).where(
            Credential.status_list_id == row.id,
            Credential.status == PURPOSE_OF_STATUS[purpose],
        )
    ):
        bits.set(index)
    return bitstring.status_list_credential(
        list_url(settings, row.id, purpose),
        issuer.issuer_did(settings),
        bits.encode(),
        purpose,
        _last_change(session, row),
    )


def _last_change(session: Session, row: StatusList) -> datetime:
    """The list's validFrom: when its content last changed (a revocation, a suspension)."""
    changed = session.scalar(
        select(func.max(Credential.status_changed_at)).where(Credential.status_list_id == row.id)
    )
    return max(row.created_at, changed) if changed else row.created_at


def signed_list_credential(session: Session, settings: Settings, value: str) -> dict[str, Any]:
    doc = unsigned_list_credential(session, settings, value)
    key = issuer.signing_key(session, settings)
    return data_integrity.add_proof(
        doc, key, issuer.verification_method(settings, key.kid), utcnow()
    )


def list_credential_jwt(session: Session, settings: Settings, value: str) -> str:
    doc = unsigned_list_credential(session, settings, value)
    key = issuer.signing_key(session, settings)
    return jose.encode_jwt(doc, key, issuer.verification_method(settings, key.kid))


def status_resolver(session: Session, settings: Settings) -> Callable[[str], dict[str, Any] | None]:
    """Resolves our own status-list URLs to their signed credential, without any HTTP."""
    prefix = f"{issuer.base_url(settings)}/status/"

    def resolve(url: str) -> dict[str, Any] | None:
        if not url.startswith(prefix):
            return None
        try:
            return signed_list_credential(session, settings, url.removeprefix(prefix))
        except NotFound:
            return None

    return resolve
