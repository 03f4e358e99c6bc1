"""Patient merge and its undo, over the sandbox store.

The survivor keeps its id; every resource that referenced the merged record is repointed to
the survivor (a new version each, so history shows the change); the merged record is marked
inactive with a ``replaced-by`` link, and the survivor gains a ``replaces`` link. Undo
restores each touched resource to the version it had before."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extender.db import utcnow
from extender.errors import Conflict, InvalidInput, NotFound
from extender.practicum.fhir.store import Store, references
from extender.practicum.fhir.validation import FhirError
from extender.practicum.models import FhirResource, FhirSearchIndex, PatientMerge


def _referrers(session: Session, ws: str, ref: str) -> list[FhirResource]:
    pks = select(FhirSearchIndex.resource_pk).where(
        FhirSearchIndex.workspace_id == ws,
        FhirSearchIndex.reference == ref,
        FhirSearchIndex.resource_type != "AuditEvent",
    )
    return list(
        session.scalars(
            select(FhirResource).where(
                FhirResource.workspace_id == ws,
                FhirResource.deleted.is_(False),
                FhirResource.pk.in_(pks),
            )
        )
    )


def merge_patients(store: Store, survivor_id: str, merged_id: str) -> PatientMerge:
    if survivor_id == merged_id:
        raise InvalidInput("choose two different patients to merge", field="merged")
    try:
        survivor = store.read("Patient", survivor_id, audit=False)
        merged = store.read("Patient", merged_id, audit=False)
    except FhirError as err:
        raise NotFound(err.issues[0].diagnostics) from None
    if merged.get("active") is False:
        raise Conflict(f"Patient/{merged_id} is already inactive (merged earlier?)")
    old, new = f"Patient/{merged_id}", f"Patient/{survivor_id}"
    touched: list[dict[str, Any]] = []
    for row in _referrers(store.session, store.ws, old):
        content = dict(row.content or {})
        touched.append(
            {"type": row.resource_type, "id": row.resource_id, "version": row.version_id}
        )
        for ref in references(content):
            if ref["reference"] == old:
                ref["reference"] = new
        store.update(row.resource_type, row.resource_id, content, audit=False)
    touched += [
        {"type": "Patient", "id": survivor_id, "version": int(survivor["meta"]["versionId"])},
        {"type": "Patient", "id": merged_id, "version": int(merged["meta"]["versionId"])},
    ]
    links = [x for x in survivor.get("link", []) if x.get("other", {}).get("reference") != old]
    store.update(
        "Patient",
        survivor_id,
        {**survivor, "link": [*links, {"other": {"reference": old}, "type": "replaces"}]},
        audit=False,
    )
    store.update(
        "Patient",
        merged_id,
        {**merged, "active": False, "link": [{"other": {"reference": new}, "type": "replaced-by"}]},
        audit=False,
    )
    store.record("U", "update", [new, old], query=f"merge {old} into {new}")
    record = PatientMerge(
        workspace_id=store.ws,
        survivor=survivor_id,
        merged=merged_id,
        touched={"resources": touched},
        merged_by=store.accessor.user,
    )
    store.session.add(record)
    store.session.flush()
    return record


def undo_merge(store: Store, merge_id: int) -> PatientMerge:
    record = store.session.get(PatientMerge, merge_id)
    if record is None or record.workspace_id != store.ws:
        raise NotFound("no such merge in this workspace")
    if record.undone_at is not None:
        raise Conflict("this merge was already undone")
    later = store.session.scalar(
        select(PatientMerge).where(
            PatientMerge.workspace_id == store.ws,
            PatientMerge.id > record.id,
            PatientMerge.undone_at.is_(None),
        )
    )
    if later is not None:
        raise Conflict("undo the later merges first (they may depend on this one)")
    for item in record.touched["resources"]:
        previous = store.vread(item["type"], item["id"], item["version"])
        previous.pop("meta", None)
        store.update(item["type"], item["id"], previous, audit=False)
    store.record(
        "U",
        "update",
        [f"Patient/{record.survivor}", f"Patient/{record.merged}"],
        query=f"undo merge {record.id}",
    )
    record.undone_at = utcnow()
    return record


def merges(session: Session, ws: str) -> list[PatientMerge]:
    return list(
        session.scalars(
            select(PatientMerge)
            .where(PatientMerge.workspace_id == ws)
            .order_by(PatientMerge.id.desc())
        )
    )
