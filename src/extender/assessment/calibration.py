"""Calibrating the bank with IRT from stored responses, and approving a calibration before
its parameters are used. The numerical work is the pure ``irt`` package; this module builds
the sparse response matrix (each candidate saw only their form), keeps the record (parameters,
SEs, item fit, warnings naming items by id), prepares the review the psychometrician sees
before approving, and on approval replaces the track's bank parameters with the run's."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.assessment import irt
from extender.assessment.models import CalibrationRun, ExamSession, Item, ItemVersion, Response
from extender.curriculum.models import Track
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound


def sittings_query(track: Track) -> Select[str, dict[str, Any]]:
    """The track's submitted sittings: id and layout only, in a stable order."""
    return (
        select(ExamSession.id, ExamSession.layout)
        .where(ExamSession.track_id == track.id, ExamSession.status == "submitted")
        .order_by(ExamSession.submitted_at, ExamSession.id)
    )


def right_answers_query(track: Track) -> Select[str, int]:
    """(sitting, item version) of every right answer in the track's submitted sittings. The
    sittings are joined, not listed: a list of ids needs one bound parameter per sitting, and
    PostgreSQL refuses more than 65,535 of them."""
    return (
        select(Response.session_id, Response.item_version_pk)
        .join(ExamSession, ExamSession.id == Response.session_id)
        .where(
            ExamSession.track_id == track.id,
            ExamSession.status == "submitted",
            Response.correct.is_(True),
        )
    )


def item_versions_query(track: Track) -> Select[int, str]:
    """Every version of the track's items, mapped to its item."""
    return (
        select(ItemVersion.pk, ItemVersion.item_id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(Item.track_id == track.id)
    )


def response_matrix(session: Session, track: Track) -> tuple[list[str], Any]:
    """(item ids, examinees x items matrix, NaN where an item was not on the examinee's form).
    An item that was presented but never answered counts as wrong, as it did in scoring.
    Every query has a fixed number of parameters, however many sittings there are."""
    sittings: list[tuple[str, list[int]]] = [
        (row[0], list(row[1]["items"])) for row in session.execute(sittings_query(track))
    ]
    item_of: dict[int, str] = {pk: item for pk, item in session.execute(item_versions_query(track))}
    right: set[tuple[str, int]] = {
        (sid, pk) for sid, pk in session.execute(right_answers_query(track))
    }
    pks = {pk for _, layout in sittings for pk in layout}
    strangers = sorted(pks - item_of.keys())
    if strangers:
        raise Conflict(f"sittings of {track.code} hold item versions of another track: {strangers}")
    item_ids = sorted({item_of[pk] for pk in pks})
    col = {item: j for j, item in enumerate(item_ids)}
    matrix = np.full((len(sittings), len(item_ids)), np.nan)
    for n, (sitting_id, layout) in enumerate(sittings):
        for pk in layout:
            matrix[n, col[item_of[pk]]] = 1.0 if (sitting_id, pk) in right else 0.0
    return item_ids, matrix


_ITEM_INDEX = re.compile(r"\bitem (\d+)\b")


def name_items(warning: str, item_ids: list[str]) -> str:
    """The engine names items by matrix column ("item 3"); the bank names them by id."""

    def named(match: re.Match[str]) -> str:
        j = int(match[1])
        return f"item {item_ids[j]}" if 0 <= j < len(item_ids) else match[0]

    return _ITEM_INDEX.sub(named, warning)


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
    known: dict[str, dict[str, Any]] = {}
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
    fit = result.item_fit
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
            "infit": _num(fit.infit[j]),
            "outfit": _num(fit.outfit[j]),
            "n": int(fit.n_responses[j]),
        }
    # An anchored run keeps the approved scale, so approved items nobody answered in this data
    # keep their approved values (approving the run must not strip them).
    carried = sorted(set(known) - set(item_ids)) if anchor else []
    for item_id in carried:
        p = known[item_id]
        if p.get("a") is not None and p.get("b") is not None:
            items[item_id] = {k: p.get(k) for k in ("a", "b", "c", "se_a", "se_b", "se_c")}
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
            # The engine numbers items by matrix column; every stored warning names the item.
            "warnings": [name_items(w, item_ids) for w in result.warnings],
            "anchored": [item_ids[j] for j in sorted(anchors)],
            "carried": [i for i in carried if i in items],
            "columns": item_ids,
            "population": {
                "mean": _num(result.population_mean),
                "sd": _num(result.population_sd),
            },
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


def _covered(run: CalibrationRun) -> set[str]:
    return {
        item_id
        for item_id, p in run.parameters.get("items", {}).items()
        if p.get("a") is not None and p.get("b") is not None
    }


def _parameterized(session: Session, track_id: int) -> list[Item]:
    return list(
        session.scalars(
            select(Item)
            .where(
                Item.track_id == track_id,
                or_(Item.irt_a.is_not(None), Item.irt_b.is_not(None), Item.irt_c.is_not(None)),
            )
            .order_by(Item.id)
        )
    )


def losing_parameters(session: Session, run: CalibrationRun) -> list[str]:
    """Bank items of the run's track that carry IRT parameters the run does not cover: approving
    it clears theirs, since they were estimated on a scale the run replaces."""
    covered = _covered(run)
    return [i.id for i in _parameterized(session, run.track_id) if i.id not in covered]


