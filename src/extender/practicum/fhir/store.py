"""The sandbox FHIR store: versioned JSON documents with search indexes, inside one workspace.

Every public method takes the workspace from the Store it was built with and filters on it,
so nothing in one workspace is reachable from another. Writes are validated before anything
is stored; every read and write records an AuditEvent in the same workspace, as a real EHR
must."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from extender.db import utcnow
from extender.practicum.fhir.params import SUPPORTED_TYPES, index_values
from extender.practicum.fhir.validation import FhirError, validate_resource
from extender.practicum.models import FhirResource, FhirResourceVersion, FhirSearchIndex

JSON = dict[str, Any]
# Core tables for bulk inserts (one executemany instead of the ORM's per-row bookkeeping).
INDEX_TABLE = cast(Table, FhirSearchIndex.__table__)
VERSION_TABLE = cast(Table, FhirResourceVersion.__table__)
ID_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.")


@dataclass(frozen=True)
class Accessor:
    """Who is using the sandbox: recorded in every AuditEvent."""

    user: str
    display: str
    address: str = "unknown"
    via: str = "api"


SYSTEM = Accessor(user="extender", display="Extender sandbox loader", via="system")


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def valid_id(value: str) -> bool:
    return 1 <= len(value) <= 64 and set(value) <= ID_CHARS


def references(node: Any) -> Iterator[JSON]:
    """Every Reference object (a dict with a string 'reference') anywhere in a resource."""
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


class Store:
    def __init__(
        self, session: Session, workspace_id: str, accessor: Accessor = SYSTEM, audit: bool = True
    ) -> None:
        self.session = session
        self.ws = workspace_id
        self.accessor = accessor
        self.audit = audit

    # --- reads -------------------------------------------------------------------------

    def _row(self, rtype: str, rid: str) -> FhirResource | None:
        return self.session.scalar(
            select(FhirResource).where(
                FhirResource.workspace_id == self.ws,
                FhirResource.resource_type == rtype,
                FhirResource.resource_id == rid,
            )
        )

    def exists(self, rtype: str, rid: str) -> bool:
        row = self._row(rtype, rid)
        return row is not None and not row.deleted

    def read(self, rtype: str, rid: str, *, audit: bool = True) -> JSON:
        row = self._row(rtype, rid)
        if row is None:
            raise FhirError.single(404, "not-found", f"{rtype}/{rid} is not known")
        if row.deleted or row.content is None:
            raise FhirError.single(410, "deleted", f"{rtype}/{rid} was deleted")
        if audit:
            self.record("R", "read", [f"{rtype}/{rid}"], patients=self._patients_of(row.content))
        return dict(row.content)

    def vread(self, rtype: str, rid: str, version: int) -> JSON:
        row = self.session.scalar(
            select(FhirResourceVersion).where(
                FhirResourceVersion.workspace_id == self.ws,
                FhirResourceVersion.resource_type == rtype,
                FhirResourceVersion.resource_id == rid,
                FhirResourceVersion.version_id == version,
            )
        )
        if row is None:
            raise FhirError.single(
                404, "not-found", f"{rtype}/{rid}/_history/{version} is not known"
            )
        if row.content is None:
            raise FhirError.single(
                410, "deleted", f"version {version} of {rtype}/{rid} is a deletion"
            )
        self.record(
            "R",
            "vread",
            [f"{rtype}/{rid}/_history/{version}"],
            patients=self._patients_of(row.content),
        )
        return dict(row.content)

    def history(self, rtype: str, rid: str) -> list[FhirResourceVersion]:
        rows = list(
            self.session.scalars(
                select(FhirResourceVersion)
                .where(
                    FhirResourceVersion.workspace_id == self.ws,
                    FhirResourceVersion.resource_type == rtype,
                    FhirResourceVersion.resource_id == rid,
                )
                .order_by(FhirResourceVersion.version_id.desc())
            )
        )
        if not rows:
            raise FhirError.single(404, "not-found", f"{rtype}/{rid} is not known")
        self.record("R", "history-instance", [f"{rtype}/{rid}"])
        return rows

    # --- writes ------------------------------------------------------------------------

    def _check_type(self, rtype: str) -> None:
        if rtype not in SUPPORTED_TYPES and rtype not in ("Medication", "Group", "Device"):
            raise FhirError.single(404, "not-supported", f"resource type {rtype} is not supported")

    def check_references(self, resource: JSON, pending: set[str] | None = None) -> None:
        """Refuse references to resources that are not in this workspace (or, inside a
        transaction, about to be created by it)."""
        missing = []
        for ref in references(resource):
            target = ref["reference"]
            if target.startswith(("#", "urn:", "http://", "https://")):
                continue
            parts = target.split("/")
            if len(parts) != 2:
                missing.append(f"{target} (not Type/id)")
                continue
            if pending and target in pending:
                continue
            if not self.exists(parts[0], parts[1]):
                missing.append(target)
        if missing:
            raise FhirError.single(
                422,
                "not-found",
                f"reference(s) to missing resources: {', '.join(missing)}",
                f"{resource.get('resourceType')}.reference",
            )

    def _store(self, rtype: str, rid: str, content: JSON | None, method: str) -> JSON | None:
        now = utcnow()
        row = self._row(rtype, rid)
        version = (row.version_id + 1) if row is not None else 1
        if content is not None:
            content = {
                **content,
                "id": rid,
                "meta": {
                    **(content.get("meta") or {}),
                    "versionId": str(version),
                    "lastUpdated": iso(now),
                },
            }
        if row is None:
            row = FhirResource(
                workspace_id=self.ws,
                resource_type=rtype,
                resource_id=rid,
                version_id=version,
                last_updated=now,
                content=content,
                deleted=content is None,
            )
            self.session.add(row)
        else:
            row.version_id, row.last_updated = version, now
            row.content, row.deleted = content, content is None
        self.session.flush()
        self.session.add(
            FhirResourceVersion(
                workspace_id=self.ws,
                resource_type=rtype,
                resource_id=rid,
                version_id=version,
                last_updated=now,
                method=method,
                content=content,
            )
        )
        self.session.execute(delete(FhirSearchIndex).where(FhirSearchIndex.resource_pk == row.pk))
        if content is not None:
            self._index([(row.pk, content)])
        return content

    def _index(self, rows: Iterable[tuple[int, JSON]]) -> None:
        values = [
            {
                "resource_pk": pk,
                "workspace_id": self.ws,
                "resource_type": content["resourceType"],
                "param": v.param,
                # Cut to the column widths: a long value stays in the resource, and only the
                # search index holds its prefix (PostgreSQL refuses longer strings outright).
                "value_string": _fit(v.string, 200),
                "token_system": _fit(v.system, 200),
                "token_code": _fit(v.code, 200),
                "date_start": v.start,
                "date_end": v.end,
                "number": v.number,
                "unit": _fit(v.unit, 40),
                "reference": _fit(v.reference, 120),
            }
            for pk, content in rows
            for v in index_values(content)
        ]
        if values:
            # Core insert: one executemany, not the ORM's per-row bookkeeping.
            self.session.execute(insert(INDEX_TABLE), values)

    def create(
        self, resource: JSON, *, pending: set[str] | None = None, audit: bool = True
    ) -> JSON:
        validate_resource(resource)
        self.check_references(resource, pending)
        rid = uuid.uuid4().hex
        stored = self._store(resource["resourceType"], rid, resource, "create")
        assert stored is not None
        if audit:
            self.record(
                "C",
                "create",
                [f"{stored['resourceType']}/{rid}"],
                patients=self._patients_of(stored),
            )
        return stored

    def update(
        self,
        rtype: str,
        rid: str,
        resource: JSON,
        *,
        pending: set[str] | None = None,
        audit: bool = True,
        if_match: int | None = None,
    ) -> tuple[JSON, bool]:
        """Update (or create with a client-chosen id). Returns (resource, created)."""
        self._check_type(rtype)
        if not valid_id(rid):
            raise FhirError.single(400, "invalid", f"'{rid}' is not a valid FHIR id")
        validate_resource(resource, rtype)
        if resource.get("id") not in (None, rid):
            raise FhirError.single(
                400,
                "invalid",
                f"the body's id {resource.get('id')} does not match the URL's id {rid}",
                f"{rtype}.id",
            )
        row = self._row(rtype, rid)
        if if_match is not None and (row is None or row.version_id != if_match):
            raise FhirError.single(412, "conflict", f"{rtype}/{rid} is not at version {if_match}")
        self.check_references(resource, pending)
        created = row is None or row.deleted
        stored = self._store(rtype, rid, resource, "create" if created else "update")
        assert stored is not None
        if audit:
            self.record(
                "C" if created else "U",
                "create" if created else "update",
                [f"{rtype}/{rid}"],
                patients=self._patients_of(stored),
            )
        return stored, created

    def delete(self, rtype: str, rid: str, *, audit: bool = True) -> None:
        self._check_type(rtype)
        row = self._row(rtype, rid)
        if row is None or row.deleted:
            raise FhirError.single(404, "not-found", f"{rtype}/{rid} is not known")
        self._store(rtype, rid, None, "delete")
        if audit:
            self.record("D", "delete", [f"{rtype}/{rid}"])

    def bulk_load(self, resources: list[JSON]) -> int:
        """Load many new resources at once (workspace creation): validated like any write,
        references checked within the batch and the workspace, inserted in batches."""
        ids = {f"{r['resourceType']}/{r['id']}" for r in resources}
        now = utcnow()
        stamped = []
        for r in resources:
            validate_resource(r)
            self.check_references(r, ids)
            stamped.append(
                {**r, "meta": {**(r.get("meta") or {}), "versionId": "1", "lastUpdated": iso(now)}}
            )
        for start in range(0, len(stamped), 2000):
            chunk = stamped[start : start + 2000]
            pks = self.session.scalars(
                insert(FhirResource).returning(FhirResource.pk, sort_by_parameter_order=True),
                [
                    {
                        "workspace_id": self.ws,
                        "resource_type": r["resourceType"],
                        "resource_id": r["id"],
                        "version_id": 1,
                        "last_updated": now,
                        "deleted": False,
                        "content": r,
                    }
                    for r in chunk
                ],
            ).all()
            self.session.execute(
                insert(FhirResourceVersion),
                [
                    {
                        "workspace_id": self.ws,
                        "resource_type": r["resourceType"],
                        "resource_id": r["id"],
                        "version_id": 1,
                        "last_updated": now,
                        "method": "create",
                        "content": r,
                    }
                    for r in chunk
                ],
            )
            self._index(zip(pks, chunk, strict=True))
        return len(stamped)

    # --- audit -------------------------------------------------------------------------

    def _patients_of(self, resource: JSON) -> list[str]:
        if resource.get("resourceType") == "Patient":
            return [f"Patient/{resource['id']}"]
        out = []
        for key in ("subject", "patient"):
            ref = resource.get(key)
            if isinstance(ref, dict) and str(ref.get("reference", "")).startswith("Patient/"):
                out.append(ref["reference"])
        return out

    def record(
        self,
        action: str,
        subtype: str,
        what: list[str],
        *,
        patients: Iterable[str] = (),
        query: str | None = None,
        outcome: str = "0",
    ) -> None:
        """Write one AuditEvent (DICOM/IHE style) for an access, without auditing itself."""
        if not self.audit:
            return
        entities: list[JSON] = []
        for ref in dict.fromkeys([*what, *patients]):
            is_patient = ref.startswith("Patient/") and "/_history" not in ref
            entities.append(
                {
                    "what": {"reference": ref.split("/_history")[0]},
                    "type": {
                        "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                        "code": "1" if is_patient else "2",
                    },
                }
            )
        if query is not None:
            entities.append(
                {
                    "type": {
                        "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                        "code": "2",
                    },
                    "query": base64.b64encode(query.encode()).decode(),
                    "description": query[:500],
                }
            )
        event = {
            "resourceType": "AuditEvent",
            "id": uuid.uuid4().hex,
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
                "code": "rest",
                "display": "RESTful Operation",
            },
            "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": subtype}],
            "action": action,
            "recorded": iso(utcnow()),
            "outcome": outcome,
            "agent": [
                {
                    "who": {"display": self.accessor.display},
                    "altId": self.accessor.user,
                    "name": self.accessor.display,
                    "requestor": True,
                    "network": {"address": self.accessor.address, "type": "2"},
                    "policy": [self.accessor.via],
                }
            ],
            "source": {
                "observer": {"display": "Extender sandbox EHR"},
                "type": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                        "code": "4",
                    }
                ],
            },
            "entity": entities,
        }
        row = FhirResource(
            workspace_id=self.ws,
            resource_type="AuditEvent",
            resource_id=event["id"],
            version_id=1,
            last_updated=utcnow(),
            content={**event, "meta": {"versionId": "1", "lastUpdated": event["recorded"]}},
        )
        self.session.add(row)
        self.session.flush()
        self._index([(row.pk, event)])


def _fit(value: str | None, width: int) -> str | None:
    return value[:width] if value is not None else None
