"""QTI 3.0 packages: shipped banks survive export and import exactly, broken packages are refused
whole with every problem located, and items written by other tools come in with defaults."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from extender.assessment import qti_import
from extender.assessment.qti import (
    QtiImportError,
    QtiProblem,
    export_package,
    import_package,
    read_package,
)
from extender.errors import InvalidInput

ITEMS_DIR = Path(__file__).resolve().parents[2] / "content" / "items"
BANKS = sorted(ITEMS_DIR.glob("cp*.yaml"))
ASI = "{http://www.imsglobal.org/xsd/imsqtiasi_v3p0}"
CP = "{http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1}"
ASI_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
XSI_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"


def _item(item_id: str = "S-I001", **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "objective": "CPEHR-1.1",
        "type": "single_choice",
        "stem": "Which **one** is right?\n",
        "options": [{"id": i, "text": f"Option {i}"} for i in "ABCD"],
        "key": ["B"],
        "rationale": "B is correct.\nA, C and D are wrong.\n",
        "reference": "45 CFR 164.312(b)",
        "author": "Extender item-writing group",
        "enemies": [],
    }
    item.update(changes)
    return item


def _package(*items: dict[str, Any]) -> bytes:
    return export_package(list(items) or [_item()], track="CPEHR", title="Sample")


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(data: bytes, changes: dict[str, bytes | None]) -> bytes:
    """The package with members replaced, added, or (None) removed."""
    members = {**_members(data), **changes}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            if content is not None:
                archive.writestr(name, content)
    return buffer.getvalue()


def _edit(data: bytes, name: str, old: str, new: str) -> bytes:
    text = _members(data)[name].decode()
    assert old in text, f"{old!r} not in {name}"
    return _rezip(data, {name: text.replace(old, new).encode()})


def _problems(data: bytes, **options: bool) -> list[QtiProblem]:
    with pytest.raises(QtiImportError) as caught:
        import_package(data, **options)
    error = caught.value
    assert isinstance(error, InvalidInput)
    for problem in error.problems:
        assert str(problem) in error.message
    return error.problems


def _assert_reported(problems: list[QtiProblem], file: str, element: str, fragment: str) -> None:
    hits = [p for p in problems if p.file == file and p.element == element]
    assert any(fragment in p.message for p in hits), "\n".join(map(str, problems))


@pytest.mark.parametrize("bank_file", BANKS, ids=lambda p: p.stem)
def test_it_round_trips_every_item_of_a_shipped_bank_exactly(bank_file: Path) -> None:
    bank = yaml.safe_load(bank_file.read_text(encoding="utf-8"))

    package = read_package(export_package(bank["items"], track=bank["track"], title="Bank"))

    assert package.track == bank["track"]
    assert package.title == "Bank"
    assert len(package.items) == len(bank["items"])
    for imported, original in zip(package.items, bank["items"], strict=True):
        assert imported == original


def test_it_ships_three_banks_to_round_trip() -> None:
    assert [p.name for p in BANKS] == ["cpehr.yaml", "cphie.yaml", "cphit.yaml"]


def test_it_writes_a_qti3_content_package_manifest() -> None:
    items = [_item("S-I001"), _item("S-I002", type="ordering", key=["C", "A", "D", "B"])]
    members = _members(_package(*items))
    manifest = ET.fromstring(members["imsmanifest.xml"])

    assert manifest.tag == f"{CP}manifest"
    assert manifest.findtext(f"{CP}metadata/{CP}schema") == "QTI Package"
    assert manifest.findtext(f"{CP}metadata/{CP}schemaversion") == "3.0.0"
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    types = [(r.get("type"), r.get("href")) for r in resources]
    assert types == [
        ("imsqti_test_xmlv3p0", "assessment-test.xml"),
        ("imsqti_item_xmlv3p0", "items/S-I001.xml"),
        ("imsqti_item_xmlv3p0", "items/S-I002.xml"),
    ]
    for resource in resources:
        for entry in resource.findall(f"{CP}file"):
            assert entry.get("href") in members
    test_resource = resources[0]
    dependencies = [d.get("identifierref") for d in test_resource.findall(f"{CP}dependency")]
    assert dependencies == ["S-I001", "S-I002"]
    test = ET.fromstring(members["assessment-test.xml"])
    assert test.tag == f"{ASI}qti-assessment-test"
    refs = [r.get("href") for r in test.iter(f"{ASI}qti-assessment-item-ref")]
    assert refs == ["items/S-I001.xml", "items/S-I002.xml"]


def _item_root(item: dict[str, Any]) -> ET.Element:
    return ET.fromstring(_members(_package(item))[f"items/{item['id']}.xml"])


def test_it_maps_each_item_type_to_its_qti_interaction() -> None:
    shapes = {
        "single_choice": (_item(), "qti-choice-interaction", "single", "1"),
        "multiple_response": (
            _item(type="multiple_response", key=["A", "C"]),
            "qti-choice-interaction",
            "multiple",
            "2",
        ),
        "ordering": (
            _item(type="ordering", key=["D", "B", "A", "C"]),
            "qti-order-interaction",
            "ordered",
            None,
        ),
    }
    for item, interaction_tag, cardinality, max_choices in shapes.values():
        root = _item_root(item)
        assert root.tag == f"{ASI}qti-assessment-item"
        assert root.get(XSI_LOCATION) == f"{ASI[1:-1]} {ASI_XSD}"
        declaration = root.find(f"{ASI}qti-response-declaration")
        assert declaration is not None
        assert declaration.get("cardinality") == cardinality
        assert declaration.get("base-type") == "identifier"
        values = [v.text for v in declaration.iter(f"{ASI}qti-value")]
        assert values == item["key"]
        interaction = root.find(f".//{ASI}{interaction_tag}")
        assert interaction is not None
        assert interaction.get("max-choices") == max_choices
        processing = root.find(f"{ASI}qti-response-processing")
        assert processing is not None
        assert processing.get("template", "").endswith("/rptemplates/match_correct.xml")
        rubric = root.find(f".//{ASI}qti-rubric-block")
        assert rubric is not None
        assert rubric.get("view") == "scorer"


def test_it_renders_scenario_exhibits_as_blocks_a_qti_player_can_show() -> None:
    hl7 = {"kind": "hl7v2", "title": "ADT^A01", "content": "MSH|^~\\&|A\rPID|1\n"}
    table = {"kind": "table", "title": "Charges", "content": "code,amount\n99214,165.00\n"}

    pre = _item_root(_item(type="scenario", exhibit=hl7)).find(f".//{ASI}pre")
    cells = [c.text for c in _item_root(_item(type="scenario", exhibit=table)).iter(f"{ASI}td")]

    assert pre is not None
    assert pre.text == hl7["content"]
    assert cells == ["99214", "165.00"]


def test_it_exports_identical_bytes_for_identical_items() -> None:
    assert _package(_item()) == _package(_item())


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        (_item(difficulty=0.3), "difficulty is not an item field"),
        (_item("S I001"), "is not a QTI identifier"),
        (_item(key=["Z"]), "names 'Z', which is not an option"),
        (_item(stem="bell \x07"), "a character XML cannot carry"),
        (_item(options=[{"id": "A", "text": "only one"}], key=["A"]), "at least 2 options"),
        (_item(type="ordering", key=["A", "B"]), "every option exactly once"),
    ],
)
def test_it_refuses_to_export_an_item_that_could_not_come_back(
    item: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=re.escape(fragment)):
        _package(item)


ITEM = "items/S-I001.xml"
RESPONSE = "qti-assessment-item/qti-response-declaration"
INTERACTION = "qti-assessment-item/qti-item-body/div/qti-choice-interaction"
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<qti-assessment-item>&lol2;</qti-assessment-item>
"""


