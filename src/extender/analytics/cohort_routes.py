"""The learner's learning path (/learn) and the program's cohort dashboard, with CSV and
xAPI exports."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from extender.accounts.models import Role
from extender.analytics.progress import LearnerProgress, cohort_progress, summarize
from extender.curriculum import learning
from extender.curriculum import service as curriculum
from extender.curriculum.models import Cohort
from extender.db import utcnow
from extender.practicum.scenarios import ScenarioSpec
from extender.web import charts
from extender.web.deps import DB, Principal, require
from extender.web.templating import render

pages = APIRouter(include_in_schema=False)
Learner = Annotated[Principal, Depends(require(Role.LEARNER))]
ProgramStaff = Annotated[
    Principal, Depends(require(Role.INSTRUCTOR, Role.PROGRAM_ADMIN, org_param="org"))
]


def _specs(request: Request) -> dict[str, ScenarioSpec]:
    specs: dict[str, ScenarioSpec] = request.app.state.scenarios
    return specs


@pages.get("/learn", response_class=HTMLResponse)
def learn(request: Request, db: DB, principal: Learner) -> Response:
    rows = []
    for enrollment in curriculum.enrollments_of(db, principal.user):
        [progress] = cohort_progress(
            db, enrollment.cohort, _specs(request), [(principal.user, enrollment)]
        )
        rows.append(progress)
    return render(
        request,
        "analytics/learn.html",
        principal,
        {
            "rows": rows,
            "today": utcnow().date(),
            "lesson_url": learning.lesson_url,
            "open": [
                c
                for c in curriculum.open_cohorts(db)
                if c.id not in {p.enrollment.cohort_id for p in rows}
            ],
        },
    )


def _cohort(db: DB, principal: Principal, slug: str) -> Cohort:
    return curriculum.cohort_in_program(db, principal.org, slug)


def _dashboard(
    request: Request, db: DB, principal: Principal, slug: str
) -> tuple[Cohort, list[LearnerProgress]]:
    cohort = _cohort(db, principal, slug)
    roster = [(u, e) for u, e in curriculum.roster(db, cohort) if e.status != "withdrawn"]
    return cohort, cohort_progress(db, cohort, _specs(request), roster)


def _objective_rows(cohort: Cohort, progress: list[LearnerProgress]) -> list[dict[str, object]]:
    rows = []
    for domain in cohort.track.domains:
        for objective in domain.objectives:
            mastered = sum(objective.code in p.mastered for p in progress)
            attempted = sum(objective.code in p.attempted for p in progress)
            rows.append(
                {
                    "domain": domain.code,
                    "code": objective.code,
                    "statement": objective.statement,
                    "mastered": mastered,
                    "attempted": attempted,
                    "percent": round(100 * mastered / len(progress)) if progress else 0,
                }
            )
    return rows


@pages.get("/programs/{org}/cohorts/{slug}/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, db: DB, principal: ProgramStaff, org: str, slug: str) -> Response:
    cohort, progress = _dashboard(request, db, principal, slug)
    today = utcnow().date()
    chart = charts.progress_bars(
        [(p.user.display_name, p.percent) for p in progress],
        f"Progress in {cohort.name}",
        "Share of lessons read, knowledge checks passed and required scenarios passed, per "
        "learner. The table below gives the same numbers.",
    )
    return render(
        request,
        "analytics/cohort_dashboard.html",
        principal,
        {
            "cohort": cohort,
            "org": principal.org,
            "progress": progress,
            "today": today,
            "summary": summarize(db, progress, today),
            "chart": chart,
            "objectives": _objective_rows(cohort, progress),
        },
    )


@pages.get("/programs/{org}/cohorts/{slug}/dashboard.csv")
def dashboard_csv(
    request: Request, db: DB, principal: ProgramStaff, org: str, slug: str
) -> Response:
    cohort, progress = _dashboard(request, db, principal, slug)
    today = utcnow().date()
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "learner", "email", "item", "value"])
    s = summarize(db, progress, today)
    for key, value in vars(s).items():
        w.writerow(["summary", "", "", key, "" if value is None else value])
    for p in progress:
        w.writerow(["learner", p.user.display_name, p.user.email, "percent", p.percent])
        w.writerow(
            ["learner", p.user.display_name, p.user.email, "practicum_hours", p.practicum_hours]
        )
        w.writerow(["learner", p.user.display_name, p.user.email, "exam_eligible", p.exam_eligible])
        w.writerow(
            ["learner", p.user.display_name, p.user.email, "exam_result", p.exam_result or ""]
        )
        for m in p.modules:
            w.writerow(["module", p.user.display_name, p.user.email, m.module.title, m.percent])
        for sc in p.scenarios:
            w.writerow(
                [
                    "scenario",
                    p.user.display_name,
                    p.user.email,
                    sc.title,
                    "passed" if sc.passed else f"{sc.attempts} attempts",
                ]
            )
        for reason in p.behind(today) + p.struggling():
            w.writerow(["at_risk", p.user.display_name, p.user.email, "reason", reason])
    for row in _objective_rows(cohort, progress):
        w.writerow(["mastery", "", "", row["code"], row["percent"]])
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{cohort.slug}-dashboard.csv"'},
    )


@pages.get("/programs/{org}/cohorts/{slug}/xapi.json")
def xapi_export(request: Request, db: DB, principal: ProgramStaff, org: str, slug: str) -> Response:
    cohort = _cohort(db, principal, slug)
    ids = {u.id for u, _ in curriculum.roster(db, cohort)}
    body = json.dumps(learning.statements(db, ids), indent=1)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{cohort.slug}-xapi.json"'},
    )
