"""The database layer's transactions: work done in a savepoint is part of the enclosing
transaction on both databases, so rolling that back undoes it (pysqlite, left alone, lets a
savepoint opened first in a transaction commit on release)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from extender.accounts.models import Organization
from extender.db import session_factory


def _orgs(engine: Engine) -> int:
    with session_factory(engine)() as s:
        return int(s.scalar(select(func.count()).select_from(Organization)) or 0)


def test_a_savepoint_opened_first_is_undone_by_the_outer_rollback(engine: Engine) -> None:
    before = _orgs(engine)
    with session_factory(engine)() as s:
        with s.begin_nested():  # the transaction's very first statement is the SAVEPOINT
            s.add(Organization(slug="sp-first", name="Savepoint first", kind="medical_practice"))
        s.rollback()
    assert _orgs(engine) == before


def test_a_savepoint_after_other_work_is_undone_too(engine: Engine) -> None:
    before = _orgs(engine)
    with session_factory(engine)() as s:
        s.add(Organization(slug="plain", name="Plain", kind="medical_practice"))
        s.flush()
        with s.begin_nested():
            s.add(Organization(slug="nested", name="Nested", kind="medical_practice"))
        s.rollback()
    assert _orgs(engine) == before


def test_committed_savepoint_work_is_kept(engine: Engine) -> None:
    before = _orgs(engine)
    with session_factory(engine)() as s:
        with s.begin_nested():
            s.add(Organization(slug="kept", name="Kept", kind="medical_practice"))
        s.commit()
    assert _orgs(engine) == before + 1