def _without_choices(data: bytes) -> bytes:
    for option in "BCD":
        line = f'<qti-simple-choice identifier="{option}">Option {option}</qti-simple-choice>'
        data = _edit(data, ITEM, line, "")
    return _edit(data, ITEM, "<qti-value>B</qti-value>", "<qti-value>A</qti-value>")


def _as_multiple(data: bytes) -> bytes:
    data = _edit(data, ITEM, 'cardinality="single"', 'cardinality="multiple"')
    return _edit(
        data, ITEM, "<qti-value>B</qti-value>", "<qti-value>B</qti-value><qti-value>C</qti-value>"
    )


BROKEN: dict[str, tuple[Callable[[bytes], bytes], str, str, str]] = {
    "not a zip": (lambda d: b"PK? no, plain text", "(package)", "(zip)", "not a zip archive"),
    "missing manifest": (
        lambda d: _rezip(d, {"imsmanifest.xml": None}),
        "imsmanifest.xml",
        "(file)",
        "no imsmanifest.xml",
    ),
    "manifest names a missing file": (
        lambda d: _rezip(d, {ITEM: None}),
        "imsmanifest.xml",
        "manifest/resources/resource[2]/file/@href",
        "'items/S-I001.xml', which is not a file in the package",
    ),
    "href leaves the package": (
        lambda d: _edit(d, "imsmanifest.xml", 'href="items/S-I001.xml" />', 'href="../x.xml" />'),
        "imsmanifest.xml",
        "manifest/resources/resource[2]/file/@href",
        "not a file in the package",
    ),
    "QTI 2 resource": (
        lambda d: _edit(d, "imsmanifest.xml", "imsqti_item_xmlv3p0", "imsqti_item_xmlv2p2"),
        "imsmanifest.xml",
        "manifest/resources/resource[2]/@type",
        "not QTI 3.0",
    ),
    "manifest wrong root": (
        lambda d: _rezip(d, {"imsmanifest.xml": b"<package/>"}),
        "imsmanifest.xml",
        "package",
        "expected manifest in namespace",
    ),
    "item not well-formed": (
        lambda d: _edit(d, ITEM, "</qti-item-body>", ""),
        ITEM,
        "(document)",
        "XML is not well-formed: mismatched tag (line",
    ),
    "entity declarations": (
        lambda d: _rezip(d, {ITEM: BILLION_LAUGHS.encode()}),
        ITEM,
        "(document)",
        "DOCTYPE declaration is refused",
    ),
    "wrong namespace": (
        lambda d: _edit(
            d, ITEM, 'xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"', 'xmlns="urn:x"'
        ),
        ITEM,
        "qti-assessment-item",
        "expected qti-assessment-item in namespace http://www.imsglobal.org/xsd/imsqtiasi_v3p0",
    ),
    "missing identifier": (
        lambda d: _edit(d, ITEM, 'identifier="S-I001" title=', "title="),
        ITEM,
        "qti-assessment-item/@identifier",
        "missing or not a QTI identifier",
    ),
    "unsupported interaction": (
        lambda d: _edit(
            _edit(d, ITEM, "<qti-choice-interaction ", "<qti-match-interaction "),
            ITEM,
            "</qti-choice-interaction>",
            "</qti-match-interaction>",
        ),
        ITEM,
        "qti-assessment-item/qti-item-body/div/qti-match-interaction",
        "unsupported interaction type qti-match-interaction",
    ),
    "response declaration missing": (
        lambda d: _edit(
            d, ITEM, 'declaration identifier="RESPONSE"', 'declaration identifier="R2"'
        ),
        ITEM,
        RESPONSE,
        "no qti-response-declaration for the interaction's 'RESPONSE'",
    ),
    "correct response names an unknown choice": (
        lambda d: _edit(d, ITEM, "<qti-value>B</qti-value>", "<qti-value>Z</qti-value>"),
        ITEM,
        f"{RESPONSE}/qti-correct-response",
        "names 'Z', which is not a choice",
    ),
    "fewer than two choices": (_without_choices, ITEM, INTERACTION, "an item needs at least 2"),
    "type contradicts the response": (
        _as_multiple,
        ITEM,
        "qti-assessment-item/qti-item-body/div/@data-extender-type",
        "data-extender-type single_choice does not match",
    ),
    "key exceeds max-choices": (
        _as_multiple,
        ITEM,
        f"{INTERACTION}/@max-choices",
        "max-choices 1 is fewer than the 2 correct choices",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=str)
def test_it_refuses_a_broken_package_and_says_where(case: str) -> None:
    breaker, file, element, fragment = BROKEN[case]

    problems = _problems(breaker(_package(_item(), _item("S-I002"))))

    _assert_reported(problems, file, element, fragment)


def test_it_reports_the_line_of_a_parse_error() -> None:
    data = _edit(_package(), ITEM, "</qti-item-body>", "")
    (problem,) = _problems(data)
    assert problem.line is not None
    assert f"line {problem.line}" in problem.message


def test_it_refuses_an_ordering_key_that_is_not_a_permutation() -> None:
    item = _item(type="ordering", key=["C", "A", "D", "B"])
    data = _edit(_package(item), ITEM, "<qti-value>D</qti-value>", "")
    problems = _problems(data)
    _assert_reported(problems, ITEM, f"{RESPONSE}/qti-correct-response", "not a permutation")


def test_it_refuses_duplicate_item_identifiers() -> None:
    data = _edit(_package(_item(), _item("S-I002")), "items/S-I002.xml", '"S-I002"', '"S-I001"')
    problems = _problems(data)
    _assert_reported(
        problems,
        "items/S-I002.xml",
        "qti-assessment-item/@identifier",
        "'S-I001' is also used by items/S-I001.xml",
    )


def test_it_collects_every_problem_and_imports_nothing() -> None:
    data = _package(_item(), _item("S-I002"), _item("S-I003"))
    data = _edit(data, ITEM, "<qti-value>B</qti-value>", "<qti-value>Q</qti-value>")
    data = _edit(data, "items/S-I003.xml", "</qti-item-body>", "")

    problems = _problems(data)

    assert {p.file for p in problems} == {ITEM, "items/S-I003.xml"}


def test_it_refuses_oversized_members(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qti_import, "MAX_MEMBER_BYTES", 512)
    problems = _problems(_package())
    assert any("exceeds" in p.message for p in problems)


def test_it_requires_an_objective_only_when_asked() -> None:
    data = _package(_item(objective=""))
    assert import_package(data)[0]["objective"] == ""
    problems = _problems(data, require_objective=True)
    _assert_reported(problems, ITEM, "qti-assessment-item/qti-item-body/div", "no objective")


FOREIGN_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1" identifier="M1">
  <metadata><schema>QTI Package</schema><schemaversion>3.0.0</schemaversion></metadata>
  <organizations/>
  <resources>
    <resource identifier="quiz" type="imsqti_test_xmlv3p0" href="quiz.xml">
      <file href="quiz.xml"/>
      <dependency identifierref="water-1"/>
    </resource>
    <resource identifier="water-1" type="imsqti_item_xmlv3p0" href="q/water.xml">
      <file href="q/water.xml"/>
      <dependency identifierref="style"/>
    </resource>
    <resource identifier="gases" type="imsqti_item_xmlv3p0" href="q/gases.xml">
      <file href="q/gases.xml"/>
    </resource>
    <resource identifier="style" type="webcontent" href="q/style.css">
      <file href="q/style.css"/>
    </resource>
  </resources>
</manifest>
"""
FOREIGN_TEST = """<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-test xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="quiz"
    title="Chemistry quiz">
  <qti-test-part identifier="P" navigation-mode="linear" submission-mode="individual">
    <qti-assessment-section identifier="S" title="S" visible="true">
      <qti-assessment-item-ref identifier="i1" href="q/water.xml"/>
      <qti-assessment-item-ref identifier="i2" href="q/gases.xml"/>
    </qti-assessment-section>
  </qti-test-part>
</qti-assessment-test>
"""
FOREIGN_CHOICE = """<?xml version="1.0" encoding="UTF-8"?>
<!-- written by another authoring tool -->
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
    identifier="water-1" title="Composition of water" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value> ChoiceB </qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="FEEDBACK" cardinality="single" base-type="identifier"/>
  <qti-item-body>
    <p>Water is a compound
       of two elements.</p>
    <qti-choice-interaction response-identifier="RESPONSE" shuffle="true" max-choices="1">
      <qti-prompt>Which elements make up <strong>water</strong>?</qti-prompt>
      <qti-simple-choice identifier="ChoiceA">Carbon and
          oxygen</qti-simple-choice>
      <qti-simple-choice identifier="ChoiceB"><p>Hydrogen &amp; oxygen</p></qti-simple-choice>
      <qti-simple-choice identifier="ChoiceC">Helium <qti-feedback-inline
          outcome-identifier="FEEDBACK" identifier="C" show-hide="show">No.</qti-feedback-inline
          >and neon</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
  <qti-response-processing
      template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>
  <qti-modal-feedback outcome-identifier="FEEDBACK" identifier="correct" show-hide="show">
    <qti-content-body><p>H<sub>2</sub>O: two hydrogen atoms, one oxygen.</p></qti-content-body>
  </qti-modal-feedback>
</qti-assessment-item>
"""
FOREIGN_MULTIPLE = """<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
    identifier="gases" title="Noble gases" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="R" cardinality="multiple" base-type="identifier">
    <qti-correct-response><qti-value>ne</qti-value><qti-value>ar</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-item-body>
    <qti-choice-interaction response-identifier="R" max-choices="0">
      <qti-prompt>Which are noble gases?</qti-prompt>
      <qti-simple-choice identifier="ne">Neon</qti-simple-choice>
      <qti-simple-choice identifier="n">Nitrogen</qti-simple-choice>
      <qti-simple-choice identifier="ar">Argon</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
</qti-assessment-item>
"""


def _foreign_package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", FOREIGN_MANIFEST)
        archive.writestr("quiz.xml", FOREIGN_TEST)
        archive.writestr("q/water.xml", FOREIGN_CHOICE)
        archive.writestr("q/gases.xml", FOREIGN_MULTIPLE)
        archive.writestr("q/style.css", "p { margin: 0 }")
    return buffer.getvalue()


def test_it_imports_qti3_items_written_by_another_tool() -> None:
    package = read_package(_foreign_package())

    assert package.track is None
    assert package.title == "Chemistry quiz"
    water, gases = package.items
    assert water == {
        "id": "water-1",
        "objective": "",
        "type": "single_choice",
        "stem": "Water is a compound of two elements.\n\nWhich elements make up water?",
        "options": [
            {"id": "ChoiceA", "text": "Carbon and oxygen"},
            {"id": "ChoiceB", "text": "Hydrogen & oxygen"},
            {"id": "ChoiceC", "text": "Helium and neon"},
        ],
        "key": ["ChoiceB"],
        "rationale": "H2O: two hydrogen atoms, one oxygen.",
        "reference": "",
        "author": "",
        "enemies": [],
    }
    assert gases["type"] == "multiple_response"
    assert gases["key"] == ["ne", "ar"]
    assert gases["stem"] == "Which are noble gases?"


def test_it_reports_foreign_items_without_objective_when_one_is_required() -> None:
    problems = _problems(_foreign_package(), require_objective=True)
    assert {(p.file, p.element) for p in problems} == {
        ("q/water.xml", "qti-assessment-item"),
        ("q/gases.xml", "qti-assessment-item"),
    }


# Every character XML 1.0 can carry, weighted towards the ones markup must escape.
XML_CHARS = st.characters(
    exclude_categories=["Cs"],
    exclude_characters=[chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"],
)
TEXT = st.text(st.one_of(st.sampled_from(list("<>&\"' \r\n\t]")), XML_CHARS), max_size=30)
NON_BLANK = TEXT.filter(str.strip)
IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,10}", fullmatch=True)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


TABLES = (
    st.integers(1, 4)
    .flatmap(
        lambda width: st.lists(
            st.lists(TEXT, min_size=width, max_size=width), min_size=1, max_size=4
        )
    )
    .map(_csv)
)


@st.composite
def _items(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["single_choice", "multiple_response", "ordering", "scenario"]))
    option_ids = draw(st.lists(IDENTIFIERS, min_size=2, max_size=6, unique=True))
    if kind == "ordering":
        key = list(draw(st.permutations(option_ids)))
    elif kind == "multiple_response":
        key = draw(st.lists(st.sampled_from(option_ids), min_size=1, unique=True))
    else:
        key = [draw(st.sampled_from(option_ids))]
    item: dict[str, Any] = {
        "id": draw(IDENTIFIERS),
        "objective": draw(TEXT),
        "type": kind,
        "stem": draw(NON_BLANK),
    }
    if kind == "scenario":
        exhibit_kind = draw(st.sampled_from(["hl7v2", "fhir_json", "audit_log", "table"]))
        content = draw(TABLES if exhibit_kind == "table" else TEXT)
        item["exhibit"] = {"kind": exhibit_kind, "title": draw(TEXT), "content": content}
    item["options"] = [{"id": i, "text": draw(NON_BLANK)} for i in option_ids]
    item.update(key=key, rationale=draw(TEXT), reference=draw(TEXT), author=draw(TEXT))
    if draw(st.booleans()):
        item["enemies"] = draw(st.lists(IDENTIFIERS, max_size=3))
    return item


@settings(max_examples=150, deadline=None)
@given(
    items=st.lists(_items(), min_size=1, max_size=4, unique_by=lambda i: str(i["id"])),
    track=NON_BLANK,
    title=TEXT,
)
def test_it_round_trips_arbitrary_items_exactly(
    items: list[dict[str, Any]], track: str, title: str
) -> None:
    package = read_package(export_package(items, track=track, title=title))

    assert package.items == items
    assert package.track == track
    assert package.title == title
