"""Learners' search over published opportunities, and saved opportunities.

Text search is each database's own full-text search over titles and descriptions (migration
0014): every word of the query must occur, stemmed ("interfaces" finds "interface") or as
written (so acronyms that are English stop words, such as HIM, still count), and a match in
the title ranks above one in the description. PostgreSQL uses a GIN-indexed weighted tsvector;
SQLite an FTS5 table with the Porter stemmer and bm25. Kind and remote filters run in SQL.
Distance is prefiltered by a lat/lon box in SQL and then measured exactly; competency filters
look inside JSON lists. Either of those makes the page be cut in Python after filtering, so
totals and pages are always right."""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from extender.accounts.models import Organization, User
from extender.errors import NotFound
from extender.placement import catalog, geo
from extender.placement.models import Opportunity, SavedOpportunity
from extender.placement.schemas import SearchQuery


@dataclass(frozen=True)
class Hit:
    opportunity: Opportunity
    org: Organization
    miles: float | None


@dataclass(frozen=True)
class ResultPage:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    origin: geo.ZipCentroid | None

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


PG_SEARCH_VECTOR = "opportunities.search_vector"
"""PostgreSQL's stored, GIN-indexed tsvector of title (weight A) and description (weight B),
each through the ``english`` and ``simple`` configurations (migrations 0014 and 0015).
Matching and ranking both read it, so a rank costs no re-parse of the text."""

MAX_WORDS = 12


def words_of(q: str) -> list[str]:
    """The searchable words of a query: runs of letters and digits, lower-cased. Everything
    else (quotes, operators, %, _) is a separator, so no input can be read as search syntax."""
    return re.findall(r"[^\W_]+", q.lower())[:MAX_WORDS]


def _text_match(
    session: Session, stmt: Select[Opportunity, Organization], words: list[str]
) -> tuple[Select[Opportunity, Organization], ColumnElement[Any]]:
    """Restrict ``stmt`` to opportunities containing every word; return it with a rank
    expression where a smaller value is a better match."""
    if session.get_bind().dialect.name == "postgresql":
        vector: ColumnElement[Any] = literal_column(PG_SEARCH_VECTOR)
        query: ColumnElement[Any] | None = None
        for word in words:
            either = func.to_tsquery(literal_column("'english'::regconfig"), word).op("||")(
                func.to_tsquery(literal_column("'simple'::regconfig"), word)
            )
            query = either if query is None else query.op("&&")(either)
        assert query is not None
        rank = func.ts_rank(vector, query)
        return stmt.where(vector.op("@@")(query)), -rank
    match = " AND ".join(f'"{w}"' for w in words)
    hits = (
        text(
            "SELECT opportunity_id, bm25(opportunities_fts, 0.0, 4.0, 1.0) AS rank"
            " FROM opportunities_fts WHERE opportunities_fts MATCH :match"
        )
        .bindparams(match=match)
        .columns(opportunity_id=String, rank=Float)
        .subquery("hits")
    )
    return stmt.join(hits, hits.c.opportunity_id == Opportunity.id), hits.c.rank


def matches_competency(opp: Opportunity, code: str) -> bool:
    """An opportunity asks for ``code`` if it names it, its domain, or (for a domain code)
    any objective inside it."""
    named = [*opp.required_competencies, *opp.preferred_competencies]
    if code in named:
        return True
    if "." in code:
        return catalog.domain_of(code) in named
    return any("." in c and catalog.domain_of(c) == code for c in named)


def search(session: Session, query: SearchQuery) -> ResultPage:
    origin = geo.lookup(query.zip) if query.zip else None
    if query.competency:
        known = catalog.competency_codes(session)
        catalog.check_codes(query.competency, known, what="competency", field="competency")
    stmt = (
        select(Opportunity, Organization)
        .join(Organization, Organization.id == Opportunity.org_id)
        .where(Opportunity.status == "published")
    )
    words = words_of(query.q)
    rank: ColumnElement[Any] | None = None
    if words:
        stmt, rank = _text_match(session, stmt, words)
    if query.kind:
        stmt = stmt.where(Opportunity.kind == query.kind)
    if query.remote != "any":
        stmt = stmt.where(Opportunity.remote.is_(query.remote == "only"))
    if origin is not None and query.miles is not None:
        lat0, lat1, lon0, lon1 = geo.bounding_box(origin.lat, origin.lon, query.miles)
        box = and_(Opportunity.lat.between(lat0, lat1), Opportunity.lon.between(lon0, lon1))
        stmt = stmt.where(or_(Opportunity.remote.is_(True), box))
    order: list[Any] = [Opportunity.published_at.desc(), Opportunity.id]
    if rank is not None:
        order.insert(0, rank)  # best match first; newest first among equal matches
    start = (query.page - 1) * query.per_page
    if origin is None and not query.competency:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.execute(stmt.order_by(*order).offset(start).limit(query.per_page))
        return ResultPage(
            [Hit(o, org, None) for o, org in rows], total, query.page, query.per_page, None
        )
    hits = []
    for opp, org in session.execute(stmt.order_by(*order)):
        if not all(matches_competency(opp, c) for c in query.competency):
            continue
        miles = _miles(origin, opp)
        if query.miles is not None and miles is not None and miles > query.miles:
            continue
        hits.append(Hit(opp, org, miles))
    if origin is not None:
        # Stable sort: nearest first, remote ones after, newest first within equal distance.
        hits.sort(key=lambda h: (h.miles is None, h.miles or 0.0))
    page = hits[start : start + query.per_page]
    return ResultPage(page, len(hits), query.page, query.per_page, origin)


def _miles(origin: geo.ZipCentroid | None, opp: Opportunity) -> float | None:
    if origin is None or opp.remote or opp.lat is None or opp.lon is None:
        return None
    return geo.haversine_miles(origin.lat, origin.lon, opp.lat, opp.lon)


def save(session: Session, user: User, opp: Opportunity) -> bool:
    """Save once; True when newly saved."""
    if opp.status != "published":
        raise NotFound(f"no published opportunity {opp.id}")
    if opportunity_saved(session, user, opp):
        return False
    session.add(SavedOpportunity(user_id=user.id, opportunity_id=opp.id))
    session.flush()
    return True


def unsave(session: Session, user: User, opp: Opportunity) -> bool:
    row = session.scalar(
        select(SavedOpportunity).where(
            SavedOpportunity.user_id == user.id, SavedOpportunity.opportunity_id == opp.id
        )
    )
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def opportunity_saved(session: Session, user: User, opp: Opportunity) -> bool:
    return opp.id in saved_ids(session, user)


def saved_ids(session: Session, user: User) -> set[str]:
    return set(
        session.scalars(
            select(SavedOpportunity.opportunity_id).where(SavedOpportunity.user_id == user.id)
        )
    )


def saved(session: Session, user: User) -> list[tuple[Opportunity, Organization]]:
    rows = session.execute(
        select(Opportunity, Organization)
        .join(SavedOpportunity, SavedOpportunity.opportunity_id == Opportunity.id)
        .join(Organization, Organization.id == Opportunity.org_id)
        .where(SavedOpportunity.user_id == user.id)
        .order_by(SavedOpportunity.saved_at.desc(), SavedOpportunity.id.desc())
    )
    return [(o, org) for o, org in rows]
