"""Verification against this deployment: our keys and status lists come from the database,
never over HTTP. The web application fetches nothing for a credential from another issuer;
its key checks fail with a reason saying so. The CLI verifies such a credential either with
the issuer's published documents fetched over HTTP (``verify_online``, see remote.py) or, with
``--offline``, with the issuer's keys and status lists given as files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from extender.config import Settings
from extender.credentials import issuer, remote, status
from extender.credentials.models import Credential
from extender.credentials.vc.checks import Check
from extender.credentials.vc.did import keys_from_did_document
from extender.credentials.vc.jose import JwsError, parse_jws
from extender.credentials.vc.keys import IssuerKey, KeyFormatError, cast_alg
from extender.credentials.vc.status_check import check_status
from extender.credentials.vc.validity import issuer_id_of
from extender.credentials.vc.verify import VerificationReport, verify
from extender.db import utcnow
from extender.errors import InvalidInput

REMOTE_REFUSED = (
    "the credential names another issuer ({issuer}); this server does not fetch other "
    "issuers' keys or status lists. Verify it with `extender credentials verify FILE` (which "
    "fetches them from the issuer) or offline with their published keys "
    "(`--offline --keys did.json --status-list FILE`)"
)


def _issuer_of(report: VerificationReport) -> str | None:
    doc = report.credential or {}
    value = doc.get("issuer")
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _explain_foreign(report: VerificationReport, ours: str) -> VerificationReport:
    other = _issuer_of(report)
    if other is None or other == ours:
        return report
    for check in report.checks:
        if not check.passed and check.name in ("signature", "issuer-key", "status"):
            check.reason = f"{check.reason}; {REMOTE_REFUSED.format(issuer=other)}"
    return report


def _check_suspension(
    session: Session, settings: Settings, report: VerificationReport, now: datetime
) -> VerificationReport:
    """Credentials issued before message lists name a revocation list only (OB 3.0 allows one
    credentialStatus object); its twin suspension list (same id, same index) is checked here
    for those of our own. Credentials issued now carry a 2-bit "message" entry whose list
    says suspended as well as revoked to any verifier, so they need no twin."""
    doc = report.credential or {}
    entry = doc.get("credentialStatus")
    prefix = f"{issuer.base_url(settings)}/status/revocation-"
    if not isinstance(entry, dict) or not str(entry.get("statusListCredential")).startswith(prefix):
        return report
    current = next((c for c in report.checks if c.name == "status"), None)
    if current is None or not current.passed:
        return report
    url = str(entry["statusListCredential"]).replace("/status/revocation-", "/status/suspension-")
    twin = {
        **doc,
        "credentialStatus": {**entry, "statusPurpose": "suspension", "statusListCredential": url},
    }
    check = check_status(
        twin, issuer.key_resolver(session, settings), status.status_resolver(session, settings), now
    )
    current.passed = check.passed
    current.reason = f"{current.reason}; {check.reason}"
    report.valid = report.valid and check.passed
    return report


def verify_local(
    session: Session,
    settings: Settings,
    document: dict[str, Any] | str | bytes,
    now: datetime | None = None,
) -> VerificationReport:
    now = now or utcnow()
    report = verify(
        document,
        resolve_key=issuer.key_resolver(session, settings),
        resolve_status_list=status.status_resolver(session, settings),
        now=now,
    )
    report = _check_suspension(session, settings, report, now)
    return _explain_foreign(report, issuer.issuer_did(settings))


def verify_stored(
    session: Session, settings: Settings, cred: Credential, now: datetime | None = None
) -> VerificationReport:
    """The public page's "verified" panel: the stored signed document, checked like any
    document a verifier sends us."""
    return verify_local(session, settings, cred.document, now)


def report_json(report: VerificationReport) -> dict[str, Any]:
    return {
        "valid": report.valid,
        "format": report.format,
        "checks": [{"name": c.name, "passed": c.passed, "reason": c.reason} for c in report.checks],
    }


class OfflineInputError(ValueError):
    """A key set or status-list file given to offline verification is unusable."""


def _keys_from_did(data: dict[str, Any]) -> dict[str, IssuerKey]:
    """A DID document binds its keys to its DID: they are found by full verification method
    id only, so a credential naming another issuer cannot borrow them by a bare kid."""
    try:
        found = keys_from_did_document(data)
    except (InvalidInput, TypeError, ValueError) as exc:
        reason = exc.message if isinstance(exc, InvalidInput) else str(exc)
        raise OfflineInputError(f"the DID document is not usable: {reason}") from None
    if not found:
        raise OfflineInputError("the DID document lists no assertion method keys")
    return found


def keys_from_jwks(data: Any) -> dict[str, IssuerKey]:
    """Public keys by kid from a JWKS document (``{"keys": [...]}``) or, by verification
    method id, from a DID document."""
    if not isinstance(data, dict):
        raise OfflineInputError("the key file is not a JSON object")
    if "verificationMethod" in data:
        return _keys_from_did(data)
    entries = [k for k in data.get("keys") or [] if isinstance(k, dict)]
    if not entries:
        raise OfflineInputError("the key file has no keys (expected a JWKS or a DID document)")
    out: dict[str, IssuerKey] = {}
    for entry in entries:
        kid = str(entry.get("kid", ""))
        alg = entry.get("alg") or ("EdDSA" if entry.get("kty") == "OKP" else "RS256")
        jwk = {k: v for k, v in entry.items() if k in ("kty", "crv", "x", "n", "e")}
        try:
            key = IssuerKey(kid, cast_alg(str(alg)), jwk, None)
        except KeyFormatError as exc:
            raise OfflineInputError(f"key {kid or '(no kid)'} is not usable: {exc}") from exc
        out[kid] = key
        out[kid.rpartition("#")[2]] = key
    return out


def claimed_issuer(document: dict[str, Any] | str | bytes) -> str | None:
    """The issuer a document names, read without verifying anything (to pick key sources)."""
    value: Any = document
    try:
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("{") else parse_jws(text).payload
    except (ValueError, JwsError):
        return None
    return issuer_id_of(value) if isinstance(value, dict) else None


def verify_remote(
    document: dict[str, Any] | str | bytes,
    issuer_did: str,
    *,
    fetch: remote.Fetcher = remote.fetch_text,
    now: datetime | None = None,
) -> VerificationReport:
    """Verify a credential of another issuer with its did:web document and status lists
    fetched over HTTP; when they cannot be fetched, the failed checks say why."""
    source = remote.RemoteIssuer(issuer_did, fetch)
    report = verify(
        document,
        resolve_key=source.resolve_key,
        resolve_status_list=source.resolve_status_list,
        now=now or utcnow(),
    )
    if source.problem:
        for check in report.checks:
            if not check.passed and check.name in ("signature", "issuer-key", "status"):
                check.reason = f"{check.reason}; {source.problem}"
    return report


def verify_online(
    session: Session,
    settings: Settings,
    document: dict[str, Any] | str | bytes,
    *,
    fetch: remote.Fetcher = remote.fetch_text,
    now: datetime | None = None,
) -> VerificationReport:
    """Our own credentials against the database; another did:web issuer's over HTTP."""
    other = claimed_issuer(document)
    if other is None or other == issuer.issuer_did(settings) or not other.startswith("did:web:"):
        return verify_local(session, settings, document, now)
    return verify_remote(document, other, fetch=fetch, now=now)


def offline_resolvers(
    keys: dict[str, IssuerKey], status_lists: list[dict[str, Any]]
) -> tuple[Callable[[str], IssuerKey | None], Callable[[str], dict[str, Any] | None]]:
    by_url = {str(doc.get("id")): doc for doc in status_lists}

    def resolve_key(method: str) -> IssuerKey | None:
        return keys.get(method) or keys.get(method.rpartition("#")[2])

    def resolve_status(url: str) -> dict[str, Any] | None:
        return by_url.get(url)

    return resolve_key, resolve_status


def verify_offline(
    document: dict[str, Any] | str | bytes,
    keys: dict[str, IssuerKey],
    status_lists: list[dict[str, Any]],
    now: datetime | None = None,
) -> VerificationReport:
    resolve_key, resolve_status = offline_resolvers(keys, status_lists)
    return verify(
        document, resolve_key=resolve_key, resolve_status_list=resolve_status, now=now or utcnow()
    )


def failed(name: str, reason: str) -> VerificationReport:
    return VerificationReport(False, "unknown", [Check(name, False, reason)], None)
