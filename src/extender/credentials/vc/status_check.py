"""The "status" check: look a credential's BitstringStatusListEntry up in its issuer's signed
status list credential (W3C Bitstring Status List v1.0).

Purposes "revocation" and "suspension" take one bit per entry (set = revoked / suspended).
Purpose "message" takes ``statusSize`` bits and the entry lists what each value means
(``statusMessage``); following the spec's validate algorithm, value 0 passes and any other
value fails the check, and the reason starts with the entry's message for the value (for
Extender's credentials: "active", "suspended" or "revoked")."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from extender.credentials.vc.checks import Check, KeyResolver
from extender.credentials.vc.data_integrity import proof_verification_method, verify_proof
from extender.credentials.vc.jose import JwsError, check_jws, parse_jws
from extender.credentials.vc.status_list import (
    MAX_STATUS_SIZE,
    MIN_ENTRIES,
    PURPOSES,
    BitstringStatusList,
    StatusListError,
)
from extender.credentials.vc.validity import check_validity, issuer_id_of

StatusResolver = Callable[[str], "dict[str, Any] | str | None"]
NAME = "status"
_HEX_STATUS = re.compile(r"0x[0-9a-fA-F]+")


class _Failed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _fetch(resolve: StatusResolver, url: str) -> dict[str, Any] | str:
    try:
        found = resolve(url)
    except Exception as exc:
        raise _Failed(f"status list {url} could not be retrieved: {exc}") from exc
    if found is None:
        raise _Failed(f"status list {url} could not be retrieved")
    if not isinstance(found, dict | str):
        raise _Failed(f"status list {url} is neither a credential nor a JWT")
    return found


def _verified_list(
    secured: dict[str, Any] | str, url: str, resolve_key: KeyResolver
) -> tuple[dict[str, Any], str | None]:
    """The status list credential and the verification method that signed it."""
    if isinstance(secured, str):
        try:
            jws = parse_jws(secured)
        except JwsError as exc:
            raise _Failed(f"status list {url}: {exc.message}") from exc
        signature = check_jws(jws, resolve_key)
        listing, method = jws.payload, jws.header.get("kid")
    else:
        signature = verify_proof(secured, resolve_key)
        listing, method = secured, proof_verification_method(secured)
    if not signature.passed:
        raise _Failed(f"status list {url} is not authentic: {signature.reason}")
    return listing, method if isinstance(method, str) else None


def _check_list_matches(
    listing: dict[str, Any], url: str, issuer: str | None, method: str | None, now: datetime
) -> dict[str, Any]:
    if listing.get("id") != url:
        raise _Failed(f"status list at {url} names itself {listing.get('id')!r}")
    types = listing.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise _Failed(f"{url} is not a BitstringStatusListCredential")
    list_issuer = issuer_id_of(listing)
    if issuer is None or list_issuer != issuer:
        raise _Failed(f"status list is issued by {list_issuer!r}, not by {issuer!r}")
    if method is None or not method.startswith(issuer + "#"):
        raise _Failed(f"status list is signed by {method!r}, not by a key of {issuer}")
    validity = check_validity(listing, now)
    if not validity.passed:
        raise _Failed(f"status list {url}: {validity.reason}")
    subject = listing.get("credentialSubject")
    if not isinstance(subject, dict):
        raise _Failed(f"status list {url} has no credentialSubject")
    return subject


@dataclass(frozen=True)
class _Entry:
    url: str
    index: int
    purpose: str
    size: int
    messages: dict[int, str]


def _status_size(entry: dict[str, Any]) -> int:
    size = entry.get("statusSize", 1)
    if isinstance(size, str) and size.isdigit():
        size = int(size)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise _Failed(f"statusSize {size!r} is not a positive integer")
    return size


def _status_messages(entry: dict[str, Any], size: int) -> dict[int, str]:
    """The entry's statusMessage as value -> message. The spec requires one message for
    each of the 2**statusSize values when statusSize > 1; without the array a 1-bit entry's
    values mean "unset" (0) and "set" (1)."""
    listed = entry.get("statusMessage")
    if listed is None:
        if size > 1:
            raise _Failed(f"statusSize {size} needs a statusMessage for each of its values")
        return {0: "unset", 1: "set"}
    count = 1 << size
    if not isinstance(listed, list) or len(listed) != count:
        raise _Failed(f"statusMessage must list {count} messages for statusSize {size}")
    messages: dict[int, str] = {}
    for item in listed:
        status = item.get("status") if isinstance(item, dict) else None
        message = item.get("message") if isinstance(item, dict) else None
        if not isinstance(status, str) or not _HEX_STATUS.fullmatch(status):
            raise _Failed(f"statusMessage status {status!r} is not a hexadecimal 0x... string")
        if not isinstance(message, str):
            raise _Failed(f"statusMessage for {status} has no message text")
        value = int(status, 16)
        if value >= count or value in messages:
            raise _Failed(f"statusMessage status {status} is repeated or beyond {size} bit(s)")
        messages[value] = message
    return messages


def _entry_fields(entry: Any) -> _Entry:
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        raise _Failed("credentialStatus is not a BitstringStatusListEntry")
    purpose = entry.get("statusPurpose")
    if purpose not in PURPOSES:
        raise _Failed(f"status purpose {purpose!r} is not supported ({', '.join(PURPOSES)})")
    size = _status_size(entry)
    if purpose != "message" and size != 1:
        raise _Failed(f"statusSize {size} is not supported for {purpose} (1 bit only)")
    if size > MAX_STATUS_SIZE:
        raise _Failed(f"statusSize {size} is not supported (at most {MAX_STATUS_SIZE} bits)")
    messages = _status_messages(entry, size)
    index_text, url = entry.get("statusListIndex"), entry.get("statusListCredential")
    if not isinstance(index_text, str) or not index_text.isdigit():
        raise _Failed(f"statusListIndex {index_text!r} is not a non-negative integer string")
    if not isinstance(url, str) or not url:
        raise _Failed("credentialStatus has no statusListCredential")
    return _Entry(url, int(index_text), str(purpose), size, messages)


def _list_purposes(subject: dict[str, Any]) -> list[Any]:
    """A list's statusPurpose: one or more strings."""
    value = subject.get("statusPurpose")
    return value if isinstance(value, list) else [value]


