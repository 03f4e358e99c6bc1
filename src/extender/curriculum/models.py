"""Catalog and cohort tables.

Tracks, domains and objectives are loaded from ``content/tracks/*.yaml``; their codes are the
stable identifiers that items, lessons and scenarios point at.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
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
