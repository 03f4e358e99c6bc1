"""Applications: a learner applies with a note; recruiters of the posting organization move
the application through its stages; the learner answers an offer or withdraws. Each change
is kept in the stage history, audited, and announced to the other side (in-app and mail).

Stages and who may move them:

    applied -> screening -> interview -> offer -> accepted      (recruiter until offer;
        \\__________\\___________\\________\\-> declined          the learner accepts or
                                                                   declines an offer)
    any open stage -> withdrawn (the learner)
    any open stage -> declined  (the recruiter: not this time)
    withdrawn -> applied        (the learner applies again, while the opportunity is published)

Once an opportunity is closed nothing moves forward (no screening, interview, offer or
acceptance); declining and withdrawing stay possible. A declined application is final: the
learner cannot reopen it. Messages stay readable in every stage, but none can be sent on a
withdrawn application, and the learner sends none on a declined one.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor, record
from extender.accounts.models import Organization, User
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound
from extender.placement.models import (
    STAGES,
    Application,
    ApplicationMessage,
    Opportunity,
    StageChange,
)
from extender.placement.notify import notify, notify_recruiters

OPEN = ("applied", "screening", "interview", "offer")
RECRUITER_MOVES: dict[str, frozenset[str]] = {
    "applied": frozenset({"screening", "interview", "offer", "declined"}),
    "screening": frozenset({"interview", "offer", "declined"}),
    "interview": frozenset({"offer", "declined"}),
    "offer": frozenset({"declined"}),
}
LEARNER_MOVES: dict[str, frozenset[str]] = {
    "applied": frozenset({"withdrawn"}),
    "screening": frozenset({"withdrawn"}),
    "interview": frozenset({"withdrawn"}),
    "offer": frozenset({"accepted", "declined", "withdrawn"}),
}
# Moves that take an application further; none is possible once the opportunity is closed.
FORWARD = frozenset({"screening", "interview", "offer", "accepted"})
MAX_NOTE = 4000


def _learner_link(app: Application) -> str:
    return f"/placement/applications/{app.id}"


def _recruiter_link(org: Organization, app: Application) -> str:
    return f"/placement/orgs/{org.slug}/applications/{app.id}"


def apply(
    session: Session, actor: Actor, user: User, opp: Opportunity, note: str
) -> tuple[Application, bool]:
    """Apply once. Returns the application and whether it is new or reopened.

    Applying again while the application is active (or accepted) returns it unchanged.
    Applying again after withdrawing reopens it with the new note (a blank note keeps the
    previous one) while the opportunity is published. A declined application is final."""
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"the note is longer than {MAX_NOTE} characters", field="note")
    existing = _existing(session, opp, user)
    if existing is not None:
        if existing.stage == "withdrawn":
            return existing, _reopen(session, actor, user, opp, existing, note)
        if existing.stage == "declined":
            raise Conflict(_declined_refusal(session, user, opp, existing))
        return existing, False
    if opp.status != "published":
        raise Conflict(f"this opportunity is {opp.status}; it does not take applications")
    app = Application(opportunity_id=opp.id, user_id=user.id, note=note.strip(), stage="applied")
    try:
        with session.begin_nested():
            session.add(app)
            session.flush()
    except IntegrityError:
        # A second request of the same learner got there first (double click, two tabs).
        existing = _existing(session, opp, user)
        if existing is None:
            raise
        return existing, False
    session.add(
        StageChange(application_id=app.id, from_stage=None, to_stage="applied", by_user_id=user.id)
    )
    record(
        session,
        actor,
        "placement.application.create",
        "application",
        app.id,
        after={"stage": "applied", "opportunity": opp.id},
    )
    org = session.get(Organization, opp.org_id)
    assert org is not None
    notify_recruiters(
        session, org, f"{user.display_name} applied to {opp.title}", _recruiter_link(org, app)
    )
    return app, True


def _reopen(
    session: Session, actor: Actor, user: User, opp: Opportunity, app: Application, note: str
) -> bool:
    """Withdrawn -> applied, as a stage change; False when a concurrent request of the same
    learner reopened it first (a double click), so the reopening is announced once."""
    if opp.status != "published":
        raise Conflict(
            f"this opportunity is {opp.status}; your withdrawn application cannot be reopened"
        )
    text = note.strip() or app.note
    # Conditional on the stage, so two racing requests reopen (and notify) once.
    result = session.execute(
        update(Application)
        .where(Application.id == app.id, Application.stage == "withdrawn")
        .values(stage="applied", note=text, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(app)
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        return False
    _record_move(session, actor, app, "withdrawn", "applied", user)
    session.expire(app, ["history"])
    org = session.get(Organization, opp.org_id)
    assert org is not None
    notify_recruiters(
        session, org, f"{user.display_name} applied again to {opp.title}", _recruiter_link(org, app)
    )
    return True


def _declined_refusal(session: Session, user: User, opp: Opportunity, app: Application) -> str:
    last = app.history[-1] if app.history else None
    if last is not None and last.to_stage == "declined" and last.by_user_id == user.id:
        return f"you declined the offer for {opp.title}; a declined application cannot be reopened"
    org = session.get(Organization, opp.org_id)
    name = org.name if org is not None else "the organization"
    return f"{name} declined your application to {opp.title}; it cannot be reopened"


def _existing(session: Session, opp: Opportunity, user: User) -> Application | None:
    return session.scalar(
        select(Application).where(
            Application.opportunity_id == opp.id, Application.user_id == user.id
        )
    )


def _move(session: Session, actor: Actor, app: Application, to: str, by: User) -> None:
    before = app.stage
    app.stage = to
    app.updated_at = utcnow()
    _record_move(session, actor, app, before, to, by)


def _record_move(
    session: Session, actor: Actor, app: Application, before: str, to: str, by: User
) -> None:
    """The stage history entry and the audit record of one stage change."""
    session.add(
        StageChange(application_id=app.id, from_stage=before, to_stage=to, by_user_id=by.id)
    )
    session.flush()
    record(
        session,
        actor,
        "placement.application.stage",
        "application",
        app.id,
        before={"stage": before},
        after={"stage": to},
    )


def _check_stage(to: str) -> None:
    if to not in STAGES:
        raise InvalidInput(f"unknown stage {to} (known: {', '.join(STAGES)})", field="stage")


def accepted_count(session: Session, opp: Opportunity) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.opportunity_id == opp.id, Application.stage == "accepted")
        )
        or 0
    )


def recruiter_move(
    session: Session, actor: Actor, recruiter: User, org: Organization, app: Application, to: str
) -> Application:
    _check_stage(to)
    allowed = RECRUITER_MOVES.get(app.stage, frozenset())
    if to not in allowed:
        raise Conflict(_refusal(app.stage, to, allowed))
    opp = app.opportunity
    if to in FORWARD and opp.status != "published":
        raise Conflict(
            f"{opp.title} is {opp.status}; its applications cannot move to {to} "
            "(they can still be declined)"
        )
    if to == "offer" and accepted_count(session, opp) >= opp.slots:
        raise Conflict(f"all {opp.slots} slots of {opp.title} are filled")
    _move(session, actor, app, to, recruiter)
    learner = session.get(User, app.user_id)
    assert learner is not None
    text = {
        "screening": f"{org.name} is screening your application to {opp.title}",
        "interview": f"{org.name} would like to interview you for {opp.title}",
        "offer": f"{org.name} made you an offer for {opp.title}",
        "declined": f"{org.name} will not go further with your application to {opp.title}",
    }[to]
    notify(session, learner, text, _learner_link(app))
    return app


def learner_move(
    session: Session, actor: Actor, learner: User, app: Application, to: str
) -> Application:
    _check_stage(to)
    if app.user_id != learner.id:
        raise NotFound(f"no application {app.id}")
    allowed = LEARNER_MOVES.get(app.stage, frozenset())
    if to not in allowed:
        raise Conflict(_refusal(app.stage, to, allowed))
    opp = app.opportunity
    if to in FORWARD and opp.status != "published":
        raise Conflict(
            f"{opp.title} is {opp.status}; this offer can no longer be accepted "
            "(you can still decline it or withdraw)"
        )
    if to == "accepted" and accepted_count(session, opp) >= opp.slots:
        raise Conflict(
            f"all {opp.slots} slots of {opp.title} are filled; this offer can no longer be accepted"
        )
    _move(session, actor, app, to, learner)
    org = session.get(Organization, opp.org_id)
    assert org is not None
    verb = {
        "accepted": "accepted your offer for",
        "declined": "declined your offer for",
        "withdrawn": "withdrew their application to",
    }[to]
    notify_recruiters(
        session, org, f"{learner.display_name} {verb} {opp.title}", _recruiter_link(org, app)
    )
    return app


def recruiter_moves(app: Application) -> frozenset[str]:
    """The stages a recruiter may move ``app`` to now (for the buttons of the page)."""
    allowed = RECRUITER_MOVES.get(app.stage, frozenset())
    return allowed if app.opportunity.status == "published" else allowed - FORWARD


def learner_moves(app: Application) -> frozenset[str]:
    """The stages the learner may move ``app`` to now (for the buttons of the page)."""
    allowed = LEARNER_MOVES.get(app.stage, frozenset())
    return allowed if app.opportunity.status == "published" else allowed - FORWARD


def message_refusal(app: Application, side: str) -> str | None:
    """Why ``side`` ("learner" or "recruiter") cannot send a message on ``app``, or None."""
    if app.stage == "withdrawn":
        return "this application was withdrawn; its messages can be read but no new ones sent"
    if side == "learner" and app.stage == "declined":
        return (
            "this application was declined; its messages can be read but you cannot send new ones"
        )
    return None


def _refusal(stage: str, to: str, allowed: frozenset[str]) -> str:
    if not allowed:
        return f"this application is {stage}; it can no longer change"
    possible = ", ".join(sorted(allowed))
    return f"an application that is {stage} cannot move to {to} (possible: {possible})"


def send_message(
    session: Session,
    actor: Actor,
    sender: User,
    app: Application,
    body: str,
    *,
    side: str,
    org: Organization,
) -> ApplicationMessage:
    refusal = message_refusal(app, side)
    if refusal is not None:
        raise Conflict(refusal)
    text = body.strip()
    if not text:
        raise InvalidInput("the message is empty", field="body")
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"the message is longer than {MAX_NOTE} characters", field="body")
    message = ApplicationMessage(
        application_id=app.id, sender_id=sender.id, sender_side=side, body=text
    )
    session.add(message)
    session.flush()
    record(
        session,
        actor,
        "placement.application.message",
        "application",
        app.id,
        after={"side": side, "message": message.id, "characters": len(text)},
    )
    title = app.opportunity.title
    if side == "learner":
        notify_recruiters(
            session,
            org,
            f"New message from {sender.display_name} about {title}",
            _recruiter_link(org, app),
        )
    else:
        learner = session.get(User, app.user_id)
        assert learner is not None
        notify(session, learner, f"New message from {org.name} about {title}", _learner_link(app))
    return message


def messages(session: Session, app: Application) -> list[tuple[ApplicationMessage, str]]:
    rows = session.execute(
        select(ApplicationMessage, User.display_name)
        .outerjoin(User, User.id == ApplicationMessage.sender_id)
        .where(ApplicationMessage.application_id == app.id)
        .order_by(ApplicationMessage.sent_at, ApplicationMessage.id)
    )
    return [(m, name or "former user") for m, name in rows]


def of_learner(session: Session, user: User, application_id: str) -> Application:
    app = session.get(Application, application_id)
    if app is None or app.user_id != user.id:
        raise NotFound(f"no application {application_id}")
    return app


def of_org(session: Session, org: Organization, application_id: str) -> Application:
    app = session.get(Application, application_id)
    if app is None or app.opportunity.org_id != org.id:
        raise NotFound(f"no application {application_id} in {org.slug}")
    return app


def list_of_learner(session: Session, user: User) -> list[Application]:
    return list(
        session.scalars(
            select(Application)
            .where(Application.user_id == user.id)
            .order_by(Application.created_at.desc())
        )
    )


def list_for_opportunity(session: Session, opp: Opportunity) -> list[tuple[Application, User]]:
    rows = session.execute(
        select(Application, User)
        .join(User, User.id == Application.user_id)
        .where(Application.opportunity_id == opp.id)
        .order_by(Application.created_at, Application.id)
    )
    return [(a, u) for a, u in rows]
