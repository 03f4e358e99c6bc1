"""Bitstring status lists: allocating a credential's index and publishing the signed lists.

Credentials issued now carry one ``credentialStatus`` entry (the OB 3.0 schema allows a single
status object) with statusPurpose "message" and statusSize 2, pointing at
``/status/message-<id>``: a list of 2 bits per credential whose values are those of
``STATUS_MESSAGES`` (0 active, 1 suspended, 2 revoked, 3 undefined), listed in every entry. Any
verifier of Bitstring Status List v1.0 thereby sees a suspension as well as a revocation.

Credentials issued before that carry a revocation entry naming ``/status/revocation-<id>``.
Such a list (a ``StatusList`` row with purpose "revocation") is still published twice, with the
same indices: ``/status/revocation-<id>`` (bit set = revoked) and ``/status/suspension-<id>``
(bit set = suspended); Extender's own verification consults the suspension twin for them (see
verification.py). New credentials never go to such a list.

The values are computed from the credentials' recorded status when a list is served, so a
list and its credentials cannot drift apart, and staff revoking, suspending or reinstating
a credential changes its value at once. A signed list is kept (per process) until the list
changes, so verifying does not sign it again. Indices are drawn at random, so a credential's
position says nothing about when it was issued or to whom.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extender.config import Settings
from extender.credentials import issuer
from extender.credentials.models import Credential, IssuerKeyRow, StatusList
from extender.credentials.vc import data_integrity, jose
from extender.credentials.vc import status_list as bitstring
from extender.credentials.vc.keys import Alg
from extender.credentials.vc.ob3 import StatusEntry, StatusMessage
from extender.db import utcnow
from extender.errors import NotFound

LIST_LENGTH = 131072  # entries (the spec's minimum, for herd privacy)
# Fill a list to half before opening a new one, so random draws rarely collide.
MAX_FILL = LIST_LENGTH // 2

MESSAGE = "message"
LEGACY = "revocation"  # the purpose of a list that new credentials no longer use
STATUS_SIZE = 2
STATUS_VALUES = {"active": 0, "suspended": 1, "revoked": 2}
STATUS_MESSAGES = (
    StatusMessage(0, "active"),
    StatusMessage(1, "suspended"),
    StatusMessage(2, "revoked"),
    # The spec wants a message for each of the 2**statusSize values; "undefined" is its word
    # for a value not in use.
    StatusMessage(3, "undefined"),
)
# What each published view of a list shows, and which lists have it.
PURPOSES = ("revocation", "suspension", MESSAGE)
ROW_PURPOSE = {"revocation": LEGACY, "suspension": LEGACY, MESSAGE: MESSAGE}
PURPOSE_OF_STATUS = {"revocation": "revoked", "suspension": "suspended"}


def list_url(settings: Settings, list_id: str, purpose: str = MESSAGE) -> str:
    return f"{issuer.base_url(settings)}/status/{purpose}-{list_id}"


def allocate(session: Session) -> tuple[StatusList, int]:
    """A message list with room and an index in it that no credential uses yet."""
    current = session.scalar(
        select(StatusList)
        .where(StatusList.purpose == MESSAGE, StatusList.used < MAX_FILL)
        .order_by(StatusList.created_at.desc())
        .with_for_update()
    )
    if current is None:
        count = len(session.scalars(select(StatusList.id)).all())
        current = StatusList(id=str(count + 1), purpose=MESSAGE, length=LIST_LENGTH)
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


def status_entry(settings: Settings, row: StatusList, index: int) -> StatusEntry:
    """The credentialStatus of a credential at ``index`` of the message list ``row``."""
    url = list_url(settings, row.id, MESSAGE)
    return StatusEntry(
        id=f"{url}#{index}",
        status_list_credential=url,
        status_list_index=index,
        status_purpose=MESSAGE,
        status_size=STATUS_SIZE,
        status_messages=STATUS_MESSAGES,
    )


def parse_list_id(value: str) -> tuple[str, str]:
    purpose, _, list_id = value.partition("-")
    if purpose not in PURPOSES or not list_id:
        raise NotFound(f"no status list {value}")
    return purpose, list_id


def _row(session: Session, value: str) -> tuple[str, StatusList]:
    purpose, list_id = parse_list_id(value)
    row = session.get(StatusList, list_id)
    if row is None or row.purpose != ROW_PURPOSE[purpose]:
        raise NotFound(f"no status list {value}")
    return purpose, row


def _bits(session: Session, row: StatusList, purpose: str) -> bitstring.BitstringStatusList:
    if purpose == MESSAGE:
        bits = bitstring.BitstringStatusList(row.length * STATUS_SIZE)
        for index, state in session.execute(
            select(Credential.status_index, Credential.status).where(
                Credential.status_list_id == row.id, Credential.status != "active"
            )
        ):
            bits.set_value(index, STATUS_SIZE, STATUS_VALUES.get(state, 0))
        return bits
    bits = bitstring.BitstringStatusList(row.length)
    for index in session.scalars(
        select(Credential.status_index).where(
            Credential.status_list_id == row.id,
            Credential.status == PURPOSE_OF_STATUS[purpose],
        )
    ):
        bits.set(index)
    return bits


def _unsigned(session: Session, settings: Settings, value: str) -> tuple[dict[str, Any], datetime]:
    purpose, row = _row(session, value)
    changed = _last_change(session, row)
    doc = bitstring.status_list_credential(
        list_url(settings, row.id, purpose),
        issuer.issuer_did(settings),
        _bits(session, row, purpose).encode(),
        purpose,
        changed,
    )
    return doc, changed


def unsigned_list_credential(session: Session, settings: Settings, value: str) -> dict[str, Any]:
    return _unsigned(session, settings, value)[0]


def _last_change(session: Session, row: StatusList) -> datetime:
    """The list's validFrom: when its content last changed (a revocation, a suspension, a
    reinstatement of any credential on it); not when one credential's status changed."""
    changed = session.scalar(
        select(func.max(Credential.status_changed_at)).where(Credential.status_list_id == row.id)
    )
    return max(row.created_at, changed) if changed else row.created_at


