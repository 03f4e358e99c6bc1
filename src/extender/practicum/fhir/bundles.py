"""Transaction and batch Bundles.

A transaction is all-or-nothing: it runs inside a savepoint, and the first failing entry rolls
every entry back and is reported with its index. A batch runs each entry on its own and
reports each outcome. ``urn:uuid`` fullUrls are resolved to the ids the server assigns, and
conditional creates (``ifNoneExist``) reuse a single existing match."""

from __future__ import annotations

import copy
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from extender.practicum.fhir.search import search
from extender.practicum.fhir.store import Store, references
from extender.practicum.fhir.validation import FhirError, Issue, outcome

JSON = dict[str, Any]
ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "GET": 3}


def _entries(bundle: Any, kind: str | None = None) -> list[JSON]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError.single(400, "structure", "the body must be a Bundle", "Bundle")
    if kind and bundle.get("type") != kind:
        raise FhirError.single(400, "invalid", f"Bundle.type must be {kind}", "Bundle.type")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise FhirError.single(400, "structure", "Bundle.entry must be a list", "Bundle.entry")
    for i, entry in enumerate(entries):
        request = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(request, dict) or request.get("method") not in ORDER:
            raise FhirError.single(
                400,
                "required",
                "each entry needs request.method (GET, POST, PUT or DELETE) and request.url",
                f"Bundle.entry[{i}].request",
            )
        if not isinstance(request.get("url"), str) or not request["url"]:
            raise FhirError.single(
                400, "required", "request.url is missing", f"Bundle.entry[{i}].request.url"
            )
        if "resource" in entry and not isinstance(entry["resource"], dict):
            raise FhirError.single(
                400,
                "structure",
                "entry.resource must be a resource (a JSON object)",
                f"Bundle.entry[{i}].resource",
            )
        if "fullUrl" in entry and not isinstance(entry["fullUrl"], str):
            raise FhirError.single(
                400, "structure", "entry.fullUrl must be a string", f"Bundle.entry[{i}].fullUrl"
            )
    return entries


def _rewrite(resource: JSON, mapping: dict[str, str]) -> JSON:
    for ref in references(resource):
        if ref["reference"] in mapping:
            ref["reference"] = mapping[ref["reference"]]
    return resource


def _conditional_match(store: Store, rtype: str, query: str) -> str | None:
    params = parse_qsl(query, keep_blank_values=True)
    result = search(store.session, store.ws, rtype, params)
    if result.total > 1:
        raise FhirError.single(
            412,
            "duplicate",
            f"ifNoneExist '{query}' matches "
            f"{result.total} {rtype} resources; it must match at most one",
        )
    return f"{rtype}/{result.matches[0]['id']}" if result.matches else None


def plan_ids(store: Store, entries: list[JSON]) -> tuple[dict[str, str], set[str], dict[int, str]]:
    """Assign ids to POSTed entries; returns (fullUrl -> Type/id, ids to create, and for
    conditional creates that matched an existing resource: entry index -> Type/id)."""
    mapping: dict[str, str] = {}
    pending: set[str] = set()
    skipped: dict[int, str] = {}
    for i, entry in enumerate(entries):
        request = entry["request"]
        resource = entry.get("resource") or {}
        full_url = entry.get("fullUrl")
        if request["method"] == "POST":
            rtype = str(resource.get("resourceType") or request["url"].split("?")[0])
            existing = (
                _conditional_match(store, rtype, request["ifNoneExist"])
                if request.get("ifNoneExist")
                else None
            )
            target = existing or f"{rtype}/{uuid.uuid4().hex}"
            if existing:
                skipped[i] = existing
            else:
                pending.add(target)
            if full_url:
                mapping[full_url] = target
        elif request["method"] == "PUT" and full_url:
            mapping[full_url] = request["url"].split("?")[0]
            pending.add(mapping[full_url])
    return mapping, pending, skipped


