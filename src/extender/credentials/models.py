"""Tables of the credentials domain: issuer keys, achievements, issued credentials, status
lists, pending approvals and continuing-education activities.

A credential row keeps the signed documents exactly as issued (JSON-LD with its proof and the
JWT), so what a holder downloads is byte-for-byte what was signed. Its status (active,
suspended, revoked) lives in the row and is published through the status list named by the
credential's ``credentialStatus`` entry (see status.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extender.db import Base, new_id, utcnow


class IssuerKeyRow(Base):
    """One signing key. Retired keys stay published so that what they signed still verifies."""

    __tablename__ = "credential_issuer_keys"

    kid: Mapped[str] = mapped_column(String(100), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))
    public_jwk: Mapped[dict[str, Any]] = mapped_column()
    # The PEM private key encrypted with the deployment's secret key (AES-256-GCM).
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class Achievement(Base):
    """An achievement as loaded from ``content/achievements``; the definition is the source."""

    __tablename__ = "achievements"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    track_code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column()
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusList(Base):
    """One Bitstring Status List of ``length`` entries. Its bits are derived from the
    credentials that point at it, so the published list can never disagree with the
    credentials' recorded status. ``purpose`` "message": 2 bits per entry (active, suspended,
    revoked), where every credential is issued now; "revocation": a list of credentials issued
    before that, published as a 1-bit revocation list and its suspension twin."""

    __tablename__ = "credential_status_lists"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    length: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("status_list_id", "status_index"),
        Index("ix_credentials_holder_achievement", "holder_id", "achievement_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    holder_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active")
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None] = mapped_column(default=None)
    document: Mapped[dict[str, Any]] = mapped_column()
    jwt: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(ForeignKey("credential_issuer_keys.kid"))
    status_list_id: Mapped[str] = mapped_column(ForeignKey("credential_status_lists.id"))
    status_index: Mapped[int]
    share_slug: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    shared_at: Mapped[datetime | None] = mapped_column(default=None)
    replaces_id: Mapped[str | None] = mapped_column(
        ForeignKey("credentials.id"), default=None, index=True
    )
    renewal_basis: Mapped[str | None] = mapped_column(String(16), default=None)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(254))
    approval_id: Mapped[str | None] = mapped_column(String(32), default=None)
    # "<holder>:<achievement>:<credential renewed, or 'first'>": unique, so that two requests
    # deciding at the same moment that a learner is due cannot both issue (see issuance.py).
    issuance_key: Mapped[str | None] = mapped_column(String(160), unique=True, default=None)
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    status_changed_by: Mapped[str | None] = mapped_column(String(254), default=None)
    status_changed_at: Mapped[datetime | None] = mapped_column(default=None)


class PendingApproval(Base):
    """An achievement a learner met where the program wants staff to approve the issuance.
    ``evidence_key`` names the exact evidence, so a rejected request is not raised again for
    the same evidence."""

    __tablename__ = "credential_approvals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    holder_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    achievement_id: Mapped[str] = mapped_column(ForeignKey("achievements.id"))
    evidence_key: Mapped[str] = mapped_column(String(400))
    summary: Mapped[dict[str, Any]] = mapped_column()
    replaces_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"), default=None)
    credential_id: Mapped[str | None] = mapped_column(String(32), default=None)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(254), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)


class CeActivity(Base):
    """A continuing-education activity recorded against a track, counted toward renewal."""

    __tablename__ = "ce_activities"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    track_code: Mapped[str] = mapped_column(String(16))
    credits: Mapped[float] = mapped_column(Float)
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[date]
    recorded_by: Mapped[str] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
