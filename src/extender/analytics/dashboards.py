"""What each role's dashboard shows, computed from the domains' services and tables.

Kept apart from the routes so the numbers can be tested against hand-computed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts import service as accounts
from extender.accounts.models import (
    AuditEvent,
    LoginFailure,
    Membership,
    Organization,
    Role,
    User,
)
from extender.curriculum import service as curriculum
from extender.curriculum.models import Cohort, Enrollment, Track
from extender.db import utcnow

DASHBOARD_ORDER = [
    (Role.PLATFORM_ADMIN, "admin"),
    (Role.PROGRAM_ADMIN, "program"),
    (Role.INSTRUCTOR, "program"),
    (Role.PSYCHOMETRICIAN, "psychometrics"),
    (Role.PROCTOR, "proctor"),
    (Role.EMPLOYER_RECRUITER, "recruiter"),
    (Role.LEARNER, "learner"),
]


def dashboards_for(role_names: set[str]) -> list[str]:
    out: list[str] = []
    for role, name in DASHBOARD_ORDER:
        if role.value in role_names and name not in out:
            out.append(name)
    return out


def cohort_phase(cohort: Cohort, today: date) -> str:
    if today < cohort.starts_on:
        return "upcoming"
    if today > cohort.ends_on:
        return "finished"
    return "in progress"


def cohort_elapsed(cohort: Cohort, today: date) -> float:
    """Share of the cohort calendar that has passed, 0..1."""
    total = (cohort.ends_on - cohort.starts_on).days
    done = (min(max(today, cohort.starts_on), cohort.ends_on) - cohort.starts_on).days
    return done / total if total > 0 else 1.0


@dataclass
class CohortRow:
    cohort: Cohort
    phase: str
    elapsed: float
    active: int
    completed: int
    withdrawn: int

    @property
    def total(self) -> int:
        return self.active + self.completed + self.withdrawn


def cohort_rows(session: Session, cohorts: list[Cohort], today: date) -> list[CohortRow]:
    counts = curriculum.enrollment_counts(session, [c.id for c in cohorts])
    return [
        CohortRow(
            c,
            cohort_phase(c, today),
            cohort_elapsed(c, today),
            counts[c.id].get("active", 0),
            counts[c.id].get("completed", 0),
            counts[c.id].get("withdrawn", 0),
        )
        for c in cohorts
    ]


@dataclass
class LearnerDashboard:
    enrollments: list[tuple[Enrollment, str, float]]
    open_cohorts: list[Cohort]


def learner_dashboard(session: Session, user: User, today: date) -> LearnerDashboard:
    rows = [
        (e, cohort_phase(e.cohort, today), cohort_elapsed(e.cohort, today))
        for e in curriculum.enrollments_of(session, user)
    ]
    mine = {e.cohort_id for e, _, _ in rows}
    return LearnerDashboard(rows, [c for c in curriculum.open_cohorts(session) if c.id not in mine])


@dataclass
class ProgramDashboard:
    programs: list[Organization]
    cohorts: list[CohortRow]
    instructors: dict[str, list[User]] = field(default_factory=dict)

    @property
    def slug_of(self) -> dict[str, str]:
        return {o.id: o.slug for o in self.programs}

    @property
    def learners(self) -> int:
        return sum(r.total for r in self.cohorts)

    @property
    def completed(self) -> int:
        return sum(r.completed for r in self.cohorts)


def program_dashboard(
    session: Session, user: User, admin_orgs: list[Organization], today: date
) -> ProgramDashboard:
    """Program admins see every cohort of their programs; instructors see the ones they teach."""
    cohorts: dict[str, Cohort] = {}
    for org in admin_orgs:
        for c in curriculum.cohorts_of_program(session, org):
            cohorts[c.id] = c
    for c in curriculum.cohorts_taught_by(session, user):
        cohorts[c.id] = c
    ordered = sorted(cohorts.values(), key=lambda c: (c.starts_on, c.name))
    instructors = {
        org.id: [m.user for m in accounts.members_of(session, org, Role.INSTRUCTOR)]
        for org in admin_orgs
    }
    programs = {c.organization_id for c in ordered} | {o.id for o in admin_orgs}
    orgs = [o for o in accounts.list_organizations(session) if o.id in programs]
    return ProgramDashboard(orgs, cohort_rows(session, ordered, today), instructors)


@dataclass
class TrackBlueprint:
    track: Track
    objective_count: int
    domains: list[tuple[str, str, int, int]]


def psychometrics_dashboard(session: Session) -> list[TrackBlueprint]:
    out = []
    for t in curriculum.list_tracks(session):
        domains = [(d.code, d.name, d.weight, len(d.objectives)) for d in t.domains]
        out.append(TrackBlueprint(t, sum(n for *_, n in domains), domains))
    return out


@dataclass
class TalentPool:
    track_code: str
    track_name: str
    completed: int
    in_training: int


def recruiter_dashboard(session: Session, orgs: list[Organization]) -> list[TalentPool]:
    """Aggregate counts only: learners' identities stay hidden from employers until the
    learner shares them."""
    rows = session.execute(
        select(
            Track.code, Track.name, Enrollment.status, func.count(func.distinct(Enrollment.user_id))
        )
        .join(Cohort, Cohort.track_id == Track.id)
        .join(Enrollment, Enrollment.cohort_id == Cohort.id)
        .group_by(Track.code, Track.name, Enrollment.status)
    ).all()
    pools: dict[str, TalentPool] = {
        t.code: TalentPool(t.code, t.name, 0, 0) for t in curriculum.list_tracks(session)
    }
    for code, _name, status, count in rows:
        if status == "completed":
            pools[code].completed += count
        elif status == "active":
            pools[code].in_training += count
    return list(pools.values())


@dataclass
class AdminDashboard:
    users: int
    active_users: int
    organizations: dict[str, int]
    roles: dict[str, int]
    recent_events: list[AuditEvent]
    failed_logins_24h: int


def admin_dashboard(session: Session) -> AdminDashboard:
    users = session.scalar(select(func.count()).select_from(User)) or 0
    active = session.scalar(select(func.count()).select_from(User).where(User.is_active)) or 0
    orgs = dict(
        session.execute(select(Organization.kind, func.count()).group_by(Organization.kind)).all()
    )
    roles = dict(
        session.execute(select(Membership.role, func.count()).group_by(Membership.role)).all()
    )
    events, _ = audit.search(session, audit.AuditFilter(), limit=10)
    failed = (
        session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.attempted_at > utcnow() - timedelta(hours=24))
        )
        or 0
    )
    return AdminDashboard(users, active, orgs, roles, events, failed)
