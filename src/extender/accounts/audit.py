"""The audit log: who changed what, when and from where, with the state before and after.

Every service function that staff can call takes an ``Actor`` and records here in the same
transaction as the change, so a change and its record commit or roll back together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extender.accounts.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    user_id: str | None
    email: str | None
    client_address: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(user_id=None, email=name, client_address=None)


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.user_id,
        actor_email=actor.email,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
        client_address=actor.client_address,
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def search(
    session: Session, flt: AuditFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[AuditEvent], int]:
    stmt = select(AuditEvent)
    if flt.actor:
        stmt = stmt.where(AuditEvent.actor_email.ilike(f"%{flt.actor}%"))
    if flt.action:
        stmt = stmt.where(AuditEvent.action == flt.action)
    if flt.target_type:
        stmt = stmt.where(AuditEvent.target_type == flt.target_type)
    if flt.target_id:
        stmt = stmt.where(AuditEvent.target_id == flt.target_id)
    if flt.since:
        stmt = stmt.where(AuditEvent.occurred_at >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditEvent.occurred_at < flt.until)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def distinct_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def distinct_target_types(session: Session) -> list[str]:
    return list(
        session.scalars(select(AuditEvent.target_type).distinct().order_by(AuditEvent.target_type))
    )
