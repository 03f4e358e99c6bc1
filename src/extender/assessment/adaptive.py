"""Adaptive delivery of live exams.

An adaptive "form" is a pool (active items with approved parameters), a content blueprint, a
stopping rule (minimum and maximum length, a standard-error target and an SPRT classification
around the cut), randomesque selection and Sympson-Hetter exposure parameters found by
simulation when the form is created. The session's layout grows one item at a time: when the
candidate confirms an answer, the next item is chosen from the responses stored so far and
appended in the same transaction.

Each step rebuilds the test from the session's record and takes one decision with
:class:`irt.AdaptiveProcedure`, the very code the form's simulations and Sympson-Hetter tuning
ran. The record includes, step by step, the items that lost their exposure lottery
(``layout["adaptive"]["passed_over"]``, item version pks, one list per question chosen); they
are replayed, so an item passed over stays passed over for the rest of the sitting, as it did
where the parameters were tuned. The choice of question ``k`` is a pure function of the session
id, ``k`` and the record of the first ``k`` questions (the random stream is seeded with the id
and ``k``), so a retried or doubled request, a reload, a crash before commit or a server
restart reproduces the same next item: nothing is lost and no item changes under the
candidate. Earlier answers are final, as in every CAT. Scoring is IRT (see ``irt_scoring``).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.assessment import irt
from extender.assessment.bank import current_version
from extender.assessment.irt_scoring import approved_run, check_cut, pool_parameters
from extender.assessment.models import Blueprint, ExamForm, ExamSession, Item, ItemVersion
from extender.curriculum.models import Track
from extender.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class AdaptiveSettings:
    min_items: int = 10
    max_items: int = 30
    se_target: float | None = 0.30
    sprt: bool = True
    sprt_half_width: float = 0.25
    randomesque: int = 3
    r_max: float = 0.35

    def check(self, pool_size: int) -> None:
        if not 1 <= self.min_items <= self.max_items:
            raise InvalidInput("need 1 <= minimum length <= maximum length", field="min_items")
        if self.max_items > pool_size:
            raise InvalidInput(
                f"the maximum length ({self.max_items}) exceeds the {pool_size} calibrated "
                "active items in the pool",
                field="max_items",
            )
        if self.se_target is not None and not 0.1 <= self.se_target <= 1.0:
            raise InvalidInput("the SE target must lie between 0.1 and 1.0", field="se_target")
        if not 0.05 <= self.sprt_half_width <= 1.0:
            raise InvalidInput("the SPRT half-width must lie between 0.05 and 1", field="sprt")
        if not 1 <= self.randomesque <= 10:
            raise InvalidInput("randomesque must be between 1 and 10", field="randomesque")
        if not 0.1 <= self.r_max <= 1.0:
            raise InvalidInput("the exposure target must lie between 0.1 and 1", field="r_max")
        try:
            irt.check_exposure_target(self.r_max, self.min_items, pool_size, minimum=True)
        except irt.InfeasibleExposureTarget as exc:
            raise InvalidInput(exc.message, field="r_max") from None


def create_adaptive_form(
    session: Session,
    actor: Actor,
    track: Track,
    *,
    name: str,
    settings: AdaptiveSettings,
    cut_theta: float | None = None,
    time_limit_minutes: int | None = None,
    seed: int = 1,
) -> ExamForm:
    name = name.strip()
    if not name:
        raise InvalidInput("give the adaptive form a name", field="name")
    run = approved_run(session, track)
    table = run.parameters.get("items", {})
    items = list(
        session.scalars(
            select(Item).where(Item.track_id == track.id, Item.status == "active").order_by(Item.id)
        )
    )
    pool: list[dict[str, Any]] = []
    enemies: dict[str, list[str]] = {}
    for item in items:
        p = table.get(item.id, {})
        if p.get("a") is None or p.get("b") is None:
            continue
        version = current_version(session, item)
        pool.append(
            {
                "pk": version.pk,
                "item": item.id,
                "domain": item.domain_code,
                "a": float(p["a"]),
                "b": float(p["b"]),
                "c": float(p.get("c") or 0.0),
            }
        )
        enemies[item.id] = list(version.enemies.get("ids", []))
    settings.check(len(pool))
    blueprint = session.scalar(select(Blueprint).where(Blueprint.track_id == track.id))
    if blueprint is None:
        raise Conflict(f"{track.code} has no blueprint yet; open the exam page once to create it")
    counts = blueprint.counts["counts"]
    total = sum(counts.values()) or 1
    shares = {d: n / total for d, n in counts.items() if n}
    params = pool_parameters(pool)
    if cut_theta is None:
        # The blueprint's percent cut, read as "expected share correct over the pool".
        cut_theta = float(
            irt.theta_for_raw_score(blueprint.cut_percent / 100 * len(pool), params)[0]
        )
    check_cut(cut_theta)
    config: dict[str, Any] = {
        "pool": pool,
        "shares": shares,
        "enemies": [[a, b] for a, bs in enemies.items() for b in bs],
        "min_items": settings.min_items,
        "max_items": settings.max_items,
        "se_target": settings.se_target,
        "sprt_half_width": settings.sprt_half_width if settings.sprt else None,
        "randomesque": settings.randomesque,
        "r_max": settings.r_max,
        "exposure": None,
    }
    selector = _build_selector(config)
    try:
        exposure = irt.sympson_hetter_parameters(
            selector,
            _stopping(config, cut_theta),
            r_max=settings.r_max,
            n_examinees=TUNING_EXAMINEES,
            rounds=TUNING_ROUNDS,
            rng=seed,
        )
    except irt.InfeasibleExposureTarget as exc:
        raise InvalidInput(exc.message, field="r_max") from None
    config["exposure"] = [round(float(k), 4) for k in exposure.parameters]
    config["exposure_converged"] = bool(exposure.converged)
    config["exposure_rule"] = EXPOSURE_RULE
    config["exposure_tuning"] = {
        "examinees": TUNING_EXAMINEES,
        "max_exposure_by_round": [round(r, 4) for r in exposure.max_exposure_by_round],
        "mean_length": round(exposure.mean_length, 2),
        "fallback_rate": round(exposure.fallback_rate, 4),
    }
    minutes = time_limit_minutes or math.ceil(
        blueprint.time_limit_minutes * settings.max_items / max(blueprint.total_items, 1)
    )
    form = ExamForm(
        track_id=track.id,
        name=name,
        kind="adaptive",
        status="draft",
        items={"items": [p["pk"] for p in pool]},
        time_limit_minutes=minutes,
        cut_percent=blueprint.cut_percent,
        created_by=actor.email or "",
        scoring="irt",
        calibration_run_id=run.id,
        cut_theta=round(cut_theta, 4),
        adaptive=config,
    )
    session.add(form)
    session.flush()
    audit.record(
        session,
        actor,
        "exam_form.create_adaptive",
        "exam_form",
        form.id,
        after={
            "track": track.code,
            "pool": len(pool),
            "run": run.id,
            "cut_theta": form.cut_theta,
            "min_items": settings.min_items,
            "max_items": settings.max_items,
            "se_target": settings.se_target,
            "sprt": settings.sprt,
            "sprt_half_width": config["sprt_half_width"],
            "randomesque": settings.randomesque,
            "r_max": settings.r_max,
            "exposure_converged": config["exposure_converged"],
            "exposure_max_simulated": config["exposure_tuning"]["max_exposure_by_round"][-1],
            "time_limit_minutes": minutes,
        },
    )
    return form


TUNING_EXAMINEES = irt.exposure.FORM_TUNING_EXAMINEES
TUNING_ROUNDS = irt.exposure.FORM_TUNING_ROUNDS
EXPOSURE_RULE = "sympson-hetter-with-fallback"
"""Items that lose the lottery stay out for the sitting; when all eligible items of the domain
have lost it, the most informative of them is given (see ``irt.selection``)."""

_PROCEDURES: dict[str, irt.AdaptiveProcedure] = {}


def _build_selector(config: dict[str, Any]) -> irt.AdaptiveSelector:
    pool = config["pool"]
    index = {p["item"]: i for i, p in enumerate(pool)}
    pairs = [(index[a], index[b]) for a, b in config["enemies"] if a in index and b in index]
    return irt.AdaptiveSelector(
        pool_parameters(pool),
        domains=[p["domain"] for p in pool],
        blueprint=config["shares"],
        enemies=pairs,
        randomesque=int(config["randomesque"]),
        exposure=config.get("exposure"),
    )


def procedure_for(form: ExamForm) -> irt.AdaptiveProcedure:
    """Built once per process per form: a published form is frozen (drafts are rebuilt)."""
    assert form.adaptive is not None and form.cut_theta is not None
    cached = _PROCEDURES.get(form.id)
    if cached is None or form.status == "draft":
        cached = _PROCEDURES[form.id] = irt.AdaptiveProcedure(
            _build_selector(form.adaptive), _stopping(form.adaptive, form.cut_theta)
        )
    return cached


def _stopping(config: dict[str, Any], cut_theta: float) -> irt.StoppingRule:
    half = config.get("sprt_half_width")
    return irt.StoppingRule(
        max_items=int(config["max_items"]),
        min_items=int(config["min_items"]),
        se_target=config.get("se_target"),
        sprt=irt.SPRT(cut=cut_theta, half_width=float(half)) if half else None,
    )


def _rng(exam_id: str, step: int) -> np.random.Generator:
    digest = hashlib.sha256(f"{exam_id}:{step}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _layout_with(exam: ExamSession, form: ExamForm, pk: int, session: Session) -> None:
    version = session.get(ItemVersion, pk)
    assert version is not None
    ids = [o["id"] for o in version.option_list]
    random.Random(f"{exam.id}:{pk}").shuffle(ids)
    layout = dict(exam.layout)
    layout["items"] = [*layout.get("items", []), pk]
    layout["options"] = {**layout.get("options", {}), str(pk): ids}
    exam.layout = layout  # a new dict, so the JSON column sees the change


def next_step(
    form: ExamForm, exam_id: str, layout: Mapping[str, Any], correct: Sequence[bool]
) -> tuple[irt.Decision, list[list[int]]]:
    """Decide what follows the questions in ``layout`` (scored by ``correct``), without writing.

    Returns the decision (a pool index, or why the test stops) and the passed-over record to
    store: one list of item version pks per question chosen, this step's included. The same
    function serves the first question, every later one and a retry after a crash."""
    assert form.adaptive is not None
    pool = form.adaptive["pool"]
    position = {p["pk"]: i for i, p in enumerate(pool)}
    administered = [position[pk] for pk in layout.get("items", [])]
    if len(correct) != len(administered):
        raise InvalidInput("every administered question needs a score", field="answer")
    step = len(administered)
    stored = list(layout.get("adaptive", {}).get("passed_over") or [])
    # Sessions begun before the record existed have none: their earlier lotteries are lost.
    earlier = [list(pks) for pks in (stored + [[]] * step)[:step]]
    procedure = procedure_for(form)
    test = procedure.resume(
        administered,
        [1 if c else 0 for c in correct],
        rng=_rng(exam_id, step),
        passed_over=[position[pk] for pks in earlier for pk in pks],
    )
    replayed = len(test.passed_over)
    decision = procedure.step(test)
    if decision.item is None:
        return decision, earlier
    return decision, [*earlier, [int(pool[i]["pk"]) for i in test.passed_over[replayed:]]]


def begin(session: Session, exam: ExamSession, form: ExamForm) -> None:
    """Choose the first item of a new adaptive session."""
    exam.layout = {"items": [], "options": {}, "adaptive": {"stop": None, "passed_over": []}}
    decision, passed_over = next_step(form, exam.id, exam.layout, [])
    if decision.item is None:
        raise Conflict("the adaptive pool has no item to start with")
    assert form.adaptive is not None
    exam.layout = {**exam.layout, "adaptive": {"stop": None, "passed_over": passed_over}}
    _layout_with(exam, form, int(form.adaptive["pool"][decision.item]["pk"]), session)


@dataclass(frozen=True)
class Step:
    """What follows a confirmed answer: the next question's number, or the reason to stop."""

    next_number: int | None
    stop: str | None


def advance(
    session: Session, exam: ExamSession, form: ExamForm, number: int, correct: list[bool]
) -> Step:
    """Confirm the answer to question ``number`` (1-based) and choose what comes next.

    ``correct`` scores every administered item in order. Calling again for a question already
    confirmed returns the step taken then, so double submissions are harmless."""
    administered = list(exam.layout["items"])
    if number < len(administered):
        return Step(len(administered), None)
    stop = exam.layout.get("adaptive", {}).get("stop")
    if stop:
        return Step(None, stop)
    assert form.adaptive is not None
    decision, passed_over = next_step(form, exam.id, exam.layout, correct)
    record = {**exam.layout.get("adaptive", {}), "stop": decision.stop, "passed_over": passed_over}
    exam.layout = {**exam.layout, "adaptive": record}
    if decision.item is None:
        return Step(None, decision.stop)
    _layout_with(exam, form, int(form.adaptive["pool"][decision.item]["pk"]), session)
    return Step(len(administered) + 1, None)


STOP_LABELS = {
    "max_length": "reached the maximum number of questions",
    "se_target": "measured your ability precisely enough",
    "classified_pass": "classified the result with the required confidence",
    "classified_fail": "classified the result with the required confidence",
    "exhausted": "used every available question",
}
