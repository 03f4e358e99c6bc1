"""The item bank: loading ``content/items/<track>.yaml``, versions, status workflow and the
bank report. Items shipped in content are the reviewed starting bank, so they load as active."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from extender.accounts import audit
from extender.accounts.audit import Actor
from extender.assessment.models import Item, ItemVersion
from extender.curriculum.content import (
    ContentError,
    ContentProblem,
    describe_invalid,
    read_content_file,
)
from extender.curriculum.models import Domain, Objective, Track
from extender.errors import Conflict, InvalidInput, NotFound

ItemType = Literal["single_choice", "multiple_response", "ordering", "scenario"]
STATUSES = ("draft", "reviewed", "active", "retired")
TRANSITIONS = {
    "draft": {"reviewed"},
    "reviewed": {"active", "draft"},
    "active": {"retired"},
    "retired": {"active"},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptionIn(_Strict):
    id: str = Field(pattern=r"^[A-H]$")
    text: str = Field(min_length=1)


class ExhibitIn(_Strict):
    kind: Literal["hl7v2", "fhir_json", "audit_log", "table"]
    title: str
    content: str


class ItemIn(_Strict):
    id: str = Field(pattern=r"^[A-Z]{3,8}-I\d{3,5}$")
    objective: str
    type: ItemType
    stem: str = Field(min_length=10)
    exhibit: ExhibitIn | None = None
    options: list[OptionIn] = Field(min_length=2, max_length=8)
    key: list[str] = Field(min_length=1)
    rationale: str = Field(min_length=10)
    reference: str = Field(min_length=3)
    author: str = Field(min_length=2)
    enemies: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _key_fits_type(self) -> ItemIn:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError("option ids repeat")
        if not set(self.key) <= set(ids):
            raise ValueError(f"key {self.key} names options that do not exist")
        if self.type in ("single_choice", "scenario") and len(self.key) != 1:
            raise ValueError(f"a {self.type} item has exactly one key")
        if self.type == "multiple_response" and len(self.key) < 2:
            raise ValueError("a multiple_response item has at least two keys")
        if self.type == "ordering" and sorted(self.key) != sorted(ids):
            raise ValueError("an ordering key lists every option once, in order")
        if (self.exhibit is not None) != (self.type == "scenario"):
            raise ValueError("scenario items, and only they, have an exhibit")
        return self


class BankFile(_Strict):
    track: str
    items: list[ItemIn]


def load_bank_files(content_dir: Path, objectives: dict[str, str]) -> dict[str, list[ItemIn]]:
    """Parse every bank file. ``objectives`` maps objective code -> track code."""
    problems: list[ContentProblem] = []
    banks: dict[str, list[ItemIn]] = {}
    seen: set[str] = set()
    for path in sorted((content_dir / "items").glob("*.yaml")):
        file, bank, found = read_content_file(path, content_dir, BankFile, "item bank")
        problems += found
        if bank is None:
            continue
        for i, item in enumerate(bank.items):
            if objectives.get(item.objective) != bank.track:
                problems.append(
                    ContentProblem(
                        file,
                        f"items[{i}].objective",
                        f"{item.objective} is not an objective of {bank.track}",
                    )
                )
            if item.id in seen:
                problems.append(ContentProblem(file, f"items[{i}].id", f"{item.id} repeats"))
            seen.add(item.id)
        ids = {item.id for item in bank.items}
        for i, item in enumerate(bank.items):
            for enemy in item.enemies:
                if enemy not in ids:
                    problems.append(
                        ContentProblem(file, f"items[{i}].enemies", f"unknown item {enemy}")
                    )
        banks[bank.track] = bank.items
    if problems:
        raise ContentError(problems)
    return banks


def version_fields(item: ItemIn) -> dict[str, Any]:
    return {
        "type": item.type,
        "stem": item.stem,
        "exhibit": item.exhibit.model_dump() if item.exhibit else None,
        "options": {"options": [o.model_dump() for o in item.options]},
        "key": {"key": list(item.key)},
        "rationale": item.rationale,
        "reference": item.reference,
        "author": item.author,
        "enemies": {"ids": list(item.enemies)},
    }


def _same(version: ItemVersion, fields: dict[str, Any]) -> bool:
    return all(getattr(version, k) == v for k, v in fields.items())


def objective_tracks(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(Objective.code, Track.code)
        .select_from(Objective)
        .join(Domain, Objective.domain_id == Domain.id)
        .join(Track, Domain.track_id == Track.id)
    )
    return {o: t for o, t in rows}


def sync_bank(
    session: Session, actor: Actor, banks: dict[str, list[ItemIn]], status: str = "active"
) -> Counter[str]:
    """Create new items, add a version to changed ones; never rewrite a version."""
    counts: Counter[str] = Counter()
    tracks = {t.code: t for t in session.scalars(select(Track))}
    domains = dict(
        session.execute(
            select(Objective.code, Domain.code)
            .select_from(Objective)
            .join(Domain, Objective.domain_id == Domain.id)
        ).all()
    )
    for track_code, items in banks.items():
        for spec in items:
            fields = version_fields(spec)
            item = session.get(Item, spec.id)
            if item is None:
                item = Item(
                    id=spec.id,
                    track_id=tracks[track_code].id,
                    objective_code=spec.objective,
                    domain_code=domains[spec.objective],
                    status=status,
                    current_version=1,
                )
                session.add(item)
                session.add(
                    ItemVersion(item_id=spec.id, version=1, created_by=actor.email or "", **fields)
                )
                counts["created"] += 1
                continue
            current = current_version(session, item)
            if _same(current, fields) and item.objective_code == spec.objective:
                counts["unchanged"] += 1
                continue
            item.objective_code, item.domain_code = spec.objective, domains[spec.objective]
            item.current_version += 1
            session.add(
                ItemVersion(
                    item_id=item.id,
                    version=item.current_version,
                    created_by=actor.email or "",
                    **fields,
                )
            )
            counts["new_version"] += 1
    session.flush()
    if counts["created"] or counts["new_version"]:
        audit.record(
            session, actor, "item_bank.sync", "item_bank", ",".join(banks), after=dict(counts)
        )
    return counts


def current_version(session: Session, item: Item) -> ItemVersion:
    version = session.scalar(
        select(ItemVersion).where(
            ItemVersion.item_id == item.id, ItemVersion.version == item.current_version
        )
    )
    assert version is not None
    return version


def get_item(session: Session, item_id: str) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item {item_id}")
    return item


def edit_item(session: Session, actor: Actor, item: Item, changes: ItemIn) -> ItemVersion:
    """Editing makes a new version; responses keep pointing at the version they answered."""
    if changes.id != item.id:
        raise InvalidInput("the item id cannot change", field="id")
    before = current_version(session, item)
    fields = version_fields(changes)
    if _same(before, fields):
        raise Conflict("nothing changed")
    item.current_version += 1
    version = ItemVersion(
        item_id=item.id, version=item.current_version, created_by=actor.email or "", **fields
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor,
        "item.edit",
        "item",
        item.id,
        before={"version": before.version},
        after={"version": version.version},
    )
    return version


def set_status(session: Session, actor: Actor, item: Item, status: str) -> None:
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    if status not in TRANSITIONS[item.status]:
        raise InvalidInput(f"an item cannot go from {item.status} to {status}", field="status")
    before = item.status
    item.status = status
    audit.record(
        session,
        actor,
        "item.status",
        "item",
        item.id,
        before={"status": before},
        after={"status": status},
    )


def bank_report(session: Session) -> list[tuple[str, str, str, int]]:
    """(track, domain, status, count) rows."""
    rows = session.execute(
        select(Track.code, Item.domain_code, Item.status, func.count())
        .join(Track, Track.id == Item.track_id)
        .group_by(Track.code, Item.domain_code, Item.status)
        .order_by(Track.code, Item.domain_code, Item.status)
    )
    return [(t, d, s, n) for t, d, s, n in rows]


def items_as_dicts(session: Session, track: Track) -> list[dict[str, Any]]:
    """The track's items at their current versions, in the content-file shape."""
    out = []
    for item in session.scalars(select(Item).where(Item.track_id == track.id).order_by(Item.id)):
        v = current_version(session, item)
        record: dict[str, Any] = {
            "id": item.id,
            "objective": item.objective_code,
            "type": v.type,
            "stem": v.stem,
        }
        if v.exhibit:
            record["exhibit"] = dict(v.exhibit)
        record.update(
            {
                "options": v.option_list,
                "key": v.key_list,
                "rationale": v.rationale,
                "reference": v.reference,
                "author": v.author,
                "enemies": list(v.enemies.get("ids", [])),
            }
        )
        out.append(record)
    return out


def import_items(
    session: Session, actor: Actor, track_code: str | None, records: list[dict[str, Any]]
) -> Counter[str]:
    """Validate imported items like content files (every problem named, nothing stored if
    one is bad) and add them to the bank as drafts."""
    tracks = objective_tracks(session)
    problems = []
    parsed: list[ItemIn] = []
    for i, record in enumerate(records):
        try:
            item = ItemIn.model_validate(record)
        except ValidationError as err:
            problems += [
                f"item {record.get('id', i)}: {p.field}: {p.message}"
                for p in describe_invalid("package", err, schema="item")
            ]
            continue
        track = tracks.get(item.objective)
        if track is None or (track_code and track != track_code):
            problems.append(
                f"item {item.id}: objective {item.objective} is not an objective "
                f"of {track_code or 'any track'}"
            )
        parsed.append(item)
    if problems:
        raise InvalidInput("; ".join(problems))
    by_track: dict[str, list[ItemIn]] = {}
    for item in parsed:
        by_track.setdefault(tracks[item.objective], []).append(item)
    return sync_bank(session, actor, by_track, status="draft")
