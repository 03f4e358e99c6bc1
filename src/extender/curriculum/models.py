"""Catalog and cohort tables.

Tracks, domains and objectives are loaded from ``content/tracks/*.yaml``; their codes are the
stable identifiers that items, lessons and scenarios point at.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extender.db import Base, new_id, utcnow


class Track(Base):
    __tablename__ = "tracks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    eligibility: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    domains: Mapped[list[Domain]] = relationship(
        back_populates="track",
        cascade="all, delete-orphan",
        order_by="Domain.position",
        lazy="selectin",
    )


class Domain(Base):
    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    weight: Mapped[int]
    position: Mapped[int]

    track: Mapped[Track] = relationship(back_populates="domains")
    objectives: Mapped[list[Objective]] = relationship(
        back_populates="domain",
        cascade="all, delete-orphan",
        order_by="Objective.position",
        lazy="selectin",
    )


class Objective(Base):
    __tablename__ = "objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    statement: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(20))
    tags: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int]

    domain: Mapped[Domain] = relationship(back_populates="objectives")


class Cohort(Base):
    """A group of learners moving through one track together, run by a training program."""

    __tablename__ = "cohorts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    is_open: Mapped[bool] = mapped_column(default=False)
    exam_opens_on: Mapped[date | None] = mapped_column(default=None)
    exam_closes_on: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    track: Mapped[Track] = relationship(lazy="joined")
    staff: Mapped[list[CohortStaff]] = relationship(cascade="all, delete-orphan")
    enrollments: Mapped[list[Enrollment]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )


class CohortStaff(Base):
    __tablename__ = "cohort_staff"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[str] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[str] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)

    cohort: Mapped[Cohort] = relationship(back_populates="enrollments", lazy="joined")


class Module(Base):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("track_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    position: Mapped[int]

    track: Mapped[Track] = relationship(lazy="joined")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module",
        cascade="all, delete-orphan",
        order_by="Lesson.position",
        lazy="selectin",
    )


class Lesson(Base):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int]
    objectives: Mapped[str] = mapped_column(String(400))
    scenarios: Mapped[str] = mapped_column(String(400), default="")
    body: Mapped[str] = mapped_column(Text)
    check: Mapped[dict[str, Any]] = mapped_column()
    source_file: Mapped[str] = mapped_column(String(300))
    position: Mapped[int]

    module: Mapped[Module] = relationship(back_populates="lessons", lazy="joined")

    @property
    def objective_codes(self) -> list[str]:
        return [c for c in self.objectives.split(",") if c]

    @property
    def scenario_slugs(self) -> list[str]:
        return [c for c in self.scenarios.split(",") if c]


class LessonRead(Base):
    __tablename__ = "lesson_reads"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckAttempt(Base):
    __tablename__ = "check_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column()
    correct: Mapped[int]
    total: Mapped[int]
    passed: Mapped[bool]
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortModule(Base):
    """When a cohort is expected to finish a module."""

    __tablename__ = "cohort_modules"
    __table_args__ = (UniqueConstraint("cohort_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[str] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    due_on: Mapped[date]


class CohortScenario(Base):
    """A practicum scenario the cohort must pass, and by when."""

    __tablename__ = "cohort_scenarios"
    __table_args__ = (UniqueConstraint("cohort_id", "scenario_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[str] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    scenario_slug: Mapped[str] = mapped_column(String(80))
    due_on: Mapped[date]


class XapiStatement(Base):
    """A learning record, kept as the xAPI statement an external LRS would ingest."""

    __tablename__ = "xapi_statements"
    __table_args__ = (Index("ix_xapi_statements_stored", "stored"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    actor_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    verb: Mapped[str] = mapped_column(String(200))
    object_id: Mapped[str] = mapped_column(String(400))
    stored: Mapped[datetime] = mapped_column(default=utcnow)
    statement: Mapped[dict[str, Any]] = mapped_column()
