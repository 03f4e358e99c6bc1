"""Posting opportunities: recruiters of an organization draft, edit, publish and close them.

Every change is audited with the state before and after. Validation that needs the database
(catalog codes, ZIP codes) happens here; shape and ranges are checked by ``OpportunityInput``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor, record
from extender.accounts.models import Organization
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound
from extender.placement import catalog, geo
from extender.placement.applications import accepted_count
from extender.placement.models import Application, Opportunity
from extender.placement.schemas import OpportunityInput
from extender.practicum.scenarios import ScenarioSpec

EDITABLE = (
    "kind",
    "title",
    "description",
    "slots",
    "remote",
    "address",
    "zip",
    "schedule",
    "schedule_days",
    "starts_on",
    "ends_on",
    "paid",
    "pay_min",
    "pay_max",
    "pay_unit",
    "ehr_products",
    "required_competencies",
    "preferred_competencies",
    "required_credentials",
)


def snapshot(opp: Opportunity) -> dict[str, Any]:
    out: dict[str, Any] = {"status": opp.status}
    for name in EDITABLE:
        value = getattr(opp, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def _validate(
    session: Session, data: OpportunityInput, scenarios: Mapping[str, ScenarioSpec]
) -> tuple[float | None, float | None]:
    competencies = catalog.competency_codes(session)
    catalog.check_codes(
        data.required_competencies,
        competencies,
        what="competency",
        field="required_competencies",
    )
    catalog.check_codes(
        data.preferred_competencies,
        competencies,
        what="competency",
        field="preferred_competencies",
    )
    catalog.check_codes(
        data.required_credentials,
        catalog.credential_codes(session, scenarios),
        what="credential",
        field="required_credentials",
    )
    if data.zip is None:
        return None, None
    place = geo.lookup(data.zip)
    return place.lat, place.lon


def _apply(opp: Opportunity, data: OpportunityInput, lat: float | None, lon: float | None) -> None:
    for name in EDITABLE:
        setattr(opp, name, getattr(data, name))
    opp.lat, opp.lon = lat, lon
    opp.updated_at = utcnow()


def create(
    session: Session,
    actor: Actor,
    org: Organization,
    data: OpportunityInput,
    scenarios: Mapping[str, ScenarioSpec],
) -> Opportunity:
    lat, lon = _validate(session, data, scenarios)
    opp = Opportunity(org_id=org.id, status="draft", created_by=actor.user_id)
    _apply(opp, data, lat, lon)
    session.add(opp)
    session.flush()
    record(
        session, actor, "placement.opportunity.create", "opportunity", opp.id, after=snapshot(opp)
    )
    return opp


def update(
    session: Session,
    actor: Actor,
    opp: Opportunity,
    data: OpportunityInput,
    scenarios: Mapping[str, ScenarioSpec],
) -> Opportunity:
    if opp.status == "closed":
        raise Conflict("this opportunity is closed; it can no longer be edited")
    taken = accepted_count(session, opp)
    if data.slots < taken:
        raise InvalidInput(
            f"{taken} applicants have already accepted; slots cannot go below {taken}",
            field="slots",
        )
    lat, lon = _validate(session, data, scenarios)
    before = snapshot(opp)
    _apply(opp, data, lat, lon)
    session.flush()
    record(
        session,
        actor,
        "placement.opportunity.update",
        "opportunity",
        opp.id,
        before=before,
        after=snapshot(opp),
    )
    return opp


def publish(session: Session, actor: Actor, opp: Opportunity) -> Opportunity:
    if opp.status != "draft":
        raise Conflict(f"only a draft can be published; this opportunity is {opp.status}")
    opp.status = "published"
    opp.published_at = opp.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "placement.opportunity.publish",
        "opportunity",
        opp.id,
        before={"status": "draft"},
        after={"status": "published"},
    )
    return opp


def close(session: Session, actor: Actor, opp: Opportunity) -> Opportunity:
    if opp.status == "closed":
        raise Conflict("this opportunity is already closed")
    before = opp.status
    opp.status = "closed"
    opp.closed_at = opp.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "placement.opportunity.close",
        "opportunity",
        opp.id,
        before={"status": before},
        after={"status": "closed"},
    )
    return opp


def get(session: Session, opportunity_id: str) -> Opportunity:
    opp = session.get(Opportunity, opportunity_id)
    if opp is None:
        raise NotFound(f"no opportunity {opportunity_id}")
    return opp


def get_published(session: Session, opportunity_id: str) -> Opportunity:
    """What a learner may open: published ones, and closed ones they can still read about."""
    opp = session.get(Opportunity, opportunity_id)
    if opp is None or opp.status == "draft":
        raise NotFound(f"no opportunity {opportunity_id}")
    return opp


def of_org(session: Session, org: Organization, opportunity_id: str) -> Opportunity:
    """An opportunity of ``org``; another organization's answers 404, never 403, so a
    recruiter cannot probe which ids exist elsewhere."""
    opp = session.get(Opportunity, opportunity_id)
    if opp is None or opp.org_id != org.id:
        raise NotFound(f"no opportunity {opportunity_id} in {org.slug}")
    return opp


def list_for_org(session: Session, org: Organization) -> list[tuple[Opportunity, int]]:
    counts = (
        select(Application.opportunity_id, func.count().label("n"))
        .group_by(Application.opportunity_id)
        .subquery()
    )
    rows = session.execute(
        select(Opportunity, counts.c.n)
        .outerjoin(counts, counts.c.opportunity_id == Opportunity.id)
        .where(Opportunity.org_id == org.id)
        .order_by(Opportunity.created_at.desc(), Opportunity.id)
    )
    return [(row[0], int(row[1] or 0)) for row in rows]


def form_values(opp: Opportunity) -> dict[str, Any]:
    """The editor's field values for an existing opportunity."""
    values: dict[str, Any] = {}
    for name in EDITABLE:
        value = getattr(opp, name)
        if isinstance(value, list):
            value = ", ".join(value)
        values[name] = "" if value is None else value
    return values
