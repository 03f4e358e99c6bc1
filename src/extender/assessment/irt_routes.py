"""The committee's IRT controls: switch a form to IRT scoring, create an adaptive form, retire
a form (retiring the adaptive form switches a track back to fixed forms), and see how an
adaptive form has behaved in live sittings."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from extender.accounts.models import Role
from extender.assessment import adaptive, forms, irt_scoring
from extender.assessment.models import ExamSession
from extender.curriculum import service as curriculum
from extender.errors import Conflict, InvalidInput
from extender.web.deps import DB, Principal, require
from extender.web.templating import flash, render

pages = APIRouter(include_in_schema=False)
Committee = Annotated[Principal, Depends(require(Role.PSYCHOMETRICIAN))]


def _optional_float(value: str, field: str) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a number", field=field) from None


@pages.post("/exams/admin/forms/{form_id}/scoring")
def set_scoring(
    request: Request,
    db: DB,
    principal: Committee,
    form_id: str,
    scoring: Annotated[str, Form()],
    cut_theta: Annotated[str, Form()] = "",
) -> Response:
    form = forms.get_form(db, form_id)
    track = curriculum.get_track_by_id(db, form.track_id)
    if scoring == "irt":
        irt_scoring.use_irt_scoring(
            db, principal.actor, form, track, cut_theta=_optional_float(cut_theta, "cut_theta")
        )
        message = (
            f"{form.name} is now scored by IRT (cut at theta {form.cut_theta:+.2f}). "
            "Sittings already scored keep their scores."
        )
    elif scoring == "raw":
        irt_scoring.use_raw_scoring(db, principal.actor, form)
        message = f"{form.name} is now scored by number correct."
    else:
        raise InvalidInput("scoring must be raw or irt", field="scoring")
    db.commit()
    flash(request, message)
    return RedirectResponse(f"/exams/admin/{track.code}", status_code=303)


@pages.post("/exams/admin/{track}/adaptive-forms")
def create_adaptive(
    request: Request,
    db: DB,
    principal: Committee,
    track: str,
    name: Annotated[str, Form()],
    min_items: Annotated[int, Form()] = 10,
    max_items: Annotated[int, Form()] = 30,
    se_target: Annotated[str, Form()] = "0.30",
    sprt: Annotated[str, Form()] = "",
    randomesque: Annotated[int, Form()] = 3,
    r_max: Annotated[float, Form()] = 0.35,
    cut_theta: Annotated[str, Form()] = "",
) -> Response:
    t = curriculum.get_track(db, track)
    settings = adaptive.AdaptiveSettings(
        min_items=min_items,
        max_items=max_items,
        se_target=_optional_float(se_target, "se_target"),
        sprt=sprt == "on",
        randomesque=randomesque,
        r_max=r_max,
    )
    form = adaptive.create_adaptive_form(
        db,
        principal.actor,
        t,
        name=name,
        settings=settings,
        cut_theta=_optional_float(cut_theta, "cut_theta"),
    )
    db.commit()
    flash(
        request,
        f"Created adaptive form {form.name} (draft) from {len(form.items['items'])} calibrated "
        f"items. Publishing it switches {t.code} to adaptive delivery.",
    )
    return RedirectResponse(f"/exams/admin/{t.code}", status_code=303)


@pages.post("/exams/admin/forms/{form_id}/retire")
def retire(request: Request, db: DB, principal: Committee, form_id: str) -> Response:
    form = forms.get_form(db, form_id)
    forms.retire(db, principal.actor, form)
    db.commit()
    track = curriculum.get_track_by_id(db, form.track_id)
    flash(request, f"{form.name} is retired: new sittings no longer use it.")
    return RedirectResponse(f"/exams/admin/{track.code}", status_code=303)


@pages.get("/exams/admin/forms/{form_id}/adaptive", response_class=HTMLResponse)
def adaptive_summary(request: Request, db: DB, principal: Committee, form_id: str) -> Response:
    form = forms.get_form(db, form_id)
    if form.kind != "adaptive" or form.adaptive is None:
        raise Conflict(f"{form.name} is a fixed form; its exam report has the item statistics")
    track = curriculum.get_track_by_id(db, form.track_id)
    sittings = list(
        db.scalars(
            select(ExamSession).where(
                ExamSession.form_id == form.id, ExamSession.status == "submitted"
            )
        )
    )
    lengths = [len(s.layout["items"]) for s in sittings]
    seen: Counter[int] = Counter(pk for s in sittings for pk in s.layout["items"])
    pool = form.adaptive["pool"]
    exposure = sorted(
        (
            (p["item"], p["domain"], seen[p["pk"]] / len(sittings) if sittings else 0.0, k)
            for p, k in zip(pool, form.adaptive.get("exposure") or [1.0] * len(pool), strict=True)
        ),
        key=lambda row: -row[2],
    )
    reasons = Counter((s.submit_reason or "").removeprefix("adaptive: ") for s in sittings)
    se_values = [s.theta_se for s in sittings if s.theta_se is not None]
    return render(
        request,
        "assessment/adaptive.html",
        principal,
        {
            "form": form,
            "track": track,
            "config": form.adaptive,
            "n": len(sittings),
            "lengths": lengths,
            "mean_length": sum(lengths) / len(lengths) if lengths else None,
            "pass_rate": (sum(bool(s.passed) for s in sittings) / len(sittings))
            if sittings
            else None,
            "mean_se": sum(se_values) / len(se_values) if se_values else None,
            "reasons": sorted(reasons.items(), key=lambda kv: -kv[1]),
            "labels": adaptive.STOP_LABELS,
            "exposure": exposure,
        },
    )
