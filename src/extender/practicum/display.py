"""Template filters that show FHIR data the way an EHR screen would."""

from __future__ import annotations

from typing import Any

from extender.web.templating import templates

MRN_SYSTEMS = ("mrn", "MR")


def human_name(resource: dict[str, Any]) -> str:
    names = resource.get("name") or []
    if not names:
        return "(no name)"
    name = next((n for n in names if n.get("use") == "official"), names[0])
    if name.get("text"):
        return str(name["text"])
    given = " ".join(name.get("given", []))
    return f"{name.get('family', '')}, {given}".strip(", ")


def mrn(resource: dict[str, Any]) -> str:
    for ident in resource.get("identifier", []):
        codes = [c.get("code") for c in (ident.get("type") or {}).get("coding", [])]
        if "MR" in codes or "mrn" in str(ident.get("system", "")).lower():
            return str(ident.get("value", ""))
    idents = resource.get("identifier") or [{}]
    return str(idents[0].get("value", ""))


def concept(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    if value.get("text"):
        return str(value["text"])
    for coding in value.get("coding", []):
        if coding.get("display"):
            return str(coding["display"])
    codings = value.get("coding") or [{}]
    return str(codings[0].get("code", ""))


def codes(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    short = {
        "http://loinc.org": "LOINC",
        "http://snomed.info/sct": "SNOMED",
        "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
        "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
        "http://hl7.org/fhir/sid/cvx": "CVX",
    }
    return "; ".join(
        f"{short.get(c.get('system', ''), c.get('system', '?'))} {c.get('code')}"
        for c in value.get("coding", [])
    )


def quantity(obs: dict[str, Any]) -> str:
    q = obs.get("valueQuantity")
    if isinstance(q, dict):
        unit = q.get("unit") or q.get("code") or ""
        return f"{q.get('value', '')} {unit}".strip() if unit else f"{q.get('value', '')} (no unit)"
    if obs.get("valueString"):
        return f'"{obs["valueString"]}" (text)'
    if obs.get("valueCodeableConcept"):
        return concept(obs["valueCodeableConcept"])
    parts = [f"{concept(c.get('code'))}: {quantity(c)}" for c in obs.get("component", [])]
    return "; ".join(parts) or "(no value)"


def reference_range(obs: dict[str, Any]) -> str:
    for rng in obs.get("referenceRange", []):
        low, high = rng.get("low", {}).get("value"), rng.get("high", {}).get("value")
        if rng.get("text"):
            return str(rng["text"])
        if low is not None or high is not None:
            return f"{low if low is not None else ''} to {high if high is not None else ''}"
    return ""


def interpretation(obs: dict[str, Any]) -> str:
    for interp in obs.get("interpretation", []):
        for coding in interp.get("coding", []):
            return str(coding.get("code", ""))
    return ""


def phone(resource: dict[str, Any]) -> str:
    for t in resource.get("telecom", []):
        if t.get("system") == "phone":
            return str(t.get("value", ""))
    return ""


def address(resource: dict[str, Any]) -> str:
    for a in resource.get("address", []):
        return ", ".join(
            x
            for x in [
                " ".join(a.get("line", [])),
                a.get("city", ""),
                a.get("state", ""),
                a.get("postalCode", ""),
            ]
            if x
        )
    return ""


def audit_who(event: dict[str, Any]) -> str:
    agents = event.get("agent") or [{}]
    agent = agents[0]
    return str(agent.get("altId") or agent.get("name") or agent.get("who", {}).get("display", ""))


def audit_patients(event: dict[str, Any]) -> list[str]:
    return [
        e["what"]["reference"]
        for e in event.get("entity", [])
        if str(e.get("what", {}).get("reference", "")).startswith("Patient/")
    ]


for _name, _fn in {
    "fhir_name": human_name,
    "mrn": mrn,
    "concept": concept,
    "codes": codes,
    "quantity": quantity,
    "refrange": reference_range,
    "interp": interpretation,
    "phone": phone,
    "address": address,
    "audit_who": audit_who,
    "audit_patients": audit_patients,
}.items():
    templates.env.filters[_name] = _fn
