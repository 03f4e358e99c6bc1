"""The FHIR transaction Bundle and the files a caller writes.

Entries are POSTed by default: each has a ``urn:uuid`` fullUrl, every internal reference uses
those fullUrls, and a conforming server assigns ids and rewrites references in one transaction.
With ``method="PUT"`` each entry instead targets ``Type/<uuid>`` and carries that id, so server
ids equal the answer key's UUIDs (handy for graders on servers that allow client-assigned ids).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from extender.practicum.generator.fhir import Json


def transaction_bundle(
    entries: list[tuple[str, Json]], method: Literal["POST", "PUT"], timestamp: str
) -> Json:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "timestamp": timestamp,
        "entry": [_entry(url, resource, method) for url, resource in entries],
    }


def _entry(full_url: str, resource: Json, method: str) -> Json:
    resource_type = resource["resourceType"]
    if method == "POST":
        return {
            "fullUrl": full_url,
            "resource": resource,
            "request": {"method": "POST", "url": resource_type},
        }
    resource_id = full_url.removeprefix("urn:uuid:")
    with_id = {"resourceType": resource_type, "id": resource_id}
    with_id.update((k, v) for k, v in resource.items() if k != "resourceType")
    return {
        "fullUrl": full_url,
        "resource": with_id,
        "request": {"method": "PUT", "url": f"{resource_type}/{resource_id}"},
    }


def dump_json(data: Any, path: str | Path, *, indent: int | None = None) -> Path:
    """Stable bytes: same data, same file (insertion-ordered keys, no ASCII escaping, LF)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(data, ensure_ascii=False, indent=indent, separators=separators)
    target.write_text(text + "\n", encoding="utf-8")
    return target
