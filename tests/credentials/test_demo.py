"""The demo holders: one valid (shared), one expired, one revoked; seeding twice adds nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.accounts.audit import Actor
from extender.config import Settings
from extender.credentials import demo, issuance, lifecycle, verification
from tests.credentials.factories import publish_form


def test_the_demo_shows_every_state(db: Session, catalog: None, settings: Settings) -> None:
    actor = Actor.system("test")
    for holder in demo.HOLDERS:
        accounts.create_user(
            db, actor, email=holder.email, display_name=holder.email[:9].title(), password="x" * 12
        )
    publish_form(db, "CPEHR")
    issued = demo.seed(db, settings, date.today())
    assert len(issued) == 9  # three holders x (certification + two micro-credentials)
    states = {}
    for holder in demo.HOLDERS:
        user = accounts.find_user_by_email(db, holder.email)
        assert user is not None
        cred = issuance.current_credential(db, user.id, "cpehr")
        assert cred is not None
        states[holder.state] = (cred, lifecycle.effective_status(cred))
    assert {k: v[1] for k, v in states.items()} == {
        "valid": "active",
        "expired": "expired",
        "revoked": "revoked",
    }
    assert states["valid"][0].share_slug is not None
    assert verification.verify_stored(db, settings, states["valid"][0]).valid
    failed = {
        state: [
            c.name for c in verification.verify_stored(db, settings, cred).checks if not c.passed
        ]
        for state, (cred, _) in states.items()
    }
    assert failed == {"valid": [], "expired": ["validity"], "revoked": ["status"]}
    assert demo.seed(db, settings, date.today()) == []