def approve(session: Session, actor: Actor, run: CalibrationRun) -> int:
    """Write the run's parameters to the bank and clear them from the track's items the run
    does not cover (both audited); returns how many items received parameters."""
    if run.status != "pending":
        raise Conflict(
            f"only a pending, converged run can be approved (this one is "
            f"{run.status.replace('_', ' ')})"
        )
    covered = _covered(run)
    cleared: dict[str, dict[str, float | None]] = {}
    for item in _parameterized(session, run.track_id):
        if item.id not in covered:
            cleared[item.id] = {"a": item.irt_a, "b": item.irt_b, "c": item.irt_c}
            item.irt_a = item.irt_b = item.irt_c = None
    changed = 0
    for item_id, p in run.parameters["items"].items():
        target = session.get(Item, item_id)
        if target is None or item_id not in covered:
            continue
        target.irt_a, target.irt_b, target.irt_c = p["a"], p["b"], p["c"]
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
        before={"status": "pending", "cleared": cleared},
        after={"status": "approved", "items": changed, "cleared": sorted(cleared)},
    )
    return changed


# Review thresholds for the calibration page (see docs/EXAMS.md).
SLOPE_LOW = 0.3
SLOPE_HIGH = 9.99  # the engine bounds slopes to (0.01, 10)
LOCATION_LIMIT = 4.0
GUESSING_HIGH = 0.35
SE_B_HIGH = 1.0
MISFIT_HIGH = 1.3
OVERFIT_LOW = 0.7


@dataclass(frozen=True)
class ItemReview:
    """One row of the calibration page: the estimate with its SEs, fit and review flags."""

    item_id: str
    source: str  # "estimated", "anchored" (held fixed) or "carried" (approved, not in the data)
    a: float | None
    b: float | None
    c: float | None
    se_a: float | None
    se_b: float | None
    se_c: float | None
    infit: float | None
    outfit: float | None
    n: int | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class RunReview:
    run: CalibrationRun
    items: list[ItemReview]
    warnings: list[str]
    excluded: dict[str, str]
    # Pending runs: the bank items whose parameters approval would clear.
    losing: list[str] | None

    @property
    def flagged(self) -> int:
        return sum(1 for i in self.items if i.flags)

    @property
    def guessing(self) -> bool:
        return self.run.model == "3pl"


def item_flags(p: dict[str, Any], model: str, source: str) -> tuple[str, ...]:
    """Why a psychometrician should look at an item before approving its parameters."""
    if source != "estimated":
        return ()
    a, b, c = p.get("a"), p.get("b"), p.get("c")
    flags: list[str] = []
    if a is None or b is None:
        return ("no estimate",)
    if model != "rasch":
        if a <= 0:
            flags.append(f"a = {a:.2f} is not positive: check the key")
        elif a < SLOPE_LOW:
            flags.append(f"a = {a:.2f} is near 0: the item hardly discriminates")
        elif a >= SLOPE_HIGH:
            flags.append("a at its upper bound: poorly determined")
    if abs(b) > LOCATION_LIMIT:
        flags.append(f"|b| = {abs(b):.2f} > {LOCATION_LIMIT:g}: outside the measured range")
    if model == "3pl" and c is not None and c > GUESSING_HIGH:
        flags.append(f"c = {c:.2f} > {GUESSING_HIGH:g}: heavy guessing")
    se_b = p.get("se_b")
    if se_b is None:
        flags.append("no standard error for b")
    elif se_b > SE_B_HIGH:
        flags.append(f"SE(b) = {se_b:.2f} > {SE_B_HIGH:g}: imprecise")
    for name in ("infit", "outfit"):
        value = p.get(name)
        if value is None:
            continue
        if value > MISFIT_HIGH:
            flags.append(f"misfit: {name} {value:.2f} > {MISFIT_HIGH:g}")
        elif value < OVERFIT_LOW:
            flags.append(f"overfit: {name} {value:.2f} < {OVERFIT_LOW:g}")
    return tuple(flags)


def review(session: Session, run: CalibrationRun) -> RunReview:
    """Everything the calibration page shows before approval, every item named by its id."""
    params = run.parameters
    anchored, carried = set(params.get("anchored", [])), set(params.get("carried", []))
    rows = []
    for item_id, p in sorted(params.get("items", {}).items()):
        source = (
            "anchored"
            if item_id in anchored
            else "carried"
            if item_id in carried
            else ("estimated")
        )
        rows.append(
            ItemReview(
                item_id,
                source,
                a=p.get("a"),
                b=p.get("b"),
                c=p.get("c"),
                se_a=p.get("se_a"),
                se_b=p.get("se_b"),
                se_c=p.get("se_c"),
                infit=p.get("infit"),
                outfit=p.get("outfit"),
                n=p.get("n"),
                flags=item_flags(p, run.model, source),
            )
        )
    warnings = list(params.get("warnings", []))
    if "columns" not in params:
        # Runs recorded before warnings named items: their columns were the sorted item ids.
        columns = sorted((set(params.get("items", {})) - carried) | set(params.get("excluded", {})))
        warnings = [name_items(w, columns) for w in warnings]
    return RunReview(
        run,
        rows,
        warnings,
        dict(params.get("excluded", {})),
        losing_parameters(session, run) if run.status == "pending" else None,
    )


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
