"""Exam blueprints and fixed-form assembly.

A blueprint says how much of an exam each content domain deserves; a form is one set of items
honouring it. Committees publish whole-percentage weights but a form holds whole items, so the
apportionment must be one a reviewer can redo with a calculator: Hamilton's largest-remainder
method, ties broken by domain code.

Assembly ranks its goals the way an exam committee does. Enemy items (two items that cue each
other or test the same fact) never share a form: that is a hard rule. Objective coverage comes
next, then exposure (less-seen items first, ties broken by the seeded RNG), then difficulty,
because a leaked or lopsided form cannot be repaired by statistics while a small difference in
mean difficulty is absorbed by equating.

Heuristic, in three steps:

1. *Construction.* Round-robin by domain, scarcest domain first, the forms taking turns in a
   rotating order; each form takes the eligible item (not excluded, no enemy already on the form,
   within the overlap limit) that is least shared with other forms, then new to the form's
   objectives, then least exposed, then first in the seeded random order. For one form this is
   "every objective once before any twice, less-exposed first".
2. *Exact fallback.* Enemies can make that greedy pass dead-end on a bank where a valid set of
   forms exists. Then an integer program (HiGHS, through ``scipy.optimize.milp``) maximizes the
   number of filled slots under the same rules, with the greedy preferences as tie-breaking
   weights too small to ever cost a slot. Its optimum is either a valid set of forms or a proof
   of how far short the fullest possible arrangement falls, domain by domain; that is what the
   error reports.
3. *Difficulty balancing.* Steepest-descent swaps that keep every rule: exchanging same-domain
   items between two forms (which moves no exposure) or replacing an item with an unused one no
   more exposed than the most exposed item its domain already needed, never losing an objective.
   Goals, in order: without ``target_difficulty``, the spread between the forms' mean
   difficulties, then their variance; with it, the sum of squared distances of the means from
   the target (which moves their average to the target and evens them out), then the spread.

Difficulty is the classical p-value. An item without statistics counts as
:data:`PRIOR_DIFFICULTY` (0.6): new certification items are written to be of moderate
difficulty, and a neutral prior keeps unrated items from pulling a form easy or hard.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from extender.errors import InvalidInput

__all__ = [
    "PRIOR_DIFFICULTY",
    "SOLVER_TIME_LIMIT",
    "AssembledForm",
    "AssemblyInfeasible",
    "BlueprintError",
    "CandidateItem",
    "ItemBankError",
    "assemble_form",
    "assemble_parallel_forms",
    "blueprint_counts",
]

PRIOR_DIFFICULTY = 0.6
SOLVER_TIME_LIMIT = 60.0  # seconds the exact fallback may spend before it gives up
_MAX_SWAPS = 500
_EPS = 1e-12


class BlueprintError(InvalidInput, ValueError):
    """The blueprint or the form request is malformed (weights, counts, targets, limits)."""


class ItemBankError(InvalidInput, ValueError):
    """A candidate item carries a value no real item can have."""


class AssemblyInfeasible(InvalidInput):
    """The bank cannot supply what the request asks; says which domain falls short and by how
    many items, so the committee knows what to write or what to relax."""

    def __init__(self, message: str, *, domain: str | None = None, shortfall: int = 0) -> None:
        super().__init__(message, field="counts")
        self.domain = domain
        self.shortfall = shortfall


def blueprint_counts(weights: Mapping[str, int], total_items: int) -> dict[str, int]:
    """Apportion ``total_items`` over domains by largest remainder, in integer arithmetic so
    the result never depends on floating-point rounding.

    When there are at least as many items as weighted domains, a domain the remainders left
    empty takes one item from the domain furthest above its exact quota: a committee that gave
    a domain weight expects to see it on the form.
    """
    _check_weights(weights)
    if isinstance(total_items, bool) or not isinstance(total_items, int) or total_items < 1:
        raise BlueprintError(
            f"total_items must be a positive whole number, got {total_items!r}",
            field="total_items",
        )
    counts = {d: w * total_items // 100 for d, w in weights.items()}
    left = total_items - sum(counts.values())
    by_remainder = sorted(weights, key=lambda d: (-(weights[d] * total_items % 100), d))
    for domain in by_remainder[:left]:
        counts[domain] += 1
    weighted = sorted(d for d, w in weights.items() if w > 0)
    if total_items >= len(weighted):
        for domain in (d for d in weighted if counts[d] == 0):
            donor = min(
                (d for d in counts if counts[d] >= 2),
                key=lambda d: (weights[d] * total_items - 100 * counts[d], -counts[d], d),
            )
            counts[donor] -= 1
            counts[domain] = 1
    return dict(sorted(counts.items()))


def _check_weights(weights: Mapping[str, int]) -> None:
    if not isinstance(weights, Mapping) or not weights:
        raise BlueprintError(
            "weights must map at least one domain to a percentage", field="weights"
        )
    for domain, weight in weights.items():
        if not isinstance(domain, str) or not domain:
            raise BlueprintError(f"domain code {domain!r} must be non-empty text", field="weights")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
            raise BlueprintError(
                f"weight of domain {domain!r} must be a whole percentage 0-100, got {weight!r}",
                field="weights",
            )
    total = sum(weights.values())
    if total != 100:
        raise BlueprintError(f"weights must sum to 100, they sum to {total}", field="weights")


@dataclass(frozen=True, slots=True)
class CandidateItem:
    """What assembly needs to know about an item, and nothing about its content.

    ``difficulty`` is the p-value (share of examinees answering correctly), or None before the
    item has statistics. ``enemies`` may be listed on one side only; assembly treats the
    relation as symmetric. ``exposure`` is how often the item has already been seen.
    """

    id: str
    domain: str
    objective: str
    difficulty: float | None = None
    enemies: frozenset[str] = field(default_factory=frozenset)
    exposure: int = 0

    def __post_init__(self) -> None:
        for name in ("id", "domain", "objective"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ItemBankError(f"item {name} must be non-empty text, got {value!r}")
        if self.difficulty is not None and not _share(self.difficulty):
            raise ItemBankError(f"item {self.id!r}: difficulty must be a p-value in [0, 1]")
        if isinstance(self.exposure, bool) or not isinstance(self.exposure, int):
            raise ItemBankError(f"item {self.id!r}: exposure must be a whole number")
        if self.exposure < 0:
            raise ItemBankError(f"item {self.id!r}: exposure cannot be negative")
        enemies = frozenset(self.enemies)
        if not all(isinstance(e, str) for e in enemies):
            raise ItemBankError(f"item {self.id!r}: enemies must be item ids")
        object.__setattr__(self, "enemies", enemies)


@dataclass(frozen=True)
class AssembledForm:
    """One form and the figures a committee signs off on. ``difficulty_spread`` is the largest
    difference in mean difficulty between forms assembled together (0 for a single form)."""

    items_by_domain: dict[str, tuple[str, ...]]
    mean_difficulty: float
    objectives_covered: dict[str, tuple[str, ...]]
    unrated_items: int
    difficulty_spread: float = 0.0

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i for ids in self.items_by_domain.values() for i in ids)

    @property
    def objective_count(self) -> int:
        return sum(len(objectives) for objectives in self.objectives_covered.values())


def assemble_form(
    items: Iterable[CandidateItem],
    counts: Mapping[str, int],
    *,
    seed: int,
    exclude: AbstractSet[str] = frozenset(),
    target_difficulty: float | None = None,
) -> AssembledForm:
    """One form meeting ``counts`` exactly; ``exclude`` keeps out items a candidate has seen
    or that are retired. The same bank, request and seed always give the same form."""
    _check_request(counts, seed, target_difficulty)
    bank = _Bank(items, exclude, seed)
    _check_supply(bank, counts, copies=1)
    forms = _construct(bank, counts, 1, shared=0)
    if target_difficulty is not None:
        _balance(forms, target_difficulty)
    return _report(forms, counts)[0]


def assemble_parallel_forms(
    items: Iterable[CandidateItem],
    counts: Mapping[str, int],
    n_forms: int,
    *,
    seed: int,
    max_overlap: float = 0.0,
    exclude: AbstractSet[str] = frozenset(),
    difficulty_tolerance: float | None = 0.02,
) -> list[AssembledForm]:
    """``n_forms`` forms meeting ``counts``, any two sharing at most ``max_overlap`` of their
    items (0 = disjoint), with mean difficulties matched as closely as the swaps can manage.

    Raises when the spread stays above ``difficulty_tolerance`` (None accepts any spread), so
    forms that would need heavy equating are never published silently. The default 0.02 in mean
    p-value is one raw-score point on a 50-item form: small enough for equating to absorb.
    """
    _check_request(counts, seed, None)
    if isinstance(n_forms, bool) or not isinstance(n_forms, int) or n_forms < 1:
        raise BlueprintError(f"n_forms must be a positive whole number, got {n_forms!r}")
    if not _share(max_overlap):
        raise BlueprintError(f"max_overlap must be a share in [0, 1], got {max_overlap!r}")
    if difficulty_tolerance is not None and not _share(difficulty_tolerance):
        raise BlueprintError(
            f"difficulty_tolerance must lie in [0, 1], got {difficulty_tolerance!r}"
        )
    bank = _Bank(items, exclude, seed)
    shared = math.floor(max_overlap * sum(counts.values()) + 1e-9)
    _check_supply(bank, counts, copies=n_forms if shared == 0 else 1)
    forms = _construct(bank, counts, n_forms, shared)
    _balance(forms, None)
    result = _report(forms, counts)
    spread = result[0].difficulty_spread
    if difficulty_tolerance is not None and spread > difficulty_tolerance + 1e-9:
        raise AssemblyInfeasible(
            f"the best forms found differ in mean difficulty by {spread:.3f}, more than the "
            f"tolerance {difficulty_tolerance}; add items near the bank's average difficulty, "
            "assemble fewer forms or widen the tolerance"
        )
    return result


def _check_request(counts: Mapping[str, int], seed: int, target: float | None) -> None:
    if not isinstance(counts, Mapping):
        raise BlueprintError("counts must map domain codes to item counts", field="counts")
    for domain, count in counts.items():
        if not isinstance(domain, str) or not domain:
            raise BlueprintError(f"domain code {domain!r} must be non-empty text", field="counts")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise BlueprintError(
                f"count for domain {domain!r} must be a whole number >= 0, got {count!r}",
                field="counts",
            )
    if sum(counts.values()) < 1:
        raise BlueprintError("counts must ask for at least one item", field="counts")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise BlueprintError(f"seed must be an integer, got {seed!r}", field="seed")
    if target is not None and not _share(target):
        raise BlueprintError(
            f"target_difficulty must be a p-value in [0, 1], got {target!r}",
            field="target_difficulty",
        )


def _share(value: object) -> bool:
    """A real number in [0, 1]: p-values, overlap shares and tolerances all live there."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


