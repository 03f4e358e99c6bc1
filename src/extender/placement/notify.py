"""Tell the other side of an application what changed: an in-app notification and the same
text as mail in the accounts outbox, in the transaction of the change itself."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.accounts.models import Organization, Role, User
from extender.db import utcnow
from extender.placement.match_models import MatchRound
from extender.placement.models import Notification, Opportunity


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


def announce_match(
    session: Session, rnd: MatchRound, learners: list[User], offered: list[Opportunity]
) -> int:
    """A published match result, to every learner of the round and each site's recruiters;
    returns the number of mails queued."""
    placed = {p["learner"]: p["opportunity"] for p in (rnd.result or {}).get("pairs", [])}
    by_id = {opp.id: opp for opp in offered}
    link = f"/match/{rnd.id}"
    subject = f"Match result: {rnd.title}"
    sent = 0
    for user in learners:
        opp = by_id.get(placed.get(user.id, ""))
        line = f"You matched with {opp.title}." if opp else "You were not matched in this round."
        body = f"{line}\n\nSee {link} for details."
        notify(session, user, f"{rnd.title}: {line}", link, subject=subject, body=body)
        sent += 1
    names = {u.id: u.display_name for u in learners}
    for opp in offered:
        roster = [names[lid] for lid, oid in placed.items() if oid == opp.id]
        org = session.get(Organization, opp.org_id)
        if org is None:
            continue
        text = f"{opp.title}: " + (
            f"matched with {', '.join(roster)}." if roster else "no learner was matched."
        )
        for member in accounts.members_of(session, org, Role.EMPLOYER_RECRUITER):
            site = f"{link}/sites/{opp.id}"
            notify(session, member.user, f"{rnd.title}: {text}", site, subject=subject, body=text)
            sent += 1
    return sent


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
