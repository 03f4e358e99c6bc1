"""Blueprints and forms: how many items per domain, the time limit and cut score for a track;
assembling forms from active items (via the pure assembly module) and publishing them.
A published form is frozen: it can be retired from use but never edited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.assessment.assembly import (
    AssembledForm,
    CandidateItem,
    assemble_form,
    assemble_parallel_forms,
    blueprint_counts,
)
from extender.assessment.bank import current_version
from extender.assessment.models import Blueprint, ExamForm, ExamSession, Item, ItemVersion
from extender.curriculum.models import Track
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound

DEFAULT_ITEMS, DEFAULT_MINUTES, DEFAULT_CUT = 30, 45, 70.0


def blueprint_for(session: Session, track: Track) -> Blueprint:
    """The track's blueprint; created from the framework's domain weights on first use."""
    row = session.scalar(select(Blueprint).where(Blueprint.track_id == track.id))
    if row is None:
        counts = blueprint_counts({d.code: d.weight for d in track.domains}, DEFAULT_ITEMS)
        row = Blueprint(
            track_id=track.id,
            total_items=DEFAULT_ITEMS,
            time_limit_minutes=DEFAULT_MINUTES,
            cut_percent=DEFAULT_CUT,
            counts={"counts": counts},
        )
        session.add(row)
        session.flush()
    return row


def update_blueprint(
    session: Session,
    actor: Actor,
    track: Track,
    *,
    total_items: int,
    time_limit_minutes: int,
    cut_percent: float,
) -> Blueprint:
    if not 5 <= total_items <= 300:
        raise InvalidInput("an exam has 5 to 300 items", field="total_items")
    if not 5 <= time_limit_minutes <= 480:
        raise InvalidInput("the time limit is 5 to 480 minutes", field="time_limit_minutes")
    if not 1 <= cut_percent <= 99:
        raise InvalidInput("the cut score is a percentage from 1 to 99", field="cut_percent")
    row = blueprint_for(session, track)
    before = {
        "total_items": row.total_items,
        "time_limit_minutes": row.time_limit_minutes,
        "cut_percent": row.cut_percent,
    }
    row.total_items, row.time_limit_minutes, row.cut_percent = (
        total_items,
        time_limit_minutes,
        cut_percent,
    )
    row.counts = {
        "counts": blueprint_counts({d.code: d.weight for d in track.domains}, total_items)
    }
    row.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "blueprint.update",
        "track",
        track.code,
        before=before,
        after={
            "total_items": total_items,
            "time_limit_minutes": time_limit_minutes,
            "cut_percent": cut_percent,
        },
    )
    return row


def refresh_exposure(session: Session, track: Track) -> dict[str, int]:
    """Recount how many sessions each item of the track has appeared in, from the sessions'
    layouts, and store it on the items (read by assembly and the committee's pages)."""
    pks: dict[int, str] = dict(
        session.execute(
            select(ItemVersion.pk, ItemVersion.item_id).join(Item).where(Item.track_id == track.id)
        ).all()
    )
    counts: dict[str, int] = {}
    layouts: list[dict[str, Any]] = list(
        session.scalars(select(ExamSession.layout).where(ExamSession.track_id == track.id))
    )
    for layout in layouts:
        for pk in layout["items"]:
            item_id = pks.get(pk)
            if item_id is not None:
                counts[item_id] = counts.get(item_id, 0) + 1
    for item in session.scalars(select(Item).where(Item.track_id == track.id)):
        item.exposure = counts.get(item.id, 0)
    return counts


def _candidates(session: Session, track: Track) -> tuple[list[CandidateItem], dict[str, int]]:
    items = list(
        session.scalars(select(Item).where(Item.track_id == track.id, Item.status == "active"))
    )
    candidates, versions = [], {}
    for item in items:
        version = current_version(session, item)
        versions[item.id] = version.pk
        candidates.append(
            CandidateItem(
                id=item.id,
                domain=item.domain_code,
                objective=item.objective_code,
                difficulty=item.p_value,
                enemies=frozenset(version.enemies.get("ids", [])),
                exposure=item.exposure,
            )
        )
    return candidates, versions


def _save(
    session: Session,
    actor: Actor,
    track: Track,
    blueprint: Blueprint,
    name: str,
    form: AssembledForm,
    versions: dict[str, int],
) -> ExamForm:
    pks = [versions[i] for d in sorted(form.items_by_domain) for i in form.items_by_domain[d]]
    row = ExamForm(
        track_id=track.id,
        name=name,
        items={"items": pks},
        time_limit_minutes=blueprint.time_limit_minutes,
        cut_percent=blueprint.cut_percent,
        created_by=actor.email or "",
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "form.assemble",
        "exam_form",
        row.id,
        after={
            "track": track.code,
            "name": name,
            "items": len(pks),
            "mean_difficulty": round(form.mean_difficulty, 3),
        },
    )
    return row


def assemble(
    session: Session, actor: Actor, track: Track, *, name: str, seed: int, parallel: int = 1
) -> list[ExamForm]:
    if not name.strip():
        raise InvalidInput("give the form a name", field="name")
    if session.scalar(
        select(ExamForm).where(ExamForm.track_id == track.id, ExamForm.name == name.strip())
    ):
        raise Conflict(f"a {track.code} form named {name.strip()} exists", field="name")
    blueprint = blueprint_for(session, track)
    counts = dict(blueprint.counts["counts"])
    refresh_exposure(session, track)
    candidates, versions = _candidates(session, track)
    if parallel > 1:
        built = assemble_parallel_forms(candidates, counts, parallel, seed=seed)
        return [
            _save(session, actor, track, blueprint, f"{name.strip()} {chr(65 + i)}", f, versions)
            for i, f in enumerate(built)
        ]
    return [
        _save(
            session,
            actor,
            track,
            blueprint,
            name.strip(),
            assemble_form(candidates, counts, seed=seed),
            versions,
        )
    ]


def get_form(session: Session, form_id: str) -> ExamForm:
    form = session.get(ExamForm, form_id)
    if form is None:
        raise NotFound("no such exam form")
    return form


def publish(session: Session, actor: Actor, form: ExamForm) -> None:
    if form.status != "draft":
        raise Conflict(f"this form is already {form.status}; published forms are frozen")
    inactive = session.scalars(
        select(ItemVersion.item_id)
        .join(Item)
        .where(ItemVersion.pk.in_(form.items["items"]), Item.status != "active")
    ).all()
    if inactive:
        raise Conflict(f"items not active: {', '.join(sorted(inactive))}")
    form.status, form.published_by, form.published_at = "published", actor.email, utcnow()
    audit.record(
        session,
        actor,
        "form.publish",
        "exam_form",
        form.id,
        before={"status": "draft"},
        after={"status": "published"},
    )


def retire(session: Session, actor: Actor, form: ExamForm) -> None:
    """No new sittings on this form; sittings in progress finish on it and keep their scores.
    Retiring a track's adaptive form switches it back to fixed forms."""
    if form.status != "published":
        raise Conflict(f"only a published form can be retired (this one is {form.status})")
    form.status = "retired"
    audit.record(
        session,
        actor,
        "form.retire",
        "exam_form",
        form.id,
        before={"status": "published"},
        after={"status": "retired"},
    )


def forms_of(session: Session, track: Track) -> list[ExamForm]:
    return list(
        session.scalars(
            select(ExamForm).where(ExamForm.track_id == track.id).order_by(ExamForm.created_at)
        )
    )
