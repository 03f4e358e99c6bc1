"""A credential requirement is met by an active credential, or by the exam behind it while no
credential has been issued yet; not by the exam once its credential has been revoked,
suspended or has expired. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.config import Settings
from extender.credentials import issuance, lifecycle
from extender.credentials.models import Credential
from extender.placement import portfolio, recommendations
from extender.placement.recommend import Fit
from tests.conftest import World
from tests.credentials.factories import passed_exam
from tests.placement.factories import SCENARIOS, opportunity

STAFF = Actor(None, "program@example.org")
NOW = datetime.now(UTC).replace(microsecond=0)


def _needs_cphit(db: Session, world: World) -> str:
    opp = opportunity(
        db, world.orgs["practice"], title="Needs CPHIT", required_credentials=["CPHIT"]
    )
    return opp.id


def _fit(db: Session, world: World, opp_id: str) -> Fit:
    learner = world.users["learner"]
    ((fit, _),) = [
        (f, o) for f, o in recommendations.for_learner(db, learner, SCENARIOS) if o.id == opp_id
    ]
    return fit


def _issue(db: Session, world: World, settings: Settings, when: datetime) -> Credential:
    learner = world.users["learner"]
    passed_exam(db, learner, "CPHIT", when - timedelta(hours=2))
    (cred,) = issuance.issue_due(db, STAFF, learner.id, settings, now=when)
    assert isinstance(cred, Credential)
    return cred


def test_a_passed_exam_counts_until_a_credential_is_issued(db: Session, world: World) -> None:
    opp_id = _needs_cphit(db, world)
    passed_exam(db, world.users["learner"], "CPHIT", NOW - timedelta(hours=2))
    assert _fit(db, world, opp_id).eligible


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_a_revoked_or_suspended_credential_is_not_met_by_its_exam(
    db: Session, world: World, settings: Settings, action: str
) -> None:
    opp_id = _needs_cphit(db, world)
    cred = _issue(db, world, settings, NOW)
    assert _fit(db, world, opp_id).eligible
    lifecycle.change_status(db, STAFF, cred, action, "exam irregularity")
    db.flush()
    fit = _fit(db, world, opp_id)
    assert not fit.eligible
    mine = portfolio.portfolio(db, world.users["learner"].id, SCENARIOS)
    assert mine.lapsed == {"CPHIT"}
    assert [item.code for item in mine.exams] == ["CPHIT"]  # the exam itself is still shown
    assert "CPHIT" not in mine.evidence().achievements


def test_an_expired_credential_is_not_met_by_its_exam_and_a_renewal_is(
    db: Session, world: World, settings: Settings
) -> None:
    opp_id = _needs_cphit(db, world)
    _issue(db, world, settings, NOW - timedelta(days=3 * 365))
    assert not _fit(db, world, opp_id).eligible
    _issue(db, world, settings, NOW)  # a new exam and a new, active credential
    assert _fit(db, world, opp_id).eligible
