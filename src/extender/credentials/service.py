"""Read models and scoping for the credentials pages and CLI.

Staff act on the learners of their own programs: a program admin sees credentials, approvals
and CE of people holding the learner role in an organization where they are program admin;
a platform admin sees everyone (``scope`` is then ``None``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.accounts.models import Membership, Role, User
from extender.credentials import lifecycle
from extender.credentials.models import Achievement, Credential, PendingApproval
from extender.errors import NotFound

Scope = set[str] | None


def staff_scope(session: Session, user: User) -> Scope:
    roles = {(m.organization_id, m.role) for m in user.memberships}
    if any(r == Role.PLATFORM_ADMIN.value for _, r in roles):
        return None
    orgs = {o for o, r in roles if r == Role.PROGRAM_ADMIN.value}
    if not orgs:
        return set()
    return set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.organization_id.in_(orgs), Membership.role == Role.LEARNER.value
            )
        )
    )


def in_scope(scope: Scope, user_id: str) -> bool:
    return scope is None or user_id in scope


def scoped_credential(session: Session, scope: Scope, credential_id: str) -> Credential:
    cred = session.get(Credential, credential_id)
    if cred is None or not in_scope(scope, cred.holder_id):
        raise NotFound("no such credential among your programs' learners")
    return cred


def scoped_learner(session: Session, scope: Scope, email: str) -> User:
    user = accounts.find_user_by_email(session, email.strip())
    if user is None or not in_scope(scope, user.id):
        raise NotFound(f"no learner {email.strip()} in your programs")
    return user


@dataclass(frozen=True)
class Row:
    credential: Credential
    holder: User
    status: str


def list_credentials(
    session: Session,
    scope: Scope,
    *,
    holder_email: str = "",
    status: str = "",
    achievement: str = "",
    limit: int = 200,
) -> list[Row]:
    stmt = (
        select(Credential, User)
        .join(User, User.id == Credential.holder_id)
        .order_by(Credential.issued_at.desc())
    )
    if scope is not None:
        if not scope:
            return []
        stmt = stmt.where(Credential.holder_id.in_(scope))
    if holder_email.strip():
        stmt = stmt.where(User.email.ilike(f"%{holder_email.strip()}%"))
    if achievement:
        stmt = stmt.where(Credential.achievement_id == achievement)
    rows = [Row(c, u, lifecycle.effective_status(c)) for c, u in session.execute(stmt)]
    if status:
        rows = [r for r in rows if r.status == status]
    return rows[:limit]


def scoped_approvals(session: Session, scope: Scope) -> list[tuple[PendingApproval, User]]:
    stmt = (
        select(PendingApproval, User)
        .join(User, User.id == PendingApproval.holder_id)
        .where(PendingApproval.status == "pending")
        .order_by(PendingApproval.requested_at)
    )
    return [(a, u) for a, u in session.execute(stmt) if in_scope(scope, u.id)]


def scoped_approval(session: Session, scope: Scope, approval_id: str) -> PendingApproval:
    approval = session.get(PendingApproval, approval_id)
    if approval is None or not in_scope(scope, approval.holder_id):
        raise NotFound("no such approval request among your programs' learners")
    return approval


@dataclass(frozen=True)
class HeldCredential:
    """A credential as other domains (the placement portfolio) see it.

    ``achievement_code`` is the track code for a certification (e.g. "CPEHR") and the
    scenario slug for a practicum micro-credential, the codes opportunities require."""

    id: str
    achievement_code: str
    name: str
    status: str
    valid_from: datetime
    valid_until: datetime | None
    public_url: str | None
    objective_codes: tuple[str, ...]


def held_credentials(session: Session, user_id: str) -> list[HeldCredential]:
    """Every credential issued to the user with its effective status (active, expired,
    suspended or revoked), newest first."""
    return held_credentials_of(session, [user_id])[user_id]


def held_credentials_of(
    session: Session, user_ids: Collection[str]
) -> dict[str, list[HeldCredential]]:
    """``held_credentials`` for many learners in one query."""
    out: dict[str, list[HeldCredential]] = {uid: [] for uid in user_ids}
    if not out:
        return out
    rows = session.execute(
        select(Credential, Achievement)
        .join(Achievement, Achievement.id == Credential.achievement_id)
        .where(Credential.holder_id.in_(list(out)))
        .order_by(Credential.valid_from.desc())
    ).all()
    for cred, achievement in rows:
        definition = achievement.definition
        scenarios = definition.get("requirements", {}).get("scenarios") or []
        code = (
            achievement.track_code
            if achievement.kind == "certification" or not scenarios
            else str(scenarios[0]["slug"])
        )
        out[cred.holder_id].append(
            HeldCredential(
                id=cred.id,
                achievement_code=code,
                name=achievement.name,
                status=lifecycle.effective_status(cred),
                valid_from=cred.valid_from,
                valid_until=cred.valid_until,
                public_url=f"/c/{cred.share_slug}" if cred.share_slug else None,
                objective_codes=tuple(definition.get("alignments", [])),
            )
        )
    return out
