"""A small HL7 version 2 codec for the pipe-delimited ("ER7") encoding.

The practicum's lab-interface scenario hands learners inbound result messages (ORU^R01) to
map to FHIR Observations; this module reads and writes those messages. It is pure (stdlib
only). Values in the model are unescaped text: :func:`parse` unescapes every subcomponent
and :func:`encode` escapes it again, except MSH-1 and MSH-2, which are the delimiters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Field = list[list[list[str]]]  # repetitions of components of subcomponents

_SEGMENT_ID = re.compile(r"[A-Z0-9]{3}")
_PATH = re.compile(r"([0-9]+)(?:\[([0-9]+)\])?(?:\.([0-9]+))?(?:\.([0-9]+))?")
_HEX = re.compile(r"X((?:[0-9A-Fa-f]{2})*)")
_LINES = re.compile(r"\r\n|\r|\n")
_ENVELOPE = ("FHS", "BHS", "BTS", "FTS")


class Hl7Error(ValueError):
    """The text is not a well-formed HL7 v2 message (the message says what and where)."""


@dataclass(frozen=True)
class Delimiters:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @property
    def encoding_characters(self) -> str:
        """MSH-2: component, repetition, escape and subcomponent characters."""
        return self.component + self.repetition + self.escape + self.subcomponent

    def _codes(self) -> dict[str, str]:
        return {
            self.field: "F",
            self.component: "S",
            self.subcomponent: "T",
            self.repetition: "R",
            self.escape: "E",
        }


DEFAULT = Delimiters()


def escape(text: str, d: Delimiters = DEFAULT) -> str:
    """Escape the delimiters (``\\F\\`` etc.) and CR/LF (``\\X0D\\``/``\\X0A\\``) in text."""
    codes, e = d._codes(), d.escape
    hexes = {"\r": "X0D", "\n": "X0A"}
    out = []
    for ch in text:
        code = codes.get(ch) or hexes.get(ch)
        out.append(f"{e}{code}{e}" if code else ch)
    return "".join(out)


def unescape(text: str, d: Delimiters = DEFAULT) -> str:
    """Inverse of :func:`escape`; also decodes any ``\\Xhh..\\`` (latin-1), drops unknown
    sequences such as ``\\H\\`` and keeps a lone unterminated escape character as it is."""
    e = d.escape
    chars = {code: ch for ch, code in d._codes().items()}
    out: list[str] = []
    i = 0
    while (start := text.find(e, i)) >= 0:
        end = text.find(e, start + 1)
        if end < 0:
            break
        out.append(text[i:start])
        seq = text[start + 1 : end]
        if seq in chars:
            out.append(chars[seq])
        elif hexed := _HEX.fullmatch(seq):
            out.append(bytes.fromhex(hexed.group(1)).decode("latin-1"))
        i = end + 1
    out.append(text[i:])
    return "".join(out)


@dataclass
class Segment:
    name: str
    fields: list[Field]
    delimiters: Delimiters = field(default=DEFAULT, compare=False, repr=False)

    def get(self, path: str) -> str:
        """The unescaped value at an HL7 path such as ``"3"``, ``"3.2"``, ``"3.2.1"`` or
        ``"5[2].1"`` (field[repetition].component.subcomponent, all counted from 1); ``""``
        when that part is absent. A malformed path raises :class:`Hl7Error`."""
        m = _PATH.fullmatch(path.strip())
        numbers = [int(g) if g else 1 for g in m.groups()] if m else [0]
        if 0 in numbers:
            raise Hl7Error(f"{path!r} is not a field path like '3', '3.2', '3[2].1' or '3.2.1'")
        f, r, c, s = numbers
        try:
            return self.fields[f - 1][r - 1][c - 1][s - 1]
        except IndexError:
            return ""

    def field_text(self, n: int) -> str:
        """Field n re-encoded (escaped) as it appears in the message; ``""`` when absent."""
        if not 1 <= n <= len(self.fields):
            return ""
        if self.name == "MSH" and n <= 2:
            return self.get(str(n))
        return _encode_field(self.fields[n - 1], self.delimiters)


@dataclass
class Message:
    segments: list[Segment]
    delimiters: Delimiters = DEFAULT

    def first(self, name: str) -> Segment | None:
        return next((s for s in self.segments if s.name == name), None)

    def all(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]

    def _msh(self) -> Segment:
        return self.first("MSH") or Segment("MSH", [])

    @property
    def control_id(self) -> str:
        """MSH-10, the message control id."""
        return self._msh().get("10")

    @property
    def message_type(self) -> str:
        """MSH-9 components 1 and 2, e.g. ``"ORU^R01"`` (the structure id is left out)."""
        code, event = self._msh().get("9.1"), self._msh().get("9.2")
        return f"{code}^{event}" if event else code

    @property
    def timestamp(self) -> str:
        """MSH-7 as written in the message."""
        return self._msh().field_text(7)


def _trim(parts: list[str], sep: str) -> str:
    while parts and not parts[-1]:
        parts.pop()
    return sep.join(parts)


def _encode_field(f: Field, d: Delimiters) -> str:
    def rep_text(rep: list[list[str]]) -> str:
        return _trim([_trim([escape(s, d) for s in c], d.subcomponent) for c in rep], d.component)

    return _trim([rep_text(rep) for rep in f], d.repetition)


def _parse_field(text: str, d: Delimiters) -> Field:
    return [
        [[unescape(s, d) for s in comp.split(d.subcomponent)] for comp in rep.split(d.component)]
        for rep in text.split(d.repetition)
    ]


def _lines(text: str) -> list[str]:
    return [line for line in _LINES.split(text.removeprefix("\ufeff")) if line.strip()]


def _delimiters(msh: str) -> Delimiters:
    if len(msh) < 4:
        raise Hl7Error("segment 1: MSH must be followed by the field separator (MSH-1)")
    fs = msh[3]
    chars = msh[4:].split(fs)[0]
    if len(chars) != 4:
        raise Hl7Error(f"MSH-2 must hold 4 encoding characters, got {chars!r}")
    all5 = fs + chars
    if len(set(all5)) != 5 or any(ch.isalnum() or ch.isspace() for ch in all5):
        raise Hl7Error(
            "MSH-1 and MSH-2 must be 5 different characters, none a letter, digit or space;"
            f" got {all5!r}"
        )
    return Delimiters(fs, chars[0], chars[1], chars[2], chars[3])


def parse(text: str) -> Message:
    """Read one message; segments may end in CR, LF or CRLF, and blank lines are ignored."""
    lines = _lines(text)
    if not lines:
        raise Hl7Error("the message is empty")
    if not lines[0].startswith("MSH"):
        got = lines[0][:3]
        hint = " (a batch file? use split_batch)" if got in _ENVELOPE else ""
        raise Hl7Error(f"the message must start with an MSH segment, got {got!r}{hint}")
    d = _delimiters(lines[0])
    segments = []
    for number, line in enumerate(lines, start=1):
        name, *raw = line.split(d.field)
        if not _SEGMENT_ID.fullmatch(name):
            raise Hl7Error(
                f"segment {number}: {name[:20]!r} is not a segment id"
                " (three upper-case letters or digits)"
            )
        if name == "MSH" and number > 1:
            raise Hl7Error(
                f"segment {number}: a second MSH segment; use split_batch for several messages"
            )
        fields = [_parse_field(f, d) for f in raw]
        if number == 1:
            fields = [[[[d.field]]], [[[d.encoding_characters]]], *fields[1:]]
        segments.append(Segment(name, fields, d))
    return Message(segments, d)


def encode(message: Message, *, segment_separator: str = "\r") -> str:
    """Write a message; MSH-1 and MSH-2 come from ``message.delimiters``."""
    d = message.delimiters
    out = []
    for seg in message.segments:
        if seg.name == "MSH":
            rest = [_encode_field(f, d) for f in seg.fields[2:]]
            out.append("MSH" + d.field + d.encoding_characters + _trim(["", *rest], d.field))
        else:
            out.append(_trim([seg.name, *(_encode_field(f, d) for f in seg.fields)], d.field))
    return segment_separator.join(out)


def split_batch(text: str) -> list[str]:
    """Split a file of several messages into message texts (segments joined by CR), each
    starting at an MSH line; FHS/BHS/BTS/FTS batch envelope lines are dropped."""
    messages: list[list[str]] = []
    for number, line in enumerate(_lines(text), start=1):
        if line[:3] in _ENVELOPE:
            continue
        if line.startswith("MSH"):
            messages.append([])
        elif not messages:
            raise Hl7Error(f"line {number}: {line[:20]!r} comes before the first MSH segment")
        messages[-1].append(line)
    return ["\r".join(m) for m in messages]


def build_segment(name: str, *fields: str | list[str] | None) -> Segment:
    """A segment from plain (unescaped) values: a str is one component, a list[str] its
    components, None an empty field. For MSH, the values start at MSH-3."""
    if not _SEGMENT_ID.fullmatch(name):
        raise Hl7Error(f"{name!r} is not a segment id (three upper-case letters or digits)")
    built: list[Field] = [
        [[[""]]] if f is None else [[[f]]] if isinstance(f, str) else [[[c] for c in f]]
        for f in fields
    ]
    if name == "MSH":
        built = [[[[DEFAULT.field]]], [[[DEFAULT.encoding_characters]]], *built]
    return Segment(name, built)
