"""The exam report for a form: classical item and test statistics computed from the stored
responses (via the pure psychometrics module), with the flags a psychometrician acts on.
It also writes the items' p-values and point-biserials back to the bank, so form assembly
can match difficulty."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.assessment import psychometrics as ctt
from extender.assessment.models import ExamForm, ExamSession, Item, ItemVersion, Response
from extender.errors import Conflict


@dataclass
class FormReport:
    form: ExamForm
    versions: list[ItemVersion]
    items: ctt.ItemAnalysis
    summary: ctt.TestSummary
    dif: list[ctt.MantelHaenszelDif] | None
    groups: tuple[str, str] | None
    sittings: int
    cut_raw: int


def _matrices(
    session: Session, form: ExamForm
) -> tuple[list[ItemVersion], list[ExamSession], Any, Any, Any]:
    pks: list[int] = list(form.items["items"])
    versions = {
        v.pk: v for v in session.scalars(select(ItemVersion).where(ItemVersion.pk.in_(pks)))
    }
    sittings = list(
        session.scalars(
            select(ExamSession)
            .where(ExamSession.form_id == form.id, ExamSession.status == "submitted")
            .order_by(ExamSession.submitted_at)
        )
    )
    index = {pk: j for j, pk in enumerate(pks)}
    scored = np.zeros((len(sittings), len(pks)))
    choices = np.full((len(sittings), len(pks)), "", dtype=object)
    times = np.full((len(sittings), len(pks)), np.nan)
    row_of = {s.id: i for i, s in enumerate(sittings)}
    if sittings:
        for r in session.scalars(select(Response).where(Response.session_id.in_(list(row_of)))):
            i, j = row_of[r.session_id], index[r.item_version_pk]
            scored[i, j] = 1.0 if r.correct else 0.0
            answer = r.answer["answer"]
            choices[i, j] = answer[0] if len(answer) == 1 else ("+".join(answer) or "")
            times[i, j] = r.seconds_spent if r.seconds_spent else np.nan
    return [versions[pk] for pk in pks], sittings, scored, choices, times


def build_report(session: Session, form: ExamForm) -> FormReport:
    versions, sittings, scored, choices, times = _matrices(session, form)
    if len(sittings) < 2:
        raise Conflict("the report needs at least two submitted sittings of this form")
    # Distractor analysis needs one chosen option per cell. Single-answer items use the
    # option chosen; multiple-response and ordering items are read as right/wrong, since
    # their "distractor" is a pattern, not one option.
    single = np.array([v.type in ("single_choice", "scenario") for v in versions])
    whole = np.where(scored[:, ~single] == 1, "right", "wrong")
    labels = choices.astype("<U64")
    labels[:, ~single] = whole
    analysis = ctt.analyze_items(
        scored,
        choices=labels,
        key=[v.key_list[0] if s else "right" for v, s in zip(versions, single, strict=True)],
        options=[
            [o["id"] for o in v.option_list] if s else ["right", "wrong"]
            for v, s in zip(versions, single, strict=True)
        ],
        times=times if np.isfinite(times).any() else None,
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


def store_statistics(session: Session, report: FormReport) -> None:
    for version, stats in zip(report.versions, report.items.items, strict=True):
        item = session.get(Item, version.item_id)
        if item is not None:
            item.p_value, item.point_biserial = stats.p_value, stats.point_biserial


def report_csv(report: FormReport) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(
        [
            "item",
            "version",
            "type",
            "n",
            "p_value",
            "corrected_point_biserial",
            "discrimination_index",
            "mean_time_s",
            "flags",
            "dif_delta",
            "dif_category",
        ]
    )
    for k, (version, stats) in enumerate(zip(report.versions, report.items.items, strict=True)):
        dif = report.dif[k] if report.dif else None
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
                "" if dif is None or dif.delta is None else f"{dif.delta:.2f}",
                "" if dif is None else (dif.ets_category or ""),
            ]
        )
    s = report.summary
    w.writerow([])
    w.writerow(["sittings", report.sittings])
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
