"""A credential's life after issuance: revocation, suspension and reinstatement by staff
(published through the status lists), sharing by its holder, and continuing-education
activities recorded by staff toward renewal.

Revocation is final; a suspended credential can be reinstated. Every staff change is audited
with its reason. The status lists are computed from the recorded status when served, so a
change shows at once: on the credential's 2-bit message list as 0x1 (suspended), 0x2
(revoked) or 0x0 (active again), or, for a credential issued before message lists, on its
revocation list and suspension twin. The change time also dates the list's next version (its
``validFrom``), which makes the cached signed list stale.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.accounts.models import User
from extender.credentials.models import CeActivity, Credential
from extender.db import utcnow
from extender.errors import Conflict, Forbidden, InvalidInput, NotFound

TRANSITIONS = {
    "revoke": ({"active", "suspended"}, "revoked"),
    "suspend": ({"active"}, "suspended"),
    "reinstate": ({"suspended"}, "active"),
}
PAST = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated"}


def get(session: Session, credential_id: str) -> Credential:
    cred = session.get(Credential, credential_id)
    if cred is None:
        raise NotFound(f"no credential {credential_id}")
    return cred


def effective_status(cred: Credential, now: datetime | None = None) -> str:
    """What a verifier would conclude: revoked and suspended first, then expiry by date."""
    now = now or utcnow()
    if cred.status != "active":
        return cred.status
    if cred.valid_until is not None and now >= cred.valid_until:
        return "expired"
    if now < cred.valid_from:
        return "not yet valid"
    return "active"


def change_status(
    session: Session, actor: Actor, cred: Credential, action: str, reason: str
) -> Credential:
    if action not in TRANSITIONS:
        raise InvalidInput(f"unknown action {action}; use revoke, suspend or reinstate")
    reason = reason.strip()
    if not reason:
        raise InvalidInput(f"give a reason to {action} the credential", field="reason")
    if len(reason) > 1000:
        raise InvalidInput("the reason is longer than 1000 characters", field="reason")
    allowed, target = TRANSITIONS[action]
    if cred.status not in allowed:
        raise Conflict(f"cannot {action} a credential that is {cred.status}")
    before = {"status": cred.status}
    cred.status = target
    cred.status_reason, cred.status_changed_by, cred.status_changed_at = (
        reason,
        actor.email,
        utcnow(),
    )
    audit.record(
        session,
        actor,
        f"credentials.{PAST[action]}",
        "credential",
        cred.id,
        before=before,
        after={"status": target, "reason": reason},
    )
    return cred


def _own(cred: Credential, user: User) -> None:
    if cred.holder_id != user.id:
        raise NotFound("no such credential in your wallet")


def share(session: Session, user: User, cred: Credential) -> Credential:
    """Give the credential an unguessable public page (kept if already shared)."""
    _own(cred, user)
    if cred.share_slug is None:
        cred.share_slug = secrets.token_urlsafe(18)
        cred.shared_at = utcnow()
    return cred


def unshare(session: Session, user: User, cred: Credential) -> Credential:
    """Withdraw the public page: its address stops working (a later share makes a new one)."""
    _own(cred, user)
    cred.share_slug, cred.shared_at = None, None
    return cred


def by_share_slug(session: Session, slug: str) -> Credential:
    cred = session.scalar(select(Credential).where(Credential.share_slug == slug)) if slug else None
    if cred is None:
        raise NotFound("no shared credential at this address")
    return cred


def owned(session: Session, user: User, credential_id: str) -> Credential:
    cred = session.get(Credential, credential_id)
    if cred is None or cred.holder_id != user.id:
        raise NotFound("no such credential in your wallet")
    return cred


def require_holder_or_staff(cred: Credential, user: User, is_staff: bool) -> None:
    if cred.holder_id != user.id and not is_staff:
        raise Forbidden("only the holder or credential staff may see this credential")


MAX_CREDITS = 100.0


def record_ce(
    session: Session,
    actor: Actor,
    *,
    user: User,
    track: str,
    credits: float,
    title: str,
    provider: str,
    completed_on: date,
    today: date | None = None,
) -> CeActivity:
    """Record a completed CE activity (staff only: the program checks the certificate)."""
    from extender.curriculum import service as curriculum

    track_code = curriculum.get_track(session, track).code
    if not 0 < credits <= MAX_CREDITS:
        raise InvalidInput(
            f"credits must be more than 0 and at most {MAX_CREDITS:g}", field="credits"
        )
    title, provider = title.strip(), provider.strip()
    if not title:
        raise InvalidInput("name the activity", field="title")
    if not provider:
        raise InvalidInput("name the provider", field="provider")
    if completed_on > (today or utcnow().date()):
        raise InvalidInput("the completion date is in the future", field="completed_on")
    activity = CeActivity(
        user_id=user.id,
        track_code=track_code,
        credits=credits,
        title=title[:200],
        provider=provider[:200],
        completed_on=completed_on,
        recorded_by=actor.email or "system",
    )
    session.add(activity)
    session.flush()
    audit.record(
        session,
        actor,
        "credentials.ce_recorded",
        "ce_activity",
        activity.id,
        after={"user": user.email, "track": track_code, "credits": credits, "title": title},
    )
    return activity


def ce_of(session: Session, user_id: str) -> list[CeActivity]:
    return list(
        session.scalars(
            select(CeActivity)
            .where(CeActivity.user_id == user_id)
            .order_by(CeActivity.completed_on.desc())
        )
    )
