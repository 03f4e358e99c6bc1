"""Issuing credentials: build the OB 3.0 document, allocate its status-list index (one 2-bit
"message" entry: active, suspended, revoked; see status.py), secure it both ways (Data
Integrity proof with the active Ed25519 key; VC-JOSE JWT), store and audit. A renewal names the
credential it renews in ``relatedResource`` with that document's digestMultibase.

``issue_due`` is the one entry point the exam and practicum flows call after a submission: it
issues every achievement the learner newly meets (or renews), or, where the achievement says
``approval: staff``, opens a pending approval instead.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.accounts.models import User
from extender.config import Settings
from extender.credentials import evidence, issuer, status
from extender.credentials.achievements import (
    AchievementSpec,
    objective_statements,
    parse_achievements,
)
from extender.credentials.evidence import Basis
from extender.credentials.models import Achievement, Credential, PendingApproval
from extender.credentials.requirements import add_months, evaluate, learner_record
from extender.credentials.vc import data_integrity, jose
from extender.credentials.vc.keys import Alg
from extender.credentials.vc.ob3 import RelatedCredential, build_credential, credential_digest
from extender.db import new_id, utcnow
from extender.errors import Conflict, InvalidInput, NotFound
from extender.practicum.scenarios import ScenarioSpec, load_scenarios
from extender.practicum.service import minutes_spent


@dataclass(frozen=True)
class Catalog:
    achievements: dict[str, AchievementSpec]
    scenarios: dict[str, ScenarioSpec]
    objectives: dict[str, tuple[str, str]]


@lru_cache(maxsize=4)
def _catalog(content_dir: Path) -> Catalog:
    scenarios = load_scenarios(content_dir)
    return Catalog(
        parse_achievements(content_dir, scenarios), scenarios, objective_statements(content_dir)
    )


def catalog(settings: Settings) -> Catalog:
    return _catalog(settings.content_dir)


def achievement(settings: Settings, achievement_id: str) -> AchievementSpec:
    spec = catalog(settings).achievements.get(achievement_id)
    if spec is None:
        raise NotFound(f"no achievement {achievement_id}")
    return spec


def sync_achievements(session: Session, settings: Settings) -> None:
    """Achievement rows mirror the content files (credentials refer to them by id)."""
    for spec in catalog(settings).achievements.values():
        _mirror(session, spec)
    session.flush()


def _mirror(session: Session, spec: AchievementSpec) -> None:
    row = session.get(Achievement, spec.id)
    if row is None:
        row = Achievement(id=spec.id)
        session.add(row)
    row.kind, row.track_code, row.name = spec.kind, spec.track, spec.name
    row.definition = spec.model_dump(mode="json")


def subject_id(user: User) -> str:
    return uuid.UUID(hex=user.id).urn if len(user.id) == 32 else f"urn:extender:user:{user.id}"


def credential_url(settings: Settings, credential_id: str) -> str:
    return f"{issuer.base_url(settings)}/credentials/{credential_id}"


def _sign_jwt(session: Session, settings: Settings, doc: dict[str, Any], alg: Alg) -> str:
    key = issuer.signing_key(session, settings, alg)
    return jose.encode_jwt(doc, key, issuer.verification_method(settings, key.kid))


def issuance_key(holder: User, spec: AchievementSpec, replaces: Credential | None) -> str:
    return f"{holder.id}:{spec.id}:{replaces.id if replaces else 'first'}"


@contextmanager
def _once(session: Session, key: str, spec: AchievementSpec, holder: User) -> Iterator[None]:
    """Run an issuance in a savepoint: when a concurrent request has just issued the same
    credential (same holder, achievement and predecessor), the unique issuance key refuses
    this one and it raises Conflict, leaving the caller's transaction usable."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError:
        if session.scalar(select(Credential.id).where(Credential.issuance_key == key)) is None:
            raise
        raise Conflict(f"{spec.name} has just been issued to {holder.email}") from None


