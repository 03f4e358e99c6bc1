"""Grader "duplicates": a duplicate-patient clean-up, judged from the charts, not from a report.

Submission: none. The evidence is the sandbox itself: ``state.merges`` (merges done with the
sandbox's merge tool and not undone) plus any Patient marked inactive with a ``replaced-by``
link, so a learner who merges by hand through the FHIR API is graded the same way.

Rubric (100 points):

- recall (40): each planted duplicate pair merged, in either direction.
- precision (15): merges that joined two records of the same person, out of all merges.
- look-alikes (30): all or nothing. Merging two different people (an *overlay*) puts one
  person's allergies and results in another's chart; registries treat it as a patient-safety
  event, so one overlay alone is meant to fail the scenario. The points are earned only once
  the learner has made a correct merge: leaving look-alikes apart is evidence of judgement
  only when the worklist was actually worked.
- chart carried over (15): for each planted pair, after the merge no clinical resource still
  points at the retired record and none of the duplicate's resources was deleted on the way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from extender.practicum.graders.common import Patients, line, listing, references, share
from extender.practicum.graders.state import JSON, GradeResult, RubricLine, WorkspaceState

RECALL, PRECISION, LOOKALIKES, CARRIED = 40.0, 15.0, 30.0, 15.0

VARIATIONS = {
    "nickname": "nickname",
    "typo_given": "misspelt given name",
    "typo_family": "misspelt family name",
    "swapped_names": "given and family names swapped",
    "married_name": "new family name",
    "moved": "new address",
    "new_phone": "new phone",
    "dob_transposed": "day and month of birth swapped",
    "no_middle": "middle name left off",
}
_NOT_REPOINTED = frozenset({"AuditEvent", "Patient"})
"""History and the Patient links themselves legitimately keep naming the retired record."""


@dataclass(frozen=True)
class Merge:
    survivor: str
    merged: str

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.survivor, self.merged))


def observed_merges(state: WorkspaceState) -> list[Merge]:
    found: dict[tuple[str, str], Merge] = {}
    for record in state.merges:
        survivor, merged = record.get("survivor"), record.get("merged")
        if isinstance(survivor, str) and isinstance(merged, str) and survivor != merged:
            found.setdefault((survivor, merged), Merge(survivor, merged))
    for patient in state.of_type("Patient"):
        if patient.get("active") is not False:
            continue
        merged = f"Patient/{patient.get('id')}"
        for link in patient.get("link") or []:
            other = (link.get("other") or {}).get("reference")
            if link.get("type") == "replaced-by" and isinstance(other, str) and other != merged:
                found.setdefault((other, merged), Merge(other, merged))
    return list(found.values())


def _referrers(state: WorkspaceState) -> dict[str, list[str]]:
    """Patient reference -> the clinical resources that still point at it."""
    index: dict[str, list[str]] = defaultdict(list)
    for resource_type, resources in state.resources.items():
        if resource_type in _NOT_REPOINTED:
            continue
        for resource in resources:
            for target in set(references(resource)):
                if target.startswith("Patient/"):
                    index[target].append(f"{resource_type}/{resource.get('id')}")
    return index


def grade_duplicates(state: WorkspaceState) -> GradeResult:
    patients = Patients(state)
    key = state.answer_key
    planted: dict[frozenset[str], JSON] = {
        frozenset((d["original"], d["duplicate"])): d for d in key.get("duplicates", [])
    }
    lookalikes: dict[frozenset[str], JSON] = {
        frozenset((p["first"], p["second"])): p for p in key.get("lookalikes", [])
    }
    merges = observed_merges(state)
    done = {m.pair: m for m in merges if m.pair in planted}
    return GradeResult(
        [
            _recall(planted, done, patients),
            _precision(merges, planted, patients),
            _lookalikes(merges, lookalikes, bool(done), patients),
            _carried(state, planted, done, patients),
        ]
    )


def _describe(duplicate: JSON) -> str:
    changes = ", ".join(VARIATIONS.get(v, v) for v in duplicate.get("variations", []))
    second = (
        f"MRN {duplicate['duplicate_mrn']} is a second record for MRN {duplicate['original_mrn']}"
    )
    return f"{second} ({changes})" if changes else second


def _recall(
    planted: dict[frozenset[str], JSON], done: dict[frozenset[str], Merge], patients: Patients
) -> RubricLine:
    item = "Duplicate records merged"
    if not planted:
        return line(item, 1.0, RECALL, "This practice had no duplicate records to merge.")
    missed = [_describe(d) for pair, d in planted.items() if pair not in done]
    kept_newer = [
        patients.label(m.survivor)
        for m in done.values()
        if m.survivor == planted[m.pair]["duplicate"]
    ]
    feedback = f"Merged {len(done)} of {len(planted)} duplicate records."
    if missed:
        feedback += f" Missed: {listing(missed)}."
    if kept_newer:
        feedback += (
            f" Note: the newer record survived ({listing(kept_newer)}); practices usually keep"
            " the established MRN."
        )
    return line(item, share(len(done), len(planted)), RECALL, feedback)


def _precision(
    merges: list[Merge], planted: dict[frozenset[str], JSON], patients: Patients
) -> RubricLine:
    item = "Every merge joined two records of the same person"
    if not merges:
        return line(item, 0.0, PRECISION, "No merges were made, so there is nothing to credit.")
    wrong = [
        f"{patients.label(m.merged)} into {patients.label(m.survivor)}"
        for m in merges
        if m.pair not in planted
    ]
    right = len(merges) - len(wrong)
    if not wrong:
        return line(item, 1.0, PRECISION, f"All {right} merges joined records of one person.")
    feedback = (
        f"{right} of {len(merges)} merges were correct; these joined records that are not"
        f" duplicates of each other: {listing(wrong)}."
    )
    return line(item, share(right, len(merges)), PRECISION, feedback)


def _lookalikes(
    merges: list[Merge], lookalikes: dict[frozenset[str], JSON], worked: bool, patients: Patients
) -> RubricLine:
    item = "Look-alike patients kept apart"
    overlays = list({m.pair: lookalikes[m.pair] for m in merges if m.pair in lookalikes}.values())
    if overlays:
        named = [
            f"{patients.label(p['first'])} and {patients.label(p['second'])}"
            f" ({p['relationship'].replace('_', ' ')}; they differ in"
            f" {', '.join(p.get('distinguishing', [])) or 'identity'})"
            for p in overlays
        ]
        feedback = (
            f"Overlay: {listing(named)} are different people but were merged; undo the merge"
            " and check name, birth date, sex, address and phone before merging."
        )
        return line(item, 0.0, LOOKALIKES, feedback)
    if not worked:
        return line(
            item, 0.0, LOOKALIKES, "No correct merge was made yet, so no merge decisions to credit."
        )
    if not lookalikes:
        return line(item, 1.0, LOOKALIKES, "No two different people were merged.")
    return line(
        item,
        1.0,
        LOOKALIKES,
        f"All {len(lookalikes)} look-alike pairs were correctly left as separate patients.",
    )


def _carried(
    state: WorkspaceState,
    planted: dict[frozenset[str], JSON],
    done: dict[frozenset[str], Merge],
    patients: Patients,
) -> RubricLine:
    item = "Clinical records moved to the surviving chart"
    if not planted:
        return line(item, 1.0, CARRIED, "No duplicate charts needed their records moved.")
    if not done:
        return line(item, 0.0, CARRIED, "No duplicate was merged, so no chart was consolidated.")
    referrers = _referrers(state)
    present = {f"{t}/{r.get('id')}" for t, rs in state.resources.items() for r in rs}
    problems: list[str] = []
    clean = 0
    for pair, merge in done.items():
        stranded = referrers.get(merge.merged, [])
        lost = [r for r in planted[pair].get("duplicate_resources", []) if r not in present]
        if stranded:
            problems.append(
                f"{len(stranded)} resources still point at retired {patients.label(merge.merged)}"
            )
        if lost:
            problems.append(f"{len(lost)} of {patients.label(merge.merged)}'s records were deleted")
        clean += not stranded and not lost
    feedback = f"{clean} of {len(planted)} duplicate charts are fully consolidated."
    if problems:
        feedback += f" {listing(problems)}."
    return line(item, share(clean, len(planted)), CARRIED, feedback)
