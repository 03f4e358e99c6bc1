"""Tell the other side of an application what changed: an in-app notification and the same
text as mail in the accounts outbox, in the transaction of the change itself."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.accounts.models import Organization, Role, User
from extender.db import utcnow
from extender.placement.models import Notification


def notify(
    session: Session,
    user: User,
    text: str,
    link: str = "",
    *,
    subject: str = "",
    body: str | None = None,
) -> None:
    """One in-app notice and one mail (``body`` when given, else the notice's text)."""
    session.add(Notification(user_id=user.id, text=text[:400], link=link))
    if body is None:
        body = f"{text}\n\n{'Open: ' + link if link else ''}".strip()
    accounts.queue_mail(
        session, to=user.email, subject=(subject or f"Extender: {text}")[:200], body=body
    )


def notify_recruiters(
    session: Session, org: Organization, text: str, link: str = "", *, exclude: str | None = None
) -> None:
    for membership in accounts.members_of(session, org, Role.EMPLOYER_RECRUITER):
        if membership.user_id != exclude and membership.user.is_active:
            notify(session, membership.user, text, link)


def unread_count(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def recent(session: Session, user: User, limit: int = 100) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)
