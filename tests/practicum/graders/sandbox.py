"""Stand-ins for the sandbox: load a generated practice the way the FHIR store does, and apply
the changes a learner would make, so graders are tested on the state they will really see.

Loading mirrors a POST transaction: each resource gets a server id (its fullUrl's UUID without
dashes) and every ``urn:uuid`` reference, in the resources and in the answer key, becomes
``Type/id``. Learner actions return new states and copy only what they touch, which keeps
property tests cheap on practices of ten thousand resources.
"""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

from extender.practicum.generator import GeneratedPractice
from extender.practicum.graders.common import mrn, ref_of, references
from extender.practicum.graders.state import JSON, WorkspaceState


def server_id(full_url: str) -> str:
    return full_url.removeprefix("urn:uuid:").replace("-", "")


def _rewrite(node: Any, refs: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite(v, refs) for k, v in node.items()}
        target = node.get("reference")
        if isinstance(target, str) and target in refs:
            out["reference"] = refs[target]
        return out
    if isinstance(node, list | tuple):
        return [_rewrite(v, refs) for v in node]
    if isinstance(node, str) and node in refs:
        return refs[node]
    return node


def to_state(practice: GeneratedPractice, **fields: Any) -> WorkspaceState:
    refs = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/{server_id(e['fullUrl'])}"
        for e in practice.bundle["entry"]
    }
    resources: dict[str, list[JSON]] = {}
    for entry in practice.bundle["entry"]:
        body = entry["resource"]
        loaded = {"resourceType": body["resourceType"], "id": server_id(entry["fullUrl"])}
        loaded.update((k, _rewrite(v, refs)) for k, v in body.items() if k != "resourceType")
        resources.setdefault(body["resourceType"], []).append(loaded)
    state = WorkspaceState(
        resources=resources,
        staff=_rewrite(practice.staff_accounts, refs),
        access_policy=copy.deepcopy(practice.access_policy),
        answer_key=_rewrite(practice.answer_key.to_dict(), refs),
        as_of=practice.params.as_of.isoformat(),
    )
    return replace(state, **fields) if fields else state


def with_changes(state: WorkspaceState, changed: dict[str, JSON | None]) -> WorkspaceState:
    """Replace (or delete, with None) resources by "Type/id"; untouched types share lists."""
    types = {ref.split("/")[0] for ref in changed}
    resources = dict(state.resources)
    for resource_type in types:
        kept: list[JSON] = []
        for resource in state.resources.get(resource_type, []):
            ref = ref_of(resource)
            if ref not in changed:
                kept.append(resource)
            elif changed[ref] is not None:
                kept.append(changed[ref])  # type: ignore[arg-type]
        resources[resource_type] = kept
    return replace(state, resources=resources)


def find(state: WorkspaceState, ref: str) -> JSON:
    resource_type = ref.split("/")[0]
    return next(r for r in state.of_type(resource_type) if ref_of(r) == ref)


def merge(state: WorkspaceState, survivor: str, merged: str) -> WorkspaceState:
    """What the sandbox's merge tool does: repoint, retire with replaced-by, record the merge."""
    changed: dict[str, JSON | None] = {}
    for resource_type, resources in state.resources.items():
        if resource_type in ("AuditEvent", "Patient"):
            continue
        for resource in resources:
            if merged in references(resource):
                changed[ref_of(resource)] = _repoint(copy.deepcopy(resource), merged, survivor)
    kept = copy.deepcopy(find(state, survivor))
    kept["link"] = [*kept.get("link", []), {"other": {"reference": merged}, "type": "replaces"}]
    retired = copy.deepcopy(find(state, merged))
    retired["active"] = False
    retired["link"] = [{"other": {"reference": survivor}, "type": "replaced-by"}]
    changed[survivor], changed[merged] = kept, retired
    moved = with_changes(state, changed)
    return replace(moved, merges=[*state.merges, {"survivor": survivor, "merged": merged}])


def _repoint(node: Any, old: str, new: str) -> Any:
    if isinstance(node, dict):
        if node.get("reference") == old:
            node["reference"] = new
        for value in node.values():
            _repoint(value, old, new)
    elif isinstance(node, list):
        for value in node:
            _repoint(value, old, new)
    return node


def mrn_of(state: WorkspaceState, ref: str) -> str:
    number = mrn(find(state, ref))
    assert number is not None
    return number


# --- result repairs a careful learner makes before running the measure -----------------------


def repair(state: WorkspaceState, defect: JSON) -> WorkspaceState:
    """Fix one planted result defect the way the brief asks (never inventing a value)."""
    obs = copy.deepcopy(find(state, defect["observation"]))
    kind, expected = defect["kind"], defect["expected"]
    if kind in ("wrong_loinc", "free_text"):
        loinc = re.search(r"LOINC (\S+) (.+?)(?: as a coded valueQuantity)?$", expected)
        assert loinc is not None
        code = {"system": "http://loinc.org", "code": loinc.group(1), "display": loinc.group(2)}
        obs["code"] = {"coding": [code]}
        if kind == "free_text":
            value, unit = obs.pop("valueString").split(" ", 1)
            obs["valueQuantity"] = _quantity(float(value), unit)
    elif kind == "missing_unit":
        value, unit = expected.split()[:2]
        obs["valueQuantity"] = _quantity(float(value), unit)
    elif kind == "wrong_unit":
        obs["valueQuantity"] = _quantity(obs["valueQuantity"]["value"], "mmol/L")
        obs.pop("interpretation", None)
    elif kind == "missing_value":
        obs["dataAbsentReason"] = {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                    "code": "unknown",
                }
            ]
        }
    return with_changes(state, {defect["observation"]: obs})


def _quantity(value: float, unit: str) -> JSON:
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}


def repair_all(state: WorkspaceState) -> WorkspaceState:
    for defect in state.answer_key["result_defects"]:
        state = repair(state, defect)
    return state
