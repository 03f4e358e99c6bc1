"""Catalog and cohort rules: syncing the frameworks from content, reading them, cohorts and
enrollments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.accounts.models import Organization, OrgKind, User
from extender.curriculum.content import TrackSpec
from extender.curriculum.models import Cohort, CohortStaff, Domain, Enrollment, Objective, Track
from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class SyncReport:
    tracks: int
    domains: int
    objectives: int
    created: int
    updated: int
    removed: int


def sync_catalog(session: Session, actor: Actor, specs: list[TrackSpec], source: str) -> SyncReport:
    """Make the catalog tables equal to the validated content, keyed by code, so reloading
    the same files changes nothing and edits update rows in place."""
    created = updated = removed = 0
    for spec in specs:
        track = session.scalar(select(Track).where(Track.code == spec.code))
        if track is None:
            track = Track(
                code=spec.code,
                name=spec.name,
                summary=spec.summary,
                description=spec.description,
                eligibility=spec.eligibility,
                source_file=f"{source}/{spec.code.lower()}.yaml",
            )
            session.add(track)
            created += 1
        elif _update(
            track,
            name=spec.name,
            summary=spec.summary,
            description=spec.description,
            eligibility=spec.eligibility,
        ):
            updated += 1
        existing_domains = {d.code: d for d in track.domains}
        keep_domains: list[Domain] = []
        for pos, dspec in enumerate(spec.domains):
            domain = existing_domains.pop(dspec.code, None)
            if domain is None:
                domain = Domain(
                    code=dspec.code,
                    name=dspec.name,
                    description=dspec.description,
                    weight=dspec.weight,
                    position=pos,
                )
                created += 1
            elif _update(
                domain,
                name=dspec.name,
                description=dspec.description,
                weight=dspec.weight,
                position=pos,
            ):
                updated += 1
            keep_domains.append(domain)
            existing_obj = {o.code: o for o in domain.objectives}
            keep_obj: list[Objective] = []
            for opos, ospec in enumerate(dspec.objectives):
                objective = existing_obj.pop(ospec.code, None)
                tags = ",".join(ospec.tags)
                if objective is None:
                    objective = Objective(
                        code=ospec.code,
                        statement=ospec.statement,
                        level=ospec.level,
                        tags=tags,
                        position=opos,
                    )
                    created += 1
                elif _update(
                    objective,
                    statement=ospec.statement,
                    level=ospec.level,
                    tags=tags,
                    position=opos,
                ):
                    updated += 1
                keep_obj.append(objective)
            removed += len(existing_obj)
            domain.objectives = keep_obj
        removed += len(existing_domains)
        track.domains = keep_domains
    session.flush()
    report = SyncReport(
        tracks=len(specs),
        domains=sum(len(s.domains) for s in specs),
        objectives=sum(s.objective_count for s in specs),
        created=created,
        updated=updated,
        removed=removed,
    )
    if created or updated or removed:
        audit.record(
            session,
            actor,
            "catalog.sync",
            "catalog",
            source,
            after={
                "created": created,
                "updated": updated,
                "removed": removed,
                "tracks": [s.code for s in specs],
            },
        )
    return report


def _update(row: object, **values: object) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def list_tracks(session: Session) -> list[Track]:
    return list(session.scalars(select(Track).order_by(Track.code)))


def get_track(session: Session, code: str) -> Track:
    track = session.scalar(select(Track).where(Track.code == code.upper()))
    if track is None:
        raise NotFound(f"no track with code {code}")
    return track


def get_track_by_id(session: Session, track_id: int) -> Track:
    track = session.get(Track, track_id)
    if track is None:
        raise NotFound("no such track")
    return track


def get_objective(session: Session, code: str) -> Objective:
    objective = session.scalar(select(Objective).where(Objective.code == code.upper()))
    if objective is None:
        raise NotFound(f"no objective with code {code}")
    return objective


# --- cohorts and enrollments --------------------------------------------------------------


def create_cohort(
    session: Session,
    actor: Actor,
    *,
    program: Organization,
    track_code: str,
    slug: str,
    name: str,
    starts_on: date,
    ends_on: date,
    is_open: bool = False,
) -> Cohort:
    if program.kind != OrgKind.TRAINING_PROGRAM.value:
        raise InvalidInput(f"{program.slug} is not a training program", field="organization")
    if ends_on <= starts_on:
        raise InvalidInput("the cohort must end after it starts", field="ends_on")
    if session.scalar(select(Cohort).where(Cohort.slug == slug)) is not None:
        raise Conflict(f"a cohort with slug {slug} already exists", field="slug")
    track = get_track(session, track_code)
    cohort = Cohort(
        slug=slug,
        name=name,
        organization_id=program.id,
        track_id=track.id,
        starts_on=starts_on,
        ends_on=ends_on,
        is_open=is_open,
    )
    session.add(cohort)
    session.flush()
    audit.record(
        session,
        actor,
        "cohort.create",
        "cohort",
        cohort.id,
        after={
            "slug": slug,
            "track": track.code,
            "program": program.slug,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        },
    )
    return cohort


def get_cohort(session: Session, slug: str) -> Cohort:
    cohort = session.scalar(select(Cohort).where(Cohort.slug == slug))
    if cohort is None:
        raise NotFound(f"no cohort with slug {slug}")
    return cohort


def cohort_in_program(session: Session, program: Organization | None, slug: str) -> Cohort:
    """The cohort, if it belongs to this program; otherwise "not found", so staff of one
    program never learn about another's cohorts."""
    cohort = session.scalar(select(Cohort).where(Cohort.slug == slug))
    if cohort is None or program is None or cohort.organization_id != program.id:
        raise NotFound(f"no cohort {slug} in this program")
    return cohort


