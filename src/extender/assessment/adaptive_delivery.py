"""The candidate's side of an adaptive sitting: confirming an answer chooses the next question
or, when a stopping rule fires, submits and scores the sitting (see ``adaptive`` for the
selection and ``delivery`` for the session, clock and saves shared with fixed forms)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.assessment import adaptive
from extender.assessment.delivery import LIVE, submit
from extender.assessment.models import ExamForm, ExamSession, ItemVersion, Response
from extender.assessment.scoring import is_correct
from extender.errors import Conflict, InvalidInput


def confirm_adaptive(session: Session, exam: ExamSession, number: int) -> adaptive.Step:
    """The candidate confirms the answer to adaptive question ``number``: choose the next
    question, or finish and score the exam when the stopping rule says so."""
    # Doubled "continue" requests queue on the session row, so the second sees the first's step
    # (and never scores the sitting a second time) instead of working from a stale copy.
    session.flush()
    session.refresh(exam, with_for_update=True)
    if exam.status != "in_progress":
        raise Conflict(f"this exam session is {exam.status.replace('_', ' ')}")
    order = exam.layout["items"]
    if not 1 <= number <= len(order):
        # A later question is not chosen yet: confirming it would skip the current one unanswered.
        raise InvalidInput(f"question {number} is not the current question", field="number")
    if number == len(order):
        current = session.scalar(
            select(Response).where(
                Response.session_id == exam.id, Response.item_version_pk == order[-1]
            )
        )
        if current is None or not current.answer["answer"]:
            raise InvalidInput("choose an answer to continue", field="answer")
    form = session.get(ExamForm, exam.form_id)
    assert form is not None
    step = adaptive.advance(session, exam, form, number, _correctness(session, exam))
    if step.stop is not None and exam.status in LIVE:
        submit(session, exam, reason=f"adaptive: {step.stop}")
    else:
        exam.current_index = len(exam.layout["items"]) - 1
    session.flush()
    return step


def _correctness(session: Session, exam: ExamSession) -> list[bool]:
    """Right/wrong for each item in the layout, in order; unanswered counts as wrong."""
    pks = list(exam.layout["items"])
    versions = {
        v.pk: v for v in session.scalars(select(ItemVersion).where(ItemVersion.pk.in_(pks)))
    }
    responses = {
        r.item_version_pk: r
        for r in session.scalars(select(Response).where(Response.session_id == exam.id))
    }
    out = []
    for pk in pks:
        response = responses.get(pk)
        out.append(
            response is not None
            and is_correct(versions[pk].type, versions[pk].key_list, response.answer["answer"])
        )
    return out
