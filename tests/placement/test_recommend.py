"""Properties of the pure fit score: monotone in evidence, requirements first, stable ties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from extender.placement import routes
from extender.placement.recommend import (
    WEIGHTS,
    Evidence,
    Posting,
    Seeker,
    fit,
    rank_postings,
    rank_seekers,
)
from extender.web import templating

CODES = [f"CPEHR-{d}.{o}" for d in (1, 2, 3) for o in (1, 2, 3)]
DOMAINS = ["CPEHR-1", "CPEHR-2", "CPEHR-3"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)

codes = st.lists(st.sampled_from(CODES + DOMAINS), unique=True, max_size=5)
evidence = st.builds(
    Evidence,
    objectives=st.frozensets(st.sampled_from(CODES)),
    domains=st.frozensets(st.sampled_from(DOMAINS)),
    achievements=st.frozensets(st.sampled_from(["CPEHR", "CPHIT", "privacy-audit"])),
)
postings = st.builds(
    Posting,
    id=st.text("abcdef0123456789", min_size=4, max_size=8),
    published_at=st.integers(0, 400).map(lambda d: T0 + timedelta(days=d)),
    kind=st.sampled_from(["shadowing", "job"]),
    remote=st.booleans(),
    lat=st.floats(40, 45),
    lon=st.floats(-95, -85),
    days=st.frozensets(st.sampled_from(["mon", "tue", "wed", "thu", "fri"])),
    required=codes.map(tuple),
    preferred=codes.map(tuple),
    credentials=st.lists(st.sampled_from(["CPEHR", "CPHIT"]), unique=True, max_size=2).map(tuple),
)
seekers = st.builds(
    Seeker,
    evidence=evidence,
    lat=st.floats(40, 45),
    lon=st.floats(-95, -85),
    travel_miles=st.integers(0, 500),
    days=st.frozensets(st.sampled_from(["mon", "tue", "wed", "thu", "fri"])),
    kinds=st.frozensets(st.sampled_from(["shadowing", "job"])),
    has_profile=st.just(True),
)


def _more(a: Evidence, b: Evidence) -> Evidence:
    return Evidence(
        a.objectives | b.objectives, a.domains | b.domains, a.achievements | b.achievements
    )


@given(seekers, evidence, postings)
def test_it_never_scores_lower_with_more_evidence(
    seeker: Seeker, extra: Evidence, posting: Posting
) -> None:
    richer = Seeker(**{**seeker.__dict__, "evidence": _more(seeker.evidence, extra)})
    assert fit(richer, posting).score >= fit(seeker, posting).score
    assert fit(richer, posting).eligible or not fit(seeker, posting).eligible


@given(seekers, st.lists(postings, min_size=1, max_size=12, unique_by=lambda p: p.id))
def test_it_never_ranks_a_missing_requirement_above_a_met_one(
    seeker: Seeker, items: list[Posting]
) -> None:
    ranked = rank_postings(seeker, items, limit=len(items))
    flags = [f.eligible for f in ranked]
    assert flags == sorted(flags, reverse=True)
    assert {f.posting.id for f in ranked} == {p.id for p in items}


@given(seekers, st.lists(postings, min_size=1, max_size=12, unique_by=lambda p: p.id))
def test_it_ranks_the_same_way_whatever_the_input_order(
    seeker: Seeker, items: list[Posting]
) -> None:
    forward = [f.posting.id for f in rank_postings(seeker, items, limit=len(items))]
    backward = [
        f.posting.id for f in rank_postings(seeker, list(reversed(items)), limit=len(items))
    ]
    assert forward == backward


@given(seekers, postings)
def test_it_keeps_scores_between_0_and_100_and_explains_every_requirement(
    seeker: Seeker, posting: Posting
) -> None:
    result = fit(seeker, posting)
    assert 0 <= result.score <= 100
    texts = " ".join(r.text for r in result.reasons)
    for code in (*posting.required, *posting.preferred, *posting.credentials):
        assert code in texts


def test_it_breaks_ties_by_newest_then_id() -> None:
    older = Posting(id="b", published_at=T0, kind="job", remote=True)
    newer = Posting(id="c", published_at=T0 + timedelta(days=1), kind="job", remote=True)
    same_time = Posting(id="a", published_at=T0 + timedelta(days=1), kind="job", remote=True)
    ranked = rank_postings(Seeker(), [older, newer, same_time], limit=3)
    assert [f.posting.id for f in ranked] == ["a", "c", "b"]


def test_it_covers_an_objective_through_its_passed_exam_domain() -> None:
    posting = Posting(id="x", published_at=T0, kind="job", remote=True, required=("CPEHR-2.3",))
    assert not fit(Seeker(), posting).eligible
    assert fit(Seeker(evidence=Evidence(domains=frozenset({"CPEHR-2"}))), posting).eligible
    assert not fit(Seeker(evidence=Evidence(objectives=frozenset({"CPEHR-2.1"}))), posting).eligible


def test_it_asks_a_cold_start_learner_to_complete_their_profile() -> None:
    posting = Posting(id="x", published_at=T0, kind="shadowing", lat=43.0, lon=-89.4)
    result = fit(Seeker(), posting)
    texts = [r.text for r in result.reasons]
    assert "profile or portfolio incomplete: the match is rough" in texts
    assert "no ZIP code in the profile yet: distance unknown" in texts
    assert result.eligible and result.reachable


def test_it_marks_a_posting_beyond_the_travel_radius_unreachable() -> None:
    posting = Posting(id="x", published_at=T0, kind="job", lat=47.61, lon=-122.33)  # Seattle
    madison = Seeker(lat=43.08, lon=-89.38, travel_miles=50, has_profile=True)
    result = fit(madison, posting)
    assert (
        not result.reachable and result.distance_miles is not None and result.distance_miles > 1000
    )
    assert result.missing


def test_it_ranks_candidates_with_requirements_met_first_then_by_id() -> None:
    posting = Posting(id="x", published_at=T0, kind="job", remote=True, required=("CPEHR-1",))
    met = Seeker(evidence=Evidence(domains=frozenset({"CPEHR-1"})))
    ranked = rank_seekers(posting, [("u3", Seeker()), ("u2", met), ("u1", met)])
    assert [u for u, _ in ranked] == ["u1", "u2", "u3"]


@given(st.one_of(seekers, st.just(Seeker())), postings)
def test_its_breakdown_adds_up_to_the_score(seeker: Seeker, posting: Posting) -> None:
    result = fit(seeker, posting)
    assert [p.name for p in result.parts] == list(WEIGHTS)
    assert all(0 <= p.points <= p.weight == WEIGHTS[p.name] for p in result.parts)
    # Each part is shown to one decimal: the shown points add up to the score to rounding.
    assert abs(sum(p.points for p in result.parts) - result.score) <= 0.05 * len(WEIGHTS)


def test_it_says_which_points_a_cold_start_learner_gets_half_of() -> None:
    posting = Posting(
        id="x", published_at=T0, kind="job", lat=43.0, lon=-89.4, days=frozenset({"mon"})
    )
    parts = {p.name: p for p in fit(Seeker(), posting).parts}
    assert (parts["required"].points, parts["required"].how) == (35, "none asked for: full points")
    assert (parts["location"].points, parts["availability"].points, parts["kind"].points) == (
        7.5,
        5,
        2.5,
    )
    assert all("counts half" in parts[n].how for n in ("location", "availability", "kind"))


def test_the_fit_headline_shows_the_score_its_parts_add_up_to() -> None:
    """The headline is rounded as the parts are (one decimal), so 99.8 is not shown as 100."""
    templating.register_template_dir(Path(routes.__file__).parent / "templates")
    macro = templating.templates.env.get_template("placement/_fit.html").module.fit_block  # type: ignore[attr-defined]
    shown = str(
        macro(SimpleNamespace(score=99.84, eligible=True, reachable=True, reasons=(), parts=()))
    )
    assert "Fit 99.8/100" in shown
    whole = str(
        macro(SimpleNamespace(score=100.0, eligible=True, reachable=True, reasons=(), parts=()))
    )
    assert "Fit 100/100" in whole
