"""Blueprints and form assembly: hand-checked apportionments, the rules every form must keep,
and properties over random banks (with a brute-force oracle for feasibility on tiny ones)."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extender.assessment.assembly import (
    PRIOR_DIFFICULTY,
    AssembledForm,
    AssemblyInfeasible,
    BlueprintError,
    CandidateItem,
    ItemBankError,
    assemble_form,
    assemble_parallel_forms,
    blueprint_counts,
)
from extender.errors import InvalidInput

PROPERTY = settings(max_examples=40, deadline=None)
SIX_DOMAINS = {"D1": 20, "D2": 20, "D3": 20, "D4": 15, "D5": 15, "D6": 10}


def _item(
    item_id: str,
    domain: str = "A",
    objective: str = "A.1",
    difficulty: float | None = 0.6,
    enemies: tuple[str, ...] = (),
    exposure: int = 0,
) -> CandidateItem:
    return CandidateItem(item_id, domain, objective, difficulty, frozenset(enemies), exposure)


def _synthetic_bank(n_items: int = 300, seed: int = 7) -> list[CandidateItem]:
    """Six domains, five objectives each, p-values 0.3-0.95, one item in ten unrated, one in
    five with an enemy somewhere in the bank, exposures 0-3."""
    rng = random.Random(seed)
    domains = sorted(SIX_DOMAINS)
    items = []
    for k in range(n_items):
        domain = domains[k % len(domains)]
        enemy = (f"q{rng.randrange(n_items):03d}",) if rng.random() < 0.2 else ()
        p = round(rng.uniform(0.3, 0.95), 3) if rng.random() < 0.9 else None
        objective = f"{domain}.{rng.randrange(5)}"
        items.append(_item(f"q{k:03d}", domain, objective, p, enemy, rng.randrange(4)))
    return items


def _enemy_pairs(items: list[CandidateItem]) -> set[frozenset[str]]:
    return {frozenset({i.id, e}) for i in items for e in i.enemies if e != i.id}


def _assert_valid(form: AssembledForm, items: list[CandidateItem], counts: dict[str, int]) -> None:
    by_id = {i.id: i for i in items}
    ids = form.item_ids
    assert len(ids) == len(set(ids))
    assert {d: len(form.items_by_domain.get(d, ())) for d in counts} == counts
    assert all(by_id[i].domain == d for d, group in form.items_by_domain.items() for i in group)
    chosen = set(ids)
    assert not any(pair <= chosen for pair in _enemy_pairs(items))


def _mean(form: AssembledForm, items: list[CandidateItem]) -> float:
    by_id = {i.id: i for i in items}
    ps = [by_id[i].difficulty for i in form.item_ids]
    return sum(PRIOR_DIFFICULTY if p is None else p for p in ps) / len(ps)


# --- blueprint counts -------------------------------------------------------------------


def test_it_apportions_a_six_domain_blueprint_by_largest_remainder() -> None:
    # 64 items: quotas 12.8, 12.8, 12.8, 9.6, 9.6, 6.4 -> floors 12, 12, 12, 9, 9, 6 = 60.
    # Four items left go to the largest remainders: .8 (D1, D2, D3), then .6 tied between
    # D4 and D5, broken by domain code -> D4. Result 13, 13, 13, 10, 9, 6.
    assert blueprint_counts(SIX_DOMAINS, 64) == {
        "D1": 13,
        "D2": 13,
        "D3": 13,
        "D4": 10,
        "D5": 9,
        "D6": 6,
    }


def test_it_gives_an_exact_apportionment_when_quotas_are_whole() -> None:
    # 60 items: quotas 12, 12, 12, 9, 9, 6 exactly, nothing left to distribute.
    assert list(blueprint_counts(SIX_DOMAINS, 60).values()) == [12, 12, 12, 9, 9, 6]


def test_it_breaks_remainder_ties_by_domain_code() -> None:
    # 2 items at 50/25/25: quotas 1, .5, .5 -> floors 1, 0, 0; one item left, B and C tie on .5,
    # B wins on code. Fewer items than domains, so C may stay empty.
    assert blueprint_counts({"C": 25, "A": 50, "B": 25}, 2) == {"A": 1, "B": 1, "C": 0}


def test_it_gives_every_weighted_domain_at_least_one_item() -> None:
    # 10 items at 98/1/1: quotas 9.8, .1, .1 -> floors 9, 0, 0; the one left goes to A (.8)
    # -> 10, 0, 0. B and C each take one item from A, the domain furthest above its quota.
    assert blueprint_counts({"A": 98, "B": 1, "C": 1}, 10) == {"A": 8, "B": 1, "C": 1}


def test_it_keeps_zero_weight_domains_empty() -> None:
    assert blueprint_counts({"A": 60, "B": 40, "Z": 0}, 7) == {"A": 4, "B": 3, "Z": 0}


@pytest.mark.parametrize(
    ("weights", "total", "message"),
    [
        ({"A": 60, "B": 30}, 10, "sum to 100, they sum to 90"),
        ({}, 10, "at least one domain"),
        ({"A": 110, "B": -10}, 10, "whole percentage"),
        ({"A": 50.0, "B": 50}, 10, "whole percentage"),
        ({"A": True, "B": 99}, 10, "whole percentage"),
        ({"": 100}, 10, "non-empty"),
        ({"A": 100}, 0, "total_items"),
        ({"A": 100}, 2.5, "total_items"),
    ],
)
def test_it_rejects_malformed_blueprints(weights: dict[str, int], total: int, message: str) -> None:
    with pytest.raises(BlueprintError, match=message) as raised:
        blueprint_counts(weights, total)
    assert isinstance(raised.value, InvalidInput)


@st.composite
def _weights(draw: st.DrawFn) -> dict[str, int]:
    n = draw(st.integers(1, 8))
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=n - 1, max_size=n - 1)))
    edges = [0, *cuts, 100]
    return {f"D{k}": edges[k + 1] - edges[k] for k in range(n)}


@PROPERTY
@given(_weights(), st.integers(1, 400))
def test_it_always_sums_to_the_form_length(weights: dict[str, int], total: int) -> None:
    counts = blueprint_counts(weights, total)
    assert sum(counts.values()) == total
    assert set(counts) == set(weights)
    weighted = [d for d, w in weights.items() if w > 0]
    if total >= len(weighted):
        assert all(counts[d] >= 1 for d in weighted)
    lifted = any(w * total < 100 for w in weights.values() if w > 0)
    if not lifted:  # plain Hamilton: every count is its quota rounded down or up
        assert all(
            w * total // 100 <= counts[d] <= -(-w * total // 100) for d, w in weights.items()
        )


# --- one form ---------------------------------------------------------------------------


def test_it_meets_the_blueprint_exactly_and_reports_the_form() -> None:
    bank = _synthetic_bank()
    counts = blueprint_counts(SIX_DOMAINS, 60)
    form = assemble_form(bank, counts, seed=1)
    _assert_valid(form, bank, counts)
    assert form.mean_difficulty == pytest.approx(_mean(form, bank))
    by_id = {i.id: i for i in bank}
    assert form.unrated_items == sum(by_id[i].difficulty is None for i in form.item_ids)
    for domain, ids in form.items_by_domain.items():
        assert form.objectives_covered[domain] == tuple(sorted({by_id[i].objective for i in ids}))


def test_it_never_puts_enemies_together_even_when_listed_one_way() -> None:
    bank = [_item("a", enemies=("b",)), _item("b"), _item("c")]
    for seed in range(30):
        chosen = set(assemble_form(bank, {"A": 2}, seed=seed).item_ids)
        assert chosen in ({"a", "c"}, {"b", "c"})


def test_it_is_deterministic_for_a_seed_whatever_the_input_order() -> None:
    bank = _synthetic_bank()
    counts = blueprint_counts(SIX_DOMAINS, 40)
    shuffled = random.Random(3).sample(bank, len(bank))
    first = assemble_form(bank, counts, seed=11, target_difficulty=0.7)
    assert assemble_form(shuffled, counts, seed=11, target_difficulty=0.7) == first


def test_it_randomizes_among_equally_exposed_items_with_the_seed() -> None:
    bank = [_item(f"i{k}") for k in range(20)]
    forms = {assemble_form(bank, {"A": 5}, seed=seed).item_ids for seed in range(10)}
    assert len(forms) > 1


def test_it_prefers_less_exposed_items() -> None:
    fresh = [_item(f"f{k}", exposure=k % 2) for k in range(6)]
    worn = [_item(f"w{k}", exposure=40 + k) for k in range(6)]
    for seed in range(5):
        form = assemble_form(worn + fresh, {"A": 6}, seed=seed)
        assert set(form.item_ids) == {f"f{k}" for k in range(6)}
        assert set(assemble_form(worn + fresh, {"A": 3}, seed=seed).item_ids) == {
            "f0",
            "f2",
            "f4",
        }


def test_it_covers_distinct_objectives_before_repeating_one() -> None:
    common = [_item(f"x{k}", objective="A.x") for k in range(8)]
    rare = [_item("y", objective="A.y", exposure=9), _item("z", objective="A.z", exposure=9)]
    form = assemble_form(common + rare, {"A": 3}, seed=0)
    assert form.objectives_covered == {"A": ("A.x", "A.y", "A.z")}


def test_it_moves_mean_difficulty_towards_the_target() -> None:
    bank = _synthetic_bank()
    counts = blueprint_counts(SIX_DOMAINS, 30)
    plain = assemble_form(bank, counts, seed=2)
    for target in (0.5, 0.75):
        form = assemble_form(bank, counts, seed=2, target_difficulty=target)
        _assert_valid(form, bank, counts)
        assert abs(form.mean_difficulty - target) <= 0.01
        assert form.objective_count >= plain.objective_count


def test_it_counts_unrated_items_at_the_prior() -> None:
    bank = [_item("a", difficulty=None), _item("b", difficulty=0.9)]
    form = assemble_form(bank, {"A": 2}, seed=0)
    assert form.mean_difficulty == pytest.approx((PRIOR_DIFFICULTY + 0.9) / 2)
    assert form.unrated_items == 1


def test_it_leaves_out_excluded_items() -> None:
    bank = [_item(f"i{k}") for k in range(6)]
    form = assemble_form(bank, {"A": 3}, seed=0, exclude={"i0", "i1", "i2"})
    assert set(form.item_ids) == {"i3", "i4", "i5"}


def test_it_names_the_domain_and_shortfall_when_the_bank_is_too_small() -> None:
    bank = [_item("a1"), _item("b1", "B"), _item("b2", "B")]
    with pytest.raises(AssemblyInfeasible, match=r"domain 'B' needs 4 .* short by 2") as raised:
        assemble_form(bank, {"A": 1, "B": 4}, seed=0)
    assert (raised.value.domain, raised.value.shortfall) == ("B", 2)
    with pytest.raises(AssemblyInfeasible, match=r"domain 'C' needs 1 .* short by 1"):
        assemble_form(bank, {"A": 1, "C": 1}, seed=0)


def test_it_names_the_domain_when_an_enemy_pair_leaves_too_few_items() -> None:
    bank = [_item("a", enemies=("b",)), _item("b"), _item("c", "B")]
    with pytest.raises(
        AssemblyInfeasible, match=r"no valid form: .* 1 item.* domain 'A'"
    ) as raised:
        assemble_form(bank, {"A": 2, "B": 1}, seed=0)
    assert (raised.value.domain, raised.value.shortfall) == ("A", 1)


def test_it_proves_infeasibility_when_enemies_chain_across_domains() -> None:
    triangle = [_item("a", enemies=("b", "c")), _item("b", enemies=("c",)), _item("c")]
    with pytest.raises(AssemblyInfeasible, match=r"short by 1 item.* domain 'A'"):
        assemble_form(triangle, {"A": 2}, seed=0)
    chain = [
        _item("a", enemies=("b1", "b2")),
        _item("b1", "B", enemies=("c",)),
        _item("b2", "B"),
        _item("c", "C"),
    ]
    with pytest.raises(AssemblyInfeasible, match="enemy relations leave no valid form"):
        assemble_form(chain, {"A": 1, "B": 1, "C": 1}, seed=0)


def test_it_finds_a_form_when_the_greedy_choice_leads_to_a_dead_end() -> None:
    bank = [
        _item("a1", "A", enemies=("b1", "c2")),
        _item("a2", "A", exposure=5),
        _item("b1", "B"),
        _item("b2", "B", enemies=("c1",)),
        _item("c1", "C"),
        _item("c2", "C"),
    ]
    counts = {"A": 1, "B": 1, "C": 1}
    form = assemble_form(bank, counts, seed=0)
    _assert_valid(form, bank, counts)
    assert form.items_by_domain["A"] == ("a2",)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"counts": {"A": -1}}, BlueprintError),
        ({"counts": {"A": 0}}, BlueprintError),
        ({"counts": {"A": 1}, "target_difficulty": 1.5}, BlueprintError),
        ({"counts": {"A": 1}, "seed": "x"}, BlueprintError),
    ],
)
def test_it_rejects_malformed_requests(kwargs: dict[str, object], error: type) -> None:
    call = {"seed": 0, **kwargs}
    with pytest.raises(error):
        assemble_form([_item("a")], **call)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda: [_item("a"), _item("a")],
        lambda: [_item("a", difficulty=1.2)],
        lambda: [_item("a", exposure=-1)],
        lambda: [_item("")],
    ],
)
def test_it_rejects_impossible_items(make: object) -> None:
    with pytest.raises(ItemBankError):
        assemble_form(make(), {"A": 1}, seed=0)  # type: ignore[operator]


@st.composite
def _small_banks(draw: st.DrawFn, max_items: int = 9) -> tuple[list[CandidateItem], dict[str, int]]:
    n = draw(st.integers(1, max_items))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2 * n))
    enemies: dict[int, set[str]] = {k: set() for k in range(n)}
    for a, b in pairs:
        enemies[a].add(f"i{b}")
    items = [
        CandidateItem(
            f"i{k}",
            draw(st.sampled_from("ABC")),
            draw(st.sampled_from(["o1", "o2", "o3"])),
            draw(st.none() | st.floats(0.2, 0.95)),
            frozenset(enemies[k]),
            draw(st.integers(0, 3)),
        )
        for k in range(n)
    ]
    sizes = Counter(item.domain for item in items)
    # Mostly within supply, so that enemies rather than shortage decide feasibility.
    counts = {
        d: draw(st.integers(0, min(3, sizes[d] + draw(st.sampled_from([0, 0, 1]))))) for d in "ABC"
    }
    if not any(counts.values()):
        counts[items[0].domain] = 1
    return items, counts


def _valid_selections(items: list[CandidateItem], counts: dict[str, int]) -> list[set[str]]:
    """Every enemy-free form the blueprint allows, by enumeration: the oracle for tiny banks."""
    pairs = _enemy_pairs(items)
    pools = [[i.id for i in items if i.domain == d] for d in counts]
    choices = [
        itertools.combinations(pool, counts[d]) for d, pool in zip(counts, pools, strict=True)
    ]
    found = []
    for combo in itertools.product(*choices):
        chosen = {i for group in combo for i in group}
        if not any(pair <= chosen for pair in pairs):
            found.append(chosen)
    return found


@PROPERTY
@given(
    _small_banks(),
    st.integers(0, 2**16),
    st.none() | st.floats(0.3, 0.9),
    st.sets(st.integers(0, 8), max_size=2),
)
def test_it_finds_a_valid_form_exactly_when_one_exists(
    bank: tuple[list[CandidateItem], dict[str, int]],
    seed: int,
    target: float | None,
    excluded: set[int],
) -> None:
    items, counts = bank
    exclude = {f"i{k}" for k in excluded}
    eligible = [i for i in items if i.id not in exclude]
    try:
        form = assemble_form(items, counts, seed=seed, target_difficulty=target, exclude=exclude)
    except AssemblyInfeasible as error:
        assert not _valid_selections(eligible, counts)
        assert error.domain in counts and error.shortfall >= 1
        return
    _assert_valid(form, items, counts)
    assert not exclude & set(form.item_ids)
    again = assemble_form(items, counts, seed=seed, target_difficulty=target, exclude=exclude)
    assert again == form


@PROPERTY
@given(_small_banks(max_items=14), st.integers(0, 2**16))
def test_it_covers_the_most_objectives_with_the_least_exposed_items(
    bank: tuple[list[CandidateItem], dict[str, int]], seed: int
) -> None:
    items = [
        CandidateItem(i.id, i.domain, i.objective, i.difficulty, frozenset(), i.exposure)
        for i in bank[0]
    ]
    counts = bank[1]
    try:
        form = assemble_form(items, counts, seed=seed)
    except AssemblyInfeasible:
        assert any(counts[d] > sum(i.domain == d for i in items) for d in counts)
        return
    chosen = set(form.item_ids)
    for domain, count in counts.items():
        offered = {i.objective for i in items if i.domain == domain}
        assert len(form.objectives_covered[domain]) == min(count, len(offered))
    for kept, left in itertools.product(items, items):
        if kept.id in chosen and left.id not in chosen and kept.domain == left.domain:
            assert kept.objective != left.objective or kept.exposure <= left.exposure


# --- parallel forms ---------------------------------------------------------------------


def test_it_assembles_disjoint_difficulty_matched_parallel_forms() -> None:
    bank = _synthetic_bank()
    counts = blueprint_counts(SIX_DOMAINS, 60)
    forms = assemble_parallel_forms(bank, counts, 3, seed=5)
    assert len(forms) == 3
    for form in forms:
        _assert_valid(form, bank, counts)
        assert form.mean_difficulty == pytest.approx(_mean(form, bank))
    for a, b in itertools.combinations(forms, 2):
        assert not set(a.item_ids) & set(b.item_ids)
    means = [f.mean_difficulty for f in forms]
    assert all(f.difficulty_spread == pytest.approx(max(means) - min(means)) for f in forms)
    assert forms[0].difficulty_spread <= 0.005
    assert assemble_parallel_forms(bank, counts, 3, seed=5) == forms


def test_it_keeps_objective_coverage_on_every_parallel_form() -> None:
    bank = _synthetic_bank()
    counts = blueprint_counts(SIX_DOMAINS, 30)
    single = assemble_form(bank, counts, seed=4)
    for form in assemble_parallel_forms(bank, counts, 4, seed=4):
        assert form.objective_count == single.objective_count


def test_it_shares_items_only_up_to_max_overlap() -> None:
    bank = [_item(f"i{k:02d}", difficulty=0.4 + k / 50) for k in range(15)]
    with pytest.raises(AssemblyInfeasible, match=r"2 disjoint forms but .* only 15 .* short by 5"):
        assemble_parallel_forms(bank, {"A": 10}, 2, seed=0)
    first, second = assemble_parallel_forms(bank, {"A": 10}, 2, seed=0, max_overlap=0.5)
    assert len(set(first.item_ids) & set(second.item_ids)) <= 5
    assert first.difficulty_spread <= 0.02


def test_it_refuses_forms_whose_difficulty_cannot_be_matched() -> None:
    bank = [_item("easy", difficulty=0.9), _item("hard", difficulty=0.2)]
    with pytest.raises(AssemblyInfeasible, match=r"differ in mean difficulty by 0\.700"):
        assemble_parallel_forms(bank, {"A": 1}, 2, seed=0)
    forms = assemble_parallel_forms(bank, {"A": 1}, 2, seed=0, difficulty_tolerance=None)
    assert forms[0].difficulty_spread == pytest.approx(0.7)


def test_it_falls_back_to_the_exact_solver_when_the_greedy_pass_dead_ends() -> None:
    # Round-robin gives form 1 a0 and form 2 a1; form 1 then finds only a0's enemies left.
    bank = [
        _item("a0", enemies=("a2", "a3")),
        _item("a1", exposure=1),
        _item("a2", exposure=2),
        _item("a3", exposure=3),
    ]
    forms = assemble_parallel_forms(bank, {"A": 2}, 2, seed=0, difficulty_tolerance=None)
    assert sorted(sorted(f.item_ids) for f in forms) == [["a0", "a1"], ["a2", "a3"]]


def test_it_reports_how_far_short_the_fullest_set_of_forms_falls() -> None:
    bank = [_item("a0", enemies=("a1", "a2", "a3")), *(_item(f"a{k}") for k in (1, 2, 3))]
    with pytest.raises(AssemblyInfeasible, match=r"no valid set of 2 forms: .* 1 item.* 'A'"):
        assemble_parallel_forms(bank, {"A": 2}, 2, seed=0)


@pytest.mark.parametrize(
    ("n_forms", "kwargs", "message"),
    [
        (0, {}, "n_forms"),
        (2, {"max_overlap": 1.5}, "max_overlap"),
        (2, {"max_overlap": "half"}, "max_overlap"),
        (2, {"difficulty_tolerance": -0.1}, "difficulty_tolerance"),
    ],
)
def test_it_rejects_malformed_parallel_requests(
    n_forms: int, kwargs: dict[str, object], message: str
) -> None:
    bank = [_item("a"), _item("b")]
    with pytest.raises(BlueprintError, match=message):
        assemble_parallel_forms(bank, {"A": 1}, n_forms, seed=0, **kwargs)  # type: ignore[arg-type]


def test_it_gives_the_same_forms_whatever_the_python_hash_seed() -> None:
    script = (
        "from extender.assessment.assembly import CandidateItem, assemble_parallel_forms\n"
        "items = [CandidateItem(f'i{k}', 'AB'[k % 2], f'o{k % 3}', (k % 7) / 10 + 0.2,\n"
        "         frozenset({f'i{(k * 5) % 24}', f'i{(k + 3) % 24}'}), k % 4) for k in range(24)]\n"
        "forms = assemble_parallel_forms(items, {'A': 3, 'B': 3}, 2, seed=9,\n"
        "                                difficulty_tolerance=None)\n"
        "print([f.item_ids for f in forms])\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in (1, 2)
    }
    assert len(outputs) == 1


@PROPERTY
@given(
    _small_banks(max_items=14),
    st.integers(1, 3),
    st.sampled_from([0.0, 0.34, 0.5, 1.0]),
    st.integers(0, 2**16),
)
def test_it_keeps_every_rule_on_every_parallel_form(
    bank: tuple[list[CandidateItem], dict[str, int]],
    n_forms: int,
    max_overlap: float,
    seed: int,
) -> None:
    items, counts = bank
    kwargs = {"seed": seed, "max_overlap": max_overlap, "difficulty_tolerance": None}
    try:
        forms = assemble_parallel_forms(items, counts, n_forms, **kwargs)  # type: ignore[arg-type]
    except AssemblyInfeasible as error:
        assert error.domain in counts and error.shortfall >= 1
        selections = _valid_selections(items, counts)
        if n_forms == 1 or max_overlap == 1.0:  # one valid form would do
            assert not selections
        elif n_forms == 2 and len(selections) <= 300:
            shared = max_overlap * sum(counts.values()) + 1e-9
            assert not any(len(a & b) <= shared for a, b in itertools.combinations(selections, 2))
        return
    assert len(forms) == n_forms
    length = sum(counts.values())
    for form in forms:
        _assert_valid(form, items, counts)
    for a, b in itertools.combinations(forms, 2):
        assert len(set(a.item_ids) & set(b.item_ids)) <= max_overlap * length + 1e-9
    assert assemble_parallel_forms(items, counts, n_forms, **kwargs) == forms  # type: ignore[arg-type]
    usage = Counter(i for form in forms for i in form.item_ids)
    assert all(n <= n_forms for n in usage.values())