class _Bank:
    """Items indexed by position (sorted by id, so input order never changes the outcome), with
    the enemy relation made symmetric and a seeded random rank to break ties."""

    def __init__(self, items: Iterable[CandidateItem], exclude: AbstractSet[str], seed: int):
        given = list(items)
        for item in given:
            if not isinstance(item, CandidateItem):
                raise ItemBankError(f"expected CandidateItem, got {type(item).__name__}")
        self.items = sorted(given, key=lambda item: item.id)
        self.index: dict[str, int] = {}
        for position, item in enumerate(self.items):
            if item.id in self.index:
                raise ItemBankError(f"item id {item.id!r} appears more than once in the bank")
            self.index[item.id] = position
        self.p = [PRIOR_DIFFICULTY if it.difficulty is None else it.difficulty for it in self.items]
        links: list[set[int]] = [set() for _ in self.items]
        for position, item in enumerate(self.items):
            for other in item.enemies:
                j = self.index.get(other)
                if j is not None and j != position:
                    links[position].add(j)
                    links[j].add(position)
        self.enemies = [frozenset(linked) for linked in links]
        order = list(range(len(self.items)))
        random.Random(seed).shuffle(order)
        self.rank = [0] * len(order)
        for place, position in enumerate(order):
            self.rank[position] = place
        self.pool: dict[str, list[int]] = defaultdict(list)
        for position in order:
            if self.items[position].id not in exclude:
                self.pool[self.items[position].domain].append(position)

    def preference(self, position: int) -> tuple[int, int]:
        return self.items[position].exposure, self.rank[position]


