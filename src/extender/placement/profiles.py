"""Learner profiles and who may see them.

Each portfolio section (profile details, credentials, practicum, exams) has its own setting:
``hidden`` (no employer), ``applied`` (recruiters of organizations the learner holds an
application to that is neither withdrawn nor declined; the default) or ``employers`` (every
recruiter). A recruiter asking for a profile that shows them nothing gets 404, the same
answer as for a learner who does not exist."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor, record
from extender.accounts.models import Membership, Organization, Role, User
from extender.db import utcnow
from extender.errors import NotFound
from extender.placement import geo
from extender.placement.models import SECTIONS, Application, LearnerProfile, Opportunity
from extender.placement.recommend import Evidence, Seeker
from extender.placement.schemas import ProfileInput

PROFILE_FIELDS = (
    "zip",
    "travel_miles",
    "remote_ok",
    "days",
    "hours",
    "available_from",
    "available_until",
    "kinds",
    "ehr_products",
    "statement",
    "links",
    "show_details",
    "show_credentials",
    "show_practicum",
    "show_exams",
)


def get(session: Session, user: User) -> LearnerProfile | None:
    return session.get(LearnerProfile, user.id)


def get_or_new(session: Session, user: User) -> LearnerProfile:
    """The stored profile, or an unsaved one with the defaults for the editor."""
    found = session.get(LearnerProfile, user.id)
    if found is not None:
        return found
    return LearnerProfile(
        user_id=user.id,
        travel_miles=25,
        remote_ok=True,
        days=[],
        kinds=[],
        ehr_products=[],
        links=[],
        hours="",
        statement="",
        **{f"show_{s}": "applied" for s in SECTIONS},
    )


def save(session: Session, actor: Actor, user: User, data: ProfileInput) -> LearnerProfile:
    place = geo.lookup(data.zip) if data.zip else None
    profile = session.get(LearnerProfile, user.id)
    if profile is None:
        profile = get_or_new(session, user)
        session.add(profile)
    before = {f"show_{s}": profile.visibility(s) for s in SECTIONS}
    for name in PROFILE_FIELDS:
        setattr(profile, name, getattr(data, name))
    profile.lat, profile.lon = (place.lat, place.lon) if place else (None, None)
    profile.updated_at = utcnow()
    session.flush()
    after = {f"show_{s}": profile.visibility(s) for s in SECTIONS}
    if after != before:
        record(
            session,
            actor,
            "placement.profile.visibility",
            "learner_profile",
            user.id,
            before=before,
            after=after,
        )
    return profile


def seeker(profile: LearnerProfile | None, evidence: Evidence) -> Seeker:
    if profile is None:
        return Seeker(evidence=evidence)
    return Seeker(
        evidence=evidence,
        lat=profile.lat,
        lon=profile.lon,
        travel_miles=profile.travel_miles,
        remote_ok=profile.remote_ok,
        days=frozenset(profile.days or ()),
        available_from=profile.available_from,
        available_until=profile.available_until,
        kinds=frozenset(profile.kinds or ()),
        has_profile=True,
    )


# Applications that no longer share anything: withdrawn by the learner, or declined (by the
# recruiter, or an offer the learner turned down).
ENDED = ("withdrawn", "declined")


def _live_applications_to(org: Organization) -> tuple[ColumnElement[bool], ...]:
    """A learner shares the "applied" sections with an organization while they hold an
    application to it that is neither withdrawn nor declined; sections shown to every
    employer stay visible either way."""
    return (
        Application.opportunity_id == Opportunity.id,
        Opportunity.org_id == org.id,
        Application.stage.not_in(ENDED),
    )


def applied_to_org(session: Session, user_id: str, org: Organization) -> bool:
    return bool(
        session.scalar(
            select(exists().where(Application.user_id == user_id, *_live_applications_to(org)))
        )
    )


def applicants_of(session: Session, org: Organization) -> set[str]:
    """The learners for whom ``applied_to_org`` holds."""
    return set(session.scalars(select(Application.user_id).where(*_live_applications_to(org))))


def visible_sections(profile: LearnerProfile | None, *, applied: bool) -> frozenset[str]:
    """The sections a recruiter may see, given whether the learner applied to their org."""
    if profile is None:
        return frozenset(SECTIONS) if applied else frozenset()
    allowed = {"employers", "applied"} if applied else {"employers"}
    return frozenset(s for s in SECTIONS if profile.visibility(s) in allowed)


@dataclass(frozen=True)
class SharedView:
    user: User
    profile: LearnerProfile | None
    sections: frozenset[str]
    applied: bool


def shared_with(session: Session, org: Organization, user_id: str) -> SharedView:
    """What recruiters of ``org`` may see of a learner; 404 when that is nothing."""
    user = session.get(User, user_id)
    if user is None or not _is_learner(session, user_id):
        raise NotFound(f"no shared profile {user_id}")
    profile = session.get(LearnerProfile, user_id)
    applied = applied_to_org(session, user_id, org)
    sections = visible_sections(profile, applied=applied)
    if not sections:
        raise NotFound(f"no shared profile {user_id}")
    return SharedView(user, profile, sections, applied)


def _is_learner(session: Session, user_id: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(Membership.user_id == user_id, Membership.role == Role.LEARNER.value)
            )
        )
    )


def open_to_employers(session: Session) -> list[LearnerProfile]:
    """Profiles that show at least one section to every employer."""
    clauses = [getattr(LearnerProfile, f"show_{s}") == "employers" for s in SECTIONS]
    from sqlalchemy import or_

    return list(session.scalars(select(LearnerProfile).where(or_(*clauses))))
