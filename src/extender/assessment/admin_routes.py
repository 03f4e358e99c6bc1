"""The exam committee's pages: blueprint, form assembly and publication, item status, and
the exam report with plots and a CSV export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from extender.accounts.models import Role
from extender.assessment import angoff, bank, calibration, forms, irt, irt_scoring, report
from extender.assessment.models import Item, ItemVersion
from extender.assessment.psychometrics import MantelHaenszelDif
from extender.curriculum import service as curriculum
from extender.errors import InvalidInput
from extender.web import charts
from extender.web.deps import DB, Principal, require
from extender.web.templating import flash, render

pages = APIRouter(include_in_schema=False)
Committee = Annotated[Principal, Depends(require(Role.PSYCHOMETRICIAN))]


@pages.get("/exams/admin/{track}", response_class=HTMLResponse)
def track_admin(request: Request, db: DB, principal: Committee, track: str) -> Response:
    t = curriculum.get_track(db, track)
    blueprint = forms.blueprint_for(db, t)
    forms.refresh_exposure(db, t)
    db.commit()
    items = list(db.scalars(select(Item).where(Item.track_id == t.id).order_by(Item.id)))
    return render(
        request,
        "assessment/admin.html",
        principal,
        {
            "track": t,
            "blueprint": blueprint,
            "forms": forms.forms_of(db, t),
            "items": items,
            "report": [r for r in bank.bank_report(db) if r[0] == t.code],
        },
    )


@pages.post("/exams/admin/{track}/blueprint")
def save_blueprint(
    request: Request,
    db: DB,
    principal: Committee,
    track: str,
    total_items: Annotated[int, Form()],
    time_limit_minutes: Annotated[int, Form()],
    cut_percent: Annotated[float, Form()],
) -> Response:
    forms.update_blueprint(
        db,
        principal.actor,
        curriculum.get_track(db, track),
        total_items=total_items,
        time_limit_minutes=time_limit_minutes,
        cut_percent=cut_percent,
    )
    db.commit()
    flash(request, "Blueprint saved. New forms follow it; published forms keep theirs.")
    return RedirectResponse(f"/exams/admin/{track}", status_code=303)


@pages.post("/exams/admin/{track}/forms")
def assemble(
    request: Request,
    db: DB,
    principal: Committee,
    track: str,
    name: Annotated[str, Form()],
    parallel: Annotated[int, Form()] = 1,
    seed: Annotated[int, Form()] = 1,
) -> Response:
    if not 1 <= parallel <= 4:
        parallel = 1
    made = forms.assemble(
        db,
        principal.actor,
        curriculum.get_track(db, track),
        name=name,
        seed=seed,
        parallel=parallel,
    )
    db.commit()
    flash(request, f"Assembled {', '.join(f.name for f in made)} (draft).")
    return RedirectResponse(f"/exams/admin/{track}", status_code=303)


@pages.post("/exams/admin/forms/{form_id}/publish")
def publish(request: Request, db: DB, principal: Committee, form_id: str) -> Response:
    form = forms.get_form(db, form_id)
    forms.publish(db, principal.actor, form)
    db.commit()
    track = curriculum.get_track_by_id(db, form.track_id)
    flash(request, f"{form.name} is published and frozen.")
    return RedirectResponse(f"/exams/admin/{track.code}", status_code=303)


@pages.post("/exams/admin/items/{item_id}/status")
def item_status(
    request: Request, db: DB, principal: Committee, item_id: str, status: Annotated[str, Form()]
) -> Response:
    item = bank.get_item(db, item_id)
    bank.set_status(db, principal.actor, item, status)
    db.commit()
    track = curriculum.get_track_by_id(db, item.track_id)
    flash(request, f"{item.id} is now {status}.")
    return RedirectResponse(f"/exams/admin/{track.code}#items", status_code=303)


@pages.get("/exams/admin/forms/{form_id}/report", response_class=HTMLResponse)
def form_report(request: Request, db: DB, principal: Committee, form_id: str) -> Response:
    """Reading the report writes nothing: the bank's statistics change only by the POST below."""
    form = forms.get_form(db, form_id)
    result = report.build_report(db, form)
    if result.adaptive is not None:
        a = result.adaptive
        plot = charts.histogram(
            list(a.histogram),
            [str(100 + report.SCALED_BIN * i) for i in range(len(a.histogram))],
            f"Scaled score distribution, {form.name}",
            f"Scaled scores of {result.sittings} adaptive sittings in bins of "
            f"{report.SCALED_BIN}; the dashed line is the cut at 300. The table gives the "
            "statistics.",
            marker=(300 - 100) // report.SCALED_BIN,
            marker_label="cut 300",
        )
    else:
        assert result.summary is not None and result.cut_raw is not None
        s = result.summary
        width = max(1, len(s.histogram))
        plot = charts.histogram(
            list(s.histogram),
            [str(i) for i in range(width)],
            f"Score distribution, {form.name}",
            f"Raw scores of {result.sittings} sittings; the dashed line is the cut at "
            f"{result.cut_raw}. The table gives the statistics.",
            marker=result.cut_raw,
            marker_label=f"cut {result.cut_raw}",
        )
    params = irt_scoring.report_parameters(db, form, result.versions) if result.versions else None
    irt_plots = None
    if params is not None:
        if form.kind == "adaptive" and form.adaptive is not None:
            information = irt.test_information_svg(
                irt_scoring.pool_parameters(form.adaptive["pool"]),
                title=f"Pool information, {form.name}",
            )
        else:
            information = irt.test_information_svg(params, title=f"Test information, {form.name}")
        irt_plots = {
            "tif": information,
            "icc": irt.icc_svg(
                params,
                list(range(min(6, len(result.versions)))),
                title="Item characteristic curves (first six items)",
            ),
        }
    dif: list[MantelHaenszelDif | None] = (
        list(result.dif) if result.dif else [None] * len(result.versions)
    )
    expected: list[float | None] = (
        list(result.expected_p) if result.expected_p else [None] * len(result.versions)
    )
    return render(
        request,
        "assessment/report.html",
        principal,
        {
            "r": result,
            "plot": plot,
            "irt_plots": irt_plots,
            "params": params,
            "track": curriculum.get_track_by_id(db, form.track_id),
            "rows": list(zip(result.versions, result.items.items, dif, expected, strict=True)),
        },
    )