def _updated(listing: dict[str, Any]) -> str:
    """The list's validFrom is when the list last changed, for any of its entries: it says
    nothing about when this credential's status changed, so it is named for what it is."""
    since = listing.get("validFrom")
    return f"status list updated {since}; " if isinstance(since, str) and since else ""


def _outcome(entry: _Entry, value: int, listing: dict[str, Any]) -> tuple[bool, str]:
    """Whether the entry's value lets the credential pass, and the reason. As the spec's
    validate algorithm says, a status of 0 is valid and any other value is not; for a
    "message" entry the reason starts with the issuer's message for the value."""
    where = f"index {entry.index} of status list {entry.url}"
    if entry.purpose == "message":
        message = entry.messages.get(value, "undefined")
        detail = f"status {value:#x}"
        if value == 0:
            return True, f"{message} ({detail}, {where})"
        return False, f"{message} ({detail}; {_updated(listing)}{where})"
    state = "revoked" if entry.purpose == "revocation" else "suspended"
    if value:
        return False, f"{state} ({_updated(listing)}{where})"
    return True, f"not {state} (index {entry.index} of {entry.url})"


def _check_entry(
    entry: Any,
    issuer: str | None,
    resolve_key: KeyResolver,
    resolve_status_list: StatusResolver,
    now: datetime,
) -> str:
    fields = _entry_fields(entry)
    url = fields.url
    listing, method = _verified_list(_fetch(resolve_status_list, url), url, resolve_key)
    subject = _check_list_matches(listing, url, issuer, method, now)
    if fields.purpose not in _list_purposes(subject):
        raise _Failed(
            f"status list {url} is for {subject.get('statusPurpose')!r}, not {fields.purpose}"
        )
    try:
        bits = BitstringStatusList.decode(
            str(subject.get("encodedList", "")), min_length=MIN_ENTRIES * fields.size
        )
        value = bits.get_value(fields.index, fields.size)
    except StatusListError as exc:
        raise _Failed(f"status list {url}: {exc.message}") from exc
    passed, reason = _outcome(fields, value, listing)
    if not passed:
        raise _Failed(reason)
    return reason


def check_status(
    doc: dict[str, Any],
    resolve_key: KeyResolver,
    resolve_status_list: StatusResolver,
    now: datetime,
) -> Check:
    status = doc.get("credentialStatus")
    if status is None:
        return Check.ok(NAME, "no credentialStatus: the issuer cannot revoke this credential")
    entries = status if isinstance(status, list) else [status]
    issuer = issuer_id_of(doc)
    reasons = []
    for entry in entries:
        try:
            reasons.append(_check_entry(entry, issuer, resolve_key, resolve_status_list, now))
        except _Failed as failed:
            return Check.fail(NAME, failed.reason)
    return Check.ok(NAME, "; ".join(reasons))
