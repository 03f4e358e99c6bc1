"""Demo placement data: opportunities from the demo world's extension center and practices,
and profiles for the first demo learners. Idempotent: a second run adds nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts.audit import Actor
from extender.accounts.models import Organization, User
from extender.placement import applications, opportunities, profiles
from extender.placement.models import LearnerProfile, Opportunity
from extender.placement.schemas import OpportunityInput, ProfileInput

DEMO = Actor.system("demo")

POSTINGS: list[tuple[str, dict[str, Any]]] = [
    (
        "ohio-valley-rec",
        {
            "kind": "shadowing",
            "title": "Shadow an EHR optimization visit",
            "description": "Join our practice facilitators for a day of EHR workflow review.",
            "zip": "45202",
            "address": "Cincinnati, OH",
            "schedule": "one day, 8:30-16:30",
            "schedule_days": ["tue", "thu"],
            "required_competencies": ["CPEHR-1"],
            "ehr_products": ["Epic", "athenaOne"],
        },
    ),
    (
        "ohio-valley-rec",
        {
            "kind": "project",
            "title": "Remote data-quality cleanup project",
            "description": "Find and merge duplicate patients in a practice's registry.",
            "remote": True,
            "schedule": "about 20 hours over 4 weeks",
            "paid": True,
            "pay_min": 22,
            "pay_max": 26,
            "preferred_competencies": ["CPEHR-2"],
        },
    ),
    (
        "maple-street-fm",
        {
            "kind": "internship",
            "title": "Front-office health IT internship",
            "description": "Scheduling, registration and patient portal support.",
            "zip": "45502",
            "address": "Springfield, OH",
            "schedule_days": ["mon", "wed", "fri"],
            "slots": 2,
        },
    ),
    (
        "harbor-im",
        {
            "kind": "job",
            "title": "EHR support specialist",
            "description": "First-line EHR support for a 12-provider internal medicine group.",
            "zip": "43604",
            "address": "Toledo, OH",
            "paid": True,
            "pay_min": 42000,
            "pay_max": 50000,
            "pay_unit": "year",
            "required_credentials": ["CPEHR"],
        },
    ),
]
PROFILE_ZIPS = ["45402", "45405", "45409", "45420", "45431", "45459"]
# (learner index, opportunity title, note): applications waiting for the demo recruiter.
APPLICATIONS = [
    (
        1,
        "Shadow an EHR optimization visit",
        "I finished the CPEHR track and want to see a real EHR workflow review.",
    ),
    (2, "Shadow an EHR optimization visit", "Tuesdays and Thursdays work for me."),
]


@dataclass
class PlacementSeed:
    opportunities: int = 0
    profiles: int = 0
    applications: int = 0


def seed(session: Session, learners: list[User]) -> PlacementSeed:
    """Post the demo opportunities (published) and give the first learners a profile."""
    report = PlacementSeed()
    for slug, fields in POSTINGS:
        org = session.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            continue
        exists = session.scalar(
            select(Opportunity.id).where(
                Opportunity.org_id == org.id, Opportunity.title == fields["title"]
            )
        )
        if exists:
            continue
        opp = opportunities.create(session, DEMO, org, OpportunityInput(**fields), {})
        opportunities.publish(session, DEMO, opp)
        report.opportunities += 1
    for user, zip_code in zip(learners, PROFILE_ZIPS, strict=False):
        if session.get(LearnerProfile, user.id) is not None:
            continue
        data = ProfileInput(
            zip=zip_code,
            travel_miles=60,
            days=["mon", "tue", "wed", "thu", "fri"],
            kinds=["shadowing", "internship", "project"],
            statement="Finishing the CPEHR track; keen to see a real practice's EHR work.",
        )
        profiles.save(session, DEMO, user, data)
        report.profiles += 1
    for index, title, note in APPLICATIONS:
        posting = session.scalar(select(Opportunity).where(Opportunity.title == title))
        if posting is None or index >= len(learners) or posting.status != "published":
            continue
        _, created = applications.apply(session, DEMO, learners[index], posting, note)
        report.applications += int(created)
    session.flush()
    return report
