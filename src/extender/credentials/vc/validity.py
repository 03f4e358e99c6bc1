"""The validity period of a credential (VC 2.0 validFrom / validUntil)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from extender.credentials.vc.checks import Check
from extender.credentials.vc.ob3 import iso, parse_iso
from extender.errors import InvalidInput


def issuer_id_of(doc: dict[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None


def _date(doc: dict[str, Any], name: str) -> datetime | None:
    value = doc.get(name)
    if value is None:
        return None
    return parse_iso(value if isinstance(value, str) else repr(value))


def check_validity(doc: dict[str, Any], now: datetime, name: str = "validity") -> Check:
    try:
        valid_from = _date(doc, "validFrom")
        valid_until = _date(doc, "validUntil")
    except InvalidInput as exc:
        return Check.fail(name, exc.message)
    if valid_from is None:
        return Check.fail(name, "the credential has no validFrom")
    if now < valid_from:
        return Check.fail(name, f"not yet valid: validFrom {iso(valid_from)} is after {iso(now)}")
    if valid_until is not None and now >= valid_until:
        return Check.fail(name, f"expired on {iso(valid_until)} (validUntil)")
    until = f" until {iso(valid_until)}" if valid_until else " with no end date"
    return Check.ok(name, f"valid from {iso(valid_from)}{until}")
