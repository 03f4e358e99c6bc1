"""Which search parameters each supported resource type has, and how to pull their values
out of a resource. Written as small Python extractors rather than a FHIRPath engine: the set
is fixed and each one is easy to read and test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from extender.practicum.fhir.values import SearchValueError, date_range, normalize_string

Kind = Literal["string", "token", "date", "reference", "quantity"]
JSON = dict[str, Any]


@dataclass(frozen=True)
class IndexValue:
    param: str
    string: str | None = None
    system: str | None = None
    code: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    number: float | None = None
    unit: str | None = None
    reference: str | None = None


Extractor = Callable[[JSON], Iterator[Any]]


@dataclass(frozen=True)
class SearchParam:
    name: str
    kind: Kind
    extract: Extractor
    target: tuple[str, ...] = ()  # for references: resource types it can point to


def _get(resource: JSON, *path: str) -> Iterator[Any]:
    """Walk a dotted path, fanning out over lists, yielding every leaf present."""
    items: list[Any] = [resource]
    for key in path:
        nxt: list[Any] = []
        for item in items:
            if isinstance(item, dict) and key in item:
                value = item[key]
                nxt.extend(value if isinstance(value, list) else [value])
        items = nxt
    yield from items


def path(*p: str) -> Extractor:
    return lambda r: _get(r, *p)


def first_of(*paths: tuple[str, ...]) -> Extractor:
    def extract(r: JSON) -> Iterator[Any]:
        for p in paths:
            yield from _get(r, *p)

    return extract


def _human_names(r: JSON) -> Iterator[Any]:
    for name in _get(r, "name"):
        if isinstance(name, dict):
            yield from name.get("given", [])
            if name.get("family"):
                yield name["family"]
            if name.get("text"):
                yield name["text"]
        elif isinstance(name, str):
            yield name


def _phones(r: JSON) -> Iterator[Any]:
    for t in _get(r, "telecom"):
        if isinstance(t, dict) and t.get("system") == "phone" and t.get("value"):
            yield {"code": t["value"]}
            digits = "".join(ch for ch in t["value"] if ch.isdigit())
            if digits and digits != t["value"]:
                yield {"code": digits}


COMMON = [SearchParam("_id", "token", lambda r: iter([{"code": r.get("id")}]))]
SUBJECT = ("Patient", "Group", "Location", "Device")

PARAMS: dict[str, list[SearchParam]] = {
    "Patient": [
        SearchParam("identifier", "token", path("identifier")),
        SearchParam("name", "string", _human_names),
        SearchParam("family", "string", path("name", "family")),
        SearchParam("given", "string", path("name", "given")),
        SearchParam("birthdate", "date", path("birthDate")),
        SearchParam("gender", "token", path("gender")),
        SearchParam("phone", "token", _phones),
        SearchParam("address-postalcode", "string", path("address", "postalCode")),
        SearchParam("active", "token", path("active")),
    ],
    "Practitioner": [
        SearchParam("identifier", "token", path("identifier")),
        SearchParam("name", "string", _human_names),
        SearchParam("family", "string", path("name", "family")),
        SearchParam("given", "string", path("name", "given")),
    ],
    "Organization": [
        SearchParam("identifier", "token", path("identifier")),
        SearchParam("name", "string", path("name")),
    ],
    "Location": [SearchParam("name", "string", path("name"))],
    "PractitionerRole": [
        SearchParam("practitioner", "reference", path("practitioner"), ("Practitioner",)),
        SearchParam("organization", "reference", path("organization"), ("Organization",)),
    ],
    "Encounter": [
        SearchParam("subject", "reference", path("subject"), SUBJECT),
        SearchParam("patient", "reference", path("subject"), ("Patient",)),
        SearchParam("date", "date", path("period")),
        SearchParam("status", "token", path("status")),
        SearchParam("class", "token", path("class")),
        SearchParam("type", "token", path("type")),
        SearchParam(
            "participant",
            "reference",
            path("participant", "individual"),
            ("Practitioner", "PractitionerRole"),
        ),
    ],
    "Condition": [
        SearchParam("subject", "reference", path("subject"), SUBJECT),
        SearchParam("patient", "reference", path("subject"), ("Patient",)),
        SearchParam("code", "token", path("code")),
        SearchParam("clinical-status", "token", path("clinicalStatus")),
        SearchParam("category", "token", path("category")),
        SearchParam("onset-date", "date", path("onsetDateTime")),
        SearchParam("encounter", "reference", path("encounter"), ("Encounter",)),
    ],
    "Observation": [
        SearchParam("subject", "reference", path("subject"), SUBJECT),
        SearchParam("patient", "reference", path("subject"), ("Patient",)),
        SearchParam("code", "token", path("code")),
        SearchParam("category", "token", path("category")),
        SearchParam(
            "date",
            "date",
            first_of(("effectiveDateTime",), ("effectivePeriod",), ("effectiveInstant",)),
        ),
        SearchParam("value-quantity", "quantity", path("valueQuantity")),
        SearchParam("status", "token", path("status")),
        SearchParam("encounter", "reference", path("encounter"), ("Encounter",)),
    ],
    "MedicationRequest": [
        SearchParam("subject", "reference", path("subject"), SUBJECT),
        SearchParam("patient", "reference", path("subject"), ("Patient",)),
        SearchParam("code", "token", path("medicationCodeableConcept")),
        SearchParam("status", "token", path("status")),
        SearchParam("authoredon", "date", path("authoredOn")),
        SearchParam(
            "requester", "reference", path("requester"), ("Practitioner", "PractitionerRole")
        ),
    ],
    "AllergyIntolerance": [
        SearchParam("patient", "reference", path("patient"), ("Patient",)),
        SearchParam("code", "token", path("code")),
        SearchParam("clinical-status", "token", path("clinicalStatus")),
        SearchParam("criticality", "token", path("criticality")),
    ],
    "Immunization": [
        SearchParam("patient", "reference", path("patient"), ("Patient",)),
        SearchParam("vaccine-code", "token", path("vaccineCode")),
        SearchParam("date", "date", path("occurrenceDateTime")),
        SearchParam("status", "token", path("status")),
    ],
    "Appointment": [
        SearchParam("patient", "reference", path("participant", "actor"), ("Patient",)),
        SearchParam(
            "actor",
            "reference",
            path("participant", "actor"),
            ("Patient", "Practitioner", "Location"),
        ),
        SearchParam("date", "date", path("start")),
        SearchParam("status", "token", path("status")),
    ],
    "AuditEvent": [
        SearchParam("date", "date", path("recorded")),
        SearchParam("type", "token", path("type")),
        SearchParam("subtype", "token", path("subtype")),
        SearchParam("action", "token", path("action")),
        SearchParam("agent", "reference", path("agent", "who"), ("Practitioner", "Patient")),
        SearchParam(
            "agent-name", "string", first_of(("agent", "name"), ("agent", "who", "display"))
        ),
        SearchParam("altid", "token", path("agent", "altId")),
        SearchParam("entity", "reference", path("entity", "what"), ()),
        SearchParam("patient", "reference", path("entity", "what"), ("Patient",)),
        SearchParam("outcome", "token", path("outcome")),
        SearchParam("address", "string", path("agent", "network", "address")),
    ],
}

SUPPORTED_TYPES = tuple(sorted(PARAMS))


def params_for(resource_type: str) -> dict[str, SearchParam]:
    return {p.name: p for p in COMMON + PARAMS.get(resource_type, [])}


def _tokens(value: Any) -> Iterator[tuple[str | None, str]]:
    if isinstance(value, bool):
        yield None, "true" if value else "false"
    elif isinstance(value, str):
        yield None, value
    elif isinstance(value, dict):
        if "coding" in value:
            for coding in value.get("coding") or []:
                if coding.get("code"):
                    yield coding.get("system"), str(coding["code"])
        elif "value" in value and "system" in value:  # Identifier
            yield value.get("system"), str(value["value"])
        elif "code" in value and value.get("code") is not None:  # Coding or our own shape
            yield value.get("system"), str(value["code"])
        elif "value" in value:
            yield None, str(value["value"])


def _dates(value: Any) -> Iterator[tuple[datetime, datetime]]:
    try:
        if isinstance(value, str):
            yield date_range(value)
        elif isinstance(value, dict) and ("start" in value or "end" in value):
            start = date_range(value["start"])[0] if value.get("start") else datetime.min
            end = date_range(value["end"])[1] if value.get("end") else datetime.max
            yield start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)
    except SearchValueError:
        return


def _reference(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("reference"), str):
        ref: str = value["reference"]
        parts = ref.split("/")
        return "/".join(parts[-2:]) if len(parts) >= 2 else ref
    return None


def index_values(resource: JSON) -> list[IndexValue]:
    """Every search-index row for a resource."""
    out: list[IndexValue] = []
    for param in params_for(str(resource.get("resourceType"))).values():
        for raw in param.extract(resource):
            if param.kind == "string" and isinstance(raw, str) and raw.strip():
                out.append(IndexValue(param.name, string=normalize_string(raw)[:200]))
            elif param.kind == "token":
                for system, code in _tokens(raw):
                    out.append(IndexValue(param.name, system=system, code=code[:200]))
            elif param.kind == "date":
                for start, end in _dates(raw):
                    out.append(IndexValue(param.name, start=start, end=end))
            elif param.kind == "reference":
                ref = _reference(raw)
                if ref and (not param.target or ref.split("/")[0] in param.target):
                    out.append(IndexValue(param.name, reference=ref))
            elif param.kind == "quantity" and isinstance(raw, dict) and "value" in raw:
                out.append(
                    IndexValue(
                        param.name,
                        number=float(raw["value"]),
                        unit=raw.get("code") or raw.get("unit"),
                    )
                )
    return out
