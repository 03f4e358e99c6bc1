"""Exam delivery: eligibility, starting and resuming sessions, the server-side clock, answer
saves that are idempotent and ordered, submission and scoring, and proctor controls.

The clock lives in the database (seconds used in closed segments plus the start of the open
one), so closing the browser, losing the network or restarting the server never gains or loses
time. Keys and rationales never leave the server while a session is open."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.accounts.models import User
from extender.assessment import adaptive, irt_scoring
from extender.assessment.models import (
    AnswerSave,
    ExamEligibility,
    ExamForm,
    ExamSession,
    Item,
    ItemVersion,
    Response,
)
from extender.assessment.scoring import DomainResult, is_correct, scaled_score
from extender.curriculum.models import Track
from extender.db import new_id, utcnow
from extender.errors import Conflict, Forbidden, InvalidInput, NotFound

LIVE = ("waiting", "in_progress", "paused")


def grant_eligibility(
    session: Session,
    actor: Actor,
    user: User,
    track: Track,
    *,
    time_factor: float = 1.0,
    group: str | None = None,
    proctored: bool = False,
) -> ExamEligibility:
    if time_factor not in (1.0, 1.25, 1.5, 2.0):
        raise InvalidInput("extra time must be 1, 1.25, 1.5 or 2 times", field="time_factor")
    row = session.scalar(
        select(ExamEligibility).where(
            ExamEligibility.user_id == user.id, ExamEligibility.track_id == track.id
        )
    )
    before = {"time_factor": row.time_factor, "proctored": row.proctored} if row else None
    if row is None:
        row = ExamEligibility(user_id=user.id, track_id=track.id, granted_by=actor.email or "")
        session.add(row)
    row.time_factor, row.group, row.proctored = time_factor, group, proctored
    session.flush()
    audit.record(
        session,
        actor,
        "exam.eligibility",
        "user",
        user.id,
        before=before,
        after={"track": track.code, "time_factor": time_factor, "proctored": proctored},
    )
    return row


def eligibility(session: Session, user: User, track: Track) -> ExamEligibility | None:
    return session.scalar(
        select(ExamEligibility).where(
            ExamEligibility.user_id == user.id, ExamEligibility.track_id == track.id
        )
    )


def published_forms(session: Session, track: Track) -> list[ExamForm]:
    return list(
        session.scalars(
            select(ExamForm)
            .where(ExamForm.track_id == track.id, ExamForm.status == "published")
            .order_by(ExamForm.name)
        )
    )


def live_session(session: Session, user: User, track: Track) -> ExamSession | None:
    return session.scalar(
        select(ExamSession).where(
            ExamSession.user_id == user.id,
            ExamSession.track_id == track.id,
            ExamSession.status.in_(LIVE),
        )
    )


def start(
    session: Session,
    user: User,
    track: Track,
    *,
    seed: int | None = None,
    form: ExamForm | None = None,
) -> ExamSession:
    rights = eligibility(session, user, track)
    if rights is None:
        raise Forbidden(
            f"you are not yet eligible for the {track.code} exam; your program grants eligibility"
        )
    _check_window(session, user, track)
    if live_session(session, user, track) is not None:
        raise Conflict(f"you already have a {track.code} exam in progress; resume it")
    forms = [form] if form is not None else published_forms(session, track)
    if not forms or any(f.status != "published" for f in forms):
        raise Conflict(f"no {track.code} exam form is published yet")
    adaptive = [f for f in forms if f.kind == "adaptive"]
    if adaptive:
        # A published adaptive form switches the track to adaptive delivery.
        return _start_adaptive(session, user, track, rights, max(adaptive, key=_published_at))
    use = dict(
        session.execute(
            select(ExamSession.form_id, func.count())
            .where(ExamSession.form_id.in_([f.id for f in forms]))
            .group_by(ExamSession.form_id)
        ).all()
    )
    form = min(forms, key=lambda f: (use.get(f.id, 0), f.name))
    rng = random.Random(seed)
    order = list(form.items["items"])
    rng.shuffle(order)
    versions = {
        v.pk: v for v in session.scalars(select(ItemVersion).where(ItemVersion.pk.in_(order)))
    }
    options = {}
    for pk in order:
        ids = [o["id"] for o in versions[pk].option_list]
        rng.shuffle(ids)
        options[str(pk)] = ids
    exam = _new_session(user, track, rights, form, {"items": order, "options": options})
    session.add(exam)
    # Exposure is recounted from sessions when forms are assembled (forms.refresh_exposure),
    # not incremented here: a shared counter on every start deadlocked under exam-day load.
    session.flush()
    return exam


def _published_at(form: ExamForm) -> datetime:
    return form.published_at or form.created_at


def _new_session(
    user: User, track: Track, rights: ExamEligibility, form: ExamForm, layout: dict[str, Any]
) -> ExamSession:
    """A sitting on ``form`` with the candidate's time allowance; a proctored one waits for
    the proctor to start the clock."""
    return ExamSession(
        id=new_id(),
        user_id=user.id,
        form_id=form.id,
        track_id=track.id,
        time_limit_seconds=int(form.time_limit_minutes * 60 * rights.time_factor),
        status="waiting" if rights.proctored else "in_progress",
        running_since=None if rights.proctored else utcnow(),
        layout=layout,
        group=rights.group,
    )


def _start_adaptive(
    session: Session, user: User, track: Track, rights: ExamEligibility, form: ExamForm
) -> ExamSession:
    exam = _new_session(user, track, rights, form, {})
    adaptive.begin(session, exam, form)
    session.add(exam)
    session.flush()
    return exam


def is_adaptive(exam: ExamSession) -> bool:
    return "adaptive" in exam.layout


def _check_window(session: Session, user: User, track: Track) -> None:
    """Within a cohort that sets an exam window, the exam can only be started inside it."""
    from extender.curriculum.models import Cohort, Enrollment

    windows = session.execute(
        select(Cohort.exam_opens_on, Cohort.exam_closes_on)
        .join(Enrollment, Enrollment.cohort_id == Cohort.id)
        .where(
            Enrollment.user_id == user.id,
            Cohort.track_id == track.id,
            Cohort.exam_opens_on.is_not(None),
        )
    ).all()
    if not windows:
        return
    today = utcnow().date()
    if not any(
        opens is not None and opens <= today <= (closes or today) for opens, closes in windows
    ):
        spans = "; ".join(
            f"{o:%b %-d, %Y} to {c:%b %-d, %Y}" if c else f"from {o:%b %-d, %Y}" for o, c in windows
        )
        raise Forbidden(f"the {track.code} exam window for your cohort is {spans}")


def remaining_seconds(exam: ExamSession, now: datetime | None = None) -> float:
    used = exam.used_seconds
    if exam.status == "in_progress" and exam.running_since is not None:
        used += ((now or utcnow()) - exam.running_since).total_seconds()
    return max(0.0, exam.time_limit_seconds - used)


def owned(session: Session, user: User, exam_id: str) -> ExamSession:
    exam = session.get(ExamSession, exam_id)
    if exam is None:
        raise NotFound("no such exam session")
    if exam.user_id != user.id:
        raise Forbidden("this exam session belongs to someone else")
    return exam


def expire_if_due(session: Session, exam: ExamSession) -> bool:
    """Submit the session if its time is up; True if it did."""
    if exam.status == "in_progress" and remaining_seconds(exam) <= 0:
        submit(session, exam, reason="time_expired")
        return True
    return False


@dataclass(frozen=True)
class ItemView:
    """What the browser may see of an item: no key, no rationale."""

    index: int
    pk: int
    type: str
    stem: str
    exhibit: dict[str, Any] | None
    options: list[dict[str, str]]
    answer: list[str]
    flagged: bool


def item_view(session: Session, exam: ExamSession, index: int) -> ItemView:
    order = exam.layout["items"]
    if not 0 <= index < len(order):
        raise NotFound(f"this exam has items 1 to {len(order)}")
    pk = order[index]
    version = session.get(ItemVersion, pk)
    assert version is not None
    texts = {o["id"]: o["text"] for o in version.option_list}
    response = session.scalar(
        select(Response).where(Response.session_id == exam.id, Response.item_version_pk == pk)
    )
    return ItemView(
        index,
        pk,
        version.type,
        version.stem,
        version.exhibit,
        [{"id": i, "text": texts[i]} for i in exam.layout["options"][str(pk)]],
        list(response.answer["answer"]) if response else [],
        bool(response and response.flagged),
    )


def _validate_answer(version: ItemVersion, answer: list[str]) -> None:
    ids = {o["id"] for o in version.option_list}
    unknown = [a for a in answer if a not in ids]
    if unknown:
        raise InvalidInput(f"{', '.join(unknown)} is not an option of this item", field="answer")
    if len(set(answer)) != len(answer):
        raise InvalidInput("an option is chosen twice", field="answer")
    if version.type in ("single_choice", "scenario") and len(answer) > 1:
        raise InvalidInput("choose one option", field="answer")
    if version.type == "ordering" and answer and len(answer) != len(ids):
        raise InvalidInput("put every step in order", field="answer")


def save_acknowledged(session: Session, exam: ExamSession, idempotency_key: str) -> bool:
    """Whether a save with this key was already stored (e.g. the first of a doubled post)."""
    return (
        session.scalar(
            select(AnswerSave.id).where(
                AnswerSave.session_id == exam.id, AnswerSave.idempotency_key == idempotency_key
            )
        )
        is not None
    )


@dataclass(frozen=True)
class SaveAck:
    item_version_pk: int
    seq: int
    duplicate: bool
    remaining_seconds: float


def save_answer(
    session: Session,
    exam: ExamSession,
    *,
    item_version_pk: int,
    answer: list[str],
    flagged: bool,
    idempotency_key: str,
    seq: int,
    seconds_spent: float = 0.0,
) -> SaveAck:
    """Store an answer the moment it is given. A save with a key already seen returns the
    first acknowledgement; a save with a lower sequence number than the stored one (a late
    retry) is logged but does not overwrite the newer answer."""
    if not 8 <= len(idempotency_key) <= 64:
        raise InvalidInput("idempotency key must be 8-64 characters", field="idempotency_key")
    earlier = session.scalar(
        select(AnswerSave).where(
            AnswerSave.session_id == exam.id, AnswerSave.idempotency_key == idempotency_key
        )
    )
    if earlier is not None:
        return SaveAck(earlier.item_version_pk, earlier.seq, True, remaining_seconds(exam))
    if exam.status != "in_progress":
        raise Conflict(
            f"this exam session is {exam.status.replace('_', ' ')}; the answer was not saved"
        )
    if expire_if_due(session, exam):
        raise Conflict("time is up: the exam was submitted and the answer was not saved")
    if item_version_pk not in exam.layout["items"]:
        raise InvalidInput("that item is not part of this exam", field="item")
    if is_adaptive(exam) and item_version_pk != exam.layout["items"][-1]:
        raise Conflict("answers to earlier questions of an adaptive exam are final")
    version = session.get(ItemVersion, item_version_pk)
    assert version is not None
    _validate_answer(version, answer)
    try:
        with session.begin_nested():
            session.add(
                AnswerSave(
                    session_id=exam.id,
                    idempotency_key=idempotency_key,
                    item_version_pk=item_version_pk,
                    seq=seq,
                    answer={"answer": answer},
                    flagged=flagged,
                )
            )
    except IntegrityError:
        # A doubled request with the same key committed first: acknowledge it, as a retry.
        first = session.scalar(
            select(AnswerSave).where(
                AnswerSave.session_id == exam.id, AnswerSave.idempotency_key == idempotency_key
            )
        )
        assert first is not None
        return SaveAck(first.item_version_pk, first.seq, True, remaining_seconds(exam))
    response = session.scalar(
        select(Response).where(
            Response.session_id == exam.id, Response.item_version_pk == item_version_pk
        )
    )
    if response is None:
        session.add(
            Response(
                session_id=exam.id,
                item_version_pk=item_version_pk,
                answer={"answer": answer},
                flagged=flagged,
                seq=seq,
                seconds_spent=max(0.0, seconds_spent),
            )
        )
    elif seq >= response.seq:
        response.answer, response.flagged, response.seq = {"answer": answer}, flagged, seq
        response.seconds_spent += max(0.0, seconds_spent)
        response.updated_at = utcnow()
    session.flush()
    return SaveAck(item_version_pk, seq, False, remaining_seconds(exam))


def submit(session: Session, exam: ExamSession, *, reason: str = "submitted") -> ExamSession:
    if exam.status not in LIVE:
        raise Conflict(f"this exam session is already {exam.status}")
    now = utcnow()
    if exam.running_since is not None:
        exam.used_seconds = min(
            exam.time_limit_seconds, exam.used_seconds + (now - exam.running_since).total_seconds()
        )
    exam.running_since = None
    exam.status, exam.submitted_at, exam.submit_reason = "submitted", now, reason
    _score(session, exam)
    _learning_record(session, exam)
    return exam


def _learning_record(session: Session, exam: ExamSession) -> None:
    """The sitting as an xAPI statement: scaled score and pass/fail, never item responses."""
    from extender.curriculum.learning import ACTIVITY_BASE, record_statement

    user = session.get(User, exam.user_id)
    track = session.get(Track, exam.track_id)
    if user is None or track is None or exam.scaled_score is None:
        return
    record_statement(
        session,
        user,
        "passed" if exam.passed else "failed",
        f"{ACTIVITY_BASE}/exams/{track.code}",
        f"{track.code} certification exam",
        result={
            "score": {
                "raw": exam.scaled_score,
                "min": 100,
                "max": 500,
                "scaled": round((exam.scaled_score - 100) / 400, 3),
            },
            "success": bool(exam.passed),
            "completion": True,
        },
    )


def _score(session: Session, exam: ExamSession) -> None:
    form = session.get(ExamForm, exam.form_id)
    assert form is not None
    pks = list(exam.layout["items"])
    versions = {
        v.pk: v for v in session.scalars(select(ItemVersion).where(ItemVersion.pk.in_(pks)))
    }
    items = {
        i.id: i
        for i in session.scalars(
            select(Item).where(Item.id.in_({v.item_id for v in versions.values()}))
        )
    }
    responses = {
        r.item_version_pk: r
        for r in session.scalars(select(Response).where(Response.session_id == exam.id))
    }
    by_domain: dict[str, list[bool]] = {}
    raw = 0
    for pk in pks:
        version = versions[pk]
        response = responses.get(pk)
        right = response is not None and is_correct(
            version.type, version.key_list, response.answer["answer"]
        )
        if response is not None:
            response.correct = right
        raw += right
        by_domain.setdefault(items[version.item_id].domain_code, []).append(right)
    exam.raw_score, exam.max_score = raw, len(pks)
    method: dict[str, Any] = {"method": "raw"}
    if form.scoring == "irt" and form.cut_theta is not None:
        params = irt_scoring.form_parameters(session, form, pks)
        correct = [bool(responses[pk].correct) if pk in responses else False for pk in pks]
        result = irt_scoring.score(params, correct, form.cut_theta)
        exam.theta, exam.theta_se = round(result.theta, 4), round(result.se, 4)
        exam.scaled_score, exam.passed = result.scaled, result.passed
        method = {
            "method": "irt",
            "calibration_run": form.calibration_run_id,
            "cut_theta": form.cut_theta,
        }
    else:
        exam.scaled_score = scaled_score(raw, len(pks), form.cut_percent)
        exam.passed = exam.scaled_score >= 300
    exam.domain_results = {
        "scoring": method,
        "domains": [
            {
                "domain": d,
                "correct": sum(r),
                "total": len(r),
                "level": DomainResult(d, sum(r), len(r)).level,
            }
            for d, r in sorted(by_domain.items())
        ],
    }


def sessions_of(session: Session, user: User) -> list[ExamSession]:
    return list(
        session.scalars(
            select(ExamSession)
            .where(ExamSession.user_id == user.id)
            .order_by(ExamSession.started_at.desc())
        )
    )
