"""The sandbox's interface inbox: HL7 v2 result messages shown as they arrived and field by
field, which of their results are already filed as Observations, and the page's one write,
the "Create a resource" box, which goes through the Store exactly as the FHIR API does so that
validation and the sandbox's audit trail apply the same way."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from extender.errors import InvalidInput, NotFound
from extender.practicum import hl7v2
from extender.practicum.fhir import bundles
from extender.practicum.fhir.store import Store
from extender.practicum.fhir.validation import FhirError, outcome
from extender.practicum.generator.lab_inbox import RESULT_ID_SYSTEM
from extender.practicum.models import FhirResource, Workspace

ACCEPTED_TYPES = ("Observation", "Bundle")
MAX_TEXT = 1_000_000
TOO_LONG = (
    "a value is too long for the sandbox to store"
    " (units are at most 40 characters; codes and code systems at most 200)"
)
_DTM = re.compile(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?")


@dataclass(frozen=True)
class Coded:
    """One code triplet as sent (identifier, text, coding system)."""

    code: str
    text: str
    system: str


@dataclass(frozen=True)
class SentPatient:
    mrn: str
    family: str
    given: str
    birth_date: str
    sex: str


@dataclass(frozen=True)
class SentOrder:
    filler: str
    test: str
    collected: str
    status: str


@dataclass(frozen=True)
class SentResult:
    set_id: str
    identifier: str
    """The Observation.identifier value the brief asks for: filler order number-set ID."""
    code: Coded
    alternate: Coded | None
    value: str
    units: str
    range: str
    flag: str
    status: str
    observed: str


@dataclass
class InboxMessage:
    position: int
    raw: str
    """Segments joined by newlines, for display."""
    error: str | None = None
    control_id: str = ""
    sent: str = ""
    patient: SentPatient | None = None
    order: SentOrder | None = None
    results: list[SentResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    segments: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    """Field-by-field view: (segment name, [("OBX-3", escaped field text), ...])."""


@dataclass(frozen=True)
class Filed:
    reference: str
    patient: str | None
    """The id of the Patient the Observation is filed on, when it has one."""


def stored_messages(workspace: Workspace) -> list[str]:
    if workspace.inbox is None:
        raise NotFound("this workspace has no interface inbox")
    return [str(m) for m in workspace.inbox.get("messages", [])]


def readable_time(value: str) -> str:
    """An HL7 DTM (``202610300830-0400``) as ``2026-10-30 08:30 -04:00``."""
    m = _DTM.fullmatch(value.strip())
    if not m:
        return value
    year, month, day, hour, minute, second, zone = m.groups()
    out = "-".join(p for p in (year, month, day) if p)
    if hour:
        out += f" {hour}:{minute or '00'}" + (f":{second}" if second else "")
    return out + (f" {zone[:3]}:{zone[3:]}" if zone else "")


def _lines(text: str) -> list[str]:
    return [line for line in re.split(r"\r\n|\r|\n", text) if line.strip()]


def _coded(seg: hl7v2.Segment, n: int, first: int) -> Coded:
    return Coded(*(seg.get(f"{n}.{first + i}") for i in range(3)))


def _fields(seg: hl7v2.Segment) -> tuple[str, list[tuple[str, str]]]:
    texts = ((f"{seg.name}-{n}", seg.field_text(n)) for n in range(1, len(seg.fields) + 1))
    return seg.name, [(label, text) for label, text in texts if text]


def _read(message: InboxMessage, parsed: hl7v2.Message) -> None:
    message.control_id = parsed.control_id
    message.sent = readable_time(parsed.timestamp)
    message.segments = [_fields(s) for s in parsed.segments]
    filler = ""
    for seg in parsed.segments:
        if seg.name == "PID" and message.patient is None:
            message.patient = SentPatient(
                mrn=seg.get("3.1"),
                family=seg.get("5.1"),
                given=seg.get("5.2"),
                birth_date=readable_time(seg.get("7.1")),
                sex=seg.get("8"),
            )
        elif seg.name == "OBR":
            filler = seg.get("3.1")
            if message.order is None:
                test = seg.get("4.2") or seg.get("4.1")
                collected = readable_time(seg.get("7.1"))
                message.order = SentOrder(filler, test, collected, seg.get("25"))
        elif seg.name == "OBX":
            alternate = _coded(seg, 3, 4)
            message.results.append(
                SentResult(
                    set_id=seg.get("1"),
                    identifier=f"{filler}-{seg.get('1')}",
                    code=_coded(seg, 3, 1),
                    alternate=alternate if alternate.code or alternate.text else None,
                    value=seg.get("5"),
                    units=seg.get("6.1"),
                    range=seg.get("7"),
                    flag=seg.get("8"),
                    status=seg.get("11"),
                    observed=readable_time(seg.get("14.1")),
                )
            )
        elif seg.name == "NTE":
            message.notes.append(seg.get("3"))


def messages_of(workspace: Workspace) -> list[InboxMessage]:
    """Every message in the inbox, in arrival order; one that does not parse is still listed,
    with the parser's complaint, so the learner sees exactly what arrived."""
    out = []
    for position, text in enumerate(stored_messages(workspace), start=1):
        message = InboxMessage(position, "\n".join(_lines(text)))
        try:
            _read(message, hl7v2.parse(text))
        except hl7v2.Hl7Error as exc:
            message.error = str(exc)
        out.append(message)
    return out


def batch_file(workspace: Workspace) -> str:
    """All messages as one file: each segment ends with CR, messages follow one another."""
    return "".join("".join(f"{line}\r" for line in _lines(t)) for t in stored_messages(workspace))


