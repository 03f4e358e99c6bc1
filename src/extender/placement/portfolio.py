"""A learner's portfolio, built only from records Extender itself verified: practicum
scenarios graded from sandbox state, secure exam sessions scored by the platform, and issued
credentials. Nothing a learner types in reaches it, and each item says how it was verified.

The same records give the *evidence* that recommendations score against."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.assessment.models import ExamSession
from extender.credentials.service import HeldCredential, held_credentials_of
from extender.curriculum.models import Track
from extender.placement.recommend import Evidence
from extender.practicum.models import ScenarioAttempt
from extender.practicum.scenarios import ScenarioSpec

EVIDENCE_SECTIONS = ("credentials", "practicum", "exams")
# Exam domain levels (assessment.scoring.DomainResult.level) that evidence a domain.
DOMAIN_LEVELS_MET = frozenset({"strong", "adequate"})


@dataclass(frozen=True)
class PortfolioItem:
    section: str
    code: str
    title: str
    detail: str
    verified: str
    when: datetime | date | None
    objectives: tuple[str, ...] = ()
    domains: tuple[dict[str, Any], ...] = ()
    link: str | None = None


@dataclass
class Portfolio:
    user_id: str
    credentials: list[PortfolioItem] = field(default_factory=list)
    practicum: list[PortfolioItem] = field(default_factory=list)
    exams: list[PortfolioItem] = field(default_factory=list)
    exam_domains: dict[str, set[str]] = field(default_factory=dict)
    lapsed: frozenset[str] = frozenset()
    """Achievement codes whose every issued credential is expired, suspended or revoked."""

    def section(self, name: str) -> list[PortfolioItem]:
        items: list[PortfolioItem] = getattr(self, name)
        return items

    def is_empty(self) -> bool:
        return not (self.credentials or self.practicum or self.exams)

    def evidence(self, sections: Collection[str] = EVIDENCE_SECTIONS) -> Evidence:
        """What the items in ``sections`` prove. A passed exam also satisfies a requirement
        for that track's credential, and a passed scenario for that scenario's badge, so a
        learner whose credential is not yet issued is not shut out; but not once that
        credential has been issued and has lapsed (expired, suspended or revoked): the exam
        or scenario behind it then still evidences its objectives, not the credential."""
        objectives: set[str] = set()
        domains: set[str] = set()
        achievements: set[str] = set()
        for name in sections:
            for item in self.section(name):
                objectives.update(item.objectives)
                if name == "credentials" or item.code not in self.lapsed:
                    achievements.add(item.code)
                if name == "exams":
                    domains.update(self.exam_domains.get(item.code, ()))
        return Evidence(frozenset(objectives), frozenset(domains), frozenset(achievements))


def _credential_items(held: list[HeldCredential]) -> list[PortfolioItem]:
    items = []
    for c in held:
        if c.status != "active":
            continue
        until = c.valid_until
        items.append(
            PortfolioItem(
                section="credentials",
                code=str(c.achievement_code),
                title=str(c.name),
                detail=f"valid from {c.valid_from:%Y-%m-%d}"
                + (f" until {until:%Y-%m-%d}" if until else ""),
                verified="Signed credential issued by Extender; anyone can check its "
                "signature and revocation status on its public page.",
                when=c.valid_from,
                objectives=c.objective_codes,
                link=c.public_url,
            )
        )
    return items


def _lapsed(held: list[HeldCredential]) -> frozenset[str]:
    codes = {str(c.achievement_code) for c in held}
    active = {str(c.achievement_code) for c in held if c.status == "active"}
    return frozenset(codes - active)


def _practicum_items(
    attempts: Iterable[ScenarioAttempt], scenarios: Mapping[str, ScenarioSpec]
) -> list[PortfolioItem]:
    best: dict[str, ScenarioAttempt] = {}
    for a in attempts:
        if not a.passed or a.submitted_at is None:
            continue
        seen = best.get(a.scenario_slug)
        if seen is None or (a.score or 0) > (seen.score or 0):
            best[a.scenario_slug] = a
    items = []
    for slug, a in sorted(best.items()):
        spec = scenarios.get(slug)
        items.append(
            PortfolioItem(
                section="practicum",
                code=slug,
                title=spec.title if spec else slug,
                detail=f"scored {a.score:g}%"
                + (f" (pass mark {spec.pass_score}%)" if spec else ""),
                verified="Graded automatically from the state of the learner's private sandbox "
                "EHR when the attempt was submitted.",
                when=a.submitted_at,
                objectives=tuple(spec.objectives) if spec else (),
            )
        )
    return items


def _exam_items(
    exams: Iterable[ExamSession], track_codes: Mapping[int, str]
) -> tuple[list[PortfolioItem], dict[str, set[str]]]:
    best: dict[str, ExamSession] = {}
    for e in exams:
        code = track_codes.get(e.track_id)
        if code is None or not e.passed or e.submitted_at is None:
            continue
        seen = best.get(code)
        if seen is None or (e.scaled_score or 0) > (seen.scaled_score or 0):
            best[code] = e
    items, domains = [], {}
    for code, e in sorted(best.items()):
        rows = tuple((e.domain_results or {}).get("domains", []))
        domains[code] = {str(r["domain"]) for r in rows if r.get("level") in DOMAIN_LEVELS_MET}
        items.append(
            PortfolioItem(
                section="exams",
                code=code,
                title=f"{code} certification exam",
                detail=f"passed with scaled score {e.scaled_score}",
                verified="Scored by Extender from a secure exam session (form and answers "
                "kept on the platform).",
                when=e.submitted_at,
                domains=rows,
            )
        )
    return items, domains


def portfolios(
    session: Session, user_ids: Collection[str], scenarios: Mapping[str, ScenarioSpec]
) -> dict[str, Portfolio]:
    """Portfolios of many learners with one query per source."""
    ids = list(user_ids)
    if not ids:
        return {}
    attempts: dict[str, list[ScenarioAttempt]] = {u: [] for u in ids}
    for a in session.scalars(
        select(ScenarioAttempt).where(
            ScenarioAttempt.user_id.in_(ids), ScenarioAttempt.passed.is_(True)
        )
    ):
        attempts[a.user_id].append(a)
    exams: dict[str, list[ExamSession]] = {u: [] for u in ids}
    for e in session.scalars(
        select(ExamSession).where(ExamSession.user_id.in_(ids), ExamSession.passed.is_(True))
    ):
        exams[e.user_id].append(e)
    track_codes = {i: c for i, c in session.execute(select(Track.id, Track.code))}
    held = held_credentials_of(session, ids)
    out = {}
    for uid in ids:
        creds = _credential_items(held[uid])
        exam_items, domains = _exam_items(exams[uid], track_codes)
        out[uid] = Portfolio(
            user_id=uid,
            credentials=creds,
            practicum=_practicum_items(attempts[uid], scenarios),
            exams=exam_items,
            exam_domains=domains,
            lapsed=_lapsed(held[uid]),
        )
    return out


def portfolio(session: Session, user_id: str, scenarios: Mapping[str, ScenarioSpec]) -> Portfolio:
    return portfolios(session, [user_id], scenarios)[user_id]
