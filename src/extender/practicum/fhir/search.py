"""FHIR search over the index tables: AND across parameters, OR across comma-separated
values, prefixes for dates and quantities, string modifiers, _sort, _count with paging, and
_include. Builds one SQL query per page, filtered to the workspace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from extender.practicum.fhir.params import SUPPORTED_TYPES, SearchParam, params_for
from extender.practicum.fhir.validation import FhirError
from extender.practicum.fhir.values import (
    SearchValueError,
    date_range,
    normalize_string,
    parse_quantity,
    parse_token,
    split_prefix,
)
from extender.practicum.models import FhirResource, FhirSearchIndex

JSON = dict[str, Any]
DEFAULT_COUNT = 20
MAX_COUNT = 500
CONTROL = {"_count", "_offset", "_sort", "_include", "_format", "_total"}
Idx = FhirSearchIndex


@dataclass
class SearchResult:
    total: int
    matches: list[JSON]
    included: list[JSON] = field(default_factory=list)
    offset: int = 0
    count: int = DEFAULT_COUNT


def _bad(message: str, param: str = "") -> FhirError:
    return FhirError.single(400, "invalid", message, param)


def _string_cond(value: str, modifier: str) -> ColumnElement[bool]:
    text = normalize_string(value)
    if modifier == "exact":
        return Idx.value_string == text
    if modifier == "contains":
        return Idx.value_string.contains(text, autoescape=True)
    return Idx.value_string.startswith(text, autoescape=True)


def _token_cond(value: str) -> ColumnElement[bool]:
    token = parse_token(value)
    conds: list[ColumnElement[bool]] = []
    if token.code is not None:
        conds.append(Idx.token_code == token.code)
    if token.system == "":
        conds.append(Idx.token_system.is_(None))
    elif token.system is not None:
        conds.append(Idx.token_system == token.system)
    return and_(*conds)


def _date_cond(value: str) -> ColumnElement[bool]:
    prefix, rest = split_prefix(value)
    start, end = date_range(rest)
    eq = and_(Idx.date_start >= start, Idx.date_end <= end)
    return {
        "eq": eq,
        "ne": not_(eq),
        "gt": Idx.date_end > end,
        "lt": Idx.date_start < start,
        "ge": Idx.date_end > start,
        "le": Idx.date_start < end,
    }[prefix]


def _quantity_cond(value: str) -> ColumnElement[bool]:
    prefix, rng, unit = parse_quantity(value)
    number = {
        "eq": and_(Idx.number >= rng.low, Idx.number < rng.high),
        "ne": or_(Idx.number < rng.low, Idx.number >= rng.high),
        "gt": Idx.number > rng.value,
        "lt": Idx.number < rng.value,
        "ge": Idx.number >= rng.value,
        "le": Idx.number <= rng.value,
    }[prefix]
    return and_(number, Idx.unit == unit) if unit else number


def _reference_cond(param: SearchParam, value: str) -> ColumnElement[bool]:
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2:
        return Idx.reference == "/".join(parts[-2:])
    targets = param.target or ("Patient",)
    return Idx.reference.in_([f"{t}/{value}" for t in targets])


def _condition(ws: str, rtype: str, name: str, raw_values: str) -> ColumnElement[bool]:
    base, _, modifier = name.partition(":")
    param = params_for(rtype).get(base)
    if param is None:
        raise _bad(f"unknown search parameter '{base}' for {rtype}", base)
    if modifier == "missing":
        present = exists().where(Idx.resource_pk == FhirResource.pk, Idx.param == base)
        return not_(present) if raw_values == "true" else present
    if modifier and not (param.kind == "string" and modifier in ("exact", "contains")):
        raise _bad(f"modifier ':{modifier}' is not supported on {base}", name)
    alternatives = []
    try:
        for value in raw_values.split(","):
            if param.kind == "string":
                alternatives.append(_string_cond(value, modifier))
            elif param.kind == "token":
                alternatives.append(_token_cond(value))
            elif param.kind == "date":
                alternatives.append(_date_cond(value))
            elif param.kind == "quantity":
                alternatives.append(_quantity_cond(value))
            else:
                alternatives.append(_reference_cond(param, value))
    except SearchValueError as exc:
        raise _bad(f"{base}: {exc}", base) from None
    # Drive the search from the index (workspace, type, param, value) rather than testing
    # every resource of the type: the matching keys come first, then their resources.
    keys = select(Idx.resource_pk).where(
        Idx.workspace_id == ws, Idx.resource_type == rtype, Idx.param == base, or_(*alternatives)
    )
    return FhirResource.pk.in_(keys)


def _sort_key(rtype: str, item: str) -> ColumnElement[Any]:
    desc = item.startswith("-")
    name = item.lstrip("-")
    if name == "_lastUpdated":
        col: Any = FhirResource.last_updated
    elif name == "_id":
        col = FhirResource.resource_id
    else:
        param = params_for(rtype).get(name)
        if param is None or param.kind == "reference":
            raise _bad(f"cannot sort {rtype} by '{name}'", "_sort")
        column = {
            "string": Idx.value_string,
            "token": Idx.token_code,
            "date": Idx.date_start,
            "quantity": Idx.number,
        }[param.kind]
        agg = func.max if desc else func.min
        col = (
            select(agg(column))
            .where(Idx.resource_pk == FhirResource.pk, Idx.param == name)
            .scalar_subquery()
        )
    ordered: ColumnElement[Any] = col.desc() if desc else col.asc()
    return ordered


def _int(params: list[tuple[str, str]], name: str, default: int) -> int:
    for key, value in params:
        if key == name:
            if not value.isdigit():
                raise _bad(f"{name} must be a non-negative integer", name)
            return int(value)
    return default


def search(session: Session, ws: str, rtype: str, params: list[tuple[str, str]]) -> SearchResult:
    if rtype not in SUPPORTED_TYPES:
        raise FhirError.single(404, "not-supported", f"resource type {rtype} is not supported")
    base: Select[FhirResource] = select(FhirResource).where(
        FhirResource.workspace_id == ws,
        FhirResource.resource_type == rtype,
        FhirResource.deleted.is_(False),
    )
    for name, value in params:
        if name in CONTROL:
            continue
        if name == "_lastUpdated":
            prefix, rest = split_prefix(value)
            start, end = date_range(rest)
            base = base.where(
                {
                    "eq": and_(FhirResource.last_updated >= start, FhirResource.last_updated < end),
                    "gt": FhirResource.last_updated >= end,
                    "ge": FhirResource.last_updated >= start,
                    "lt": FhirResource.last_updated < start,
                    "le": FhirResource.last_updated < end,
                    "ne": or_(FhirResource.last_updated < start, FhirResource.last_updated >= end),
                }[prefix]
            )
            continue
        base = base.where(_condition(ws, rtype, name, value))
    count = min(_int(params, "_count", DEFAULT_COUNT), MAX_COUNT)
    offset = _int(params, "_offset", 0)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order = [
        _sort_key(rtype, s)
        for v in (v for k, v in params if k == "_sort")
        for s in v.split(",")
        if s
    ]
    stmt = base.order_by(*order, FhirResource.pk).limit(count).offset(offset)
    rows = list(session.scalars(stmt))
    result = SearchResult(total, [r.content for r in rows if r.content], offset=offset, count=count)
    includes = [v for k, v in params if k == "_include"]
    if includes and rows:
        result.included = _includes(session, ws, rtype, [r.pk for r in rows], includes)
    return result


def _includes(
    session: Session, ws: str, rtype: str, pks: list[int], includes: list[str]
) -> list[JSON]:
    refs: set[str] = set()
    for inc in includes:
        parts = inc.split(":")
        if len(parts) < 2 or parts[0] != rtype:
            raise _bad(f"_include must look like {rtype}:param, not '{inc}'", "_include")
        param = params_for(rtype).get(parts[1])
        if param is None or param.kind != "reference":
            raise _bad(f"'{parts[1]}' is not a reference parameter of {rtype}", "_include")
        rows = session.scalars(
            select(Idx.reference).where(
                Idx.resource_pk.in_(pks), Idx.param == parts[1], Idx.reference.is_not(None)
            )
        )
        refs.update(r for r in rows if r and (len(parts) < 3 or r.startswith(parts[2] + "/")))
    out: list[JSON] = []
    for ref in sorted(refs):
        t, i = ref.split("/", 1)
        row = session.scalar(
            select(FhirResource).where(
                FhirResource.workspace_id == ws,
                FhirResource.resource_type == t,
                FhirResource.resource_id == i,
                FhirResource.deleted.is_(False),
            )
        )
        if row is not None and row.content is not None:
            out.append(row.content)
    return out


def searchset(
    result: SearchResult, base_url: str, rtype: str, params: list[tuple[str, str]]
) -> JSON:
    """A searchset Bundle with self/next/previous links that keep every other parameter."""
    kept = [(k, v) for k, v in params if k != "_offset"]

    def link(relation: str, offset: int) -> JSON:
        query = urlencode([*kept, ("_offset", str(offset))])
        return {"relation": relation, "url": f"{base_url}/{rtype}?{query}"}

    links = [link("self", result.offset)]
    if result.offset + result.count < result.total:
        links.append(link("next", result.offset + result.count))
    if result.offset > 0:
        links.append(link("previous", max(0, result.offset - result.count)))
    entries = [
        {
            "fullUrl": f"{base_url}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in result.matches
    ]
    entries += [
        {
            "fullUrl": f"{base_url}/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "include"},
        }
        for r in result.included
    ]
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": result.total,
        "link": links,
        "entry": entries,
    }


def patient_everything(session: Session, ws: str, patient_id: str) -> list[JSON]:
    """The patient and every resource whose index references them (the Patient compartment,
    as far as the indexed reference parameters reach)."""
    ref = f"Patient/{patient_id}"
    pks = select(Idx.resource_pk).where(
        Idx.workspace_id == ws, Idx.reference == ref, Idx.resource_type != "AuditEvent"
    )
    rows = session.scalars(
        select(FhirResource)
        .where(
            FhirResource.workspace_id == ws,
            FhirResource.deleted.is_(False),
            FhirResource.pk.in_(pks),
        )
        .order_by(FhirResource.resource_type, FhirResource.pk)
    )
    return [r.content for r in rows if r.content]
