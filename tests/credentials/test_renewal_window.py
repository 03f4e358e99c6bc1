"""CE credits renew a certification only when earned in its validity period; after expiry,
only a re-examination renews it. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.config import Settings
from extender.credentials import issuance, lifecycle
from extender.credentials.models import Credential
from extender.credentials.requirements import add_months
from tests.conftest import World
from tests.credentials.factories import passed_exam

STAFF = Actor(None, "program@example.org")
NOW = datetime.now(UTC).replace(microsecond=0)


def _expired_cphit(db: Session, world: World, settings: Settings) -> Credential:
    """A CPHIT credential (valid 24 months) issued 26 months ago: expired two months ago."""
    learner = world.users["learner"]
    when = add_months(NOW, -26)
    passed_exam(db, learner, "CPHIT", when - timedelta(hours=2))
    (cred,) = issuance.issue_due(db, STAFF, learner.id, settings, now=when)
    assert isinstance(cred, Credential) and cred.valid_until is not None
    assert cred.valid_until < NOW
    return cred


def _ce(db: Session, world: World, credits: float, on: datetime, title: str) -> None:
    lifecycle.record_ce(
        db,
        STAFF,
        user=world.users["learner"],
        track="CPHIT",
        credits=credits,
        title=title,
        provider="AHIMA",
        completed_on=on.date(),
    )


def test_credits_earned_after_expiry_do_not_renew(
    db: Session, world: World, settings: Settings
) -> None:
    cred = _expired_cphit(db, world, settings)
    assert cred.valid_until is not None
    _ce(db, world, 25, cred.valid_until + timedelta(days=10), "Late course")
    assert issuance.issue_due(db, STAFF, world.users["learner"].id, settings) == []


def test_credits_earned_in_time_renew_even_when_recorded_after_expiry(
    db: Session, world: World, settings: Settings
) -> None:
    cred = _expired_cphit(db, world, settings)
    assert cred.valid_until is not None
    _ce(db, world, 12, cred.valid_until - timedelta(days=40), "Course one")
    _ce(db, world, 9, cred.valid_until - timedelta(days=5), "Course two")
    _ce(db, world, 30, cred.valid_until + timedelta(days=3), "Too late to count")
    (renewed,) = issuance.issue_due(db, STAFF, world.users["learner"].id, settings)
    assert isinstance(renewed, Credential) and renewed.renewal_basis == "ce"
    ce = [e for e in renewed.document["evidence"] if e["genre"] == "Continuing education"]
    assert len(ce) == 2
