"""Transparent fit scores between a learner and an opportunity (pure: no database, no web).

A score is 0-100, the weighted sum of parts a learner or recruiter can check by hand:

| part | weight | value |
| --- | --- | --- |
| required competencies | 35 | share of required codes the verified evidence covers |
| preferred competencies | 20 | share of preferred codes covered |
| required credentials | 15 | share of required achievements held |
| location | 15 | remote, or closer within the travel radius |
| availability | 10 | share of its weekdays the learner is free; 0 if dates never overlap |
| kind | 5 | the learner asked for this kind of opportunity |

A part with nothing to check (no preferred codes, say) counts in full; a part the learner has
not told us about (no ZIP, no days) counts half, so an incomplete profile neither wins nor
loses outright. Ranking puts every posting whose requirements are all met above every one
where something required is missing, then reachable above unreachable, then score, then the
newest posting and finally the id, so equal scores always come out in the same order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, NamedTuple

from extender.placement.geo import haversine_miles

WEIGHTS = {
    "required": 35.0,
    "preferred": 20.0,
    "credentials": 15.0,
    "location": 15.0,
    "availability": 10.0,
    "kind": 5.0,
}
UNKNOWN = 0.5


@dataclass(frozen=True)
class Evidence:
    """Verified evidence: objective codes, exam domains passed, achievements held."""

    objectives: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    achievements: frozenset[str] = frozenset()

    def covers(self, code: str) -> bool:
        """A domain code is covered by passing that exam domain; an objective code by
        evidence of the objective itself or by passing its domain."""
        if "." in code:
            return code in self.objectives or code.rsplit(".", 1)[0] in self.domains
        return code in self.domains

    def is_empty(self) -> bool:
        return not (self.objectives or self.domains or self.achievements)


@dataclass(frozen=True)
class Seeker:
    evidence: Evidence = Evidence()
    lat: float | None = None
    lon: float | None = None
    travel_miles: int = 25
    remote_ok: bool = True
    days: frozenset[str] = frozenset()
    available_from: date | None = None
    available_until: date | None = None
    kinds: frozenset[str] = frozenset()
    has_profile: bool = False


@dataclass(frozen=True)
class Posting:
    id: str
    published_at: datetime
    kind: str
    remote: bool = False
    lat: float | None = None
    lon: float | None = None
    days: frozenset[str] = frozenset()
    starts_on: date | None = None
    ends_on: date | None = None
    required: tuple[str, ...] = ()
    preferred: tuple[str, ...] = ()
    credentials: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reason:
    status: Literal["met", "missing", "info"]
    text: str


@dataclass(frozen=True)
class Part:
    """One line of the score: its points out of its weight, and how they were earned."""

    name: str
    points: float
    weight: float
    how: str


@dataclass(frozen=True)
class Fit:
    posting: Posting
    score: float
    eligible: bool
    reachable: bool
    distance_miles: float | None
    reasons: tuple[Reason, ...]
    parts: tuple[Part, ...] = ()

    @property
    def missing(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.status == "missing")


def _share(codes: Sequence[str], have: Iterable[bool]) -> float:
    return sum(have) / len(codes) if codes else 1.0


def _distance(seeker: Seeker, posting: Posting) -> float | None:
    if posting.remote or None in (seeker.lat, seeker.lon, posting.lat, posting.lon):
        return None
    return haversine_miles(seeker.lat, seeker.lon, posting.lat, posting.lon)  # type: ignore[arg-type]


def _location(seeker: Seeker, posting: Posting, miles: float | None) -> tuple[float, bool]:
    if posting.remote:
        return (1.0 if seeker.remote_ok else UNKNOWN), True
    if miles is None:
        return UNKNOWN, True
    radius = max(seeker.travel_miles, 1)
    if miles > radius:
        return 0.0, False
    return 1.0 - 0.5 * miles / radius, True


def _dates_overlap(seeker: Seeker, posting: Posting) -> bool:
    if seeker.available_until and posting.starts_on and seeker.available_until < posting.starts_on:
        return False
    return not (
        seeker.available_from and posting.ends_on and posting.ends_on < seeker.available_from
    )


def _availability(seeker: Seeker, posting: Posting) -> float:
    if not _dates_overlap(seeker, posting):
        return 0.0
    if not posting.days or not seeker.days:
        return UNKNOWN if not seeker.days else 1.0
    return len(posting.days & seeker.days) / len(posting.days)


def _kind(seeker: Seeker, posting: Posting) -> float:
    if not seeker.kinds:
        return UNKNOWN
    return 1.0 if posting.kind in seeker.kinds else 0.0


class _Parts(NamedTuple):
    """One posting's parts for one seeker (a named tuple: ranking builds one per posting,
    and a tuple is several times cheaper to make than a frozen dataclass)."""

    required: list[bool]
    preferred: list[bool]
    credentials: list[bool]
    miles: float | None
    location: float
    reachable: bool
    availability: float
    kind: float

    @property
    def eligible(self) -> bool:
        return all(self.required) and all(self.credentials)

    def values(self, posting: Posting) -> dict[str, float]:
        """Each part's value from 0 to 1, keyed like ``WEIGHTS``."""
        return {
            "required": _share(posting.required, self.required),
            "preferred": _share(posting.preferred, self.preferred),
            "credentials": _share(posting.credentials, self.credentials),
            "location": self.location,
            "availability": self.availability,
            "kind": self.kind,
        }

    def score(self, posting: Posting) -> float:
        values = self.values(posting)
        return round(sum([WEIGHTS[name] * values[name] for name in WEIGHTS]), 6)


