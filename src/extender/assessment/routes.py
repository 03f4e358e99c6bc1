"""Exam pages: the learner's exams, one item at a time with navigation, flags, a review
screen and autosave; submission and the score report; proctor controls."""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from extender.accounts import service as accounts
from extender.accounts.models import Role
from extender.assessment import adaptive, adaptive_delivery, delivery, proctoring
from extender.assessment.models import ExamForm, ExamSession, ProctorEvent
from extender.assessment.schemas import AnswerAck, AnswerIn
from extender.config import Settings
from extender.credentials.hooks import issue_after
from extender.curriculum import service as curriculum
from extender.curriculum.models import Enrollment
from extender.errors import Conflict, InvalidInput, NotFound
from extender.web.deps import DB, AppSettings, CurrentPrincipal, Principal, require
from extender.web.templating import flash, render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["exams"])
Learner = Annotated[Principal, Depends(require(Role.LEARNER))]
Proctor = Annotated[Principal, Depends(require(Role.PROCTOR, Role.PROGRAM_ADMIN))]
Staff = Annotated[Principal, Depends(require(Role.PROGRAM_ADMIN, Role.INSTRUCTOR))]


@pages.get("/exams", response_class=HTMLResponse)
def exams_home(request: Request, db: DB, principal: Learner) -> Response:
    rows = []
    for track in curriculum.list_tracks(db):
        rights = delivery.eligibility(db, principal.user, track)
        live = delivery.live_session(db, principal.user, track)
        if rights or live:
            rows.append((track, rights, live, bool(delivery.published_forms(db, track))))
    return render(
        request,
        "assessment/home.html",
        principal,
        {
            "rows": rows,
            "past": [
                s for s in delivery.sessions_of(db, principal.user) if s.status not in delivery.LIVE
            ],
        },
    )


@pages.post("/exams/{track}/start")
def start_exam(db: DB, principal: Learner, track: str) -> Response:
    exam = delivery.start(db, principal.user, curriculum.get_track(db, track))
    db.commit()
    return RedirectResponse(f"/exams/sessions/{exam.id}", status_code=303)


def _open(db: DB, principal: Principal, exam_id: str, settings: Settings) -> ExamSession:
    """The candidate's own session, submitted first if its time ran out (then credentials
    the sitting earns are issued, as after any submission)."""
    exam = delivery.owned(db, principal.user, exam_id)
    if delivery.expire_if_due(db, exam):
        db.commit()
        issue_after(db, exam.user_id, settings, "exam-submit")
    return exam


@pages.get("/exams/sessions/{exam_id}", response_class=HTMLResponse)
def resume(db: DB, principal: CurrentPrincipal, settings: AppSettings, exam_id: str) -> Response:
    exam = _open(db, principal, exam_id, settings)
    if exam.status in ("submitted", "terminated"):
        return RedirectResponse(f"/exams/sessions/{exam.id}/result", status_code=303)
    return RedirectResponse(
        f"/exams/sessions/{exam.id}/items/{exam.current_index + 1}", status_code=303
    )


@pages.get("/exams/sessions/{exam_id}/items/{number}", response_class=HTMLResponse)
def item_page(
    request: Request, db: DB, principal: CurrentPrincipal, exam_id: str, number: int
) -> Response:
    exam = _open(db, principal, exam_id, request.app.state.settings)
    if exam.status in ("waiting", "paused"):
        return render(request, "assessment/paused.html", principal, {"exam": exam}, status_code=409)
    if exam.status != "in_progress":
        return RedirectResponse(f"/exams/sessions/{exam.id}", status_code=303)
    adaptive = _adaptive_limits(db, exam)
    if adaptive and number != len(exam.layout["items"]):
        # Earlier adaptive questions are final and later ones are not chosen yet.
        return RedirectResponse(
            f"/exams/sessions/{exam.id}/items/{len(exam.layout['items'])}", status_code=303
        )
    view = delivery.item_view(db, exam, number - 1)
    exam.current_index = number - 1
    db.commit()
    return render(
        request,
        "assessment/item.html",
        principal,
        {
            "exam": exam,
            "item": view,
            "number": number,
            "count": len(exam.layout["items"]),
            "remaining": int(delivery.remaining_seconds(exam)),
            "save_key": uuid.uuid4().hex,
            "now_ms": int(time.time() * 1000),
            "adaptive": adaptive,
        },
    )


