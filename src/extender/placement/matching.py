"""Cohort match: learners and sites rank each other, and slots are filled residency-match style.

Why deferred acceptance: a placement round is only trusted if nobody can point at a learner and
a site who would both rather have had each other (a *blocking pair*); such pairs go around the
match and unravel it. Learner-proposing deferred acceptance always yields a stable matching, and
among all stable matchings the one every learner likes best, so it is also the matching in which
no learner gains by misreporting their list. Preferences are strict and may be truncated: a pair
is acceptable only when each side ranks the other.

The module is pure (no database, no web) so services, the CLI and benchmarks share one solver.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple, NoReturn

from extender.errors import InvalidInput

__all__ = [
    "BlockingPair",
    "MatchInputError",
    "MatchInstance",
    "MatchResult",
    "find_blocking_pairs",
    "run_match",
]

LearnerId = str
SiteId = str


class MatchInputError(InvalidInput, ValueError):
    """Rank lists or capacities the match cannot honour.

    A ``ValueError`` for library callers and an ``InvalidInput`` so the web layer and the CLI
    report it with its message; ``offending_id`` names the learner or site to fix.
    """

    def __init__(self, message: str, *, offending_id: object, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.offending_id = offending_id


@dataclass(frozen=True)
class MatchInstance:
    """One match round, checked once at construction so every later step can trust it.

    ``learner_prefs`` maps each learner to the sites they rank, best first; ``site_prefs`` maps
    each site (opportunity) to the learners it ranks, best first; ``capacities`` gives each
    site's slots. Lists are copied into tuples behind read-only mappings: a caller mutating its
    own lists afterwards cannot invalidate an instance that has already passed validation.

    Checking a site's list for repeats and building its rank table are one pass, so the
    instance keeps that table for the solver instead of building it twice.
    """

    learner_prefs: Mapping[LearnerId, Sequence[SiteId]]
    site_prefs: Mapping[SiteId, Sequence[LearnerId]]
    capacities: Mapping[SiteId, int]
    _site_rank: Mapping[SiteId, Mapping[LearnerId, int]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        capacities = _checked_capacities(self.capacities, self.site_prefs)
        learner_prefs = _copied_rank_lists(self.learner_prefs, "learner", "site")
        site_prefs = _copied_rank_lists(self.site_prefs, "site", "learner")
        _check_learner_lists(learner_prefs, frozenset(site_prefs))
        site_rank = _site_rank_tables(site_prefs, frozenset(learner_prefs))
        object.__setattr__(self, "capacities", MappingProxyType(capacities))
        object.__setattr__(self, "learner_prefs", MappingProxyType(learner_prefs))
        object.__setattr__(self, "site_prefs", MappingProxyType(site_prefs))
        object.__setattr__(self, "_site_rank", MappingProxyType(site_rank))


class BlockingPair(NamedTuple):
    """A learner and a site who both prefer each other to what the matching gave them."""

    learner: LearnerId
    site: SiteId


@dataclass(frozen=True)
class MatchResult:
    """The outcome of a round, in the shapes its readers need.

    Learners want ``assignments``; a site wants its own roster (``site_assignments``, in the
    site's rank order); staff want to see who is left over (``unmatched_learners``) and which
    sites still have slots to offer in a scramble (``unfilled_sites``, site to open slots).
    Learners and sites keep their input order throughout, so reports are reproducible. The
    mappings are plain dicts so a service can serialize them as they are.
    """

    assignments: Mapping[LearnerId, SiteId]
    site_assignments: Mapping[SiteId, tuple[LearnerId, ...]]
    unmatched_learners: tuple[LearnerId, ...]
    unfilled_sites: Mapping[SiteId, int]


def run_match(instance: MatchInstance) -> MatchResult:
    """Return the learner-optimal stable matching of ``instance``.

    Each site keeps a max-heap of the learners it holds keyed by its rank of them, so a proposal
    costs one rank lookup and at most one O(log capacity) heap step, and a rejected learner
    resumes from where their list left off: the whole run is linear in the lists' length.
    """
    held = _defer_acceptance(instance)
    return _collect_result(instance, held)


def find_blocking_pairs(instance: MatchInstance, result: MatchResult) -> list[BlockingPair]:
    """Return every blocking pair of ``result.assignments``; an empty list means stable.

    Deliberately shares no code with the solver: it reads only ``assignments`` and tests the
    textbook definition pair by pair, so it can catch a solver bug instead of repeating it. A
    partner outside someone's list counts as worse than any listed one, so an unacceptable
    assignment shows up as blocking pairs rather than passing silently.
    """
    _check_result_ids(instance, result)
    site_rank = {
        site: {learner: position for position, learner in enumerate(ranked)}
        for site, ranked in instance.site_prefs.items()
    }
    filled, worst_held = _site_standing(instance, result.assignments, site_rank)
    pairs: list[BlockingPair] = []
    for learner, ranked in instance.learner_prefs.items():
        for site in _sites_preferred_to(ranked, result.assignments.get(learner)):
            rank = site_rank[site].get(learner)
            if rank is None:
                continue
            if filled[site] < instance.capacities[site] or rank < worst_held[site]:
                pairs.append(BlockingPair(learner, site))
    return pairs


def _site_standing(
    instance: MatchInstance,
    assignments: Mapping[LearnerId, SiteId],
    site_rank: Mapping[SiteId, Mapping[LearnerId, int]],
) -> tuple[dict[SiteId, int], dict[SiteId, int]]:
    """Count each site's learners and find the rank of the worst one it was given."""
    filled = dict.fromkeys(instance.site_prefs, 0)
    worst_held = dict.fromkeys(instance.site_prefs, -1)
    for learner, site in assignments.items():
        filled[site] += 1
        rank = site_rank[site].get(learner, len(instance.site_prefs[site]))
        worst_held[site] = max(worst_held[site], rank)
    return filled, worst_held


def _sites_preferred_to(ranked: Sequence[SiteId], current: SiteId | None) -> Sequence[SiteId]:
    if current is not None and current in ranked:
        return ranked[: ranked.index(current)]
    return ranked


def _defer_acceptance(instance: MatchInstance) -> dict[SiteId, list[tuple[int, LearnerId]]]:
    """Run the proposals; return, per site, a heap of (-rank, learner) it finally holds."""
    learner_prefs = instance.learner_prefs
    capacities = instance.capacities
    site_rank = instance._site_rank
    held: dict[SiteId, list[tuple[int, LearnerId]]] = {site: [] for site in capacities}
    next_choice = dict.fromkeys(learner_prefs, 0)
    free = list(learner_prefs)
    free.reverse()
    push, swap = heapq.heappush, heapq.heapreplace

    while free:
        learner = free.pop()
        ranked = learner_prefs[learner]
        choice = next_choice[learner]
        while choice < len(ranked):
            site = ranked[choice]
            choice += 1
            rank = site_rank[site].get(learner)
            if rank is None:
                continue
            holding = held[site]
            if len(holding) < capacities[site]:
                push(holding, (-rank, learner))
                break
            if rank < -holding[0][0]:
                free.append(swap(holding, (-rank, learner))[1])
                break
        next_choice[learner] = choice
    return held


def _collect_result(
    instance: MatchInstance, held: Mapping[SiteId, list[tuple[int, LearnerId]]]
) -> MatchResult:
    site_of: dict[LearnerId, SiteId] = {}
    site_assignments: dict[SiteId, tuple[LearnerId, ...]] = {}
    unfilled: dict[SiteId, int] = {}
    for site, holding in held.items():
        roster = tuple(learner for _, learner in sorted(holding, reverse=True))
        site_assignments[site] = roster
        site_of.update(dict.fromkeys(roster, site))
        open_slots = instance.capacities[site] - len(roster)
        if open_slots:
            unfilled[site] = open_slots
    learners = instance.learner_prefs
    return MatchResult(
        assignments={lr: site_of[lr] for lr in learners if lr in site_of},
        site_assignments=site_assignments,
        unmatched_learners=tuple(lr for lr in learners if lr not in site_of),
        unfilled_sites=unfilled,
    )


def _checked_capacities(
    capacities: Mapping[SiteId, int], site_prefs: Mapping[SiteId, object]
) -> dict[SiteId, int]:
    for site in site_prefs:
        if site not in capacities:
            raise MatchInputError(
                f"site {site!r} has no capacity", offending_id=site, field="capacities"
            )
    checked: dict[SiteId, int] = {}
    for site, slots in capacities.items():
        if site not in site_prefs:
            raise MatchInputError(
                f"capacity given for unknown site {site!r}", offending_id=site, field="capacities"
            )
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise MatchInputError(
                f"site {site!r} has capacity {slots!r}; it must be a whole number of at least 1",
                offending_id=site,
                field="capacities",
            )
        checked[site] = slots
    return checked


def _copied_rank_lists(
    lists: Mapping[str, Sequence[str]], owner_kind: str, ranked_kind: str
) -> dict[str, tuple[str, ...]]:
    copied: dict[str, tuple[str, ...]] = {}
    for owner, ranked in lists.items():
        if isinstance(ranked, str):
            raise MatchInputError(
                f"{owner_kind} {owner!r} must rank a list of {ranked_kind} ids, not a string",
                offending_id=owner,
                field=f"{owner_kind}_prefs",
            )
        copied[owner] = tuple(ranked)
    return copied


def _check_learner_lists(
    learner_prefs: Mapping[LearnerId, tuple[SiteId, ...]], sites: frozenset[SiteId]
) -> None:
    """Fail on the first unknown or repeated site; two C-level set operations per list."""
    for learner, ranked in learner_prefs.items():
        distinct = set(ranked)
        if len(distinct) != len(ranked) or not distinct <= sites:
            _raise_first_bad_id("learner", learner, ranked, sites, "site")


def _site_rank_tables(
    site_prefs: Mapping[SiteId, tuple[LearnerId, ...]], learners: frozenset[LearnerId]
) -> dict[SiteId, dict[LearnerId, int]]:
    """Index each site's list by learner, failing on the first unknown or repeated learner.

    A repeat shows up as a table shorter than its list, so the check costs nothing beyond the
    index. Every table shares one pool of position ints: fresh ones would add tens of bytes per
    entry, which on full lists means tens of millions of entries.
    """
    positions = list(range(max(map(len, site_prefs.values()), default=0)))
    tables: dict[SiteId, dict[LearnerId, int]] = {}
    for site, ranked in site_prefs.items():
        table = dict(zip(ranked, positions, strict=False))
        if len(table) != len(ranked) or not learners.issuperset(table):
            _raise_first_bad_id("site", site, ranked, learners, "learner")
        tables[site] = table
    return tables


def _raise_first_bad_id(
    owner_kind: str, owner: str, ranked: Iterable[str], known: frozenset[str], ranked_kind: str
) -> NoReturn:
    field_name = f"{owner_kind}_prefs"
    seen: set[str] = set()
    for other in ranked:
        if other not in known:
            raise MatchInputError(
                f"{owner_kind} {owner!r} ranks unknown {ranked_kind} {other!r}",
                offending_id=other,
                field=field_name,
            )
        if other in seen:
            raise MatchInputError(
                f"{owner_kind} {owner!r} ranks {ranked_kind} {other!r} more than once",
                offending_id=other,
                field=field_name,
            )
        seen.add(other)
    raise AssertionError(f"rank list of {owner_kind} {owner!r} was reported invalid but is not")


def _check_result_ids(instance: MatchInstance, result: MatchResult) -> None:
    for learner, site in result.assignments.items():
        if learner not in instance.learner_prefs:
            raise MatchInputError(
                f"result assigns unknown learner {learner!r}", offending_id=learner
            )
        if site not in instance.site_prefs:
            raise MatchInputError(
                f"result assigns learner {learner!r} to unknown site {site!r}", offending_id=site
            )
