"""The HL7 v2 (ER7) codec: a realistic lab result message, escapes, batches, errors and
round-trip properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extender.practicum.hl7v2 import (
    Delimiters,
    Hl7Error,
    Message,
    Segment,
    build_segment,
    encode,
    escape,
    parse,
    split_batch,
    unescape,
)

ORU = "\r".join(
    [
        r"MSH|^~\&|LIS|GENERAL HOSPITAL LAB|EHR|FAMILY CLINIC|20240301083000-0500||"
        r"ORU^R01^ORU_R01|MSG00042|P|2.5.1",
        r"PID|1||123456^^^GHL^MR||Doe^Jane^Q^^^^L~Smith^Jane^^^^^M||19800101|F",
        r"OBR|1|ORD123|LAB456|24323-8^Comprehensive metabolic panel^LN|||20240301070000",
        r"OBX|1|NM|2345-7^Glucose^LN^GLUF^GLUCOSE FASTING^L||105|mg/dL^mg/dL^UCUM|70-99|H|||F"
        r"|||20240301080000",
        r"OBX|2|NM|2160-0^Creatinine^LN||0.9|mg/dL^mg/dL^UCUM|0.6-1.1|N|||F|||20240301080000",
        r"OBX|3|TX|8251-1^Service comment^LN||Pipe \F\ caret \S\ amp \T\ slash \E\ tilde \R\|"
        r"|||||F",
        r"NTE|1|L|Fasting \H\confirmed\N\ by patient",
    ]
)


def test_a_lab_result_message_parses_to_the_right_fields() -> None:
    msg = parse(ORU)
    assert [s.name for s in msg.segments] == ["MSH", "PID", "OBR", "OBX", "OBX", "OBX", "NTE"]
    assert msg.message_type == "ORU^R01"
    assert msg.control_id == "MSG00042"
    assert msg.timestamp == "20240301083000-0500"
    msh = msg.segments[0]
    assert (msh.get("1"), msh.get("2"), msh.get("3"), msh.get("4")) == (
        "|",
        "^~\\&",
        "LIS",
        "GENERAL HOSPITAL LAB",
    )
    assert msh.get("9.3") == "ORU_R01"
    assert msh.field_text(9) == "ORU^R01^ORU_R01"
    assert msh.field_text(2) == "^~\\&"

    glucose = msg.all("OBX")[0]
    assert glucose.field_text(3) == "2345-7^Glucose^LN^GLUF^GLUCOSE FASTING^L"
    assert [glucose.get(f"3.{i}") for i in range(1, 7)] == [
        "2345-7",
        "Glucose",
        "LN",
        "GLUF",
        "GLUCOSE FASTING",
        "L",
    ]
    assert glucose.get("3") == "2345-7"
    assert glucose.get("2") == "NM"
    assert float(glucose.get("5")) == 105
    assert glucose.field_text(6) == "mg/dL^mg/dL^UCUM"
    assert glucose.get("6.3") == "UCUM"
    assert glucose.get("7") == "70-99"
    assert glucose.get("8") == "H"
    assert glucose.get("11") == "F"
    assert glucose.get("14") == "20240301080000"
    assert msg.all("OBX")[1].get("5") == "0.9"
    assert msg.first("OBR") is not None and msg.first("OBR").get("4.2") == (  # type: ignore[union-attr]
        "Comprehensive metabolic panel"
    )
    assert msg.first("ZZZ") is None and msg.all("ZZZ") == []


def test_missing_parts_are_empty_and_bad_paths_are_named() -> None:
    obx = parse(ORU).all("OBX")[0]
    for path in ["4", "4.1", "3.9", "3.1.2", "3[2]", "99", "99[3].4.5", "5.1.1"]:
        assert obx.get(path) == ("105" if path == "5.1.1" else "")
    assert obx.field_text(99) == "" and obx.field_text(0) == ""
    for bad in ["", "x", "0", "3.0", "3[0]", "3.1.1.1", "-1"]:
        with pytest.raises(Hl7Error, match="is not a field path"):
            obx.get(bad)


def test_a_name_with_a_repetition() -> None:
    pid = parse(ORU).first("PID")
    assert pid is not None
    assert [pid.get(p) for p in ["5", "5.2", "5.3", "5.7"]] == ["Doe", "Jane", "Q", "L"]
    assert (pid.get("5[2].1"), pid.get("5[2].7")) == ("Smith", "M")
    assert pid.get("5[3]") == ""
    assert pid.field_text(5) == "Doe^Jane^Q^^^^L~Smith^Jane^^^^^M"
    assert pid.get("3.4") == "GHL" and pid.get("3.5") == "MR"


def test_escape_sequences_in_text() -> None:
    msg = parse(ORU)
    assert msg.all("OBX")[2].get("5") == "Pipe | caret ^ amp & slash \\ tilde ~"
    # highlighting on/off (\H\, \N\) is formatting, not text
    nte = msg.first("NTE")
    assert nte is not None and nte.get("3") == "Fasting confirmed by patient"


def test_a_lab_comment_with_every_delimiter_round_trips() -> None:
    comment = "Sample A|B ^ hemolyzed & re-drawn \\ see ~ note\r\nsecond line"
    msg = Message(
        [
            build_segment("MSH", "LIS", "LAB", None, None, "20240301", None, ["ORU", "R01"], "1"),
            build_segment("NTE", "1", "L", comment),
        ]
    )
    text = encode(msg)
    assert text.count("\r") == 1 and "\n" not in text
    assert r"\F\B \S\ hemolyzed \T\ re-drawn \E\ see \R\ note\X0D\\X0A\second" in text
    back = parse(text)
    assert back.first("NTE").get("3") == comment  # type: ignore[union-attr]
    assert back.message_type == "ORU^R01" and back.control_id == "1"
    assert encode(back) == text


def test_escape_and_unescape() -> None:
    assert escape("a|b^c&d~e\\f") == r"a\F\b\S\c\T\d\R\e\E\f"
    assert escape("x\ry\nz") == r"x\X0D\y\X0A\z"
    assert unescape(r"a\F\b\S\c\T\d\R\e\E\f") == "a|b^c&d~e\\f"
    custom = Delimiters("#", "$", "*", "!", "%")
    assert escape("#$*!%^|", custom) == "!F!!S!!R!!E!!T!^|"
    assert unescape("!F!!S!!R!!E!!T!", custom) == "#$*!%"


def test_hex_escapes_and_odd_sequences() -> None:
    assert unescape("\\X0D0A\\") == "\r\n"
    assert unescape("caf\\XE9\\ \\X4142\\\\X43\\") == "café ABC"
    assert unescape("[\\X\\]") == "[]"
    assert unescape(r"a\X0\b") == "ab"  # odd digit count: not a hex escape, dropped
    assert unescape(r"a\.br\b\H\c\N\d") == "abcd"  # unknown sequences are dropped
    assert unescape("ends with \\") == "ends with \\"
    assert unescape(r"a\F\ and \lone") == "a| and \\lone"


@pytest.mark.parametrize("separator", ["\n", "\r\n", "\r\r\n\n"])
def test_line_feed_separators_and_blank_lines(separator: str) -> None:
    text = ORU.replace("\r", separator) + separator * 2
    msg = parse(text)
    assert len(msg.segments) == 7
    assert encode(msg) == encode(parse(ORU))
    assert encode(msg, segment_separator="\n").split("\n")[1].startswith("PID|1||123456")


def test_encode_trims_trailing_empties() -> None:
    msg = parse("MSH|^~\\&|A||||\rPID|1||X^^~^&^~||Doe^^&&^~~|||\rZZ1||")
    assert encode(msg) == "MSH|^~\\&|A\rPID|1||X||Doe\rZZ1"
    assert encode(Message([build_segment("MSH")])) == "MSH|^~\\&"


def test_custom_delimiters_are_read_from_msh() -> None:
    text = "MSH#$*!%#LIS#LAB\rOBX#1#NM#2345-7$Glucose$LN##105#mg!T!dL##A*B"
    msg = parse(text)
    assert msg.delimiters == Delimiters("#", "$", "*", "!", "%")
    obx = msg.first("OBX")
    assert obx is not None
    assert obx.get("3.2") == "Glucose" and obx.get("6") == "mg%dL" and obx.get("8[2]") == "B"
    assert obx.field_text(3) == "2345-7$Glucose$LN"
    assert msg.first("MSH").get("2") == "$*!%"  # type: ignore[union-attr]
    assert encode(msg) == text


BATCH_BODY = [
    "MSH|^~\\&|LIS|LAB|||20240301||ORU^R01|A1|P|2.5.1",
    "PID|1||111",
    "OBX|1|NM|2345-7^Glucose^LN||90",
    "MSH|^~\\&|LIS|LAB|||20240301||ORU^R01|A2|P|2.5.1",
    "PID|1||222",
]


def test_split_batch_without_envelope() -> None:
    parts = split_batch("\n".join(BATCH_BODY) + "\n")
    assert parts == ["\r".join(BATCH_BODY[:3]), "\r".join(BATCH_BODY[3:])]
    assert [parse(p).control_id for p in parts] == ["A1", "A2"]
    assert split_batch("") == [] and split_batch("\n\r\n") == []


def test_split_batch_drops_the_envelope() -> None:
    text = "\r\n".join(["FHS|^~\\&|LIS", "BHS|^~\\&|LIS", *BATCH_BODY, "BTS|2", "FTS|1"])
    parts = split_batch(text)
    assert [parse(p).control_id for p in parts] == ["A1", "A2"]
    assert parse(parts[1]).first("PID").get("3") == "222"  # type: ignore[union-attr]
    with pytest.raises(Hl7Error, match=r"line 1: 'PID\|1' comes before the first MSH"):
        split_batch("PID|1\rMSH|^~\\&")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the message is empty"),
        ("\r\n \n", "the message is empty"),
        ("PID|1||123", "the message must start with an MSH segment, got 'PID'"),
        ("FHS|^~\\&\rMSH|^~\\&", "got 'FHS' (a batch file? use split_batch)"),
        ("MSH|^~|LIS", "MSH-2 must hold 4 encoding characters, got '^~'"),
        ("MSH", "segment 1: MSH must be followed by the field separator"),
        ("MSH|^~\\^|A", "must be 5 different characters"),
        ("MSHA^~\\&", "must be 5 different characters"),
        ("MSH|^~\\&\rPID|1\rOB|1", "segment 3: 'OB' is not a segment id (three upper-case"),
        ("MSH|^~\\&\robx|1", "segment 2: 'obx' is not a segment id"),
        ("MSH|^~\\&\rPID|1\rMSH|^~\\&", "segment 3: a second MSH segment; use split_batch"),
    ],
)
def test_clear_errors(text: str, message: str) -> None:
    with pytest.raises(Hl7Error, match=re.escape(message)):
        parse(text)


def test_build_segment_rejects_bad_ids_and_stores_plain_text() -> None:
    seg = build_segment("OBX", "1", "NM", ["2345-7", "Glucose", "LN"], None, "a^b")
    assert isinstance(seg, Segment)
    assert seg.get("3.2") == "Glucose" and seg.get("5") == "a^b" and seg.get("4") == ""
    assert seg.field_text(5) == r"a\S\b"
    with pytest.raises(Hl7Error, match="not a segment id"):
        build_segment("OBXX")


# --- properties -------------------------------------------------------------------------------

DELIMITER_SETS = st.sampled_from([Delimiters(), Delimiters("#", "$", "*", "!", "%")])


@given(st.text(), DELIMITER_SETS)
def test_unescape_inverts_escape(text: str, d: Delimiters) -> None:
    assert unescape(escape(text, d), d) == text


@given(st.text(), DELIMITER_SETS)
def test_escaped_text_holds_no_bare_delimiters_or_line_breaks(text: str, d: Delimiters) -> None:
    e = re.escape(d.escape)
    bare = re.sub(f"{e}(?:[FSTRE]|X0D|X0A){e}", "", escape(text, d))
    assert not set(bare) & {d.field, d.component, d.repetition, d.escape, d.subcomponent}
    assert "\r" not in bare and "\n" not in bare


values = st.one_of(st.none(), st.text(max_size=12), st.lists(st.text(max_size=8), max_size=4))
segment_ids = st.from_regex(r"[A-Z0-9]{3}", fullmatch=True).filter(lambda s: s != "MSH")


@settings(max_examples=60)
@given(
    st.lists(values, max_size=12),
    st.lists(st.tuples(segment_ids, st.lists(values, max_size=8)), max_size=5),
    DELIMITER_SETS,
)
def test_encode_parse_encode_is_stable(
    msh: list[str | list[str] | None],
    others: list[tuple[str, list[str | list[str] | None]]],
    d: Delimiters,
) -> None:
    msg = Message([build_segment("MSH", *msh), *(build_segment(n, *fs) for n, fs in others)], d)
    text = encode(msg)
    back = parse(text)
    assert encode(back) == text
    assert [s.name for s in back.segments] == [s.name for s in msg.segments]
    for seg, orig in zip(back.segments[1:], msg.segments[1:], strict=True):
        for n, f in enumerate(orig.fields, start=1):
            for k in range(1, len(f[0]) + 2):
                assert seg.get(f"{n}.{k}") == orig.get(f"{n}.{k}")


@given(st.text())
def test_parse_raises_only_hl7_errors(text: str) -> None:
    try:
        msg = parse(text)
    except Hl7Error:
        return
    assert msg.segments[0].name == "MSH"


@given(st.text(alphabet="MSH|^~\\&\r\nXOB0123 abc#$*!%", max_size=60))
def test_parse_raises_only_hl7_errors_on_near_messages(text: str) -> None:
    try:
        msg = parse("MSH|^~\\&|" + text)
    except Hl7Error:
        return
    assert encode(parse(encode(msg))) == encode(msg)
