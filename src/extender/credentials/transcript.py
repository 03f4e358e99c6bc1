"""A Comprehensive Learner Record-style transcript: every credential a learner holds, with
its results and evidence, in one document signed by the issuer.

CLR 2.0 wraps achievement credentials in a ``ClrCredential``; its JSON-LD context is not
among the contexts Extender ships (nothing is fetched at run time, and the verifier refuses
terms no shipped context defines). So the transcript is a W3C ``VerifiablePresentation``,
which the VC 2.0 context defines: ``holder`` is the learner and ``verifiableCredential``
embeds each issued credential unchanged, each with its own proof and status entry, under a
Data Integrity proof by the issuer (also available as a JWT).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from extender.accounts.models import User
from extender.config import Settings
from extender.credentials import issuer
from extender.credentials.issuance import credentials_of, subject_id
from extender.credentials.vc import data_integrity, jose
from extender.credentials.vc.checks import Check, KeyResolver
from extender.credentials.vc.ob3 import OB3_CONTEXT, VC_V2_CONTEXT, iso
from extender.credentials.vc.validity import issuer_id_of
from extender.credentials.vc.verify import VerificationReport
from extender.db import utcnow


def transcript_document(
    session: Session, settings: Settings, user: User, now: datetime | None = None
) -> dict[str, Any]:
    now = now or utcnow()
    return {
        "@context": [VC_V2_CONTEXT, OB3_CONTEXT],
        "id": f"{issuer.base_url(settings)}/credentials/transcripts/{user.id}/{iso(now)}",
        "type": ["VerifiablePresentation"],
        "name": f"Comprehensive learner record: {user.display_name} ({iso(now)})",
        "holder": subject_id(user),
        "verifiableCredential": [c.document for c in credentials_of(session, user.id)],
    }


def signed_transcript(
    session: Session, settings: Settings, user: User, now: datetime | None = None
) -> tuple[dict[str, Any], str]:
    """The transcript with a Data Integrity proof, and the same transcript as a JWT."""
    now = now or utcnow()
    doc = transcript_document(session, settings, user, now)
    key = issuer.signing_key(session, settings)
    method = issuer.verification_method(settings, key.kid)
    signed = data_integrity.add_proof(copy.deepcopy(doc), key, method, now)
    return signed, jose.encode_jwt(doc, key, method)


TRANSCRIPT_CHECKS = ("format", "signature", "issuer-key", "credentials")
MAX_TRANSCRIPT_CREDENTIALS = 100


def is_transcript(document: Any) -> bool:
    """A presentation (our transcript's shape) rather than a single credential."""
    kinds = document.get("type") if isinstance(document, dict) else None
    return isinstance(kinds, list) and "VerifiablePresentation" in kinds


def verify_transcript(
    document: dict[str, Any],
    issuer_did: str,
    resolve_key: KeyResolver,
    verify_credential: Callable[[dict[str, Any]], VerificationReport],
) -> VerificationReport:
    """Check a transcript: its shape, the issuer's Data Integrity proof over the whole
    presentation (a key of ``issuer_did``), and every embedded credential through
    ``verify_credential`` (the same checks as one credential alone: signature, status, dates).
    Valid only when all pass; each embedded failure is named with its credential."""
    checks: list[Check] = []
    creds = document.get("verifiableCredential")
    problem = None
    if not isinstance(document.get("proof"), dict):
        problem = "the transcript has no Data Integrity proof"
    elif not isinstance(document.get("holder"), str):
        problem = "the transcript names no holder"
    elif not isinstance(creds, list) or not all(isinstance(c, dict) for c in creds):
        problem = "verifiableCredential must be a list of credentials (JSON objects)"
    elif len(creds) > MAX_TRANSCRIPT_CREDENTIALS:
        problem = f"more than {MAX_TRANSCRIPT_CREDENTIALS} credentials in one transcript"
    if problem is not None:
        checks.append(Check.fail("format", problem))
        checks += [Check.fail(n, f"not checked: {problem}") for n in TRANSCRIPT_CHECKS[1:]]
        return VerificationReport(False, "transcript", checks, None)
    assert isinstance(creds, list)
    checks.append(Check.ok("format", f"a transcript of {len(creds)} credential(s)"))
    method = data_integrity.proof_verification_method(document) or ""
    if method.split("#", 1)[0] == issuer_did:
        checks.append(Check.ok("issuer-key", f"{method} is a key of {issuer_did}"))
    else:
        checks.append(Check.fail("issuer-key", f"key {method!r} is not one of {issuer_did}"))
    checks.insert(1, data_integrity.verify_proof(document, resolve_key))
    holder = document["holder"]
    failures = []
    for n, cred in enumerate(creds, start=1):
        report = verify_credential(cred)
        subject = cred.get("credentialSubject")
        name = cred.get("name") or f"credential {n}"
        if isinstance(subject, dict) and subject.get("id") != holder:
            failures.append(f"{name}: issued to {subject.get('id')!r}, not the holder")
        if issuer_id_of(cred) != issuer_did:
            failures.append(f"{name}: issued by {issuer_id_of(cred)!r}, not {issuer_did}")
        failures += [f"{name}: {c.name} {c.reason}" for c in report.failures()]
    if failures:
        checks.append(Check.fail("credentials", "; ".join(failures)))
    else:
        checks.append(Check.ok("credentials", f"all {len(creds)} verify on their own"))
    valid = all(c.passed for c in checks)
    return VerificationReport(valid, "transcript", checks, document)
