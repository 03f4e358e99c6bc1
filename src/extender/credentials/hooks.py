"""Issuing credentials at the moments a learner's record changes (an exam or a practicum
scenario submitted). The submission is committed before this runs, so a failed issuance never
loses it: the failure is logged and rolled back, and staff can run "issue due" later."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.config import Settings
from extender.credentials.issuance import issue_due

log = logging.getLogger(__name__)


def issue_after(session: Session, user_id: str, settings: Settings, source: str) -> None:
    try:
        issue_due(session, Actor.system(source), user_id, settings)
        session.commit()
    except Exception:  # the learner's submission is already safe; never fail their request
        session.rollback()
        log.exception("credential issuance after %s failed for user %s", source, user_id)