def assign_instructor(session: Session, actor: Actor, cohort: Cohort, user: User) -> None:
    exists = session.scalar(
        select(CohortStaff).where(
            CohortStaff.cohort_id == cohort.id, CohortStaff.user_id == user.id
        )
    )
    if exists is not None:
        raise Conflict(f"{user.email} already teaches {cohort.slug}")
    session.add(CohortStaff(cohort_id=cohort.id, user_id=user.id))
    audit.record(
        session,
        actor,
        "cohort.assign_instructor",
        "cohort",
        cohort.id,
        after={"instructor": user.email},
    )


def enroll(session: Session, actor: Actor, cohort: Cohort, user: User) -> Enrollment:
    exists = session.scalar(
        select(Enrollment).where(Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id)
    )
    if exists is not None:
        raise Conflict(f"{user.email} is already enrolled in {cohort.name}")
    enrollment = Enrollment(cohort_id=cohort.id, user_id=user.id)
    session.add(enrollment)
    session.flush()
    audit.record(
        session, actor, "enrollment.create", "cohort", cohort.id, after={"learner": user.email}
    )
    return enrollment


def complete_enrollment(session: Session, actor: Actor, enrollment: Enrollment) -> None:
    enrollment.status = "completed"
    enrollment.completed_at = utcnow()
    learner = session.get(User, enrollment.user_id)
    audit.record(
        session,
        actor,
        "enrollment.complete",
        "cohort",
        enrollment.cohort_id,
        after={"learner": learner.email if learner else enrollment.user_id},
    )


def cohorts_of_program(session: Session, org: Organization) -> list[Cohort]:
    return list(
        session.scalars(
            select(Cohort).where(Cohort.organization_id == org.id).order_by(Cohort.starts_on)
        )
    )


def cohorts_taught_by(session: Session, user: User) -> list[Cohort]:
    return list(
        session.scalars(
            select(Cohort)
            .join(CohortStaff)
            .where(CohortStaff.user_id == user.id)
            .order_by(Cohort.starts_on)
        )
    )