def _adaptive_limits(db: DB, exam: ExamSession) -> dict[str, int] | None:
    """For an adaptive session, the shortest and longest the exam can be; None otherwise."""
    if not delivery.is_adaptive(exam):
        return None
    form = db.get(ExamForm, exam.form_id)
    assert form is not None and form.adaptive is not None
    return {"min": int(form.adaptive["min_items"]), "max": int(form.adaptive["max_items"])}


@pages.post("/exams/sessions/{exam_id}/items/{number}")
async def item_form(
    request: Request, db: DB, principal: CurrentPrincipal, exam_id: str, number: int
) -> Response:
    """The no-JavaScript path: the form posts the answer, then moves on."""
    exam = _open(db, principal, exam_id, request.app.state.settings)
    form = await request.form()
    try:
        seq = int(str(form.get("seq") or 0))
    except ValueError:
        raise InvalidInput("the save sequence number must be a whole number", field="seq") from None
    if exam.status != "in_progress":
        # Time ran out, the proctor paused or ended the session, or a doubled "continue" on the
        # last adaptive question already finished it: show where the session now stands.
        if not delivery.save_acknowledged(db, exam, str(form.get("save_key", ""))):
            flash(request, f"This exam session is {exam.status.replace('_', ' ')}; "
                  "that answer was not saved.")  # fmt: skip
        return RedirectResponse(f"/exams/sessions/{exam.id}", status_code=303)
    view = delivery.item_view(db, exam, number - 1)
    if view.type == "ordering":
        ranked = sorted((str(form.get(f"rank-{o['id']}") or ""), o["id"]) for o in view.options)
        answer = [oid for rank, oid in ranked if rank.strip()]
        if answer and len(answer) != len(view.options):
            answer = []
    else:
        answer = [str(v) for v in form.getlist("answer")]
    adaptive = delivery.is_adaptive(exam)
    if adaptive and number < len(exam.layout["items"]):
        # Already confirmed (a doubled or replayed post): go on to the current question.
        return RedirectResponse(
            f"/exams/sessions/{exam.id}/items/{len(exam.layout['items'])}", status_code=303
        )
    if not (adaptive and not answer):  # an adaptive no-answer falls through to the refusal
        delivery.save_answer(
            db,
            exam,
            item_version_pk=view.pk,
            answer=answer,
            flagged=form.get("flagged") == "on",
            idempotency_key=str(form.get("save_key", "")),
            seq=seq,
        )
    db.commit()
    if adaptive:
        try:
            step = adaptive_delivery.confirm_adaptive(db, exam, number)
        except InvalidInput as exc:
            flash(request, exc.message)
            return RedirectResponse(f"/exams/sessions/{exam.id}/items/{number}", status_code=303)
        except Conflict:  # a concurrent "continue" finished the exam first
            db.rollback()
            return RedirectResponse(f"/exams/sessions/{exam.id}", status_code=303)
        db.commit()
        if step.next_number is None:
            issue_after(db, exam.user_id, request.app.state.settings, "exam-submit")
            return RedirectResponse(f"/exams/sessions/{exam.id}/result", status_code=303)
        return RedirectResponse(
            f"/exams/sessions/{exam.id}/items/{step.next_number}", status_code=303
        )
    go = str(form.get("go", "next"))
    target = {"prev": number - 1, "next": number + 1}.get(go)
    if go == "review" or target is None or not 1 <= target <= len(exam.layout["items"]):
        return RedirectResponse(f"/exams/sessions/{exam.id}/review", status_code=303)
    return RedirectResponse(f"/exams/sessions/{exam.id}/items/{target}", status_code=303)


@api.post(
    "/exams/sessions/{exam_id}/answers",
    response_model=AnswerAck,
    summary="Save an answer (idempotent by key; ordered by seq)",
)
def save(db: DB, principal: CurrentPrincipal, exam_id: str, body: AnswerIn) -> AnswerAck:
    exam = delivery.owned(db, principal.user, exam_id)
    try:
        ack = delivery.save_answer(
            db,
            exam,
            item_version_pk=body.item,
            answer=body.answer,
            flagged=body.flagged,
            idempotency_key=body.idempotency_key,
            seq=body.seq,
            seconds_spent=body.seconds_spent,
        )
    finally:
        db.commit()  # an expiry submitted by the save must persist even though it refuses
    return AnswerAck(
        item=ack.item_version_pk,
        seq=ack.seq,
        duplicate=ack.duplicate,
        remaining_seconds=ack.remaining_seconds,
    )


