"""A modified-Angoff cut-score study on a form: panelists rate each item, the pure
psychometrics module summarizes the ratings, and the psychometrician adopts the recommended
cut (audited), which then applies to the track's blueprint and its draft forms."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.accounts.models import User
from extender.assessment import psychometrics as ctt
from extender.assessment.forms import blueprint_for
from extender.assessment.models import AngoffRating, ExamForm, ItemVersion
from extender.curriculum.models import Track
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput


def save_ratings(
    session: Session, form: ExamForm, panelist: User, ratings: dict[int, float]
) -> None:
    pks = set(form.items["items"])
    for pk, value in ratings.items():
        if pk not in pks:
            raise InvalidInput("a rating names an item that is not on this form", field="rating")
        if not 0 <= value <= 1:
            raise InvalidInput(
                "ratings are probabilities from 0 to 1 (e.g. 0.65)", field=f"rating-{pk}"
            )
        row = session.scalar(
            select(AngoffRating).where(
                AngoffRating.form_id == form.id,
                AngoffRating.panelist_id == panelist.id,
                AngoffRating.item_version_pk == pk,
            )
        )
        if row is None:
            session.add(
                AngoffRating(
                    form_id=form.id, panelist_id=panelist.id, item_version_pk=pk, rating=value
                )
            )
        else:
            row.rating, row.rated_at = value, utcnow()
    session.flush()


def my_ratings(session: Session, form: ExamForm, panelist: User) -> dict[int, float]:
    return {
        r.item_version_pk: r.rating
        for r in session.scalars(
            select(AngoffRating).where(
                AngoffRating.form_id == form.id, AngoffRating.panelist_id == panelist.id
            )
        )
    }


@dataclass(frozen=True)
class StudyResult:
    summary: ctt.AngoffRound | None
    complete_panelists: int
    item_ids: list[str]
    cut_percent: float | None


def study(session: Session, form: ExamForm) -> StudyResult:
    """Summarize the panelists who rated every item (a partial rater would bias the cut)."""
    pks: list[int] = list(form.items["items"])
    versions = {
        v.pk: v for v in session.scalars(select(ItemVersion).where(ItemVersion.pk.in_(pks)))
    }
    by_panelist: dict[str, dict[int, float]] = {}
    for r in session.scalars(select(AngoffRating).where(AngoffRating.form_id == form.id)):
        by_panelist.setdefault(r.panelist_id, {})[r.item_version_pk] = r.rating
    complete = [
        [ratings[pk] for pk in pks] for ratings in by_panelist.values() if set(ratings) >= set(pks)
    ]
    ids = [versions[pk].item_id for pk in pks]
    if len(complete) < 2:
        return StudyResult(None, len(complete), ids, None)
    summary = ctt.modified_angoff(complete, item_ids=ids)
    return StudyResult(summary, len(complete), ids, round(100 * summary.cut_score / len(pks), 1))


def adopt(session: Session, actor: Actor, form: ExamForm, track: Track) -> float:
    result = study(session, form)
    if result.cut_percent is None:
        raise Conflict("at least two panelists must rate every item before a cut is adopted")
    blueprint = blueprint_for(session, track)
    before = blueprint.cut_percent
    blueprint.cut_percent = result.cut_percent
    for draft in session.scalars(
        select(ExamForm).where(ExamForm.track_id == track.id, ExamForm.status == "draft")
    ):
        draft.cut_percent = result.cut_percent
    audit.record(
        session,
        actor,
        "cut_score.adopt",
        "track",
        track.code,
        before={"cut_percent": before},
        after={
            "cut_percent": result.cut_percent,
            "form": form.name,
            "panelists": result.complete_panelists,
        },
    )
    return result.cut_percent
