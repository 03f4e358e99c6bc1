"""The exam report for a form: classical item and test statistics computed from the stored
responses (via the pure psychometrics module), with the flags a psychometrician acts on.

A fixed form is one test: every sitting saw every item, so the number correct is a score and
KR-20, the raw cut and the pass rate at it mean something. An adaptive form is a pool: each
sitting saw only the items chosen for it, so an item's statistics use only the sittings that
saw it, discrimination is the correlation with the ability estimate (theta) instead of the
rest score, and the test summary is theta and the scaled score, never a raw score.

Reading the report changes nothing. Writing the items' p-values and point-biserials to the
bank (form assembly matches difficulty with them) is a separate, audited action, and only for
fixed forms: adaptive routing gives each item to candidates near its difficulty, so its
observed p-value says who saw it, not how hard it is."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.assessment import irt, irt_scoring
from extender.assessment import psychometrics as ctt
from extender.assessment.models import ExamForm, ExamSession, Item, ItemVersion, Response
from extender.assessment.psychometrics_common import (
    Flag,
    FloatArray,
    correlation_or_reason,
    group_mean,
)
from extender.assessment.psychometrics_distractors import option_statistics
from extender.assessment.psychometrics_items import extreme_groups
from extender.errors import Conflict

# Scaled scores (100-500) are plotted in bins of this width; 300 (the cut) starts a bin.
SCALED_BIN = 20
# An adaptive item whose observed number right differs from the calibrated model's expectation
# (given each candidate's theta) by more than this many standard deviations is flagged.
MISFIT_Z = 3.0
GROUP_FRACTION = 0.27


@dataclass(frozen=True)
class AdaptiveSummary:
    """The test-level half of an adaptive form's report: ability and scaled scores, never a
    raw score (sittings answered different items)."""

    pool_size: int
    items_seen: int
    cut_theta: float
    mean_theta: float
    sd_theta: float
    mean_se: float | None
    mean_scaled: float | None
    sd_scaled: float | None
    pass_rate: float
    mean_length: float
    min_length: int
    max_length: int
    histogram: tuple[int, ...]
    notes: tuple[str, ...]


@dataclass
class FormReport:
    form: ExamForm
    versions: list[ItemVersion]
    items: ctt.ItemAnalysis
    # Fixed forms only: raw-score statistics and the raw cut.
    summary: ctt.TestSummary | None
    dif: list[ctt.MantelHaenszelDif] | None
    groups: tuple[str, str] | None
    sittings: int
    cut_raw: int | None
    # Adaptive forms only: the theta/scaled summary and, per item, the p expected from the
    # form's frozen parameters for the candidates who saw it.
    adaptive: AdaptiveSummary | None = None
    expected_p: list[float] | None = None

    @property
    def is_adaptive(self) -> bool:
        return self.adaptive is not None


@dataclass
class _Data:
    versions: list[ItemVersion]
    sittings: list[ExamSession]
    scored: Any
    choices: Any
    times: Any


def _submitted(form: ExamForm) -> Select[ExamSession]:
    return select(ExamSession).where(
        ExamSession.form_id == form.id, ExamSession.status == "submitted"
    )


def responses_query(form: ExamForm) -> Select[Response]:
    """The responses of the form's submitted sittings, selected by a join (never a list of
    sitting ids, which would need one bound parameter per sitting)."""
    return (
        select(Response)
        .join(ExamSession, ExamSession.id == Response.session_id)
        .where(ExamSession.form_id == form.id, ExamSession.status == "submitted")
    )


def _matrices(session: Session, form: ExamForm) -> _Data:
    """Sittings x items: 1 right, 0 wrong or unanswered, NaN where the sitting never saw the
    item (only on adaptive forms, whose columns are the pool items somebody saw)."""
    sittings = list(
        session.scalars(_submitted(form).order_by(ExamSession.submitted_at, ExamSession.id))
    )
    if form.kind == "adaptive":
        seen = {pk for s in sittings for pk in s.layout["items"]}
        pks = [pk for pk in form.items["items"] if pk in seen]
    else:
        pks = list(form.items["items"])
    versions = {
        v.pk: v for v in session.scalars(select(ItemVersion).where(ItemVersion.pk.in_(pks)))
    }
    index = {pk: j for j, pk in enumerate(pks)}
    shape = (len(sittings), len(pks))
    if form.kind == "adaptive":
        scored = np.full(shape, np.nan)
        for i, s in enumerate(sittings):
            for pk in s.layout["items"]:
                if pk in index:
                    scored[i, index[pk]] = 0.0
    else:
        scored = np.zeros(shape)
    choices = np.full(shape, "", dtype=object)
    times = np.full(shape, np.nan)
    row_of = {s.id: i for i, s in enumerate(sittings)}
    if sittings:
        for r in session.scalars(responses_query(form)):
            row, col = row_of.get(r.session_id), index.get(r.item_version_pk)
            if row is None or col is None or np.isnan(scored[row, col]):
                # A sitting submitted since the first query, or an answer to an item the
                # sitting's layout does not hold (not administered).
                continue
            scored[row, col] = 1.0 if r.correct else 0.0
            answer = r.answer["answer"]
            choices[row, col] = answer[0] if len(answer) == 1 else ("+".join(answer) or "")
            times[row, col] = r.seconds_spent if r.seconds_spent else np.nan
    return _Data([versions[pk] for pk in pks], sittings, scored, choices, times)


def _option_inputs(
    data: _Data,
) -> tuple[Any, list[str], list[list[str]]]:
    # Distractor analysis needs one chosen option per cell. Single-answer items use the
    # option chosen; multiple-response and ordering items are read as right/wrong, since
    # their "distractor" is a pattern, not one option.
    versions, scored = data.versions, data.scored
    single = np.array([v.type in ("single_choice", "scenario") for v in versions], dtype=bool)
    whole = np.where(scored[:, ~single] == 1, "right", "wrong")
    labels = data.choices.astype("<U64")
    labels[:, ~single] = whole
    labels[np.isnan(scored)] = ""
    key = [v.key_list[0] if s else "right" for v, s in zip(versions, single, strict=True)]
    options = [
        [o["id"] for o in v.option_list] if s else ["right", "wrong"]
        for v, s in zip(versions, single, strict=True)
    ]
    return labels, key, options


def build_report(session: Session, form: ExamForm) -> FormReport:
    data = _matrices(session, form)
    if len(data.sittings) < 2:
        raise Conflict("the report needs at least two submitted sittings of this form")
    if form.kind == "adaptive":
        return _adaptive_report(session, form, data)
    versions, sittings, scored = data.versions, data.sittings, data.scored
    labels, key, options = _option_inputs(data)
    analysis = ctt.analyze_items(
        scored,
        choices=labels,
        key=key,
        options=options,
        times=data.times if np.isfinite(data.times).any() else None,
        item_ids=[v.item_id for v in versions],
    )
    cut_raw = math.ceil(form.cut_percent / 100 * len(versions))
    summary = ctt.summarize_test(scored, cut_score=cut_raw)
    groups = sorted({s.group for s in sittings if s.group})
    dif = None
    pair: tuple[str, str] | None = None
    if len(groups) == 2:
        pair = (groups[0], groups[1])
        focal = np.array([s.group == groups[1] for s in sittings])
        dif = list(ctt.screen_dif(scored, focal))
    return FormReport(form, versions, analysis, summary, dif, pair, len(sittings), cut_raw)


def _adaptive_report(session: Session, form: ExamForm, data: _Data) -> FormReport:
    assert form.adaptive is not None and form.cut_theta is not None
    notes: list[str] = []
    keep = np.array([s.theta is not None for s in data.sittings], dtype=bool)
    if not keep.all():
        notes.append(f"{int((~keep).sum())} sittings have no ability estimate and are left out")
        data = _Data(
            data.versions,
            [s for s, k in zip(data.sittings, keep, strict=True) if k],
            data.scored[keep],
            data.choices[keep],
            data.times[keep],
        )
    sittings = data.sittings
    if len(sittings) < 2:
        raise Conflict("the report needs at least two scored sittings of this form")
    theta = np.array([float(s.theta or 0.0) for s in sittings])
    params = irt_scoring.form_parameters(session, form, [v.pk for v in data.versions])
    analysis, expected = _adaptive_items(data, theta, params)
    lengths = [len(s.layout["items"]) for s in sittings]
    se = [float(s.theta_se) for s in sittings if s.theta_se is not None]
    scaled = np.array([s.scaled_score for s in sittings if s.scaled_score is not None], float)
    bins = (500 - 100) // SCALED_BIN
    histogram = [0] * bins
    for value in scaled:
        histogram[min(bins - 1, max(0, int((value - 100) // SCALED_BIN)))] += 1
    unseen = len(form.items["items"]) - len(data.versions)
    if unseen:
        notes.append(f"{unseen} pool items were not administered to anyone yet")
    notes.append(
        "Raw scores, KR-20 and a raw cut are not reported: each sitting answered different "
        "items, so the number correct is not a score."
    )
    summary = AdaptiveSummary(
        pool_size=len(form.items["items"]),
        items_seen=len(data.versions),
        cut_theta=float(form.cut_theta),
        mean_theta=float(theta.mean()),
        sd_theta=float(theta.std(ddof=1)),
        mean_se=sum(se) / len(se) if se else None,
        mean_scaled=float(scaled.mean()) if scaled.size else None,
        sd_scaled=float(scaled.std(ddof=1)) if scaled.size > 1 else None,
        pass_rate=sum(bool(s.passed) for s in sittings) / len(sittings),
        mean_length=sum(lengths) / len(lengths),
        min_length=min(lengths),
        max_length=max(lengths),
        histogram=tuple(histogram),
        notes=tuple(notes),
    )
    return FormReport(
        form,
        data.versions,
        analysis,
        None,
        None,
        None,
        len(sittings),
        None,
        adaptive=summary,
        expected_p=expected,
    )


def _adaptive_items(
    data: _Data, theta: FloatArray, params: irt.ItemParameters
) -> tuple[ctt.ItemAnalysis, list[float]]:
    """Per item, over the sittings that saw it: n, p, the correlation of the item score with
    theta, upper/lower groups by theta, distractors, time, and the model-expected p."""
    labels, key, options = _option_inputs(data)
    scored, times = data.scored, data.times
    upper, lower = extreme_groups(theta, GROUP_FRACTION)
    probability = params.probability(theta)
    items: list[ctt.ItemStatistics] = []
    expected: list[float] = []
    for j, version in enumerate(data.versions):
        rows = ~np.isnan(scored[:, j])
        score, ability = scored[rows, j], theta[rows]
        p = float(score.mean())
        outcome = "correctly" if p == 1.0 else "incorrectly"
        r, note = correlation_or_reason(
            score,
            ability,
            x_constant=f"every candidate who saw the item answered it {outcome}",
            y_constant="every candidate who saw the item has the same theta",
        )
        model_p = probability[rows, j]
        expected.append(float(model_p.mean()))
        up, low = upper[rows], lower[rows]
        upper_p, lower_p = group_mean(score, up), group_mean(score, low)
        chosen = labels[rows, j]
        option_stats = tuple(
            option_statistics(option, option == key[j], chosen, ability, up, low)
            for option in options[j]
        )
        spent = times[rows, j]
        spent = spent[~np.isnan(spent)]
        flags = _adaptive_flags(score, model_p, r, note) + tuple(
            f for o in option_stats for f in o.flags
        )
        items.append(
            ctt.ItemStatistics(
                index=j,
                item_id=version.item_id,
                n_presented=int(rows.sum()),
                p_value=p,
                point_biserial=r,
                point_biserial_note=note,
                upper_p=upper_p,
                lower_p=lower_p,
                discrimination_index=None
                if upper_p is None or lower_p is None
                else upper_p - lower_p,
                omit_rate=float(np.mean(chosen == "")),
                mean_time=float(spent.mean()) if spent.size else None,
                median_time=float(np.median(spent)) if spent.size else None,
                options=option_stats,
                flags=flags,
            )
        )
    return ctt.ItemAnalysis(tuple(items), int(upper.sum()), 0.0, 1.0, 0.0), expected


def _adaptive_flags(
    score: FloatArray, model_p: FloatArray, r: float | None, note: str | None
) -> tuple[Flag, ...]:
    flags: list[Flag] = []
    if r is None:
        flags.append(Flag("discrimination_undefined", f"no correlation with theta: {note}"))
    elif r <= 0:
        flags.append(
            Flag(
                "negative_discrimination",
                f"correlation with theta {r:+.2f}: abler candidates did no better on it; "
                "check the key",
            )
        )
    variance = float(np.sum(model_p * (1 - model_p)))
    if variance > 0:
        z = (float(score.sum()) - float(model_p.sum())) / math.sqrt(variance)
        if abs(z) > MISFIT_Z:
            flags.append(
                Flag(
                    "model_misfit",
                    f"observed p {score.mean():.2f} against {model_p.mean():.2f} expected from "
                    f"its parameters (z = {z:+.1f}): the calibration no longer describes it",
                )
            )
    return tuple(flags)


def store_statistics(session: Session, actor: Actor, report: FormReport) -> int:
    """Write a fixed form's p-values and point-biserials to the bank (form assembly matches
    difficulty with them); audited. Returns how many items were updated."""
    if report.is_adaptive:
        raise Conflict(
            "an adaptive form's p-values depend on who was routed to each item, so they are "
            "not written to the bank; update statistics from a fixed form's report"
        )
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for version, stats in zip(report.versions, report.items.items, strict=True):
        item = session.get(Item, version.item_id)
        if item is None:
            continue
        before[item.id] = {"p": item.p_value, "r_pb": item.point_biserial}
        item.p_value, item.point_biserial = stats.p_value, stats.point_biserial
        after[item.id] = {"p": round(stats.p_value, 4), "r_pb": _rounded(stats.point_biserial)}
    audit.record(
        session,
        actor,
        "exam_form.store_statistics",
        "exam_form",
        report.form.id,
        before={"items": before},
        after={"items": after, "sittings": report.sittings},
    )
    return len(after)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def report_csv(report: FormReport) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    adaptive = report.adaptive
    w.writerow(
        [
            "item",
            "version",
            "type",
            "n",
            "p_value",
            "r_with_theta" if adaptive else "corrected_point_biserial",
            "discrimination_index",
            "mean_time_s",
            "flags",
            *(["expected_p"] if adaptive else ["dif_delta", "dif_category"]),
        ]
    )
    for k, (version, stats) in enumerate(zip(report.versions, report.items.items, strict=True)):
        dif = report.dif[k] if report.dif else None
        tail = (
            [f"{report.expected_p[k]:.3f}" if report.expected_p else ""]
            if adaptive
            else [
                "" if dif is None or dif.delta is None else f"{dif.delta:.2f}",
                "" if dif is None else (dif.ets_category or ""),
            ]
        )
        w.writerow(
            [
                version.item_id,
                version.version,
                version.type,
                stats.n_presented,
                f"{stats.p_value:.3f}",
                "" if stats.point_biserial is None else f"{stats.point_biserial:.3f}",
                "" if stats.discrimination_index is None else f"{stats.discrimination_index:.3f}",
                "" if stats.mean_time is None else f"{stats.mean_time:.1f}",
                "; ".join(f.reason for f in stats.flags),
                *tail,
            ]
        )
    w.writerow([])
    w.writerow(["sittings", report.sittings])
    if adaptive is not None:
        w.writerow(["pool_items", adaptive.pool_size])
        w.writerow(["items_seen", adaptive.items_seen])
        w.writerow(["mean_theta", f"{adaptive.mean_theta:.3f}"])
        w.writerow(["sd_theta", f"{adaptive.sd_theta:.3f}"])
        w.writerow(["mean_theta_se", _fmt(adaptive.mean_se, ".3f")])
        w.writerow(["mean_scaled", _fmt(adaptive.mean_scaled, ".1f")])
        w.writerow(["sd_scaled", _fmt(adaptive.sd_scaled, ".1f")])
        w.writerow(["cut_theta", f"{adaptive.cut_theta:.3f}"])
        w.writerow(["mean_length", f"{adaptive.mean_length:.1f}"])
        w.writerow(["pass_rate", f"{adaptive.pass_rate:.3f}"])
        return out.getvalue()
    s = report.summary
    assert s is not None
    w.writerow(["mean", f"{s.mean:.2f}"])
    w.writerow(["sd", f"{s.sd:.2f}"])
    w.writerow(
        [
            "reliability",
            "" if s.reliability is None else f"{s.reliability:.3f}",
            s.reliability_method,
        ]
    )
    w.writerow(["sem", "" if s.sem is None else f"{s.sem:.2f}"])
    w.writerow(["cut_raw", report.cut_raw])
    w.writerow(["pass_rate", "" if s.pass_rate is None else f"{s.pass_rate:.3f}"])
    return out.getvalue()


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)
