"""Calibrating the bank with IRT from stored responses, and approving a calibration before
its parameters are used. The numerical work is the pure ``irt`` package; this module builds
the sparse response matrix (each candidate saw only their form) and keeps the record."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.assessment import irt
from extender.assessment.models import CalibrationRun, ExamSession, Item, ItemVersion, Response
from extender.curriculum.models import Track
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound


def response_matrix(session: Session, track: Track) -> tuple[list[str], Any]:
    """(item ids, examinees x items matrix, NaN where an item was not on the examinee's form).
    An item that was presented but never answered counts as wrong, as it did in scoring."""
    sittings = list(
        session.scalars(
            select(ExamSession).where(
                ExamSession.track_id == track.id, ExamSession.status == "submitted"
            )
        )
    )
    pks = {pk for s in sittings for pk in s.layout["items"]}
    item_of = dict(
        session.execute(
            select(ItemVersion.pk, ItemVersion.item_id).where(ItemVersion.pk.in_(pks))
        ).all()
    )
    right = {
        (r.session_id, r.item_version_pk)
        for r in session.scalars(
            select(Response).where(
                Response.session_id.in_([s.id for s in sittings]), Response.correct.is_(True)
            )
        )
    }
    item_ids = sorted(set(item_of.values()))
    col = {item: j for j, item in enumerate(item_ids)}
    matrix = np.full((len(sittings), len(item_ids)), np.nan)
    for n, sitting in enumerate(sittings):
        for pk in sitting.layout["items"]:
            matrix[n, col[item_of[pk]]] = 1.0 if (sitting.id, pk) in right else 0.0
    return item_ids, matrix


def _num(value: float) -> float | None:
    return None if not math.isfinite(value) else round(float(value), 4)


def run_calibration(
    session: Session, actor: Actor, track: Track, model: str, *, anchor: bool = False
) -> CalibrationRun:
    """Fit the bank from every submitted sitting. With ``anchor``, items that already carry
    approved parameters keep them fixed and only the others (pretest items) are estimated, so
    new items land on the bank's existing scale instead of redefining it."""
    if model not in ("2pl", "3pl", "rasch"):
        raise InvalidInput("model must be rasch, 2pl or 3pl", field="model")
    item_ids, matrix = response_matrix(session, track)
    if matrix.shape[0] < 50:
        raise Conflict(
            f"calibration needs at least 50 submitted sittings; {track.code} has {matrix.shape[0]}"
        )
    anchors: dict[int, tuple[float, ...]] = {}
    if anchor:
        approved = session.scalar(
            select(CalibrationRun).where(
                CalibrationRun.track_id == track.id, CalibrationRun.status == "approved"
            )
        )
        if approved is None:
            raise Conflict(f"{track.code} has no approved calibration to anchor new items to")
        if approved.model != model:
            # Anchors fitted under another model (e.g. 3PL guessing dropped to fit a 2PL) would
            # change their curves, and the new items would not land on the bank's scale.
            raise InvalidInput(
                f"the approved calibration is {approved.model.upper()}; an anchored run must "
                "use the same model",
                field="model",
            )
        known = approved.parameters.get("items", {})
        for j, item_id in enumerate(item_ids):
            p = known.get(item_id)
            if p and p.get("a") is not None and p.get("b") is not None:
                anchors[j] = (float(p["a"]), float(p["b"]), float(p.get("c") or 0.0))
        if len(anchors) == len(item_ids):
            raise Conflict("every answered item already has approved parameters; nothing to add")
    result = irt.calibrate(matrix, model, anchors=anchors or None)  # type: ignore[arg-type]
    items: dict[str, dict[str, float | None]] = {}
    for j, item_id in enumerate(item_ids):
        if j in result.excluded:
            continue
        items[item_id] = {
            "a": _num(result.items.a[j]),
            "b": _num(result.items.b[j]),
            "c": _num(result.items.c[j]),
            "se_a": _num(result.standard_errors.a[j]),
            "se_b": _num(result.standard_errors.b[j]),
            "se_c": _num(result.standard_errors.c[j]),
        }
    run = CalibrationRun(
        track_id=track.id,
        model=model,
        created_by=actor.email or "",
        n_examinees=int(matrix.shape[0]),
        n_items=len(items),
        converged=bool(result.convergence.converged),
        iterations=int(result.convergence.iterations),
        log_likelihood=float(result.convergence.log_likelihood),
        parameters={
            "items": items,
            "excluded": {
                item_ids[j]: result.exclusion_reasons.get(j, "excluded") for j in result.excluded
            },
            "warnings": list(result.warnings),
            "anchored": [item_ids[j] for j in sorted(anchors)],
        },
        status="pending" if result.convergence.converged else "not_converged",
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor,
        "calibration.run",
        "track",
        track.code,
        after={
            "run": run.id,
            "model": model,
            "anchored": len(anchors),
            "converged": run.converged,
            "items": run.n_items,
            "examinees": run.n_examinees,
        },
    )
    return run


def get_run(session: Session, run_id: str) -> CalibrationRun:
    run = session.get(CalibrationRun, run_id)
    if run is None:
        raise NotFound("no such calibration run")
    return run


def approve(session: Session, actor: Actor, run: CalibrationRun) -> int:
    """Write the run's parameters to the bank; returns how many items changed."""
    if run.status != "pending":
        raise Conflict(
            f"only a pending, converged run can be approved (this one is "
            f"{run.status.replace('_', ' ')})"
        )
    changed = 0
    for item_id, p in run.parameters["items"].items():
        item = session.get(Item, item_id)
        if item is None or p["a"] is None or p["b"] is None:
            continue
        item.irt_a, item.irt_b, item.irt_c = p["a"], p["b"], p["c"]
        changed += 1
    run.status, run.decided_by, run.decided_at = "approved", actor.email, utcnow()
    for other in session.scalars(
        select(CalibrationRun).where(
            CalibrationRun.track_id == run.track_id,
            CalibrationRun.id != run.id,
            CalibrationRun.status == "approved",
        )
    ):
        other.status = "superseded"
    audit.record(
        session,
        actor,
        "calibration.approve",
        "calibration_run",
        run.id,
        before={"status": "pending"},
        after={"status": "approved", "items": changed},
    )
    return changed


def runs_of(session: Session, track: Track) -> list[CalibrationRun]:
    return list(
        session.scalars(
            select(CalibrationRun)
            .where(CalibrationRun.track_id == track.id)
            .order_by(CalibrationRun.created_at.desc())
        )
    )


def form_item_parameters(session: Session, item_ids: list[str]) -> irt.ItemParameters | None:
    """The approved parameters of a form's items, or None if any item lacks them."""
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(item_ids)))}
    if not item_ids or any(items[i].irt_a is None or items[i].irt_b is None for i in item_ids):
        return None
    return irt.ItemParameters(
        [float(items[i].irt_a or 0.0) for i in item_ids],
        [float(items[i].irt_b or 0.0) for i in item_ids],
        [float(items[i].irt_c or 0.0) for i in item_ids],
    )
