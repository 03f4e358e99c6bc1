"""Pydantic shapes for the catalog JSON API."""

from __future__ import annotations

from pydantic import BaseModel


class ObjectiveOut(BaseModel):
    code: str
    statement: str
    level: str
    tags: list[str]


class DomainOut(BaseModel):
    code: str
    name: str
    weight: int
    description: str
    objectives: list[ObjectiveOut]


class TrackSummaryOut(BaseModel):
    code: str
    name: str
    summary: str
    domain_count: int
    objective_count: int


class TrackOut(BaseModel):
    code: str
    name: str
    summary: str
    description: str
    eligibility: str
    domains: list[DomainOut]


class EnrollIn(BaseModel):
    email: str
