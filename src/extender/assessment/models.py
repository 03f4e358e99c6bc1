"""Exam tables: the item bank with versions, blueprints, forms, eligibility, exam sessions
and responses.

Responses point at an item *version*, so editing an item (which makes a new version) never
changes how a past response is scored. Every answer save is kept in an append-only log keyed
by an idempotency key, so a retried save is recognised and never stored twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extender.db import Base, new_id, utcnow


class Item(Base):
    __tablename__ = "items"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"), index=True)
    objective_code: Mapped[str] = mapped_column(String(32), index=True)
    domain_code: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    current_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Classical statistics from the latest exam report, and IRT parameters once calibrated.
    p_value: Mapped[float | None] = mapped_column(Float, default=None)
    point_biserial: Mapped[float | None] = mapped_column(Float, default=None)
    irt_a: Mapped[float | None] = mapped_column(Float, default=None)
    irt_b: Mapped[float | None] = mapped_column(Float, default=None)
    irt_c: Mapped[float | None] = mapped_column(Float, default=None)
    exposure: Mapped[int] = mapped_column(default=0)

    versions: Mapped[list[ItemVersion]] = relationship(
        back_populates="item", order_by="ItemVersion.version", cascade="all, delete-orphan"
    )


class ItemVersion(Base):
    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    pk: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    type: Mapped[str] = mapped_column(String(20))
    stem: Mapped[str] = mapped_column(Text)
    exhibit: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    options: Mapped[dict[str, Any]] = mapped_column()
    key: Mapped[dict[str, Any]] = mapped_column()
    rationale: Mapped[str] = mapped_column(Text)
    reference: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    enemies: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))

    item: Mapped[Item] = relationship(back_populates="versions")

    @property
    def option_list(self) -> list[dict[str, str]]:
        return list(self.options["options"])

    @property
    def key_list(self) -> list[str]:
        return list(self.key["key"])


class Blueprint(Base):
    __tablename__ = "blueprints"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"), unique=True)
    total_items: Mapped[int]
    time_limit_minutes: Mapped[int]
    cut_percent: Mapped[float] = mapped_column(Float)
    counts: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExamForm(Base):
    __tablename__ = "exam_forms"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(12), default="fixed")
    status: Mapped[str] = mapped_column(String(12), default="draft")
    # {"items": [item_version pk, ...]} in blueprint order; frozen once published.
    items: Mapped[dict[str, Any]] = mapped_column()
    time_limit_minutes: Mapped[int]
    cut_percent: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(254), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    # "raw": scaled from the number correct with the percent cut; "irt": EAP theta from the
    # approved calibration run named below, scaled with the cut placed on the theta scale.
    scoring: Mapped[str] = mapped_column(String(8), default="raw", server_default="raw")
    calibration_run_id: Mapped[str | None] = mapped_column(
        ForeignKey("calibration_runs.id"), default=None
    )
    cut_theta: Mapped[float | None] = mapped_column(Float, default=None)
    # kind == "adaptive": {"pool": [version pk...], "min_items", "max_items", "se_target", ...}
    adaptive: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class ExamEligibility(Base):
    """Set by the program: who may sit which track's exam, with any accommodation."""

    __tablename__ = "exam_eligibility"
    __table_args__ = (UniqueConstraint("user_id", "track_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"))
    time_factor: Mapped[float] = mapped_column(Float, default=1.0)
    # A proctored candidate checks in and waits; the clock starts when the proctor starts it.
    proctored: Mapped[bool] = mapped_column(default=False)
    group: Mapped[str | None] = mapped_column(String(40), default=None)
    granted_by: Mapped[str] = mapped_column(String(254))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExamSession(Base):
    __tablename__ = "exam_sessions"
    __table_args__ = (Index("ix_exam_sessions_user_status", "user_id", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    form_id: Mapped[str] = mapped_column(ForeignKey("exam_forms.id"), index=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    time_limit_seconds: Mapped[int]
    # The clock: seconds used in finished running segments, plus the open segment's start.
    used_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    running_since: Mapped[datetime | None] = mapped_column(default=None)
    # {"items": [version pk...], "options": {pk: [option ids in shown order]}}
    layout: Mapped[dict[str, Any]] = mapped_column()
    current_index: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    submit_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    raw_score: Mapped[int | None] = mapped_column(default=None)
    max_score: Mapped[int | None] = mapped_column(default=None)
    scaled_score: Mapped[int | None] = mapped_column(default=None)
    passed: Mapped[bool | None] = mapped_column(default=None)
    domain_results: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    group: Mapped[str | None] = mapped_column(String(40), default=None)
    # IRT-scored and adaptive sessions: the ability estimate (EAP) and its posterior SD.
    theta: Mapped[float | None] = mapped_column(Float, default=None)
    theta_se: Mapped[float | None] = mapped_column(Float, default=None)


class Response(Base):
    """The learner's current answer to one item of a session."""

    __tablename__ = "exam_responses"
    __table_args__ = (UniqueConstraint("session_id", "item_version_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("exam_sessions.id", ondelete="CASCADE"), index=True
    )
    item_version_pk: Mapped[int] = mapped_column(ForeignKey("item_versions.pk"))
    answer: Mapped[dict[str, Any]] = mapped_column()
    flagged: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int] = mapped_column(default=0)
    seconds_spent: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    correct: Mapped[bool | None] = mapped_column(default=None)


class AnswerSave(Base):
    """Append-only log of every acknowledged save; the idempotency key makes retries safe."""

    __tablename__ = "exam_answer_saves"
    __table_args__ = (UniqueConstraint("session_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("exam_sessions.id", ondelete="CASCADE"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(64))
    item_version_pk: Mapped[int]
    seq: Mapped[int]
    answer: Mapped[dict[str, Any]] = mapped_column()
    flagged: Mapped[bool] = mapped_column(default=False)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProctorEvent(Base):
    __tablename__ = "exam_proctor_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("exam_sessions.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AngoffRating(Base):
    """One panelist's judgment: the probability that a minimally competent candidate answers
    this item of this form correctly."""

    __tablename__ = "angoff_ratings"
    __table_args__ = (UniqueConstraint("form_id", "panelist_id", "item_version_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(
        ForeignKey("exam_forms.id", ondelete="CASCADE"), index=True
    )
    panelist_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_version_pk: Mapped[int] = mapped_column(ForeignKey("item_versions.pk"))
    rating: Mapped[float] = mapped_column(Float)
    rated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalibrationRun(Base):
    """One IRT calibration of a track's bank from stored responses. Live scoring uses its
    parameters only after a psychometrician approves it; a run that did not converge can
    never be approved."""

    __tablename__ = "calibration_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"), index=True)
    model: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    n_examinees: Mapped[int]
    n_items: Mapped[int]
    converged: Mapped[bool]
    iterations: Mapped[int]
    log_likelihood: Mapped[float] = mapped_column(Float)
    # {"items": {item_id: {"a", "b", "c", "se_a", "se_b", "se_c", "infit", "outfit"}},
    #  "excluded": {item_id: reason}, "warnings": [...]}
    parameters: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(254), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