def _check_supply(bank: _Bank, counts: Mapping[str, int], *, copies: int) -> None:
    for domain in sorted(counts):
        need, have = counts[domain] * copies, len(bank.pool.get(domain, ()))
        if have < need:
            forms = f" for {copies} disjoint forms" if copies > 1 else ""
            raise AssemblyInfeasible(
                f"domain {domain!r} needs {need} item(s){forms} but the bank has only {have} "
                f"eligible; short by {need - have}",
                domain=domain,
                shortfall=need - have,
            )


def _preference_order(bank: _Bank, pool: list[int]) -> list[int]:
    """Every objective's best item before any objective's second: coverage, then exposure."""
    depth: Counter[str] = Counter()
    keyed = []
    for i in sorted(pool, key=bank.preference):
        keyed.append((depth[bank.items[i].objective], *bank.preference(i), i))
        depth[bank.items[i].objective] += 1
    return [key[-1] for key in sorted(keyed)]


class _Forms:
    """Bookkeeping for forms being built, so each rule check costs a lookup, not a scan."""

    def __init__(self, bank: _Bank, n_forms: int, shared: int = 0) -> None:
        self.bank = bank
        self.shared = shared  # items any two forms may have in common
        self.members: list[set[int]] = [set() for _ in range(n_forms)]
        self.blocked: list[Counter[int]] = [Counter() for _ in range(n_forms)]
        self.objectives: list[Counter[tuple[str, str]]] = [Counter() for _ in range(n_forms)]
        self.totals = [0.0] * n_forms
        self.usage: defaultdict[int, set[int]] = defaultdict(set)
        self.overlap = [[0] * n_forms for _ in range(n_forms)]

    def key(self, item: int) -> tuple[str, str]:
        return self.bank.items[item].domain, self.bank.items[item].objective

    def add(self, f: int, item: int) -> None:
        for other in self.usage[item]:
            self.overlap[f][other] += 1
            self.overlap[other][f] += 1
        self.usage[item].add(f)
        self.members[f].add(item)
        self.blocked[f].update(self.bank.enemies[item])
        self.objectives[f][self.key(item)] += 1
        self.totals[f] += self.bank.p[item]

    def remove(self, f: int, item: int) -> None:
        self.usage[item].discard(f)
        for other in self.usage[item]:
            self.overlap[f][other] -= 1
            self.overlap[other][f] -= 1
        self.members[f].discard(item)
        self.blocked[f].subtract(self.bank.enemies[item])
        self.objectives[f][self.key(item)] -= 1
        self.totals[f] -= self.bank.p[item]

    def fits(self, f: int, item: int, leaving: int | None = None) -> bool:
        return self.blocked[f][item] == int(leaving in self.bank.enemies[item])

    def keeps_coverage(self, f: int, leaving: int, entering: int) -> bool:
        out, into = self.key(leaving), self.key(entering)
        return out == into or self.objectives[f][into] == 0 or self.objectives[f][out] > 1

    def may_share(
        self, f: int, item: int, *, leaving: int | None = None, partner: int | None = None
    ) -> bool:
        """Would ``item`` entering form ``f`` (in exchange for ``leaving``, taken from
        ``partner``) push any pair of forms past the sharing limit?"""
        gone = self.usage[leaving] if leaving is not None else set()
        return all(
            self.overlap[f][o] < self.shared
            for o in self.usage[item]
            if o not in (f, partner) and o not in gone
        )


