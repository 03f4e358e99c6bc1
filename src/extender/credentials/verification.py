"""Verification against this deployment: our keys and status lists come from the database,
never over HTTP. A credential from another issuer is not fetched (Extender makes no outbound
requests); its key checks fail with a reason saying so, and the CLI's ``--offline`` mode
verifies it with the issuer's JWKS and status list given as files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from extender.config import Settings
from extender.credentials import issuer, status
from extender.credentials.models import Credential
from extender.credentials.vc.checks import Check
from extender.credentials.vc.keys import IssuerKey, cast_alg
from extender.credentials.vc.status_check import check_status
from extender.credentials.vc.verify import VerificationReport, verify
from extender.db import utcnow

REMOTE_REFUSED = (
    "the credential names another issuer ({issuer}); Extender does not fetch other issuers' "
    "keys or status lists. Verify it offline with their published keys "
    "(`extender credentials verify FILE --offline --keys jwks.json --status-list FILE`)"
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
    """OB 3.0 allows one credentialStatus object, so our credentials name the revocation list
    only; its twin suspension list (same id, same index) is checked here for our own."""
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


def keys_from_jwks(data: Any) -> dict[str, IssuerKey]:
    """Public keys by kid from a JWKS document (``{"keys": [...]}``) or a DID document."""
    if not isinstance(data, dict):
        raise OfflineInputError("the key file is not a JSON object")
    entries: list[dict[str, Any]] = []
    if isinstance(data.get("keys"), list):
        entries = [k for k in data["keys"] if isinstance(k, dict)]
    for method in data.get("verificationMethod") or []:
        if isinstance(method, dict) and isinstance(method.get("publicKeyJwk"), dict):
            entries.append({**method["publicKeyJwk"], "kid": method.get("id", "")})
        elif isinstance(method, dict) and isinstance(method.get("publicKeyMultibase"), str):
            from extender.credentials.vc.keys import jwk_from_multikey

            jwk = jwk_from_multikey(method["publicKeyMultibase"])
            entries.append({**jwk, "kid": method.get("id", ""), "alg": "EdDSA"})
    if not entries:
        raise OfflineInputError("the key file has no keys (expected a JWKS or a DID document)")
    out: dict[str, IssuerKey] = {}
    for entry in entries:
        kid = str(entry.get("kid", ""))
        alg = entry.get("alg") or ("EdDSA" if entry.get("kty") == "OKP" else "RS256")
        jwk = {k: v for k, v in entry.items() if k in ("kty", "crv", "x", "n", "e")}
        try:
            key = IssuerKey(kid, cast_alg(str(alg)), jwk, None)
        except Exception as exc:
            raise OfflineInputError(f"key {kid or '(no kid)'} is not usable: {exc}") from exc
        out[kid] = key
        out[kid.rpartition("#")[2]] = key
    return out


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