# --- signed lists, kept until the list changes ------------------------------------------------

CACHE_SIZE = 64
_signed: OrderedDict[tuple[str, ...], dict[str, Any] | str] = OrderedDict()
_lock = threading.Lock()


def _active_kid(session: Session, settings: Settings, alg: Alg) -> str:
    """The kid of the key that signs now, without decrypting it."""
    issuer.ensure_keys(session, settings)
    kid = session.scalar(
        select(IssuerKeyRow.kid)
        .where(IssuerKeyRow.alg == alg, IssuerKeyRow.retired_at.is_(None))
        .order_by(IssuerKeyRow.created_at.desc())
    )
    assert kid is not None
    return kid


def _cache_key(doc: dict[str, Any], changed: datetime, kid: str, form: str) -> tuple[str, ...]:
    """The list (its URL, which names the list id) and its last change, the key and the
    form; plus a digest of the unsigned list, so that a change no timestamp records (a
    holder's credentials deleted with their account) still makes a new signature."""
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode("utf-8")).hexdigest()
    return (str(doc["id"]), changed.isoformat(), kid, form, digest)


def _cached(key: tuple[str, ...], sign: Callable[[], dict[str, Any] | str]) -> dict[str, Any] | str:
    with _lock:
        found = _signed.get(key)
        if found is not None:
            _signed.move_to_end(key)
    if found is None:
        found = sign()
        with _lock:
            _signed[key] = found
            while len(_signed) > CACHE_SIZE:
                _signed.popitem(last=False)
    return copy.deepcopy(found)


def clear_cache() -> None:
    with _lock:
        _signed.clear()


def signed_list_credential(session: Session, settings: Settings, value: str) -> dict[str, Any]:
    """The list credential with a Data Integrity proof: signed once per change of the list
    (or of the signing key), then served from memory."""
    doc, changed = _unsigned(session, settings, value)
    kid = _active_kid(session, settings, issuer.DEFAULT_ALG)

    def sign() -> dict[str, Any]:
        key = issuer.signing_key(session, settings)
        vm = issuer.verification_method(settings, key.kid)
        return data_integrity.add_proof(doc, key, vm, utcnow())

    signed = _cached(_cache_key(doc, changed, kid, "di"), sign)
    assert isinstance(signed, dict)
    return signed


def list_credential_jwt(session: Session, settings: Settings, value: str) -> str:
    """The list credential as a VC-JOSE JWT, cached like the Data Integrity form."""
    doc, changed = _unsigned(session, settings, value)
    kid = _active_kid(session, settings, issuer.DEFAULT_ALG)

    def sign() -> str:
        key = issuer.signing_key(session, settings)
        return jose.encode_jwt(doc, key, issuer.verification_method(settings, key.kid))

    token = _cached(_cache_key(doc, changed, kid, "jwt"), sign)
    assert isinstance(token, str)
    return token


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