def _construct(bank: _Bank, counts: Mapping[str, int], n_forms: int, shared: int) -> _Forms:
    forms = _Forms(bank, n_forms, shared)
    if _round_robin(forms, counts):
        return forms
    forms = _Forms(bank, n_forms, shared)
    for f, members in enumerate(_solve(bank, counts, n_forms, shared)):
        for i in members:
            forms.add(f, i)
    return forms


def _round_robin(forms: _Forms, counts: Mapping[str, int]) -> bool:
    """The greedy pass; False when enemies or the overlap limit leave some form stuck."""
    bank, n = forms.bank, len(forms.members)
    order = sorted(
        (d for d in counts if counts[d] > 0),
        key=lambda d: (len(bank.pool[d]) - n * counts[d], d),
    )
    turn = 0
    for domain in order:
        for _ in range(counts[domain]):
            for f in [(turn + k) % n for k in range(n)]:
                pick = _best_pick(forms, f, domain)
                if pick is None:
                    return False
                forms.add(f, pick)
            turn += 1
    return True


def _best_pick(forms: _Forms, f: int, domain: str) -> int | None:
    bank = forms.bank
    eligible = (
        i
        for i in bank.pool[domain]
        if i not in forms.members[f] and forms.fits(f, i) and forms.may_share(f, i)
    )
    return min(
        eligible,
        key=lambda i: (len(forms.usage[i]), forms.objectives[f][forms.key(i)], *bank.preference(i)),
        default=None,
    )


