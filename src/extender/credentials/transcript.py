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
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from extender.accounts.models import User
from extender.config import Settings
from extender.credentials import issuer
from extender.credentials.issuance import credentials_of, subject_id
from extender.credentials.vc import data_integrity, jose
from extender.credentials.vc.ob3 import OB3_CONTEXT, VC_V2_CONTEXT, iso
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