def issue(
    session: Session,
    actor: Actor,
    settings: Settings,
    holder: User,
    spec: AchievementSpec,
    basis: Basis,
    *,
    now: datetime | None = None,
    replaces: Credential | None = None,
    approval_id: str | None = None,
    jwt_alg: Alg = "EdDSA",
) -> Credential:
    """Issue ``spec`` to ``holder`` on ``basis``: sign it (Data Integrity proof and JWT),
    take its status-list index, store and audit it; at most once per holder, achievement and
    predecessor (see ``_once``)."""
    now = now or utcnow()
    key_of_issuance = issuance_key(holder, spec, replaces)
    with _once(session, key_of_issuance, spec, holder):
        _mirror(session, spec)  # the one row this credential refers to; issue_due syncs them all
        base = issuer.base_url(settings)
        cred_id = new_id()
        status_list, index = status.allocate(session)
        valid_until = None
        if spec.validity_months is not None:
            start = max(now, replaces.valid_until) if replaces and replaces.valid_until else now
            valid_until = add_months(start, spec.validity_months)
        related = []
        if replaces is not None:
            # VC 2.0 relatedResource needs a digest: that of the renewed credential's stored,
            # signed document (see ob3.credential_digest).
            related = [
                RelatedCredential(
                    credential_url(settings, replaces.id), credential_digest(replaces.document)
                )
            ]
        doc = build_credential(
            credential_id=credential_url(settings, cred_id),
            issuer=issuer.issuer_profile(settings),
            achievement=evidence.achievement_def(base, spec, catalog(settings).objectives),
            result_descriptions=evidence.result_descriptions(base, spec),
            subject_id=subject_id(holder),
            subject_name=holder.display_name,
            results=basis.results,
            evidence=basis.evidence,
            valid_from=now,
            valid_until=valid_until,
            status=status.status_entry(settings, status_list, index),
            name=spec.name,
            related=related,
        )
        key = issuer.signing_key(session, settings)
        signed = data_integrity.add_proof(
            copy.deepcopy(doc), key, issuer.verification_method(settings, key.kid), now
        )
        cred = Credential(
            id=cred_id,
            holder_id=holder.id,
            achievement_id=spec.id,
            status="active",
            valid_from=now,
            valid_until=valid_until,
            document=signed,
            jwt=_sign_jwt(session, settings, doc, jwt_alg),
            kid=key.kid,
            status_list_id=status_list.id,
            status_index=index,
            replaces_id=replaces.id if replaces else None,
            renewal_basis=basis.renewal,
            issued_at=now,
            issued_by=actor.email or "system",
            approval_id=approval_id,
            issuance_key=key_of_issuance,
        )
        session.add(cred)
        session.flush()
        audit.record(
            session,
            actor,
            "credentials.issued",
            "credential",
            cred.id,
            after={
                "holder": holder.email,
                "achievement": spec.id,
                "evidence": basis.evidence_key,
                "replaces": cred.replaces_id,
                "approval": approval_id,
            },
        )
        return cred


def jwt_with(session: Session, settings: Settings, cred: Credential, alg: Alg) -> str:
    """The credential secured as a JWT with the active key of ``alg`` (e.g. RS256 for a
    verifier that has no Ed25519)."""
    doc = {k: v for k, v in cred.document.items() if k != "proof"}
    return _sign_jwt(session, settings, doc, alg)


# --- deciding what is due ----------------------------------------------------------------------


def credentials_of(session: Session, user_id: str) -> list[Credential]:
    return list(
        session.scalars(
            select(Credential)
            .where(Credential.holder_id == user_id)
            .order_by(Credential.issued_at.desc())
        )
    )


def current_credential(session: Session, user_id: str, achievement_id: str) -> Credential | None:
    """The newest credential of a chain (renewals replace their predecessor)."""
    return session.scalar(
        select(Credential)
        .where(Credential.holder_id == user_id, Credential.achievement_id == achievement_id)
        .order_by(Credential.issued_at.desc())
    )


def _blocked_by_approval(session: Session, user_id: str, spec_id: str, key: str) -> bool:
    rows = session.scalars(
        select(PendingApproval).where(
            PendingApproval.holder_id == user_id, PendingApproval.achievement_id == spec_id
        )
    )
    return any(
        r.status == "pending" or (r.status == "rejected" and r.evidence_key == key) for r in rows
    )