def filed(session: Session, workspace: Workspace) -> dict[str, list[Filed]]:
    """Identifier value -> the Observations carrying it in the lab's result system. The
    sandbox does not index Observation.identifier for search, so this reads the rows."""
    rows = session.scalars(
        select(FhirResource)
        .where(
            FhirResource.workspace_id == workspace.id,
            FhirResource.resource_type == "Observation",
            FhirResource.deleted.is_(False),
            cast(FhirResource.content, Text).contains(RESULT_ID_SYSTEM, autoescape=True),
        )
        .order_by(FhirResource.pk)
    )
    out: dict[str, list[Filed]] = {}
    for row in rows:
        resource = row.content or {}
        subject = resource.get("subject")
        ref = str(subject.get("reference") or "") if isinstance(subject, dict) else ""
        patient = ref.split("/", 1)[1] if ref.startswith("Patient/") else None
        for ident in resource.get("identifier") or []:
            if isinstance(ident, dict) and ident.get("system") == RESULT_ID_SYSTEM:
                out.setdefault(str(ident.get("value")), []).append(
                    Filed(f"Observation/{row.resource_id}", patient)
                )
    return out


def filed_results(session: Session, workspace: Workspace) -> dict[str, list[str]]:
    return {k: [f.reference for f in v] for k, v in filed(session, workspace).items()}


# --- the "Create a resource" box ----------------------------------------------------------


def _no_constants(name: str) -> Any:
    raise InvalidInput(
        f"{name} is not a JSON number; FHIR decimals must be finite", field="resource"
    )


def _parse(text: str) -> dict[str, Any]:
    if not text.strip():
        raise InvalidInput("paste a FHIR resource (JSON) into the box", field="resource")
    if len(text) > MAX_TEXT:
        raise InvalidInput("the text is too long (at most 1,000,000 characters)", field="resource")
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}", field="resource"
        ) from None
    except RecursionError:
        raise InvalidInput("not valid JSON: nested too deeply", field="resource") from None
    if not isinstance(value, dict):
        raise InvalidInput(
            f"the JSON must be an object (a FHIR resource), not {type(value).__name__}",
            field="resource",
        )
    rtype = value.get("resourceType")
    if rtype is None:
        raise InvalidInput('resourceType is missing (e.g. "Observation")', field="resource")
    if rtype not in ACCEPTED_TYPES:
        raise InvalidInput(
            f"this box takes an Observation or a transaction or batch Bundle, not {rtype}",
            field="resource",
        )
    return value


def _message(err: FhirError) -> str:
    return _text(outcome(err.issues))


def _text(result: dict[str, Any]) -> str:
    """An OperationOutcome's issues in words: "FHIRPath: diagnostics; ..."."""
    return "; ".join(
        f"{i['expression'][0]}: {i['diagnostics']}" if i.get("expression") else i["diagnostics"]
        for i in result["issue"]
    )


def _bundle(store: Store, bundle: dict[str, Any]) -> list[dict[str, Any]]:
    kind = bundle.get("type")
    if kind not in ("transaction", "batch"):
        raise InvalidInput("Bundle.type must be transaction or batch", field="resource")
    for i, entry in enumerate(bundle.get("entry") or []):
        if isinstance(entry, dict) and not isinstance(entry.get("resource", {}), dict):
            raise InvalidInput(
                f"Bundle.entry[{i}].resource must be a JSON object", field="resource"
            )
    run = bundles.transaction if kind == "transaction" else bundles.batch
    responses: list[dict[str, Any]] = [e["response"] for e in run(store, bundle)["entry"]]
    failed = [f"{_text(r['outcome'])}" for r in responses if "outcome" in r]
    if failed:  # a batch is kept whole or not at all here, so a resend makes no duplicates
        raise InvalidInput("; ".join(failed), field="resource")
    return responses


def _summary(responses: list[dict[str, Any]]) -> str:
    done: dict[str, list[str]] = {"201": [], "200": [], "204": []}
    for r in responses:
        where = "/".join(str(r.get("location", "")).split("/")[:2])
        done.setdefault(str(r["status"])[:3], []).append(where)
    created, updated, deleted = done["201"], [w for w in done["200"] if w], done["204"]
    parts = []
    if created:
        many = f"{len(created)} resources: " if len(created) > 1 else ""
        parts.append(f"created {many}{', '.join(created)}")
    if updated:
        parts.append(f"updated {', '.join(updated)}")
    if deleted:
        parts.append(f"deleted {len(deleted)} resource{'s' if len(deleted) > 1 else ''}")
    said = "; ".join(parts) or "nothing to do"
    return f"{said[0].upper()}{said[1:]}."


def create_resource(store: Store, text: str) -> str:
    """Create what the learner pasted (an Observation, or a transaction or batch Bundle) and
    say what was done. All or nothing: any failure leaves the sandbox as it was and raises
    InvalidInput with the FHIR validation's own words."""
    resource = _parse(text)
    savepoint = store.session.begin_nested()
    try:
        if resource["resourceType"] == "Bundle":
            summary = _summary(_bundle(store, resource))
        else:
            summary = f"Created Observation/{store.create(resource)['id']}."
    except FhirError as err:
        savepoint.rollback()
        raise InvalidInput(_message(err), field="resource") from None
    except DataError:  # PostgreSQL enforces the index's column sizes; SQLite does not
        savepoint.rollback()
        raise InvalidInput(TOO_LONG, field="resource") from None
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return summary
