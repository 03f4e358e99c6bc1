"""The demo world: one of each kind of organization and person, so that a newcomer can sign in
as any role and see real data. Seeding is idempotent: every row is looked up by its natural
key first, so running it twice neither fails nor duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.accounts import service as accounts
from extender.accounts.audit import Actor
from extender.accounts.models import Organization, OrgKind, Role, User
from extender.assessment.models import ExamForm
from extender.curriculum import learning
from extender.curriculum import service as curriculum
from extender.curriculum.models import (
    Cohort,
    CohortModule,
    CohortScenario,
    CohortStaff,
    Enrollment,
    Lesson,
    LessonRead,
    Module,
    Track,
)

DEMO_PASSWORD = "extender-demo"
ACTOR = Actor.system("demo-seed")

ORGS = [
    (
        "extender-board",
        "Extender Certification Board",
        OrgKind.CERTIFICATION_BODY,
        "Columbus",
        "OH",
    ),
    ("riverbend-academy", "Riverbend Health IT Academy", OrgKind.TRAINING_PROGRAM, "Dayton", "OH"),
    (
        "ohio-valley-rec",
        "Ohio Valley Regional Extension Center",
        OrgKind.REGIONAL_EXTENSION_CENTER,
        "Cincinnati",
        "OH",
    ),
    (
        "maple-street-fm",
        "Maple Street Family Medicine",
        OrgKind.MEDICAL_PRACTICE,
        "Springfield",
        "OH",
    ),
    ("lakeside-peds", "Lakeside Pediatrics", OrgKind.MEDICAL_PRACTICE, "Sandusky", "OH"),
    ("harbor-im", "Harbor Internal Medicine", OrgKind.MEDICAL_PRACTICE, "Toledo", "OH"),
]

STAFF = [
    ("admin@extender.test", "Avery Admin", "extender-board", Role.PLATFORM_ADMIN),
    ("psychometrics@extender.test", "Priya Raman", "extender-board", Role.PSYCHOMETRICIAN),
    ("proctor@extender.test", "Marcus Bell", "riverbend-academy", Role.PROCTOR),
    ("program@extender.test", "Dana Whitfield", "riverbend-academy", Role.PROGRAM_ADMIN),
    ("instructor@extender.test", "Luis Ortega", "riverbend-academy", Role.INSTRUCTOR),
    ("instructor2@extender.test", "Grace Okafor", "riverbend-academy", Role.INSTRUCTOR),
    ("recruiter@extender.test", "Tom Becker", "ohio-valley-rec", Role.EMPLOYER_RECRUITER),
]

FIRST = [
    "Alicia",
    "Ben",
    "Carmen",
    "Darnell",
    "Elena",
    "Farah",
    "Gabriel",
    "Hannah",
    "Isaac",
    "Jasmine",
    "Kevin",
    "Lena",
    "Miguel",
    "Nora",
    "Omar",
    "Paula",
    "Quinn",
    "Rosa",
    "Samuel",
    "Tanya",
    "Umar",
    "Vivian",
    "Wesley",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Andre",
    "Beatriz",
    "Caleb",
    "Deja",
]
LAST = [
    "Nguyen",
    "Patel",
    "Johnson",
    "Garcia",
    "Kim",
    "Williams",
    "Brown",
    "Lopez",
    "Davis",
    "Martinez",
    "Clark",
    "Hernandez",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
    "Carter",
    "Phillips",
    "Evans",
]


@dataclass(frozen=True)
class CohortPlan:
    slug: str
    name: str
    track: str
    start_offset_days: int
    weeks: int
    is_open: bool
    instructor: str
    learners: range
    completed: int
    withdrawn: int


COHORTS = [
    CohortPlan(
        "cpehr-spring",
        "CPEHR Spring cohort",
        "CPEHR",
        -300,
        20,
        False,
        "instructor@extender.test",
        range(0, 8),
        completed=6,
        withdrawn=1,
    ),
    CohortPlan(
        "cpehr-fall",
        "CPEHR Fall cohort",
        "CPEHR",
        -56,
        20,
        False,
        "instructor@extender.test",
        range(8, 18),
        completed=0,
        withdrawn=1,
    ),
    CohortPlan(
        "cphit-fall",
        "CPHIT Fall cohort",
        "CPHIT",
        -35,
        16,
        False,
        "instructor2@extender.test",
        range(18, 26),
        completed=0,
        withdrawn=0,
    ),
    CohortPlan(
        "cphie-winter",
        "CPHIE Winter cohort",
        "CPHIE",
        40,
        16,
        True,
        "instructor2@extender.test",
        range(26, 30),
        completed=0,
        withdrawn=0,
    ),
]


def learner_email(i: int) -> str:
    return f"learner{i + 1:02d}@extender.test"


@dataclass
class SeedReport:
    created_users: int = 0
    created_orgs: int = 0
    created_cohorts: int = 0
    created_enrollments: int = 0


def _org(
    session: Session, report: SeedReport, slug: str, name: str, kind: OrgKind, city: str, state: str
) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        org = accounts.create_organization(
            session, ACTOR, slug=slug, name=name, kind=kind.value, city=city, state=state
        )
        report.created_orgs += 1
    return org


def _user(session: Session, report: SeedReport, email: str, name: str) -> User:
    user = accounts.find_user_by_email(session, email)
    if user is None:
        user = accounts.create_user(
            session, ACTOR, email=email, display_name=name, password=DEMO_PASSWORD
        )
        report.created_users += 1
    return user


def _ensure_role(session: Session, user: User, org: Organization, role: Role) -> None:
    if not any(m.organization_id == org.id and m.role == role.value for m in user.memberships):
        accounts.grant_role(session, ACTOR, user=user, org=org, role=role.value)


def seed_demo(session: Session, today: date) -> SeedReport:
    report = SeedReport()
    orgs = {
        slug: _org(session, report, slug, name, kind, city, state)
        for slug, name, kind, city, state in ORGS
    }
    for email, name, org_slug, role in STAFF:
        _ensure_role(session, _user(session, report, email, name), orgs[org_slug], role)
    program = orgs["riverbend-academy"]
    learners = []
    for i in range(30):
        user = _user(session, report, learner_email(i), f"{FIRST[i]} {LAST[i]}")
        _ensure_role(session, user, program, Role.LEARNER)
        learners.append(user)
    for plan in COHORTS:
        _seed_cohort(session, report, plan, program, learners, today)
        cohort = curriculum.get_cohort(session, plan.slug)
        _seed_schedule(session, cohort)
        _seed_progress(session, cohort, plan, learners, today)
    _seed_exams(session, learners)
    _seed_placement(session, learners)
    session.flush()
    return report


def _seed_placement(session: Session, learners: list[User]) -> None:
    """Opportunities from the demo practices and extension center, profiles for the spring
    finishers, and a cohort-match round ready to run (it reuses the posted opportunities)."""
    from extender.placement import demo as placement_demo
    from extender.placement import match_demo

    placement_demo.seed(session, learners)
    session.flush()
    match_demo.seed(session)


SIMULATED_SITTINGS = 200
EXAM_READY = range(0, 6)  # learner01-06: the spring cohort's finishers


def _seed_exams(session: Session, learners: list[User]) -> None:
    """Two published parallel forms per track, eligibility for the learners who are ready, and
    simulated sittings of the CPEHR form so the exam report has data."""
    from extender.assessment import delivery, forms
    from extender.assessment.models import ExamSession, Item
    from extender.assessment.simulate import simulate_sittings

    for track in curriculum.list_tracks(session):
        if session.scalar(select(Item.id).where(Item.track_id == track.id)) is None:
            continue
        if not forms.forms_of(session, track):
            for made in forms.assemble(
                session, ACTOR, track, name=f"{track.code} 2026", seed=2026, parallel=2
            ):
                forms.publish(session, ACTOR, made)
    cpehr = curriculum.get_track(session, "CPEHR")
    for i in EXAM_READY:
        if delivery.eligibility(session, learners[i], cpehr) is None:
            delivery.grant_eligibility(
                session, ACTOR, learners[i], cpehr, time_factor=1.5 if i == 5 else 1.0
            )
    form = session.scalar(
        select(ExamForm)
        .where(ExamForm.track_id == cpehr.id, ExamForm.status == "published")
        .order_by(ExamForm.name)
    )
    if (
        form is None
        or session.scalar(select(ExamSession.id).where(ExamSession.form_id == form.id)) is not None
    ):
        return
    candidates = []
    for n in range(SIMULATED_SITTINGS):
        email = f"candidate{n + 1:03d}@simulated.extender.test"
        user = accounts.find_user_by_email(session, email)
        if user is None:
            # Simulated candidates cannot sign in: no password hash will ever verify.
            user = User(
                email=email,
                display_name=f"Simulated candidate {n + 1:03d}",
                password_hash="!simulated",
                is_active=False,
            )
            session.add(user)
        candidates.append(user)
    session.flush()
    simulate_sittings(session, form, cpehr, candidates, seed=2026)
    from extender.assessment import calibration

    run = calibration.run_calibration(session, ACTOR, cpehr, "2pl")
    if run.converged:
        calibration.approve(session, ACTOR, run)
        _seed_irt(session, cpehr, form)


def _seed_irt(session: Session, cpehr: Track, calibrated_form: ExamForm) -> None:
    """Show both uses of the approved calibration: the calibrated form is IRT-scored from now
    on, and an adaptive form over the calibrated items waits as a draft (publishing it switches
    CPEHR to adaptive delivery)."""
    from extender.assessment import adaptive, irt_scoring

    irt_scoring.use_irt_scoring(session, ACTOR, calibrated_form, cpehr, cut_theta=None)
    pool = len(calibrated_form.items["items"])
    adaptive.create_adaptive_form(
        session,
        ACTOR,
        cpehr,
        name="CPEHR adaptive",
        # A 30-item demo pool with tests of about 18 items cannot hold exposure below about
        # 0.6 (mean length / pool size), so the demo asks for 0.7; a real bank is larger.
        settings=adaptive.AdaptiveSettings(
            min_items=min(10, pool), max_items=min(25, pool), se_target=0.35, r_max=0.7
        ),
    )


REQUIRED_SCENARIOS = {
    "CPEHR": ["duplicate-patient-cleanup", "quality-measure-report"],
    "CPHIT": ["least-privilege-provisioning", "privacy-audit"],
    "CPHIE": ["inbound-lab-interface", "duplicate-patient-cleanup"],
}


def _seed_schedule(session: Session, cohort: Cohort) -> None:
    """Spread module due dates over the cohort's first 80% and scenarios after them."""
    modules = learning.modules_of(session, cohort.track)
    span = (cohort.ends_on - cohort.starts_on).days
    for i, module in enumerate(modules):
        exists = session.scalar(
            select(CohortModule).where(
                CohortModule.cohort_id == cohort.id, CohortModule.module_id == module.id
            )
        )
        if exists is None:
            due = cohort.starts_on + timedelta(days=int(span * 0.8 * (i + 1) / len(modules)))
            session.add(CohortModule(cohort_id=cohort.id, module_id=module.id, due_on=due))
    for j, slug in enumerate(REQUIRED_SCENARIOS.get(cohort.track.code, [])):
        required = session.scalar(
            select(CohortScenario).where(
                CohortScenario.cohort_id == cohort.id, CohortScenario.scenario_slug == slug
            )
        )
        if required is None:
            due = cohort.starts_on + timedelta(days=int(span * (0.6 + 0.15 * j)))
            session.add(CohortScenario(cohort_id=cohort.id, scenario_slug=slug, due_on=due))
    if cohort.exam_opens_on is None:
        # Learners may sit the exam from midway through the cohort until a year after it ends.
        cohort.exam_opens_on = cohort.starts_on + timedelta(days=span // 2)
        cohort.exam_closes_on = cohort.ends_on + timedelta(days=365)


def _seed_progress(
    session: Session, cohort: Cohort, plan: CohortPlan, learners: list[User], today: date
) -> None:
    """Varied, deterministic progress: finished learners did everything; in a running
    cohort each learner is somewhere between behind and ahead of the calendar."""
    lessons = [ls for m in learning.modules_of(session, cohort.track) for ls in m.lessons]
    if not lessons:
        return
    share = min(
        1.0,
        max(
            0.0, (today - cohort.starts_on).days / max(1, (cohort.ends_on - cohort.starts_on).days)
        ),
    )
    for n, i in enumerate(plan.learners):
        user = learners[i]
        if (
            session.scalar(
                select(LessonRead.id)
                .join(Lesson)
                .join(Module)
                .where(LessonRead.user_id == user.id, Module.track_id == cohort.track_id)
            )
            is not None
        ):
            continue
        enrollment = session.scalar(
            select(Enrollment).where(
                Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id
            )
        )
        done = (
            1.0
            if enrollment is not None and enrollment.status == "completed"
            else (share * (0.4 + 0.25 * (n % 5)))
        )
        for k, lesson in enumerate(lessons[: round(done * len(lessons))]):
            learning.mark_read(session, user, lesson)
            questions = lesson.check["questions"]
            fails = 1 if (n + k) % 4 == 0 and done < 1.0 else 0
            if n % 7 == 3:
                fails = 2  # a learner who keeps failing checks
            for attempt in range(fails + 1):
                right = attempt == fails
                answers = {
                    f"q{qi}": q["answer"]
                    if right
                    else next(o["id"] for o in q["options"] if o["id"] != q["answer"])
                    for qi, q in enumerate(questions)
                }
                learning.grade_check(session, user, lesson, answers)


def _seed_cohort(
    session: Session,
    report: SeedReport,
    plan: CohortPlan,
    program: Organization,
    learners: list[User],
    today: date,
) -> None:
    cohort = session.scalar(select(Cohort).where(Cohort.slug == plan.slug))
    if cohort is None:
        starts = today + timedelta(days=plan.start_offset_days)
        cohort = curriculum.create_cohort(
            session,
            ACTOR,
            program=program,
            track_code=plan.track,
            slug=plan.slug,
            name=plan.name,
            starts_on=starts,
            ends_on=starts + timedelta(weeks=plan.weeks),
            is_open=plan.is_open,
        )
        report.created_cohorts += 1
    instructor = accounts.find_user_by_email(session, plan.instructor)
    assert instructor is not None
    if (
        session.scalar(
            select(CohortStaff).where(
                CohortStaff.cohort_id == cohort.id, CohortStaff.user_id == instructor.id
            )
        )
        is None
    ):
        curriculum.assign_instructor(session, ACTOR, cohort, instructor)
    for n, i in enumerate(plan.learners):
        user = learners[i]
        enrollment = session.scalar(
            select(Enrollment).where(
                Enrollment.cohort_id == cohort.id, Enrollment.user_id == user.id
            )
        )
        if enrollment is not None:
            continue
        enrollment = curriculum.enroll(session, ACTOR, cohort, user)
        report.created_enrollments += 1
        if n < plan.completed:
            curriculum.complete_enrollment(session, ACTOR, enrollment)
        elif n >= len(plan.learners) - plan.withdrawn:
            enrollment.status = "withdrawn"


def demo_logins() -> list[tuple[str, str]]:
    rows = [(role.value, email) for email, _, _, role in STAFF]
    rows.append((Role.LEARNER.value, learner_email(8)))
    rows.append(("learner, exam-ready", learner_email(3)))
    return rows
