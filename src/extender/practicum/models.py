"""Practicum tables: workspaces and the sandbox FHIR store inside them.

Resources are JSON documents (the current version plus every past version) with extracted
search-index rows, so the same store runs on SQLite and PostgreSQL. Every row carries its
workspace id, and every query filters on it: that is what keeps workspaces isolated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extender.db import Base, new_id, utcnow


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    scenario_slug: Mapped[str | None] = mapped_column(String(80), default=None)
    seed: Mapped[int] = mapped_column(default=0)
    patients: Mapped[int] = mapped_column(default=0)
    # The generator's answer key (planted defects): never served to the learner.
    answer_key: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # Simulated practice staff accounts (sandbox users, not platform accounts).
    staff: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # The interface inbox, {"messages": [HL7 v2 text, ...]}: learner-visible.
    inbox: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reset_at: Mapped[datetime | None] = mapped_column(default=None)


class FhirResource(Base):
    """The current version of one resource; deleted resources keep a row with deleted=True
    so that reads answer 410 and the version history stays continuous."""

    __tablename__ = "fhir_resources"
    __table_args__ = (
        UniqueConstraint("workspace_id", "resource_type", "resource_id"),
        Index("ix_fhir_resources_ws_type_updated", "workspace_id", "resource_type", "last_updated"),
    )

    pk: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int]
    last_updated: Mapped[datetime]
    deleted: Mapped[bool] = mapped_column(default=False)
    content: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class FhirResourceVersion(Base):
    __tablename__ = "fhir_resource_versions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "resource_type", "resource_id", "version_id"),
    )

    pk: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int]
    last_updated: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(10))
    content: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class FhirSearchIndex(Base):
    """One searchable value of one resource. Strings are stored normalized (lower-case,
    accents kept) for prefix matching; tokens as system and code; dates as a closed range so
    that partial dates ("1980") match the way FHIR prescribes; references as "Type/id"."""

    __tablename__ = "fhir_search_index"
    __table_args__ = (
        Index("ix_fsi_string", "workspace_id", "resource_type", "param", "value_string"),
        Index("ix_fsi_token", "workspace_id", "resource_type", "param", "token_code"),
        Index("ix_fsi_ref", "workspace_id", "resource_type", "param", "reference"),
        Index("ix_fsi_date", "workspace_id", "resource_type", "param", "date_start"),
        Index("ix_fsi_resource", "resource_pk"),
    )

    pk: Mapped[int] = mapped_column(primary_key=True)
    resource_pk: Mapped[int] = mapped_column(ForeignKey("fhir_resources.pk", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(String(32))
    resource_type: Mapped[str] = mapped_column(String(40))
    param: Mapped[str] = mapped_column(String(40))
    value_string: Mapped[str | None] = mapped_column(String(200), default=None)
    token_system: Mapped[str | None] = mapped_column(String(200), default=None)
    token_code: Mapped[str | None] = mapped_column(String(200), default=None)
    date_start: Mapped[datetime | None] = mapped_column(default=None)
    date_end: Mapped[datetime | None] = mapped_column(default=None)
    number: Mapped[float | None] = mapped_column(Float, default=None)
    unit: Mapped[str | None] = mapped_column(String(40), default=None)
    reference: Mapped[str | None] = mapped_column(String(120), default=None)


class PatientMerge(Base):
    """A patient merge done in the sandbox, with what it changed, so it can be undone."""

    __tablename__ = "practicum_patient_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    survivor: Mapped[str] = mapped_column(String(64))
    merged: Mapped[str] = mapped_column(String(64))
    # [{"type": ..., "id": ..., "version": n}] of every resource changed, before the merge.
    touched: Mapped[dict[str, Any]] = mapped_column()
    merged_by: Mapped[str] = mapped_column(String(254))
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(default=None)


class ScenarioAttempt(Base):
    """One learner's attempt at a scenario: practicum evidence once submitted."""

    __tablename__ = "practicum_attempts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scenario_slug: Mapped[str] = mapped_column(String(80), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    score: Mapped[float | None] = mapped_column(Float, default=None)
    passed: Mapped[bool | None] = mapped_column(default=None)
    rubric: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    submission: Mapped[dict[str, Any] | None] = mapped_column(default=None)
