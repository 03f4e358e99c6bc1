"""The demo holders: one valid (shared), one expired, one revoked; seeding twice adds nothing.
Their credentials carry the 2-bit "message" status entry, and the published list says so."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.accounts.audit import Actor
from extender.assessment import bank, forms
from extender.assessment.models import ExamSession
from extender.config import Settings
from extender.credentials import demo, issuance, lifecycle, status, verification
from extender.credentials.vc.status_list import MIN_ENTRIES, BitstringStatusList
from extender.curriculum import service as curriculum
from tests.conftest import CONTENT_DIR


def test_the_demo_shows_every_state(db: Session, catalog: None, settings: Settings) -> None:
    actor = Actor.system("test")
    for holder in demo.HOLDERS:
        accounts.create_user(
            db, actor, email=holder.email, display_name=holder.email[:9].title(), password="x" * 12
        )
    # A real CPEHR form: the demo's holders sit it and the live scorer scores them.
    banks = bank.load_bank_files(CONTENT_DIR, bank.objective_tracks(db))
    bank.sync_bank(db, actor, {"CPEHR": banks["CPEHR"]})
    track = curriculum.get_track(db, "CPEHR")
    forms.update_blueprint(db, actor, track, total_items=20, time_limit_minutes=30, cut_percent=70)
    [form] = forms.assemble(db, actor, track, name="Demo", seed=3)
    forms.publish(db, actor, form)
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
    revoked = states["revoked"][0]
    reason = verification.verify_stored(db, settings, revoked).check("status").reason
    assert reason.startswith("revoked (status 0x2;")
    # Every demo credential is of the form issued now, on the message list that is served.
    for state, (cred, _) in states.items():
        entry = cred.document["credentialStatus"]
        assert (entry["statusPurpose"], entry["statusSize"]) == ("message", 2), state
        listing = status.signed_list_credential(db, settings, f"message-{cred.status_list_id}")
        assert listing["id"] == entry["statusListCredential"]
        bits = BitstringStatusList.decode(
            listing["credentialSubject"]["encodedList"], min_length=MIN_ENTRIES * 2
        )
        assert bits.get_value(cred.status_index, 2) == (2 if state == "revoked" else 0)
    assert demo.seed(db, settings, date.today()) == []
    holder = accounts.find_user_by_email(db, demo.HOLDERS[0].email)
    assert holder is not None
    [sitting] = db.scalars(select(ExamSession).where(ExamSession.user_id == holder.id)).all()
    # A real sitting: answers stored and scored by the live scorer, with domain results.
    assert sitting.passed and sitting.domain_results and sitting.domain_results["domains"]
    assert str(sitting.scaled_score) in json.dumps(states["valid"][0].document)