@pages.get("/exams/sessions/{exam_id}/review", response_class=HTMLResponse)
def review(request: Request, db: DB, principal: CurrentPrincipal, exam_id: str) -> Response:
    exam = _open(db, principal, exam_id, request.app.state.settings)
    if exam.status != "in_progress" or delivery.is_adaptive(exam):
        return RedirectResponse(f"/exams/sessions/{exam.id}", status_code=303)
    views = [delivery.item_view(db, exam, i) for i in range(len(exam.layout["items"]))]
    return render(
        request,
        "assessment/review.html",
        principal,
        {"exam": exam, "views": views, "remaining": int(delivery.remaining_seconds(exam))},
    )


@pages.post("/exams/sessions/{exam_id}/submit")
def submit(db: DB, principal: CurrentPrincipal, settings: AppSettings, exam_id: str) -> Response:
    exam = _open(db, principal, exam_id, settings)
    if exam.status in delivery.LIVE:
        delivery.submit(db, exam)
        db.commit()
        issue_after(db, exam.user_id, settings, "exam-submit")
    return RedirectResponse(f"/exams/sessions/{exam.id}/result", status_code=303)


@pages.get("/exams/sessions/{exam_id}/result", response_class=HTMLResponse)
def result(request: Request, db: DB, principal: CurrentPrincipal, exam_id: str) -> Response:
    exam = _open(db, principal, exam_id, request.app.state.settings)
    if exam.status in delivery.LIVE:
        return RedirectResponse(f"/exams/sessions/{exam.id}", status_code=303)
    track = curriculum.get_track_by_id(db, exam.track_id)
    names = {d.code: d.name for d in track.domains}
    return render(
        request,
        "assessment/result.html",
        principal,
        {
            "exam": exam,
            "track": track,
            "names": names,
            "stop_label": adaptive.STOP_LABELS.get(
                (exam.submit_reason or "").removeprefix("adaptive: ")
            ),
        },
    )


# --- proctors and eligibility -----------------------------------------------------------------


def _program_learners(db: DB, principal: Principal) -> set[str]:
    orgs = principal.orgs_with(Role.PROCTOR) + principal.orgs_with(Role.PROGRAM_ADMIN)
    ids: set[str] = set()
    for org in orgs:
        for cohort in curriculum.cohorts_of_program(db, org):
            ids |= {
                e.user_id for e in db.query(Enrollment).filter(Enrollment.cohort_id == cohort.id)
            }
    return ids


@pages.get("/proctor/sessions", response_class=HTMLResponse)
def proctor_page(request: Request, db: DB, principal: Proctor) -> Response:
    sessions = proctoring.live_sessions(db, _program_learners(db, principal))
    users = {u.id: u for u in accounts.list_users(db, limit=5000)}
    return render(
        request,
        "assessment/proctor.html",
        principal,
        {
            "sessions": sessions,
            "users": users,
            "remaining": delivery.remaining_seconds,
            "events": {
                s.id: db.query(ProctorEvent).filter(ProctorEvent.session_id == s.id).all()
                for s in sessions
            },
        },
    )


@pages.post("/proctor/sessions/{exam_id}/{action}")
def proctor_act(
    request: Request,
    db: DB,
    principal: Proctor,
    exam_id: str,
    action: str,
    reason: Annotated[str, Form()],
) -> Response:
    exam = db.get(ExamSession, exam_id)
    if exam is None or exam.user_id not in _program_learners(db, principal):
        raise NotFound("no such exam session among your program's candidates")
    proctoring.proctor_action(db, principal.actor, exam, action, reason)
    db.commit()
    flash(request, f"Session {action} recorded.")
    return RedirectResponse("/proctor/sessions", status_code=303)


@pages.post("/programs/{org}/exam-eligibility")
def grant(
    request: Request,
    db: DB,
    org: str,
    principal: Annotated[Principal, Depends(require(Role.PROGRAM_ADMIN, org_param="org"))],
    email: Annotated[str, Form()],
    track: Annotated[str, Form()],
    time_factor: Annotated[float, Form()] = 1.0,
    proctored: Annotated[str, Form()] = "",
) -> Response:
    user = accounts.find_user_by_email(db, email)
    if user is None:
        raise NotFound(f"no account with email {email.strip()}", field="email")
    delivery.grant_eligibility(
        db,
        principal.actor,
        user,
        curriculum.get_track(db, track),
        time_factor=time_factor,
        proctored=proctored == "on",
    )
    db.commit()
    flash(
        request,
        f"{user.display_name} may sit the {track.upper()} exam"
        f"{'' if time_factor == 1 else f' with {time_factor}x time'}.",
    )
    return RedirectResponse("/dashboard/program", status_code=303)