def _solve(bank: _Bank, counts: Mapping[str, int], n: int, shared: int) -> list[list[int]]:
    """The exact fallback; see the module docstring. Raises with the shortfall by domain."""
    length = sum(counts.values())
    domains = sorted(d for d in counts if counts[d] > 0)
    pool = [i for d in domains for i in _preference_order(bank, bank.pool[d])]
    m, column = len(pool), {item: k for k, item in enumerate(pool)}
    pairs = [(f, g) for f in range(n) for g in range(f + 1, n)] if 0 < shared < length else []
    rows = _Rows()
    for f in range(n):
        for d in domains:
            rows.add({f * m + column[i]: 1.0 for i in bank.pool[d]}, 0, counts[d])
        for k, i in enumerate(pool):
            for j in sorted(j for j in bank.enemies[i] if column.get(j, -1) > k):
                rows.add({f * m + k: 1.0, f * m + column[j]: 1.0}, 0, 1)
    if n > 1 and shared == 0:
        for k in range(m):
            rows.add({f * m + k: 1.0 for f in range(n)}, 0, 1)
    for p, (f, g) in enumerate(pairs):  # z = both forms hold item k; at most `shared` of them
        z = (n + p) * m
        for k in range(m):
            rows.add({f * m + k: 1.0, g * m + k: 1.0, z + k: -1.0}, -np.inf, 1)
        rows.add({z + k: 1.0 for k in range(m)}, 0, shared)
    size = (n + len(pairs)) * m
    cost = np.zeros(size)
    # Preferences sum to under half a slot, and the gap tolerance is under half a slot: the
    # solver may stop polishing preferences, never before the number of filled slots is proven.
    cost[: n * m] = np.tile(np.arange(m) / (m + 1) / (2 * n * length + 2) - 1.0, n)
    found = milp(
        cost,
        constraints=rows.constraint(size),
        integrality=(np.arange(size) < n * m).astype(int),
        bounds=Bounds(0, 1),
        options={"time_limit": SOLVER_TIME_LIMIT, "mip_rel_gap": 0.49 / (n * length)},
    )
    if found.x is None:
        raise AssemblyInfeasible(
            f"could not settle within {SOLVER_TIME_LIMIT:.0f} s whether the bank supports "
            "this request; relax the enemy relations or the blueprint"
        )
    chosen = [[pool[k] for k in range(m) if found.x[f * m + k] > 0.5] for f in range(n)]
    short = {
        d: n * counts[d] - sum(bank.items[i].domain == d for c in chosen for i in c)
        for d in domains
    }
    if any(short.values()):
        raise _shortfall_error(short, n, shared < length, proven=found.status == 0)
    return chosen


