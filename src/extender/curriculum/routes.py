"""Public catalog pages and API, and the cohort page for program staff."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from datetime import date
from pathlib import PurePosixPath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from extender.accounts import service as accounts
from extender.accounts.models import Role
from extender.curriculum import learning
from extender.curriculum import service as curriculum
from extender.curriculum.enrollment_csv import enroll_from_csv
from extender.curriculum.models import Lesson, Track
from extender.curriculum.schemas import DomainOut, ObjectiveOut, TrackOut, TrackSummaryOut
from extender.errors import Forbidden, InvalidInput, NotFound
from extender.web.deps import DB, AppSettings, MaybePrincipal, Principal, require
from extender.web.markdown import render_markdown
from extender.web.templating import flash, render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["catalog"])

ProgramStaff = Annotated[
    Principal, Depends(require(Role.INSTRUCTOR, Role.PROGRAM_ADMIN, org_param="org"))
]
ProgramAdmin = Annotated[Principal, Depends(require(Role.PROGRAM_ADMIN, org_param="org"))]


def _objective_count(track: Track) -> int:
    return sum(len(d.objectives) for d in track.domains)


@pages.get("/tracks", response_class=HTMLResponse)
def tracks_page(request: Request, db: DB, principal: MaybePrincipal) -> Response:
    tracks = curriculum.list_tracks(db)
    return render(
        request,
        "curriculum/tracks.html",
        principal,
        {"tracks": tracks, "objective_count": _objective_count},
    )


@pages.get("/tracks/{code}", response_class=HTMLResponse)
def track_page(request: Request, db: DB, principal: MaybePrincipal, code: str) -> Response:
    track = curriculum.get_track(db, code)
    return render(
        request,
        "curriculum/track.html",
        principal,
        {"track": track, "objective_count": _objective_count(track)},
    )


@api.get("/tracks", response_model=list[TrackSummaryOut], summary="The certification tracks")
def tracks_api(db: DB) -> list[TrackSummaryOut]:
    return [
        TrackSummaryOut(
            code=t.code,
            name=t.name,
            summary=t.summary,
            domain_count=len(t.domains),
            objective_count=_objective_count(t),
        )
        for t in curriculum.list_tracks(db)
    ]


@api.get(
    "/tracks/{code}",
    response_model=TrackOut,
    summary="A track's competency framework: domains, weights and objectives",
)
def track_api(db: DB, code: str) -> TrackOut:
    t = curriculum.get_track(db, code)
    return TrackOut(
        code=t.code,
        name=t.name,
        summary=t.summary,
        description=t.description,
        eligibility=t.eligibility,
        domains=[
            DomainOut(
                code=d.code,
                name=d.name,
                weight=d.weight,
                description=d.description,
                objectives=[
                    ObjectiveOut(
                        code=o.code,
                        statement=o.statement,
                        level=o.level,
                        tags=[x for x in o.tags.split(",") if x],
                    )
                    for o in d.objectives
                ],
            )
            for d in t.domains
        ],
    )


@pages.get("/programs/{org}/cohorts/{slug}", response_class=HTMLResponse)
def cohort_page(request: Request, db: DB, principal: ProgramStaff, org: str, slug: str) -> Response:
    cohort = curriculum.cohort_in_program(db, principal.org, slug)
    return render(
        request,
        "curriculum/cohort.html",
        principal,
        {
            "cohort": cohort,
            "org": principal.org,
            "roster": curriculum.roster(db, cohort),
            "can_enroll": True,  # instructors and program admins of this program enroll
            "can_schedule": principal.has_role(Role.PROGRAM_ADMIN, cohort.organization_id),
            "modules": learning.modules_of(db, cohort.track),
            "module_due": curriculum.module_due_dates(db, cohort),
            "scenario_due": curriculum.scenario_due_dates(db, cohort),
            "scenarios": request.app.state.scenarios,
        },
    )


@pages.post("/programs/{org}/cohorts/{slug}/enrollments")
def enroll_form(
    request: Request,
    db: DB,
    principal: ProgramStaff,
    org: str,
    slug: str,
    email: Annotated[str, Form()],
) -> Response:
    cohort = curriculum.cohort_in_program(db, principal.org, slug)
    user = accounts.find_user_by_email(db, email)
    if user is None:
        raise NotFound(f"no account with email {email.strip()}", field="email")
    curriculum.enroll(db, principal.actor, cohort, user)
    db.commit()
    flash(request, f"{user.display_name} is enrolled in {cohort.name}.")
    return RedirectResponse(f"/programs/{org}/cohorts/{slug}", status_code=303)


# --- lessons, knowledge checks, self-enrollment, CSV enrollment ----------------------------

Learner = Annotated[Principal, Depends(require(Role.LEARNER))]
ASSET_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


def _lesson_links(lesson: Lesson) -> Callable[[str], str]:
    """Relative links in lesson Markdown -> lesson pages or shipped assets."""
    folder = PurePosixPath(lesson.source_file).parent

    def rewrite(target: str) -> str:
        if target.startswith(("/", "http://", "https://", "mailto:", "#")):
            return target
        path, _, anchor = target.partition("#")
        resolved = PurePosixPath(posixpath.normpath(str(folder / path)))
        parts = resolved.parts  # content/lessons/<track>/<module-folder>/<file>
        if resolved.suffix == ".md" and len(parts) == 5:
            return f"/learn/asset-link/{'/'.join(parts[2:])}" + (f"#{anchor}" if anchor else "")
        return f"/learn/assets/{'/'.join(parts[2:])}"

    return rewrite


@pages.get("/learn/{track}/{module}/{lesson}", response_class=HTMLResponse)
def lesson_page(
    request: Request, db: DB, principal: Learner, track: str, module: str, lesson: str
) -> Response:
    item = learning.get_lesson(db, curriculum.get_track(db, track), module, lesson)
    return render(
        request,
        "curriculum/lesson.html",
        principal,
        {
            "lesson": item,
            "body": render_markdown(item.body, _lesson_links(item)),
            "read": learning.has_read(db, principal.user, item),
            "siblings": item.module.lessons,
        },
    )


@pages.post("/learn/{track}/{module}/{lesson}/read")
def mark_read(
    request: Request, db: DB, principal: Learner, track: str, module: str, lesson: str
) -> Response:
    item = learning.get_lesson(db, curriculum.get_track(db, track), module, lesson)
    learning.mark_read(db, principal.user, item)
    db.commit()
    flash(request, "Marked as read. Now try the knowledge check.")
    return RedirectResponse(f"{learning.lesson_url(item)}#check", status_code=303)


@pages.post("/learn/{track}/{module}/{lesson}/check", response_class=HTMLResponse)
async def check(
    request: Request, db: DB, principal: Learner, track: str, module: str, lesson: str
) -> Response:
    item = learning.get_lesson(db, curriculum.get_track(db, track), module, lesson)
    form = await request.form()
    attempt, feedback = learning.grade_check(
        db, principal.user, item, {k: str(v) for k, v in form.items()}
    )
    db.commit()
    return render(
        request,
        "curriculum/check_result.html",
        principal,
        {
            "lesson": item,
            "attempt": attempt,
            "feedback": feedback,
            "next": learning.next_lesson(db, item),
        },
    )


@pages.get("/learn/asset-link/{track_dir}/{module_dir}/{file}")
def lesson_link(db: DB, principal: Learner, track_dir: str, module_dir: str, file: str) -> Response:
    source = f"content/lessons/{track_dir}/{module_dir}/{file}"
    item = learning.lesson_by_source(db, source)
    return RedirectResponse(learning.lesson_url(item), status_code=303)


@pages.get("/learn/assets/{track_dir}/{module_dir}/{file}")
def lesson_asset(request: Request, track_dir: str, module_dir: str, file: str) -> Response:
    root = (request.app.state.settings.content_dir / "lessons").resolve()
    path = (root / track_dir / module_dir / file).resolve()
    media = ASSET_TYPES.get(path.suffix.lower())
    if media is None or root not in path.parents or not path.is_file():
        raise NotFound("no such lesson asset")
    return FileResponse(path, media_type=media)


@pages.post("/cohorts/{slug}/join")
def self_enroll(request: Request, db: DB, principal: Learner, slug: str) -> Response:
    cohort = curriculum.get_cohort(db, slug)
    if not cohort.is_open:
        raise Forbidden(f"{cohort.name} is not open for self-enrollment; ask the program")
    curriculum.enroll(db, principal.actor, cohort, principal.user)
    db.commit()
    flash(request, f"You joined {cohort.name}.")
    return RedirectResponse("/learn", status_code=303)


@pages.post("/programs/{org}/cohorts/{slug}/enrollments/csv", response_class=HTMLResponse)
async def enroll_csv(
    request: Request, db: DB, principal: ProgramStaff, settings: AppSettings, org: str, slug: str
) -> Response:
    cohort = curriculum.cohort_in_program(db, principal.org, slug)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("choose a CSV file to upload", field="file")
    try:
        text = (await upload.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the file is not UTF-8 text (save it as CSV UTF-8)", field="file"
        ) from None
    mode: Literal["all", "valid"] = "valid" if form.get("mode") == "valid" else "all"
    program = accounts.get_organization_by_id(db, cohort.organization_id)
    result = enroll_from_csv(db, principal.actor, program, cohort, text, mode, settings.base_url)
    db.commit()
    return render(
        request,
        "curriculum/csv_result.html",
        principal,
        {"cohort": cohort, "org": principal.org, "result": result, "mode": mode},
        status_code=200 if result.imported else 422,
    )


def _date(value: object, field: str) -> date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{field}: '{text}' is not a date like 2026-12-01", field=field
        ) from None


@pages.post("/programs/{org}/cohorts")
async def create_cohort_form(
    request: Request, db: DB, principal: ProgramAdmin, org: str
) -> Response:
    form = await request.form()
    starts, ends = _date(form.get("starts_on"), "starts_on"), _date(form.get("ends_on"), "ends_on")
    if starts is None or ends is None:
        raise InvalidInput("give the start and end dates", field="starts_on")
    assert principal.org is not None
    cohort = curriculum.create_cohort(
        db,
        principal.actor,
        program=principal.org,
        track_code=str(form.get("track", "")),
        slug=str(form.get("slug", "")).strip(),
        name=str(form.get("name", "")).strip(),
        starts_on=starts,
        ends_on=ends,
        is_open=form.get("is_open") == "on",
    )
    db.commit()
    flash(request, f"{cohort.name} created. Set its schedule below.")
    return RedirectResponse(f"/programs/{org}/cohorts/{cohort.slug}#schedule", status_code=303)


@pages.post("/programs/{org}/cohorts/{slug}/schedule")
async def schedule_form(
    request: Request, db: DB, principal: ProgramAdmin, org: str, slug: str
) -> Response:
    cohort = curriculum.cohort_in_program(db, principal.org, slug)
    form = await request.form()
    modules: dict[int, date] = {}
    scenarios: dict[str, date] = {}
    for key, value in form.items():
        when = _date(value, key) if key.startswith(("module-", "scenario-")) else None
        if when is None:
            continue
        if key.startswith("module-"):
            modules[int(key.removeprefix("module-"))] = when
        elif form.get(f"require-{key.removeprefix('scenario-')}") == "on":
            scenarios[key.removeprefix("scenario-")] = when
    curriculum.set_schedule(
        db,
        principal.actor,
        cohort,
        module_due=modules,
        scenario_due=scenarios,
        exam_opens_on=_date(form.get("exam_opens_on"), "exam_opens_on"),
        exam_closes_on=_date(form.get("exam_closes_on"), "exam_closes_on"),
    )
    db.commit()
    flash(request, "Schedule saved.")
    return RedirectResponse(f"/programs/{org}/cohorts/{slug}#schedule", status_code=303)
