"""Tables of the placement domain: opportunities, learner profiles, applications and the
notifications they raise.

Lists (competency codes, EHR products, weekdays) are JSON columns: they are read whole with
their row and never joined on, so a side table would only cost queries.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extender.db import Base, JSONType, new_id, utcnow

KINDS = ("shadowing", "internship", "project", "job")
STATUSES = ("draft", "published", "closed")
STAGES = ("applied", "screening", "interview", "offer", "accepted", "declined", "withdrawn")
VISIBILITY = ("hidden", "applied", "employers")
SECTIONS = ("details", "credentials", "practicum", "exams")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Opportunity(Base):
    """A shadowing slot, internship, short project or job posted by an organization."""

    __tablename__ = "opportunities"
    __table_args__ = (Index("ix_opportunities_status_published", "status", "published_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="draft")
    slots: Mapped[int] = mapped_column(default=1)
    remote: Mapped[bool] = mapped_column(default=False)
    address: Mapped[str] = mapped_column(String(300), default="")
    zip: Mapped[str | None] = mapped_column(String(5), default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    schedule: Mapped[str] = mapped_column(Text, default="")
    schedule_days: Mapped[list[str]] = mapped_column(JSONType, default=list)
    starts_on: Mapped[date | None] = mapped_column(default=None)
    ends_on: Mapped[date | None] = mapped_column(default=None)
    paid: Mapped[bool] = mapped_column(default=False)
    pay_min: Mapped[float | None] = mapped_column(Float, default=None)
    pay_max: Mapped[float | None] = mapped_column(Float, default=None)
    pay_unit: Mapped[str] = mapped_column(String(8), default="hour")
    ehr_products: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Objective codes (CPEHR-1.2) or whole domain codes (CPEHR-1).
    required_competencies: Mapped[list[str]] = mapped_column(JSONType, default=list)
    preferred_competencies: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Achievement codes: track codes (CPEHR) or practicum scenario slugs.
    required_credentials: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class SavedOpportunity(Base):
    __tablename__ = "saved_opportunities"
    __table_args__ = (UniqueConstraint("user_id", "opportunity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class LearnerProfile(Base):
    """What a learner says about themselves, and who may see each part of their portfolio.

    Each ``show_*`` column is one of ``VISIBILITY``: hidden, shown to organizations the
    learner holds an open application to (neither withdrawn nor declined), or shown to every
    employer. New profiles show nothing to any employer until
    the learner applies to one (or opts in to "employers")."""

    __tablename__ = "learner_profiles"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    zip: Mapped[str | None] = mapped_column(String(5), default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    travel_miles: Mapped[int] = mapped_column(default=25)
    remote_ok: Mapped[bool] = mapped_column(default=True)
    days: Mapped[list[str]] = mapped_column(JSONType, default=list)
    hours: Mapped[str] = mapped_column(String(200), default="")
    available_from: Mapped[date | None] = mapped_column(default=None)
    available_until: Mapped[date | None] = mapped_column(default=None)
    kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    ehr_products: Mapped[list[str]] = mapped_column(JSONType, default=list)
    statement: Mapped[str] = mapped_column(Text, default="")
    links: Mapped[list[str]] = mapped_column(JSONType, default=list)
    show_details: Mapped[str] = mapped_column(String(12), default="applied")
    show_credentials: Mapped[str] = mapped_column(String(12), default="applied")
    show_practicum: Mapped[str] = mapped_column(String(12), default="applied")
    show_exams: Mapped[str] = mapped_column(String(12), default="applied")
    last_digest_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def visibility(self, section: str) -> str:
        value: str = getattr(self, f"show_{section}")
        return value


class Application(Base):
    __tablename__ = "placement_applications"
    __table_args__ = (UniqueConstraint("opportunity_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(12), default="applied")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    opportunity: Mapped[Opportunity] = relationship(lazy="joined")
    history: Mapped[list[StageChange]] = relationship(
        order_by="StageChange.id", cascade="all, delete-orphan"
    )


class StageChange(Base):
    __tablename__ = "placement_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("placement_applications.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str | None] = mapped_column(String(12), default=None)
    to_stage: Mapped[str] = mapped_column(String(12))
    by_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ApplicationMessage(Base):
    __tablename__ = "placement_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("placement_applications.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    sender_side: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """An in-app notice; the same event is also queued as mail in the accounts outbox."""

    __tablename__ = "placement_notifications"
    __table_args__ = (Index("ix_placement_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(400))
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