class _Rows:
    """A sparse constraint matrix built one row at a time."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.columns: list[int] = []
        self.values: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, entries: Mapping[int, float], lower: float, upper: float) -> None:
        for column, value in entries.items():
            self.rows.append(len(self.lower))
            self.columns.append(column)
            self.values.append(value)
        self.lower.append(lower)
        self.upper.append(upper)

    def constraint(self, size: int) -> LinearConstraint:
        shape = (len(self.lower), size)
        matrix = coo_array((self.values, (self.rows, self.columns)), shape=shape).tocsr()
        return LinearConstraint(matrix, self.lower, self.upper)


def _shortfall_error(
    short: Mapping[str, int], n: int, limited: bool, *, proven: bool
) -> AssemblyInfeasible:
    rules = "enemy relations" + (" and the overlap limit" if n > 1 and limited else "")
    what = "form" if n == 1 else f"set of {n} forms"
    gaps = sorted(((k, d) for d, k in short.items() if k), key=lambda g: (-g[0], g[1]))
    where = ", ".join(f"{k} item(s) in domain {d!r}" for k, d in gaps)
    head = f"{rules} leave no valid {what}" if proven else f"no valid {what} found in time"
    return AssemblyInfeasible(
        f"{head}: the fullest arrangement is short by {where}",
        domain=gaps[0][1],
        shortfall=gaps[0][0],
    )


_Score = tuple[float, ...]
_Move = tuple[int, int, int | None, int]  # form, leaving item, partner form or None, entering


def _score(totals: list[float], length: int, target: float | None) -> _Score:
    means = [t / length for t in totals]
    spread = max(means) - min(means)
    if target is None:
        centre = sum(means) / len(means)
        return spread, sum((m - centre) ** 2 for m in means)
    return sum((m - target) ** 2 for m in means), spread


def _better(a: _Score, b: _Score) -> bool:
    for x, y in zip(a, b, strict=True):
        if x < y - _EPS:
            return True
        if x > y + _EPS:
            return False
    return False


def _balance(forms: _Forms, target: float | None) -> None:
    """Steepest descent on (spread, distance from target); see the module docstring."""
    bank = forms.bank
    ceilings: dict[str, int] = {}
    for members in forms.members:
        for i in members:
            d = bank.items[i].domain
            ceilings[d] = max(ceilings.get(d, 0), bank.items[i].exposure)
    for _ in range(_MAX_SWAPS):
        move = _best_move(forms, target, ceilings)
        if move is None:
            return
        f, leaving, g, entering = move
        forms.remove(f, leaving)
        if g is not None:
            forms.remove(g, entering)
            forms.add(g, leaving)
        forms.add(f, entering)


def _best_move(forms: _Forms, target: float | None, ceilings: dict[str, int]) -> _Move | None:
    bank, n = forms.bank, len(forms.members)
    length = len(forms.members[0])
    best, best_score = None, _score(forms.totals, length, target)
    by_domain: list[defaultdict[str, list[int]]] = [defaultdict(list) for _ in range(n)]
    for form, members in enumerate(forms.members):
        for i in sorted(members, key=lambda i: bank.rank[i]):
            by_domain[form][bank.items[i].domain].append(i)
    for f in _focus(forms.totals, length, target):
        for d, mine in sorted(by_domain[f].items()):
            spare = [
                u
                for u in bank.pool[d]
                if not forms.usage[u] and bank.items[u].exposure <= ceilings[d]
            ]
            options: list[tuple[int | None, int]] = [(None, u) for u in spare] + [
                (g, u) for g in range(n) if g != f for u in by_domain[g][d]
            ]
            for leaving in mine:
                for g, entering in options:
                    if not _allowed(forms, f, leaving, g, entering):
                        continue
                    totals = list(forms.totals)
                    delta = bank.p[entering] - bank.p[leaving]
                    totals[f] += delta
                    if g is not None:
                        totals[g] -= delta
                    score = _score(totals, length, target)
                    if _better(score, best_score):
                        best, best_score = (f, leaving, g, entering), score
    return best


def _focus(totals: list[float], length: int, target: float | None) -> list[int]:
    """Only the extreme forms can lower the spread; the one furthest from centre helps the rest."""
    means = [t / length for t in totals]
    centre = sum(means) / len(means) if target is None else target
    forms = range(len(means))
    return sorted(
        {
            max(forms, key=means.__getitem__),
            min(forms, key=means.__getitem__),
            max(forms, key=lambda f: abs(means[f] - centre)),
        }
    )


def _allowed(forms: _Forms, f: int, leaving: int, g: int | None, entering: int) -> bool:
    if entering in forms.members[f] or not forms.fits(f, entering, leaving):
        return False
    if not forms.keeps_coverage(f, leaving, entering):
        return False
    if g is None:
        return True
    return (
        leaving not in forms.members[g]
        and forms.fits(g, leaving, entering)
        and forms.keeps_coverage(g, entering, leaving)
        and forms.may_share(f, entering, leaving=leaving, partner=g)
        and forms.may_share(g, leaving, leaving=entering, partner=f)
    )


def _report(forms: _Forms, counts: Mapping[str, int]) -> list[AssembledForm]:
    bank, length = forms.bank, sum(counts.values())
    means = [math.fsum(bank.p[i] for i in sorted(members)) / length for members in forms.members]
    spread = max(means) - min(means)
    result = []
    for f, members in enumerate(forms.members):
        items = sorted((bank.items[i] for i in members), key=lambda it: (it.domain, it.id))
        result.append(
            AssembledForm(
                items_by_domain={
                    d: tuple(it.id for it in items if it.domain == d) for d in sorted(counts)
                },
                mean_difficulty=means[f],
                objectives_covered={
                    d: tuple(sorted({it.objective for it in items if it.domain == d}))
                    for d in sorted(counts)
                },
                unrated_items=sum(1 for it in items if it.difficulty is None),
                difficulty_spread=spread,
            )
        )
    return result