def enrollments_of(session: Session, user: User) -> list[Enrollment]:
    return list(
        session.scalars(
            select(Enrollment).where(Enrollment.user_id == user.id).order_by(Enrollment.enrolled_at)
        )
    )


def enrollment_counts(session: Session, cohort_ids: list[str]) -> dict[str, dict[str, int]]:
    """Learners per cohort and status, in one query, for dashboards."""
    rows = session.execute(
        select(Enrollment.cohort_id, Enrollment.status, func.count())
        .where(Enrollment.cohort_id.in_(cohort_ids))
        .group_by(Enrollment.cohort_id, Enrollment.status)
    ).all()
    out: dict[str, dict[str, int]] = {cid: {} for cid in cohort_ids}
    for cohort_id, status, count in rows:
        out[cohort_id][status] = count
    return out


def roster(session: Session, cohort: Cohort) -> list[tuple[User, Enrollment]]:
    rows = session.execute(
        select(User, Enrollment)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.cohort_id == cohort.id)
        .order_by(User.display_name)
    ).all()
    return [(u, e) for u, e in rows]


def open_cohorts(session: Session) -> list[Cohort]:
    return list(
        session.scalars(select(Cohort).where(Cohort.is_open.is_(True)).order_by(Cohort.starts_on))
    )


def set_schedule(
    session: Session,
    actor: Actor,
    cohort: Cohort,
    *,
    module_due: dict[int, date],
    scenario_due: dict[str, date],
    exam_opens_on: date | None,
    exam_closes_on: date | None,
) -> None:
    """Replace the cohort's module due dates, required scenarios and exam window."""
    from extender.curriculum.models import CohortModule, CohortScenario

    for when in [*module_due.values(), *scenario_due.values()]:
        if not cohort.starts_on <= when <= cohort.ends_on:
            raise InvalidInput(
                f"due dates fall within the cohort ({cohort.starts_on} to "
                f"{cohort.ends_on}); {when} does not",
                field="due",
            )
    if exam_opens_on and exam_closes_on and exam_closes_on < exam_opens_on:
        raise InvalidInput("the exam window closes before it opens", field="exam_closes_on")
    before = {
        "exam_opens_on": str(cohort.exam_opens_on),
        "exam_closes_on": str(cohort.exam_closes_on),
    }
    for model in (CohortModule, CohortScenario):
        for row in session.scalars(select(model).where(model.cohort_id == cohort.id)):
            session.delete(row)
    session.flush()
    for module_id, when in module_due.items():
        session.add(CohortModule(cohort_id=cohort.id, module_id=module_id, due_on=when))
    for slug, when in scenario_due.items():
        session.add(CohortScenario(cohort_id=cohort.id, scenario_slug=slug, due_on=when))
    cohort.exam_opens_on, cohort.exam_closes_on = exam_opens_on, exam_closes_on
    audit.record(
        session,
        actor,
        "cohort.schedule",
        "cohort",
        cohort.id,
        before=before,
        after={
            "modules": len(module_due),
            "scenarios": sorted(scenario_due),
            "exam_opens_on": str(exam_opens_on),
            "exam_closes_on": str(exam_closes_on),
        },
    )


def module_due_dates(session: Session, cohort: Cohort) -> dict[int, date]:
    from extender.curriculum.models import CohortModule

    rows = session.execute(
        select(CohortModule.module_id, CohortModule.due_on).where(
            CohortModule.cohort_id == cohort.id
        )
    ).all()
    return {m: d for m, d in rows}


def scenario_due_dates(session: Session, cohort: Cohort) -> dict[str, date]:
    from extender.curriculum.models import CohortScenario

    rows = session.execute(
        select(CohortScenario.scenario_slug, CohortScenario.due_on).where(
            CohortScenario.cohort_id == cohort.id
        )
    ).all()
    return {s: d for s, d in rows}