@pages.post("/exams/admin/forms/{form_id}/report/statistics")
def store_report_statistics(
    request: Request, db: DB, principal: Committee, form_id: str
) -> Response:
    """Write a fixed form's p-values and point-biserials to the bank: explicit and audited."""
    form = forms.get_form(db, form_id)
    updated = report.store_statistics(db, principal.actor, report.build_report(db, form))
    db.commit()
    flash(
        request,
        f"Saved the p-values and point-biserials of {updated} items to the bank; form "
        "assembly uses them from now on.",
    )
    return RedirectResponse(f"/exams/admin/forms/{form_id}/report", status_code=303)


@pages.get("/exams/admin/forms/{form_id}/report.csv")
def form_report_csv(db: DB, principal: Committee, form_id: str) -> Response:
    form = forms.get_form(db, form_id)
    return Response(
        report.report_csv(report.build_report(db, form)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="form-{form.id}-report.csv"'},
    )


@pages.get("/exams/admin/forms/{form_id}/angoff", response_class=HTMLResponse)
def angoff_page(request: Request, db: DB, principal: Committee, form_id: str) -> Response:
    form = forms.get_form(db, form_id)
    versions = {
        v.pk: v
        for v in db.scalars(select(ItemVersion).where(ItemVersion.pk.in_(form.items["items"])))
    }
    return render(
        request,
        "assessment/angoff.html",
        principal,
        {
            "form": form,
            "track": curriculum.get_track_by_id(db, form.track_id),
            "versions": [versions[pk] for pk in form.items["items"]],
            "mine": angoff.my_ratings(db, form, principal.user),
            "study": angoff.study(db, form),
        },
    )


@pages.post("/exams/admin/forms/{form_id}/angoff")
async def angoff_rate(request: Request, db: DB, principal: Committee, form_id: str) -> Response:
    form = forms.get_form(db, form_id)
    data = await request.form()
    ratings: dict[int, float] = {}
    for key, value in data.items():
        if key.startswith("rating-") and str(value).strip():
            try:
                ratings[int(key.removeprefix("rating-"))] = float(str(value))
            except ValueError:
                raise InvalidInput(f"'{value}' is not a number from 0 to 1", field=key) from None
    angoff.save_ratings(db, form, principal.user, ratings)
    db.commit()
    flash(request, f"Saved {len(ratings)} ratings.")
    return RedirectResponse(f"/exams/admin/forms/{form_id}/angoff", status_code=303)


@pages.post("/exams/admin/forms/{form_id}/angoff/adopt")
def angoff_adopt(request: Request, db: DB, principal: Committee, form_id: str) -> Response:
    form = forms.get_form(db, form_id)
    track = curriculum.get_track_by_id(db, form.track_id)
    cut = angoff.adopt(db, principal.actor, form, track)
    db.commit()
    flash(
        request,
        f"Adopted a cut of {cut}% for {track.code}: the blueprint and draft forms "
        "use it from now on.",
    )
    return RedirectResponse(f"/exams/admin/{track.code}", status_code=303)


@pages.get("/exams/admin/items/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, db: DB, principal: Committee, item_id: str) -> Response:
    item = bank.get_item(db, item_id)
    versions = list(
        db.scalars(
            select(ItemVersion)
            .where(ItemVersion.item_id == item.id)
            .order_by(ItemVersion.version.desc())
        )
    )
    return render(
        request,
        "assessment/item_edit.html",
        principal,
        {
            "item": item,
            "current": versions[0],
            "versions": versions,
            "track": curriculum.get_track_by_id(db, item.track_id),
        },
    )


@pages.post("/exams/admin/items/{item_id}")
async def edit_item(request: Request, db: DB, principal: Committee, item_id: str) -> Response:
    """Editing makes a new version; past responses stay tied to the version they answered."""
    item = bank.get_item(db, item_id)
    current = bank.current_version(db, item)
    form = await request.form()
    record: dict[str, Any] = {
        "id": item.id,
        "objective": str(form.get("objective", item.objective_code)).strip(),
        "type": current.type,
        "stem": str(form.get("stem", "")),
        "options": [
            {"id": o["id"], "text": str(form.get(f"option-{o['id']}", "")).strip()}
            for o in current.option_list
        ],
        "key": [k.strip().upper() for k in str(form.get("key", "")).split(",") if k.strip()],
        "rationale": str(form.get("rationale", "")),
        "reference": str(form.get("reference", "")),
        "author": current.author,
        "enemies": list(current.enemies.get("ids", [])),
    }
    if current.exhibit:
        record["exhibit"] = dict(current.exhibit)
    try:
        changes = bank.ItemIn.model_validate(record)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "item"
        raise InvalidInput(
            f"{field}: {str(first['msg']).removeprefix('Value error, ')}", field=field
        ) from None
    version = bank.edit_item(db, principal.actor, item, changes)
    db.commit()
    flash(request, f"Saved {item.id} as version {version.version}.")
    return RedirectResponse(f"/exams/admin/items/{item.id}", status_code=303)


@pages.get("/exams/admin/{track}/calibrations", response_class=HTMLResponse)
def calibrations(request: Request, db: DB, principal: Committee, track: str) -> Response:
    t = curriculum.get_track(db, track)
    return render(
        request,
        "assessment/calibrations.html",
        principal,
        {"track": t, "runs": calibration.runs_of(db, t)},
    )


@pages.post("/exams/admin/{track}/calibrations")
def run_calibration(
    request: Request,
    db: DB,
    principal: Committee,
    track: str,
    model: Annotated[str, Form()] = "2pl",
    anchor: Annotated[str, Form()] = "",
) -> Response:
    run = calibration.run_calibration(
        db, principal.actor, curriculum.get_track(db, track), model, anchor=anchor == "on"
    )
    db.commit()
    flash(
        request,
        f"Calibration {'converged' if run.converged else 'did NOT converge'} "
        f"after {run.iterations} iterations; review it below.",
    )
    return RedirectResponse(f"/exams/admin/calibrations/{run.id}", status_code=303)


@pages.get("/exams/admin/calibrations/{run_id}", response_class=HTMLResponse)
def calibration_run(request: Request, db: DB, principal: Committee, run_id: str) -> Response:
    """One run's parameters, SEs, fit, flags and warnings, above the approve button."""
    run = calibration.get_run(db, run_id)
    return render(
        request,
        "assessment/calibration_run.html",
        principal,
        {
            "track": curriculum.get_track_by_id(db, run.track_id),
            "review": calibration.review(db, run),
        },
    )


@pages.post("/exams/admin/calibrations/{run_id}/approve")
def approve_calibration(request: Request, db: DB, principal: Committee, run_id: str) -> Response:
    run = calibration.get_run(db, run_id)
    losing = calibration.losing_parameters(db, run) if run.status == "pending" else []
    changed = calibration.approve(db, principal.actor, run)
    db.commit()
    track = curriculum.get_track_by_id(db, run.track_id)
    shown = ", ".join(losing[:10]) + (f" and {len(losing) - 10} more" if len(losing) > 10 else "")
    cleared = (
        f" {len(losing)} items the run does not cover lost their parameters: {shown}."
        if losing
        else ""
    )
    flash(request, f"Approved: {changed} items now carry these IRT parameters.{cleared}")
    return RedirectResponse(f"/exams/admin/{track.code}/calibrations", status_code=303)
