"""Renewal: a certification nearing or past its expiry is renewed by continuing-education
credits earned in its validity period or by passing the exam again. The renewal is a new
credential that names the old one (``relatedResource``, ``replaces_id``); the old one keeps its
own dates and simply expires.

Renewal opens ``renewal.window_months`` before ``validUntil`` and stays open after expiry.
CE credits count when completed in the old credential's validity period (``validFrom`` to
``validUntil``, as its criteria say): credits recorded late still count if they were earned in
time, but credits earned after expiry do not; a lapsed certification is renewed by passing the
exam again, which counts when passed after the window opened. A revoked or suspended
credential is not renewed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.config import Settings
from extender.credentials import evidence, issuer
from extender.credentials.achievements import AchievementSpec
from extender.credentials.evidence import Basis
from extender.credentials.models import CeActivity, Credential
from extender.credentials.requirements import LearnerRecord, add_months


def window_opens(cred: Credential, spec: AchievementSpec) -> datetime | None:
    if spec.renewal is None or cred.valid_until is None:
        return None
    return add_months(cred.valid_until, -spec.renewal.window_months)


def ce_activities(
    session: Session, user_id: str, track: str, since: datetime, until: datetime
) -> list[CeActivity]:
    return list(
        session.scalars(
            select(CeActivity)
            .where(
                CeActivity.user_id == user_id,
                CeActivity.track_code == track,
                CeActivity.completed_on >= since.date(),
                CeActivity.completed_on <= until.date(),
            )
            .order_by(CeActivity.completed_on)
        )
    )


def counted_ce(session: Session, cred: Credential, track: str, now: datetime) -> list[CeActivity]:
    """The CE activities that count toward renewing ``cred``: completed in its validity
    period (up to now while it runs)."""
    until = min(now, cred.valid_until) if cred.valid_until else now
    return ce_activities(session, cred.holder_id, track, cred.valid_from, until)


def renewal_basis(
    session: Session,
    settings: Settings,
    cred: Credential,
    spec: AchievementSpec,
    record: LearnerRecord,
    now: datetime,
) -> Basis | None:
    opens = window_opens(cred, spec)
    if opens is None or spec.renewal is None or cred.status != "active" or now < opens:
        return None
    base = issuer.base_url(settings)
    if spec.renewal.reexam:
        for exam in record.passed_exams.get(spec.track, []):
            if exam.submitted_at is not None and exam.submitted_at >= opens:
                part = evidence.exam_part(base, spec, exam)
                part.renewal = "reexam"
                return part
    activities = counted_ce(session, cred, spec.track, now)
    if activities and sum(a.credits for a in activities) >= spec.renewal.ce_credits:
        return evidence.ce_part(base, spec, activities)
    return None