def _due_basis(
    session: Session, settings: Settings, user: User, spec: AchievementSpec, now: datetime
) -> tuple[Basis, Credential | None] | None:
    from extender.credentials.renewal import renewal_basis

    current = current_credential(session, user.id, spec.id)
    record = learner_record(session, user)
    if current is not None:
        basis = renewal_basis(session, settings, current, spec, record, now)
        return (basis, current) if basis is not None else None
    result = evaluate(spec, record, catalog(settings).scenarios)
    if not result.met:
        return None
    minutes = {e.attempt.id: minutes_spent(e.attempt) for e in result.scenarios}
    return evidence.from_evaluation(issuer.base_url(settings), result, minutes), None


def issue_due(
    session: Session,
    actor: Actor,
    user_id: str,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> list[Credential | PendingApproval]:
    """Issue (or queue for approval) every achievement the learner newly meets or renews."""
    now = now or utcnow()
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    sync_achievements(session, settings)
    out: list[Credential | PendingApproval] = []
    for spec in catalog(settings).achievements.values():
        due = _due_basis(session, settings, user, spec, now)
        if due is None:
            continue
        basis, replaces = due
        if _blocked_by_approval(session, user.id, spec.id, basis.evidence_key):
            continue
        if spec.approval == "staff":
            out.append(_request_approval(session, actor, user, spec, basis, replaces))
        else:
            try:
                out.append(
                    issue(session, actor, settings, user, spec, basis, now=now, replaces=replaces)
                )
            except Conflict:
                continue  # a concurrent request issued it a moment ago
    return out


def _request_approval(
    session: Session,
    actor: Actor,
    user: User,
    spec: AchievementSpec,
    basis: Basis,
    replaces: Credential | None,
) -> PendingApproval:
    approval = PendingApproval(
        holder_id=user.id,
        achievement_id=spec.id,
        evidence_key=basis.evidence_key[:400],
        summary=basis.to_json(),
        replaces_id=replaces.id if replaces else None,
    )
    session.add(approval)
    session.flush()
    audit.record(
        session,
        actor,
        "credentials.approval_requested",
        "credential_approval",
        approval.id,
        after={"holder": user.email, "achievement": spec.id, "evidence": basis.evidence_key},
    )
    return approval


def _open_approval(session: Session, approval_id: str) -> PendingApproval:
    approval = session.get(PendingApproval, approval_id)
    if approval is None:
        raise NotFound("no such approval request")
    if approval.status != "pending":
        raise Conflict(f"this request was already {approval.status}")
    return approval


def approve(session: Session, actor: Actor, settings: Settings, approval_id: str) -> Credential:
    approval = _open_approval(session, approval_id)
    holder = session.get(User, approval.holder_id)
    assert holder is not None
    replaces = session.get(Credential, approval.replaces_id) if approval.replaces_id else None
    spec = achievement(settings, approval.achievement_id)
    cred = issue(
        session,
        actor,
        settings,
        holder,
        spec,
        Basis.from_json(approval.summary),
        replaces=replaces,
        approval_id=approval.id,
    )
    approval.status, approval.decided_by, approval.decided_at = "approved", actor.email, utcnow()
    approval.credential_id = cred.id
    audit.record(
        session,
        actor,
        "credentials.approved",
        "credential_approval",
        approval.id,
        before={"status": "pending"},
        after={"status": "approved", "credential": cred.id},
    )
    return cred


def reject(session: Session, actor: Actor, approval_id: str, reason: str) -> PendingApproval:
    reason = reason.strip()
    if not reason:
        raise InvalidInput("give a reason for the rejection", field="reason")
    approval = _open_approval(session, approval_id)
    approval.status, approval.decided_by, approval.decided_at = "rejected", actor.email, utcnow()
    approval.reason = reason
    audit.record(
        session,
        actor,
        "credentials.rejected",
        "credential_approval",
        approval.id,
        before={"status": "pending"},
        after={"status": "rejected", "reason": reason},
    )
    return approval
