"""Pydantic shapes for the exam delivery API used by the exam page's autosave."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: int = Field(description="the item's position key (item version) in this session")
    answer: list[str] = Field(description="chosen option ids; for ordering items, all ids in order")
    flagged: bool = False
    idempotency_key: str = Field(min_length=8, max_length=64)
    seq: int = Field(ge=0, description="increases with every save from the page")
    seconds_spent: float = Field(default=0.0, ge=0, le=36000)


class AnswerAck(BaseModel):
    item: int
    seq: int
    duplicate: bool
    remaining_seconds: float
