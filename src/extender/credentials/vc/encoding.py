"""Byte encodings used by the credential formats: base64url without padding (JOSE, status
lists) and base58btc (multibase "z" proof values and Multikey public keys)."""

from __future__ import annotations

import base64
import binascii

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(_B58_ALPHABET)}


class EncodingError(ValueError):
    """Text that is not valid in the expected encoding."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict: only the URL-safe alphabet, no padding, no whitespace."""
    if not isinstance(text, str):
        raise EncodingError("base64url value is not a string")
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    bad = next((char for char in text if char not in allowed), None)
    if bad is not None:
        raise EncodingError(f"invalid base64url character {bad!r}")
    if len(text) % 4 == 1:
        raise EncodingError("invalid base64url length")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise EncodingError(f"invalid base64url: {exc}") from exc


def b58_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars: list[str] = []
    while number:
        number, rest = divmod(number, 58)
        chars.append(_B58_ALPHABET[rest])
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + "".join(reversed(chars))


def b58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise EncodingError(f"invalid base58btc character {char!r}")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading_ones = len(text) - len(text.lstrip("1"))
    return b"\0" * leading_ones + body


def multibase_b58_encode(data: bytes) -> str:
    return "z" + b58_encode(data)


def multibase_b58_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z"):
        raise EncodingError("multibase value must be base58btc (start with 'z')")
    return b58_decode(text[1:])
