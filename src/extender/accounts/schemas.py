"""Pydantic shapes for the accounts JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class MembershipOut(BaseModel):
    organization: str
    organization_name: str
    role: str


class MeOut(BaseModel):
    id: str
    email: str
    display_name: str
    memberships: list[MembershipOut]


class OrganizationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(description="URL name: lowercase letters, digits and dashes")
    name: str
    kind: str = Field(
        description="training_program, regional_extension_center, "
        "medical_practice, employer or certification_body"
    )
    city: str | None = None
    state: str | None = Field(default=None, min_length=2, max_length=2)


class OrganizationOut(BaseModel):
    slug: str
    name: str
    kind: str
    city: str | None
    state: str | None


class MembershipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str
    role: str


class AuditEventOut(BaseModel):
    id: int
    occurred_at: datetime
    actor_email: str | None
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    client_address: str | None


class AuditPage(BaseModel):
    total: int
    items: list[AuditEventOut]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail
