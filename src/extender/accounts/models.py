"""Account tables. Roles are held per organization: a person can be a learner in one program
and a recruiter at a practice, and authorization always asks "which role, where"."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extender.db import Base, new_id, utcnow


class OrgKind(StrEnum):
    TRAINING_PROGRAM = "training_program"
    REGIONAL_EXTENSION_CENTER = "regional_extension_center"
    MEDICAL_PRACTICE = "medical_practice"
    EMPLOYER = "employer"
    CERTIFICATION_BODY = "certification_body"


class Role(StrEnum):
    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    PROCTOR = "proctor"
    PSYCHOMETRICIAN = "psychometrician"
    PROGRAM_ADMIN = "program_admin"
    EMPLOYER_RECRUITER = "employer_recruiter"
    PLATFORM_ADMIN = "platform_admin"


STAFF_ROLES = frozenset(Role) - {Role.LEARNER}

ROLE_LABELS = {
    Role.LEARNER: "Learner",
    Role.INSTRUCTOR: "Instructor",
    Role.PROCTOR: "Proctor",
    Role.PSYCHOMETRICIAN: "Psychometrician",
    Role.PROGRAM_ADMIN: "Program admin",
    Role.EMPLOYER_RECRUITER: "Employer recruiter",
    Role.PLATFORM_ADMIN: "Platform admin",
}

ORG_KIND_LABELS = {
    OrgKind.TRAINING_PROGRAM: "Training program",
    OrgKind.REGIONAL_EXTENSION_CENTER: "Regional extension center",
    OrgKind.MEDICAL_PRACTICE: "Medical practice",
    OrgKind.EMPLOYER: "Employer",
    OrgKind.CERTIFICATION_BODY: "Certification body",
}


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change: sessions carry it, so old cookies stop working.
    session_epoch: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    city: Mapped[str | None] = mapped_column(String(100), default=None)
    state: Mapped[str | None] = mapped_column(String(2), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships", lazy="joined")


class ApiToken(Base):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class PasswordResetToken(Base):
    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """One failed login. Counting recent rows per account and per address drives throttling,
    and keeping them in the database makes the limit hold across app processes."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "attempted_at"),
        Index("ix_login_failures_address_at", "client_address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    client_address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """Mail waiting to be sent. Embedded mode never sends: it keeps the row and logs it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    actor_email: Mapped[str | None] = mapped_column(String(254), default=None)
    action: Mapped[str] = mapped_column(String(80), index=True)
    target_type: Mapped[str] = mapped_column(String(60), index=True)
    target_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    client_address: Mapped[str | None] = mapped_column(String(64), default=None)