def _run_entry(
    store: Store,
    i: int,
    entry: JSON,
    mapping: dict[str, str],
    pending: set[str],
    skipped: dict[int, str],
) -> JSON:
    request = entry["request"]
    method, url = request["method"], request["url"]
    path = urlsplit(url).path.strip("/")
    if method == "POST":
        target = mapping.get(entry.get("fullUrl") or "", "")
        if i in skipped:
            return {"status": "200 OK", "location": skipped[i]}
        resource = _rewrite(copy.deepcopy(entry.get("resource") or {}), mapping)
        rtype = resource.get("resourceType", path)
        rid = target.split("/")[1] if target else uuid.uuid4().hex
        stored, _ = store.update(str(rtype), rid, {**resource, "id": rid}, pending=pending)
        return {
            "status": "201 Created",
            "location": f"{rtype}/{rid}/_history/1",
            "etag": f'W/"{stored["meta"]["versionId"]}"',
        }
    parts = path.split("/")
    if method == "PUT":
        if len(parts) != 2:
            raise FhirError.single(400, "invalid", f"PUT needs Type/id, not '{url}'")
        resource = _rewrite(copy.deepcopy(entry.get("resource") or {}), mapping)
        stored, created = store.update(parts[0], parts[1], resource, pending=pending)
        version = stored["meta"]["versionId"]
        return {
            "status": "201 Created" if created else "200 OK",
            "location": f"{parts[0]}/{parts[1]}/_history/{version}",
            "etag": f'W/"{version}"',
        }
    if method == "DELETE":
        if len(parts) != 2:
            raise FhirError.single(400, "invalid", f"DELETE needs Type/id, not '{url}'")
        store.delete(parts[0], parts[1])
        return {"status": "204 No Content"}
    if len(parts) == 2:
        return {"status": "200 OK", "resource": store.read(parts[0], parts[1])}
    result = search(
        store.session, store.ws, parts[0], parse_qsl(urlsplit(url).query, keep_blank_values=True)
    )
    return {
        "status": "200 OK",
        "resource": {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": result.total,
            "entry": [{"resource": r} for r in result.matches],
        },
    }


def _prefixed(err: FhirError, i: int) -> FhirError:
    issues = [
        Issue(
            x.severity,
            x.code,
            f"Bundle.entry[{i}].resource"
            + (
                x.expression.partition(".")[1] + x.expression.partition(".")[2]
                if "." in x.expression
                else ""
            ),
            x.diagnostics,
        )
        for x in err.issues
    ]
    return FhirError(err.status, issues)


def transaction(store: Store, bundle: Any) -> JSON:
    entries = _entries(bundle, "transaction")
    order = sorted(range(len(entries)), key=lambda i: ORDER[entries[i]["request"]["method"]])
    savepoint = store.session.begin_nested()
    try:
        mapping, pending, skipped = plan_ids(store, entries)
        responses: dict[int, JSON] = {}
        for i in order:
            try:
                responses[i] = _run_entry(store, i, entries[i], mapping, pending, skipped)
            except FhirError as err:
                raise _prefixed(err, i) from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    store.record("E", "transaction", [], query=f"transaction of {len(entries)} entries")
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [{"response": responses[i]} for i in range(len(entries))],
    }


def batch(store: Store, bundle: Any) -> JSON:
    entries = _entries(bundle, "batch")
    out: list[JSON] = []
    for i, entry in enumerate(entries):
        savepoint = store.session.begin_nested()
        try:
            mapping, pending, skipped = plan_ids(store, [entry])
            response = _run_entry(store, 0, entry, mapping, pending, skipped)
            savepoint.commit()
        except FhirError as err:
            savepoint.rollback()
            response = {"status": f"{err.status}", "outcome": outcome(_prefixed(err, i).issues)}
        out.append({"response": response})
    return {"resourceType": "Bundle", "type": "batch-response", "entry": out}


def resources_for_load(bundle: Any) -> tuple[list[JSON], dict[str, str]]:
    """Turn a generator transaction Bundle of POSTs into resources with ids and resolved
    references, for Store.bulk_load (in place: the bundle is consumed). Ids derive from the
    urn:uuid fullUrls, so the same generator seed gives the same ids; returns the resources
    and fullUrl -> "Type/id"."""
    entries = _entries(bundle, "transaction")
    mapping: dict[str, str] = {}
    resources = []
    for entry in entries:
        resource = entry.get("resource") or {}
        full_url = str(entry.get("fullUrl") or "")
        derived = (
            full_url.removeprefix("urn:uuid:").replace("-", "")
            if full_url.startswith("urn:uuid:")
            else None
        )
        resource["id"] = resource.get("id") or derived or uuid.uuid4().hex
        if full_url:
            mapping[full_url] = f"{resource.get('resourceType')}/{resource['id']}"
        resources.append(resource)
    return [_rewrite(r, mapping) for r in resources], mapping