def _parts(seeker: Seeker, posting: Posting) -> _Parts:
    ev = seeker.evidence
    miles = _distance(seeker, posting)
    location, reachable = _location(seeker, posting, miles)
    return _Parts(
        required=[ev.covers(c) for c in posting.required],
        preferred=[ev.covers(c) for c in posting.preferred],
        credentials=[c in ev.achievements for c in posting.credentials],
        miles=miles,
        location=location,
        reachable=reachable,
        availability=_availability(seeker, posting),
        kind=_kind(seeker, posting),
    )


def _reasons(seeker: Seeker, posting: Posting, p: _Parts) -> tuple[Reason, ...]:
    out: list[Reason] = []
    for label, codes, have in (
        ("required competency", posting.required, p.required),
        ("preferred competency", posting.preferred, p.preferred),
        ("required credential", posting.credentials, p.credentials),
    ):
        for code, ok in zip(codes, have, strict=True):
            verb = "verified" if ok else "no verified evidence yet"
            out.append(Reason("met" if ok else "missing", f"{label} {code}: {verb}"))
    if posting.remote:
        out.append(Reason("met" if seeker.remote_ok else "info", "remote"))
    elif p.miles is None:
        out.append(Reason("info", "no ZIP code in the profile yet: distance unknown"))
    else:
        status: Literal["met", "missing"] = "met" if p.reachable else "missing"
        out.append(
            Reason(status, f"{p.miles:.0f} miles away (travel radius {seeker.travel_miles})")
        )
    if not _dates_overlap(seeker, posting):
        out.append(Reason("missing", "its dates fall outside the learner's availability"))
    elif posting.days and seeker.days:
        shared = [
            d
            for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            if d in seeker.days and d in posting.days
        ]
        status = "met" if shared else "missing"
        out.append(Reason(status, f"free on {len(shared)} of its {len(posting.days)} days"))
    if seeker.kinds:
        wanted = posting.kind in seeker.kinds
        out.append(
            Reason(
                "met" if wanted else "info",
                f"{posting.kind}: " + ("a kind wanted" if wanted else "not a kind asked for"),
            )
        )
    if not seeker.has_profile or seeker.evidence.is_empty():
        out.append(Reason("info", "profile or portfolio incomplete: the match is rough"))
    return tuple(out)


def _counted(codes: Sequence[str], have: Sequence[bool]) -> str:
    return f"{sum(have)} of {len(codes)} verified" if codes else "none asked for: full points"


def _told(told: bool, text: str) -> str:
    return text if told else "not in the profile: counts half"


def _breakdown(seeker: Seeker, posting: Posting, p: _Parts) -> tuple[Part, ...]:
    """The score line by line; the points add up to the score (to rounding)."""
    values = p.values(posting)
    if posting.remote:
        where = "remote" if seeker.remote_ok else "remote, but on-site was asked for: counts half"
    elif p.miles is None:
        where = "no ZIP code in the profile: counts half"
    else:
        where = f"{p.miles:.0f} of up to {seeker.travel_miles} miles"
    if not _dates_overlap(seeker, posting):
        when = "the dates do not overlap"
    elif not seeker.days:
        when = "no days in the profile: counts half"
    elif not posting.days:
        when = "no fixed days"
    else:
        when = f"free on {len(posting.days & seeker.days)} of its {len(posting.days)} days"
    how = {
        "required": _counted(posting.required, p.required),
        "preferred": _counted(posting.preferred, p.preferred),
        "credentials": _counted(posting.credentials, p.credentials),
        "location": where,
        "availability": when,
        "kind": _told(
            bool(seeker.kinds),
            "a kind wanted" if values["kind"] else "not a kind asked for",
        ),
    }
    return tuple(
        Part(name, round(WEIGHTS[name] * values[name], 1), WEIGHTS[name], how[name])
        for name in WEIGHTS
    )


def fit(seeker: Seeker, posting: Posting) -> Fit:
    """The score of one posting for one learner, with every reason behind it."""
    p = _parts(seeker, posting)
    return Fit(
        posting,
        p.score(posting),
        p.eligible,
        p.reachable,
        p.miles,
        _reasons(seeker, posting, p),
        _breakdown(seeker, posting, p),
    )


def _key(score: float, eligible: bool, reachable: bool, posting: Posting) -> tuple[object, ...]:
    return (not eligible, not reachable, -score, -posting.published_at.timestamp(), posting.id)


def rank_postings(seeker: Seeker, postings: Iterable[Posting], limit: int = 20) -> list[Fit]:
    """The ``limit`` best postings for a learner, best first. Reasons are written only for
    the postings returned, so ranking thousands stays cheap."""
    keyed = []
    for posting in postings:
        p = _parts(seeker, posting)
        keyed.append((_key(p.score(posting), p.eligible, p.reachable, posting), posting))
    best = heapq.nsmallest(limit, keyed, key=lambda kp: kp[0])
    return [fit(seeker, posting) for _, posting in best]


def rank_seekers(
    posting: Posting, seekers: Iterable[tuple[str, Seeker]], limit: int = 20
) -> list[tuple[str, Fit]]:
    """The ``limit`` learners who fit one posting best; ties go to the smaller learner id."""
    scored = [(uid, fit(seeker, posting)) for uid, seeker in seekers]
    scored.sort(key=lambda uf: (not uf[1].eligible, not uf[1].reachable, -uf[1].score, uf[0]))
    return scored[:limit]
