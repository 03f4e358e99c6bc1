"""The sandbox's FHIR R4 REST API at /fhir/{workspace}/..., speaking application/fhir+json.

Only the workspace's owner (by session or API token) gets in; anyone else gets 404, so the
existence of someone else's workspace is never revealed."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from extender.db import utcnow
from extender.errors import DomainError
from extender.practicum import service
from extender.practicum.fhir import bundles
from extender.practicum.fhir.params import SUPPORTED_TYPES, params_for
from extender.practicum.fhir.search import patient_everything, search, searchset
from extender.practicum.fhir.store import Store, iso
from extender.practicum.fhir.validation import FhirError, Issue, outcome
from extender.web.deps import DB, CurrentPrincipal

FHIR_JSON = "application/fhir+json"
router = APIRouter(prefix="/fhir/{workspace}", tags=["sandbox FHIR"])


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def _store(request: Request, db: DB, principal: CurrentPrincipal, workspace: str) -> Store:
    ws = service.owned_workspace(db, principal.user, workspace)
    accessor = service.accessor_for(
        principal.user, principal.client_address, "api-token" if principal.via_token else "session"
    )
    request.state.fhir_base = f"{str(request.base_url).rstrip('/')}/fhir/{ws.id}"
    return Store(db, ws.id, accessor)


Sandbox = Annotated[Store, Depends(_store)]


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FhirError.single(400, "structure", f"the body is not valid JSON: {exc}") from None


Body = Annotated[Any, Depends(_body)]


def _respond(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return FhirResponse(content, status_code=status, headers=headers)


def _resource_headers(resource: dict[str, Any], base: str) -> dict[str, str]:
    version = resource["meta"]["versionId"]
    return {
        "ETag": f'W/"{version}"',
        "Last-Modified": resource["meta"]["lastUpdated"],
        "Location": f"{base}/{resource['resourceType']}/{resource['id']}/_history/{version}",
    }


def fhir_error_response(exc: FhirError) -> Response:
    return _respond(outcome(exc.issues), exc.status)


@router.get("/metadata", summary="CapabilityStatement of the sandbox")
def metadata(request: Request, store: Sandbox) -> Response:
    base = request.state.fhir_base
    resources = [
        {
            "type": rtype,
            "interaction": [
                {"code": c}
                for c in (
                    "read",
                    "vread",
                    "update",
                    "delete",
                    "history-instance",
                    "create",
                    "search-type",
                )
            ],
            "versioning": "versioned",
            "conditionalCreate": True,
            "searchParam": [
                {"name": p.name, "type": "number" if p.kind == "quantity" else p.kind}
                for p in params_for(rtype).values()
            ],
            "searchInclude": [
                f"{rtype}:{p.name}" for p in params_for(rtype).values() if p.kind == "reference"
            ],
        }
        for rtype in SUPPORTED_TYPES
    ]
    return _respond(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": iso(utcnow()),
            "kind": "instance",
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "software": {"name": "Extender sandbox EHR"},
            "implementation": {"description": "A learner's practicum sandbox", "url": base},
            "rest": [
                {
                    "mode": "server",
                    "resource": resources,
                    "interaction": [{"code": "transaction"}, {"code": "batch"}],
                    "operation": [
                        {
                            "name": "everything",
                            "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                        }
                    ],
                }
            ],
        }
    )


@router.post("", summary="Process a transaction or batch Bundle")
def process_bundle(store: Sandbox, body: Body, db: DB) -> Response:
    kind = body.get("type") if isinstance(body, dict) else None
    result = (
        bundles.transaction(store, body)
        if kind == "transaction"
        else (bundles.batch(store, body) if kind == "batch" else None)
    )
    if result is None:
        raise FhirError.single(
            400, "invalid", "Bundle.type must be transaction or batch", "Bundle.type"
        )
    db.commit()
    return _respond(result)


@router.get("/Patient/{rid}/$everything", summary="Everything about one patient")
def everything(request: Request, store: Sandbox, rid: str, db: DB) -> Response:
    patient = store.read("Patient", rid, audit=False)
    found = [patient] + [r for r in patient_everything(db, store.ws, rid) if r["id"] != rid]
    store.record("R", "operation", [f"Patient/{rid}"], query="$everything")
    db.commit()
    base = request.state.fhir_base
    return _respond(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [
                {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r} for r in found
            ],
        }
    )


def _search(
    request: Request, store: Sandbox, db: DB, rtype: str, params: list[tuple[str, str]]
) -> Response:
    result = search(db, store.ws, rtype, params)
    query = "&".join(f"{k}={v}" for k, v in params)
    store.record(
        "E",
        "search-type",
        [],
        query=f"{rtype}?{query}",
        patients=[f"Patient/{r['id']}" for r in result.matches if r["resourceType"] == "Patient"],
    )
    db.commit()
    return _respond(searchset(result, request.state.fhir_base, rtype, params))


@router.get("/{rtype}", summary="Search a resource type")
def search_type(request: Request, store: Sandbox, db: DB, rtype: str) -> Response:
    return _search(request, store, db, rtype, list(request.query_params.multi_items()))


@router.post("/{rtype}/_search", summary="Search with form-encoded parameters")
async def search_post(request: Request, store: Sandbox, db: DB, rtype: str) -> Response:
    form = await request.form()
    params = [(k, str(v)) for k, v in form.multi_items() if k != "csrf_token"]
    return _search(request, store, db, rtype, list(request.query_params.multi_items()) + params)


@router.post("/{rtype}", summary="Create a resource (conditional with If-None-Exist)")
def create(request: Request, store: Sandbox, db: DB, rtype: str, body: Body) -> Response:
    if isinstance(body, dict) and body.get("resourceType") not in (None, rtype):
        raise FhirError.single(
            400,
            "invalid",
            f"resourceType {body.get('resourceType')} does not match the URL ({rtype})",
            "resourceType",
        )
    condition = request.headers.get("if-none-exist")
    if condition:
        response = bundles.transaction(
            store,
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [
                    {
                        "resource": body,
                        "request": {"method": "POST", "url": rtype, "ifNoneExist": condition},
                    }
                ],
            },
        )
        location = response["entry"][0]["response"]["location"]
        found_type, found_id = location.split("/")[:2]
        existing = store.read(found_type, found_id, audit=False)
        db.commit()
        created = response["entry"][0]["response"]["status"].startswith("201")
        return _respond(
            existing, 201 if created else 200, _resource_headers(existing, request.state.fhir_base)
        )
    stored = store.create(body)
    db.commit()
    return _respond(stored, 201, _resource_headers(stored, request.state.fhir_base))


@router.get("/{rtype}/{rid}", summary="Read a resource")
def read(request: Request, store: Sandbox, db: DB, rtype: str, rid: str) -> Response:
    resource = store.read(rtype, rid)
    db.commit()
    return _respond(resource, 200, _resource_headers(resource, request.state.fhir_base))


@router.put("/{rtype}/{rid}", summary="Update (or create with this id)")
def update(request: Request, store: Sandbox, db: DB, rtype: str, rid: str, body: Body) -> Response:
    if_match = request.headers.get("if-match", "").removeprefix("W/").strip('"')
    resource, created = store.update(
        rtype, rid, body, if_match=int(if_match) if if_match.isdigit() else None
    )
    db.commit()
    return _respond(
        resource, 201 if created else 200, _resource_headers(resource, request.state.fhir_base)
    )


@router.delete("/{rtype}/{rid}", summary="Delete a resource")
def remove(store: Sandbox, db: DB, rtype: str, rid: str) -> Response:
    store.delete(rtype, rid)
    db.commit()
    return Response(status_code=204)


@router.get("/{rtype}/{rid}/_history", summary="Version history of a resource")
def history(request: Request, store: Sandbox, db: DB, rtype: str, rid: str) -> Response:
    rows = store.history(rtype, rid)
    db.commit()
    base = request.state.fhir_base
    return _respond(
        {
            "resourceType": "Bundle",
            "type": "history",
            "total": len(rows),
            "entry": [
                {
                    "fullUrl": f"{base}/{rtype}/{rid}",
                    **({"resource": r.content} if r.content else {}),
                    "request": {
                        "method": {"create": "POST", "update": "PUT", "delete": "DELETE"}[r.method],
                        "url": f"{rtype}/{rid}",
                    },
                    "response": {
                        "status": "200",
                        "lastModified": iso(r.last_updated),
                        "etag": f'W/"{r.version_id}"',
                    },
                }
                for r in rows
            ],
        }
    )


@router.get("/{rtype}/{rid}/_history/{vid}", summary="Read one version")
def vread(request: Request, store: Sandbox, db: DB, rtype: str, rid: str, vid: str) -> Response:
    if not vid.isdigit():
        raise FhirError.single(400, "invalid", f"version '{vid}' is not a number")
    resource = store.vread(rtype, rid, int(vid))
    db.commit()
    return _respond(resource, 200, _resource_headers(resource, request.state.fhir_base))


def domain_error_as_outcome(exc: DomainError) -> Response:
    code = {
        401: "login",
        403: "forbidden",
        404: "not-found",
        409: "conflict",
        429: "throttled",
    }.get(exc.status_code, "invalid")
    return _respond(outcome([Issue("error", code, exc.field or "", exc.message)]), exc.status_code)
