"""The whole schema: importing this registers every domain's tables on ``Base.metadata``.
Migrations and the schema-drift test use it; add each new domain's models here."""

from __future__ import annotations

from sqlalchemy import MetaData

import extender.accounts.models
import extender.assessment.models
import extender.credentials.models
import extender.curriculum.models
import extender.placement.match_models
import extender.placement.models
import extender.practicum.models  # noqa: F401
from extender.db import Base

metadata: MetaData = Base.metadata


NATIVE_SEARCH_OBJECTS = ("opportunities_fts", "ix_opportunities_search")
"""Database-specific full-text search objects that migrations 0014 and 0015 create and no
model describes (an FTS5 table and its shadow tables on SQLite, a GIN index on PostgreSQL)."""

NATIVE_SEARCH_COLUMNS = {("opportunities", "search_vector")}
"""PostgreSQL's stored tsvector column (migration 0015): SQLite has no such type, so no
model declares it."""


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's filter for comparing models with a database: skip the native search objects."""
    if (
        type_ == "column"
        and isinstance(parent_names, dict)
        and (parent_names.get("table_name"), name) in NATIVE_SEARCH_COLUMNS
    ):
        return False
    return not (name or "").startswith(NATIVE_SEARCH_OBJECTS)
