"""Full-text opportunity search on each database's own engine (PostgreSQL tsvector, SQLite
FTS5): stemming, acronyms, every word required, title matches first, the index kept in step
with edits and deletions, and no query text that can break it."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from extender.placement import opportunities, search
from extender.placement.models import Opportunity
from extender.placement.schemas import OpportunityInput, SearchQuery
from tests.conftest import World
from tests.placement.factories import ACTOR, SCENARIOS, opportunity


def _titles(db: Session, q: str) -> list[str]:
    return [h.opportunity.title for h in search.search(db, SearchQuery(q=q)).hits]


def _postings(db: Session, world: World) -> None:
    org = world.orgs["practice"]
    opportunity(db, org, title="HL7 interface analyst", description="Lab results feeds.")
    opportunity(
        db,
        org,
        title="Go-live support",
        description="Help the interfaces team and migrate charts during the conversion.",
    )
    opportunity(db, org, title="Madison HIM shadowing", description="Release of information.")
    opportunity(db, org, title="Data migration project", description="Legacy EHR extracts.")


def test_words_are_stemmed_and_every_word_must_occur(db: Session, world: World) -> None:
    _postings(db, world)
    assert set(_titles(db, "interfaces")) == {"HL7 interface analyst", "Go-live support"}
    assert set(_titles(db, "migrating")) == {"Data migration project", "Go-live support"}
    assert _titles(db, "interface lab") == ["HL7 interface analyst"]
    assert _titles(db, "interface pharmacy") == []


def test_an_acronym_that_is_an_english_stop_word_is_still_found(db: Session, world: World) -> None:
    _postings(db, world)
    assert _titles(db, "HIM") == ["Madison HIM shadowing"]
    assert _titles(db, "hl7") == ["HL7 interface analyst"]


def test_a_title_match_ranks_above_a_newer_description_match(db: Session, world: World) -> None:
    org = world.orgs["practice"]
    older = opportunity(db, org, title="Interface engine internship", description="Mirth.")
    older.published_at = (older.published_at or older.created_at) - timedelta(days=30)
    opportunity(db, org, title="Front desk job", description="Also covers the interface inbox.")
    db.flush()
    assert _titles(db, "interface") == ["Interface engine internship", "Front desk job"]


def test_edits_closing_and_deletion_reach_the_index(db: Session, world: World) -> None:
    org = world.orgs["practice"]
    opp = opportunity(db, org, title="Scheduling templates", description="Build templates.")
    data = OpportunityInput(kind="shadowing", title="Immunization registry", zip="53703")
    opportunities.update(db, ACTOR, opp, data, SCENARIOS)
    db.flush()
    assert _titles(db, "registry") == ["Immunization registry"]
    assert _titles(db, "scheduling") == []
    opportunities.close(db, ACTOR, opp)
    db.flush()
    assert _titles(db, "registry") == []
    db.delete(opp)
    db.flush()
    if db.get_bind().dialect.name == "sqlite":
        left = db.execute(text("SELECT count(*) FROM opportunities_fts")).scalar_one()
        assert left == db.query(Opportunity).count()


def test_postgresql_serves_text_search_from_the_index(db: Session, world: World) -> None:
    if db.get_bind().dialect.name != "postgresql":
        return
    _postings(db, world)
    db.execute(text("SET LOCAL enable_seqscan = off"))
    compiled = (
        search._text_match(db, search.select(Opportunity, search.Organization), ["interface"])[0]
    ).compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(r[0] for r in db.execute(text(f"EXPLAIN {compiled}")))
    assert "ix_opportunities_search" in plan, plan


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=st.text(max_size=60))
def test_no_query_text_breaks_the_search(db: Session, world: World, q: str) -> None:
    if not db.query(Opportunity).count():
        _postings(db, world)
    found = _titles(db, q)
    assert len(found) <= 4
    words = search.words_of(q)
    if not words:
        assert len(found) == 4
