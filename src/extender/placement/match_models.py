"""Tables of the cohort match: rounds, the opportunities and learners taking part, and rank lists.

A round belongs to one training program. Its result is kept as one JSON document written by the
run (matched pairs with each side's rank of the other, the unmatched on both sides, and the
blocking-pair check), because it is read and published whole and is frozen once published.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extender.db import Base, new_id, utcnow

ROUND_STATUSES = ("draft", "collecting", "run", "published")
SIDES = ("learner", "site")


class MatchRound(Base):
    __tablename__ = "match_rounds"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    program_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    cohort_id: Mapped[str | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), default=None
    )
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    rank_deadline: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    run_at: Mapped[datetime | None] = mapped_column(default=None)
    run_by: Mapped[str | None] = mapped_column(String(254), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    published_by: Mapped[str | None] = mapped_column(String(254), default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class MatchOpportunity(Base):
    """An opportunity offered in a round; ``capacity`` overrides its slots when set."""

    __tablename__ = "match_opportunities"
    __table_args__ = (UniqueConstraint("round_id", "opportunity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[str] = mapped_column(
        ForeignKey("match_rounds.id", ondelete="CASCADE"), index=True
    )
    opportunity_id: Mapped[str] = mapped_column(
        ForeignKey("opportunities.id", ondelete="CASCADE"), index=True
    )
    capacity: Mapped[int | None] = mapped_column(default=None)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatchLearner(Base):
    __tablename__ = "match_learners"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[str] = mapped_column(
        ForeignKey("match_rounds.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatchRank(Base):
    """One entry of one rank list. ``side`` says who ranked: a learner ranking an opportunity
    (``ranker_id`` is the learner) or a site ranking a learner for one opportunity
    (``ranker_id`` is the opportunity). Each row names both parties, so the lists can be
    rebuilt without knowing which id is which."""

    __tablename__ = "match_ranks"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "side", "ranker_id", "position", name="uq_match_ranks_ranker_position"
        ),
        UniqueConstraint(
            "round_id", "side", "learner_id", "opportunity_id", name="uq_match_ranks_pair"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[str] = mapped_column(
        ForeignKey("match_rounds.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[str] = mapped_column(String(8))
    ranker_id: Mapped[str] = mapped_column(String(32))
    position: Mapped[int]
    learner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    opportunity_id: Mapped[str] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"))
    submitted_by: Mapped[str] = mapped_column(String(254))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
