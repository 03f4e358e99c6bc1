"""Parsing FHIR search values (dates with precision, numbers with implicit precision,
prefixes, tokens) into ranges the store can compare. Pure functions: no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})"
    r"(T(?P<H>\d{2}):(?P<M>\d{2})(:(?P<S>\d{2})(\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


class SearchValueError(ValueError):
    """A search value that cannot be understood; the message names it."""


def split_prefix(value: str) -> tuple[str, str]:
    if len(value) > 2 and value[:2] in PREFIXES and (value[2].isdigit() or value[2] == "-"):
        return value[:2], value[2:]
    return "eq", value


def _add_month(start: datetime) -> datetime:
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def date_range(value: str) -> tuple[datetime, datetime]:
    """The instant range [start, end) that a FHIR date, dateTime or instant covers."""
    match = _DATE_RE.match(value.strip())
    if not match:
        raise SearchValueError(
            f"'{value}' is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or dateTime)"
        )
    g = match.groupdict()
    try:
        year = int(g["y"])
        if g["m"] is None:
            start = datetime(year, 1, 1, tzinfo=UTC)
            return start, start.replace(year=year + 1)
        if g["d"] is None:
            start = datetime(year, int(g["m"]), 1, tzinfo=UTC)
            return start, _add_month(start)
        if g["H"] is None:
            start = datetime(year, int(g["m"]), int(g["d"]), tzinfo=UTC)
            return start, start + timedelta(days=1)
        tz: timezone = UTC
        if g["tz"] and g["tz"] != "Z":
            sign = 1 if g["tz"][0] == "+" else -1
            hours, minutes = int(g["tz"][1:3]), int(g["tz"][4:6])
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        start = datetime(
            year, int(g["m"]), int(g["d"]), int(g["H"]), int(g["M"]), int(g["S"] or 0), tzinfo=tz
        ).astimezone(UTC)
        step = timedelta(seconds=1) if g["S"] else timedelta(minutes=1)
        return start, start + step
    except ValueError as exc:
        raise SearchValueError(f"'{value}' is not a valid date: {exc}") from None


def date_matches(
    prefix: str, r_start: datetime, r_end: datetime, s_start: datetime, s_end: datetime
) -> bool:
    """FHIR's range comparison, used by tests to check the SQL the store generates."""
    if prefix == "eq":
        return r_start >= s_start and r_end <= s_end
    if prefix == "ne":
        return not (r_start >= s_start and r_end <= s_end)
    if prefix == "gt":
        return r_end > s_end
    if prefix == "lt":
        return r_start < s_start
    if prefix == "ge":
        return r_end > s_start
    if prefix == "le":
        return r_start < s_end
    raise SearchValueError(f"unknown prefix {prefix}")


@dataclass(frozen=True)
class NumberRange:
    value: float
    low: float
    high: float


def number_range(text: str) -> NumberRange:
    """A number and the interval its written precision implies: 9.1 means [9.05, 9.15)."""
    try:
        dec = Decimal(text)
    except InvalidOperation:
        raise SearchValueError(f"'{text}' is not a number") from None
    exponent = dec.as_tuple().exponent
    assert isinstance(exponent, int)
    half = Decimal(5) * Decimal(10) ** (exponent - 1)
    return NumberRange(float(dec), float(dec - half), float(dec + half))


@dataclass(frozen=True)
class Token:
    system: str | None  # None: any system; "": no system
    code: str | None


def parse_token(value: str) -> Token:
    if "|" not in value:
        return Token(None, value)
    system, code = value.split("|", 1)
    return Token(system, code or None)


def parse_quantity(value: str) -> tuple[str, NumberRange, str | None]:
    prefix, rest = split_prefix(value)
    parts = rest.split("|")
    unit = parts[2] if len(parts) == 3 and parts[2] else (parts[1] if len(parts) == 2 else None)
    return prefix, number_range(parts[0]), unit


def normalize_string(value: str) -> str:
    return " ".join(value.lower().split())
