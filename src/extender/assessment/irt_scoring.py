"""IRT scoring of live exams: the approved calibration's parameters, frozen onto a form when
the committee switches it, so a score can always be recomputed from what the form recorded even
after later runs supersede that calibration.

A sitting scored by IRT reports the candidate's EAP ability (theta) with its posterior SD. The
scaled score is ``300 + 50 (theta - cut_theta)`` clipped to 100-500, so 300 passes on every
form whatever its difficulty, as with number-correct scoring. The cut on theta comes from the
form's percent cut carried through its test characteristic curve (the theta at which the
expected number correct equals the cut), unless the committee sets it directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.assessment import irt
from extender.assessment.models import CalibrationRun, ExamForm, ItemVersion
from extender.curriculum.models import Track
from extender.errors import Conflict, InvalidInput

SCALE_SLOPE = 50.0


@dataclass(frozen=True)
class IrtScore:
    theta: float
    se: float
    scaled: int
    passed: bool


def score(params: irt.ItemParameters, correct: Sequence[bool], cut_theta: float) -> IrtScore:
    """EAP ability from right/wrong answers (unanswered counts as wrong), scaled around the cut."""
    estimate = irt.estimate_eap(np.asarray([[1.0 if c else 0.0 for c in correct]]), params)
    theta, se = float(estimate.theta[0]), float(estimate.se[0])
    passed = theta >= cut_theta
    scaled = round(min(500.0, max(100.0, 300.0 + SCALE_SLOPE * (theta - cut_theta))))
    # Rounding must never turn a fail into a printed 300 or a pass into 299.
    scaled = max(scaled, 300) if passed else min(scaled, 299)
    return IrtScore(theta, se, scaled, passed)


def approved_run(session: Session, track: Track) -> CalibrationRun:
    run = session.scalar(
        select(CalibrationRun).where(
            CalibrationRun.track_id == track.id, CalibrationRun.status == "approved"
        )
    )
    if run is None:
        raise Conflict(
            f"{track.code} has no approved calibration run; calibrate the bank and approve a "
            "run before using IRT scoring"
        )
    return run


def run_parameters(run: CalibrationRun, item_ids: Sequence[str]) -> irt.ItemParameters:
    table = run.parameters.get("items", {})
    missing = [i for i in item_ids if table.get(i, {}).get("a") is None]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise Conflict(f"calibration run {run.id} has no parameters for {shown}")
    return irt.ItemParameters(
        [float(table[i]["a"]) for i in item_ids],
        [float(table[i]["b"]) for i in item_ids],
        [float(table[i].get("c") or 0.0) for i in item_ids],
    )


def _form_item_ids(session: Session, pks: Sequence[int]) -> list[str]:
    ids = dict(
        session.execute(
            select(ItemVersion.pk, ItemVersion.item_id).where(ItemVersion.pk.in_(pks))
        ).all()
    )
    return [ids[pk] for pk in pks]


def use_irt_scoring(
    session: Session, actor: Actor, form: ExamForm, track: Track, *, cut_theta: float | None
) -> ExamForm:
    """Score the fixed form by IRT from now on; sittings already scored keep their scores."""
    if form.kind != "fixed":
        raise Conflict("adaptive forms are always IRT-scored")
    run = approved_run(session, track)
    pks = list(form.items["items"])
    params = run_parameters(run, _form_item_ids(session, pks))
    if cut_theta is None:
        cut_theta = irt.convert_cut_score(form.cut_percent / 100 * len(pks), "raw", params).theta
    check_cut(cut_theta)
    return _set_scoring(session, actor, form, "irt", run.id, round(cut_theta, 4))


def use_raw_scoring(session: Session, actor: Actor, form: ExamForm) -> ExamForm:
    if form.kind != "fixed":
        raise Conflict("adaptive forms are always IRT-scored")
    return _set_scoring(session, actor, form, "raw", None, None)


def _set_scoring(
    session: Session,
    actor: Actor,
    form: ExamForm,
    scoring: str,
    run_id: str | None,
    cut_theta: float | None,
) -> ExamForm:
    before = {"scoring": form.scoring, "run": form.calibration_run_id, "cut_theta": form.cut_theta}
    form.scoring, form.calibration_run_id, form.cut_theta = scoring, run_id, cut_theta
    audit.record(
        session,
        actor,
        "exam_form.scoring",
        "exam_form",
        form.id,
        before=before,
        after={"scoring": scoring, "run": run_id, "cut_theta": cut_theta},
    )
    return form


def check_cut(cut_theta: float) -> None:
    if not -4.0 <= cut_theta <= 4.0:
        raise InvalidInput(
            "the cut on the theta scale must lie between -4 and 4", field="cut_theta"
        )


def pool_parameters(pool: Sequence[dict[str, Any]]) -> irt.ItemParameters:
    return irt.ItemParameters(
        [p["a"] for p in pool], [p["b"] for p in pool], [p["c"] for p in pool]
    )


def form_parameters(session: Session, form: ExamForm, pks: Sequence[int]) -> irt.ItemParameters:
    """Parameters of the given item versions as frozen on the form."""
    if form.kind == "adaptive":
        assert form.adaptive is not None
        table = {p["pk"]: p for p in form.adaptive["pool"]}
        return pool_parameters([table[pk] for pk in pks])
    run = session.get(CalibrationRun, form.calibration_run_id)
    if run is None:
        raise Conflict(f"form {form.name} is IRT-scored but its calibration run is missing")
    return run_parameters(run, _form_item_ids(session, pks))


def report_parameters(
    session: Session, form: ExamForm, versions: Sequence[ItemVersion]
) -> irt.ItemParameters | None:
    """The parameters the exam report shows: an IRT-scored form's own frozen run (what scores
    it), otherwise the bank's approved parameters, or None if any item lacks them."""
    if form.scoring == "irt":
        return form_parameters(session, form, [v.pk for v in versions])
    from extender.assessment.calibration import form_item_parameters

    return form_item_parameters(session, [v.item_id for v in versions])
