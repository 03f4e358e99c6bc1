"""The "status" check: look a credential's BitstringStatusListEntry up in its issuer's signed
status list credential."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from extender.credentials.vc.checks import Check, KeyResolver
from extender.credentials.vc.data_integrity import proof_verification_method, verify_proof
from extender.credentials.vc.jose import JwsError, check_jws, parse_jws
from extender.credentials.vc.status_list import PURPOSES, BitstringStatusList, StatusListError
from extender.credentials.vc.validity import check_validity, issuer_id_of

StatusResolver = Callable[[str], "dict[str, Any] | str | None"]
NAME = "status"


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


def _entry_fields(entry: Any) -> tuple[str, int, str]:
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        raise _Failed("credentialStatus is not a BitstringStatusListEntry")
    purpose = entry.get("statusPurpose")
    if purpose not in PURPOSES:
        raise _Failed(f"status purpose {purpose!r} is not supported ({', '.join(PURPOSES)})")
    if entry.get("statusSize", 1) not in (1, "1"):
        raise _Failed(f"statusSize {entry.get('statusSize')!r} is not supported (1 bit only)")
    index_text, url = entry.get("statusListIndex"), entry.get("statusListCredential")
    if not isinstance(index_text, str) or not index_text.isdigit():
        raise _Failed(f"statusListIndex {index_text!r} is not a non-negative integer string")
    if not isinstance(url, str) or not url:
        raise _Failed("credentialStatus has no statusListCredential")
    return url, int(index_text), str(purpose)


def _set_reason(purpose: str, listing: dict[str, Any], url: str, index: int) -> str:
    """ "revoked" / "suspended", and since when if the list says: a list's validFrom is when
    its content last changed, so the bit was set no later than that."""
    state = "revoked" if purpose == "revocation" else "suspended"
    since = listing.get("validFrom")
    when = f" since {since}" if isinstance(since, str) and since else ""
    return f"{state}{when} (index {index} of status list {url})"


def _check_entry(
    entry: Any,
    issuer: str | None,
    resolve_key: KeyResolver,
    resolve_status_list: StatusResolver,
    now: datetime,
) -> str:
    url, index, purpose = _entry_fields(entry)
    listing, method = _verified_list(_fetch(resolve_status_list, url), url, resolve_key)
    subject = _check_list_matches(listing, url, issuer, method, now)
    if subject.get("statusPurpose") != purpose:
        raise _Failed(f"status list {url} is for {subject.get('statusPurpose')!r}, not {purpose}")
    try:
        bits = BitstringStatusList.decode(str(subject.get("encodedList", "")))
        is_set = bits.get(index)
    except StatusListError as exc:
        raise _Failed(f"status list {url}: {exc.message}") from exc
    if is_set:
        raise _Failed(_set_reason(purpose, listing, url, index))
    return f"not {'revoked' if purpose == 'revocation' else 'suspended'} (index {index} of {url})"


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
