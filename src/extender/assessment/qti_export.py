"""Write exam items as an IMS/1EdTech QTI 3.0 content package.

Item banks must be able to leave Extender for other assessment platforms and come back
unchanged. Every item file is self-contained: what QTI can say natively (choices, key, order,
scoring) is said in QTI, and the Extender fields QTI has no element for (track, objective,
reference, author, enemies, the Markdown stem, the exhibit) ride on ``data-extender-*``
attributes and marked blocks that any QTI player simply renders or ignores. The same vocabulary
and item checks are used by the importer, so the two sides cannot drift apart.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from collections import Counter
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET

from extender.errors import InvalidInput

Item = dict[str, Any]

ASI_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
ASI_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
CP_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
LOM_XSD = "https://purl.imsglobal.org/spec/md/v1p3/schema/xsd/imsmd_loose_v1p3p2.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MATCH_CORRECT = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
ITEM_RESOURCE = "imsqti_item_xmlv3p0"
TEST_RESOURCE = "imsqti_test_xmlv3p0"
MANIFEST_FILE = "imsmanifest.xml"
TEST_FILE = "assessment-test.xml"
TRACK_CATALOG = "extender-track"
RESPONSE_ID = "RESPONSE"

ITEM_TYPES = ("single_choice", "multiple_response", "ordering", "scenario")
EXHIBIT_KINDS = ("hl7v2", "fhir_json", "audit_log", "table")
# Which QTI interaction and response cardinality carry each item type.
TYPE_SHAPES = {
    "single_choice": ("qti-choice-interaction", "single"),
    "scenario": ("qti-choice-interaction", "single"),
    "multiple_response": ("qti-choice-interaction", "multiple"),
    "ordering": ("qti-order-interaction", "ordered"),
}

CLASS_ITEM = "extender-item"
CLASS_STEM = "extender-stem"
CLASS_EXHIBIT = "extender-exhibit"
CLASS_RATIONALE = "extender-rationale"
ATTR_TYPE = "data-extender-type"
ATTR_TRACK = "data-extender-track"
ATTR_OBJECTIVE = "data-extender-objective"
ATTR_REFERENCE = "data-extender-reference"
ATTR_AUTHOR = "data-extender-author"
ATTR_ENEMIES = "data-extender-enemies"
ATTR_EXHIBIT = "data-extender-exhibit"
ATTR_TITLE = "data-extender-title"
ATTR_CONTENT = "data-extender-content"

REQUIRED_FIELDS = (
    *("id", "objective", "type", "stem", "options", "key", "rationale", "reference", "author"),
)
OPTIONAL_FIELDS = ("exhibit", "enemies")
TEXT_FIELDS = ("objective", "stem", "rationale", "reference", "author")

# QTI identifiers are NCNames; this is the part of that grammar that is also safe as a file name.
IDENTIFIER = re.compile(r"[^\W\d][\w.\-]*")
# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def is_identifier(value: object) -> bool:
    return isinstance(value, str) and IDENTIFIER.fullmatch(value) is not None


def item_path(item_id: str) -> str:
    return f"items/{item_id}.xml"


def item_problems(item: object) -> list[tuple[str, str]]:
    """(field, message) for everything that would stop an item from surviving a round trip.

    These are the structural rules QTI imposes, not the bank's content rules (stem length,
    id pattern, ...): a package must carry any item the bank might hold, in both directions.
    """
    if not isinstance(item, dict):
        return [("", "an item must be a mapping")]
    problems = [(f, "is required") for f in REQUIRED_FIELDS if f not in item]
    allowed = REQUIRED_FIELDS + OPTIONAL_FIELDS
    problems += [(str(f), "is not an item field") for f in item if f not in allowed]
    if "id" in item and not is_identifier(item["id"]):
        problems.append(("id", f"{item['id']!r} is not a QTI identifier (letters, digits, _ . -)"))
    if "type" in item and item["type"] not in ITEM_TYPES:
        problems.append(("type", f"must be one of {', '.join(ITEM_TYPES)}"))
    for field in TEXT_FIELDS:
        if field in item:
            problems += _text_problems(field, item[field])
    if isinstance(item.get("stem"), str) and not item["stem"].strip():
        problems.append(("stem", "is empty"))
    problems += _option_problems(item.get("options"))
    if "key" in item:
        problems += _key_problems(item)
    if "exhibit" in item:
        problems += _exhibit_problems(item["exhibit"])
    if "enemies" in item and not (
        isinstance(item["enemies"], list) and all(is_identifier(e) for e in item["enemies"])
    ):
        problems.append(("enemies", "must be a list of item identifiers"))
    return problems


def _text_problems(field: str, value: object) -> list[tuple[str, str]]:
    if not isinstance(value, str):
        return [(field, "must be text")]
    bad = _NOT_XML.search(value)
    if bad:
        return [(field, f"contains {bad.group()!r}, a character XML cannot carry")]
    return []


def _option_problems(options: object) -> list[tuple[str, str]]:
    if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
        return [("options", "must be a list of {id, text} mappings")]
    problems: list[tuple[str, str]] = []
    if len(options) < 2:
        problems.append(("options", "an item needs at least 2 options"))
    for n, option in enumerate(options, 1):
        where = f"options[{n}]"
        if set(option) != {"id", "text"}:
            problems.append((where, "must have exactly the fields id and text"))
            continue
        if not is_identifier(option["id"]):
            problems.append((f"{where}.id", f"{option['id']!r} is not a QTI identifier"))
        problems += _text_problems(f"{where}.text", option["text"])
        if isinstance(option["text"], str) and not option["text"].strip():
            problems.append((f"{where}.text", "is empty"))
    ids = Counter(o["id"] for o in options if isinstance(o.get("id"), str))
    repeated = [i for i, n in ids.items() if n > 1]
    problems += [("options", f"option id {i!r} repeats") for i in repeated]
    return problems


def _key_problems(item: Item) -> list[tuple[str, str]]:
    key = item["key"]
    if not isinstance(key, list) or not all(isinstance(k, str) for k in key):
        return [("key", "must be a list of option ids")]
    options = item.get("options")
    listed = options if isinstance(options, list) else []
    ids = [o["id"] for o in listed if isinstance(o, dict) and isinstance(o.get("id"), str)]
    problems = [("key", f"names {k!r}, which is not an option") for k in key if k not in ids]
    if len(set(key)) != len(key):
        problems.append(("key", "names an option more than once"))
    kind = item.get("type")
    if kind in ("single_choice", "scenario") and len(key) != 1:
        problems.append(("key", f"a {kind} item has exactly one key"))
    if kind == "multiple_response" and not key:
        problems.append(("key", "a multiple_response item has at least one key"))
    if kind == "ordering" and sorted(key) != sorted(ids):
        problems.append(("key", "an ordering key lists every option exactly once"))
    return problems


def _exhibit_problems(exhibit: object) -> list[tuple[str, str]]:
    if not isinstance(exhibit, dict) or set(exhibit) != {"kind", "title", "content"}:
        return [("exhibit", "must be a mapping of exactly kind, title and content")]
    problems: list[tuple[str, str]] = []
    if exhibit["kind"] not in EXHIBIT_KINDS:
        problems.append(("exhibit.kind", f"must be one of {', '.join(EXHIBIT_KINDS)}"))
    problems += _text_problems("exhibit.title", exhibit["title"])
    problems += _text_problems("exhibit.content", exhibit["content"])
    return problems


def export_package(items: Sequence[Item], *, track: str, title: str) -> bytes:
    """The package as zip bytes; byte-identical for identical input, so exports can be diffed
    and cached. Refuses (InvalidInput) any item that could not come back exactly."""
    _check_exportable(items, track, title)
    files = {item_path(item["id"]): _item_xml(item, track) for item in items}
    test_id = _stable_id("TEST", track, title, [item["id"] for item in items])
    files[TEST_FILE] = _test_xml(items, test_id, title)
    manifest = _manifest_xml(items, test_id, track, title)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [(MANIFEST_FILE, manifest), *files.items()]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _check_exportable(items: Sequence[Item], track: str, title: str) -> None:
    messages: list[str] = []
    if not items:
        messages.append("there are no items to export")
    if not isinstance(track, str) or not track.strip() or _NOT_XML.search(track):
        messages.append("track must be non-empty text XML can carry")
    if not isinstance(title, str) or _NOT_XML.search(title):
        messages.append("title must be text XML can carry")
    for n, item in enumerate(items, 1):
        name = item.get("id") if isinstance(item, dict) else None
        label = f"item {name}" if isinstance(name, str) else f"item #{n}"
        messages += [f"{label}: {f or 'item'} {m}" for f, m in item_problems(item)]
    ids = Counter(i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str))
    messages += [f"item id {i!r} is used by {n} items" for i, n in ids.items() if n > 1]
    if messages:
        raise InvalidInput("cannot export to QTI:\n" + "\n".join(f"- {m}" for m in messages))


def _stable_id(prefix: str, track: str, title: str, ids: list[str]) -> str:
    seed = "\n".join([track, title, *ids])
    return f"{prefix}-{uuid.uuid5(uuid.NAMESPACE_URL, 'extender:qti:' + seed).hex}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    element.text = text
    return element


def _asi_root(tag: str, **attrs: str) -> ET.Element:
    root = ET.Element(tag, {"xmlns": ASI_NS, "xmlns:xsi": XSI_NS})
    root.set("xsi:schemaLocation", f"{ASI_NS} {ASI_XSD}")
    for name, value in attrs.items():
        root.set(name.replace("_", "-"), value)
    return root


def _serialize(root: ET.Element) -> bytes:
    """Indented UTF-8 XML, for people reading the package. Indenting touches only elements
    with children, and no element here holds both children and item text. ElementTree leaves
    a carriage return in text as is, which any parser would turn into a newline, so it is
    written as a character reference: stems must come back exact."""
    ET.indent(root, space="  ")
    text = ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode("utf-8")


def _item_xml(item: Item, track: str) -> bytes:
    kind = item["type"]
    interaction_tag, cardinality = TYPE_SHAPES[kind]
    root = _asi_root(
        "qti-assessment-item",
        identifier=item["id"],
        title=item["id"],
        adaptive="false",
        time_dependent="false",
    )
    declaration = _sub(
        root,
        "qti-response-declaration",
        identifier=RESPONSE_ID,
        cardinality=cardinality,
        base_type="identifier",
    )
    correct = _sub(declaration, "qti-correct-response")
    for option_id in item["key"]:
        _sub(correct, "qti-value", option_id)
    _sub(
        root, "qti-outcome-declaration", identifier="SCORE", cardinality="single", base_type="float"
    )
    body = _sub(root, "qti-item-body")
    wrapper = _sub(body, "div", **{"class": CLASS_ITEM})
    for attr, field in (
        (ATTR_TYPE, "type"),
        (ATTR_OBJECTIVE, "objective"),
        (ATTR_REFERENCE, "reference"),
        (ATTR_AUTHOR, "author"),
    ):
        wrapper.set(attr, item[field])
    wrapper.set(ATTR_TRACK, track)
    if "enemies" in item:
        wrapper.set(ATTR_ENEMIES, " ".join(item["enemies"]))
    _sub(wrapper, "div", item["stem"], **{"class": CLASS_STEM, "data-format": "markdown"})
    if "exhibit" in item:
        _exhibit_block(wrapper, item["exhibit"])
    interaction = _sub(wrapper, interaction_tag, response_identifier=RESPONSE_ID, shuffle="false")
    if interaction_tag == "qti-choice-interaction":
        interaction.set("max-choices", str(len(item["key"])))
    for option in item["options"]:
        _sub(interaction, "qti-simple-choice", option["text"], identifier=option["id"])
    rubric = _sub(body, "qti-rubric-block", view="scorer", use="scoring")
    _sub(
        _sub(rubric, "qti-content-body"),
        "div",
        item["rationale"],
        **{"class": CLASS_RATIONALE, "data-format": "markdown"},
    )
    _sub(root, "qti-response-processing", template=MATCH_CORRECT)
    return _serialize(root)


def _exhibit_block(parent: ET.Element, exhibit: dict[str, str]) -> None:
    """A table exhibit is shown as a table when its CSV is rectangular; the raw text then rides
    along in an attribute, because CSV quoting cannot be recovered from cells. Everything else
    is preformatted text, which already is the content, verbatim."""
    block = _sub(parent, "div", **{"class": CLASS_EXHIBIT})
    block.set(ATTR_EXHIBIT, exhibit["kind"])
    block.set(ATTR_TITLE, exhibit["title"])
    rows = _table_rows(exhibit["content"]) if exhibit["kind"] == "table" else None
    if rows is None:
        _sub(block, "p", exhibit["title"], **{"class": "extender-exhibit-title"})
        _sub(block, "pre", exhibit["content"])
        return
    block.set(ATTR_CONTENT, exhibit["content"])
    table = _sub(block, "table")
    _sub(table, "caption", exhibit["title"])
    header = _sub(_sub(table, "thead"), "tr")
    for cell in rows[0]:
        _sub(header, "th", cell, scope="col")
    body = _sub(table, "tbody")
    for row in rows[1:]:
        line = _sub(body, "tr")
        for cell in row:
            _sub(line, "td", cell)


def _table_rows(content: str) -> list[list[str]] | None:
    try:
        rows = list(csv.reader(io.StringIO(content, newline="")))
    except csv.Error:
        return None
    if not rows or not rows[0] or any(len(row) != len(rows[0]) for row in rows):
        return None
    return rows


def _test_xml(items: Sequence[Item], test_id: str, title: str) -> bytes:
    root = _asi_root("qti-assessment-test", identifier=test_id, title=title)
    part = _sub(
        root,
        "qti-test-part",
        identifier="extender-part",
        navigation_mode="nonlinear",
        submission_mode="individual",
    )
    section = _sub(
        part, "qti-assessment-section", identifier="extender-section", title=title, visible="true"
    )
    for item in items:
        _sub(section, "qti-assessment-item-ref", identifier=item["id"], href=item_path(item["id"]))
    return _serialize(root)


def _manifest_xml(items: Sequence[Item], test_id: str, track: str, title: str) -> bytes:
    ids = [item["id"] for item in items]
    root = ET.Element("manifest", {"xmlns": CP_NS, "xmlns:imsmd": LOM_NS, "xmlns:xsi": XSI_NS})
    root.set("xsi:schemaLocation", f"{CP_NS} {CP_XSD} {LOM_NS} {LOM_XSD}")
    root.set("identifier", _stable_id("MANIFEST", track, title, ids))
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", "QTI Package")
    _sub(metadata, "schemaversion", "3.0.0")
    general = _sub(_sub(metadata, "imsmd:lom"), "imsmd:general")
    identifier = _sub(general, "imsmd:identifier")
    _sub(identifier, "imsmd:catalog", TRACK_CATALOG)
    _sub(identifier, "imsmd:entry", track)
    _sub(_sub(general, "imsmd:title"), "imsmd:string", title, language="en")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    test = _sub(resources, "resource", identifier=test_id, type=TEST_RESOURCE, href=TEST_FILE)
    _sub(test, "file", href=TEST_FILE)
    for item_id in ids:
        _sub(test, "dependency", identifierref=item_id)
    for item_id in ids:
        path = item_path(item_id)
        resource = _sub(resources, "resource", identifier=item_id, type=ITEM_RESOURCE, href=path)
        _sub(resource, "file", href=path)
    return _serialize(root)
