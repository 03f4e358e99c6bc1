"""W3C Bitstring Status List v1.0: a bitstring, GZIP-compressed and multibase base64url-encoded
("u" prefix, no padding). Bit 0 is the most significant bit of the first byte, as the spec
requires.

An entry takes ``statusSize`` bits (1 unless the credential's entry says otherwise): entry
``i`` is the bits ``i * size`` to ``i * size + size - 1``, read with the first bit as the most
significant, so with 2 bits entry 0 is the two left-most bits of the first byte."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from extender.credentials.vc.encoding import EncodingError, b64url_decode, b64url_encode
from extender.credentials.vc.ob3 import VC_V2_CONTEXT, iso
from extender.errors import InvalidInput

MIN_ENTRIES = 131072  # the spec's minimum number of entries, for herd privacy
MIN_LENGTH = MIN_ENTRIES  # bits (16 KiB) of a list of 1-bit entries
MAX_DECODED_BYTES = 16 * 1024 * 1024  # refuse GZIP bombs
MAX_STATUS_SIZE = 8  # bits per entry this implementation reads (statusMessage: 256 items)
PURPOSES = ("revocation", "suspension", "message")


class StatusListError(InvalidInput):
    """An encoded list or index that cannot be used."""


class BitstringStatusList:
    def __init__(self, length: int = MIN_LENGTH) -> None:
        if not isinstance(length, int) or length <= 0 or length % 8:
            raise StatusListError("status list length must be a positive multiple of 8 bits")
        self._bits = bytearray(length // 8)

    def __len__(self) -> int:
        return len(self._bits) * 8

    def _locate(self, index: int) -> tuple[int, int]:
        if not isinstance(index, int) or isinstance(index, bool):
            raise StatusListError(f"status list index must be an integer, not {index!r}")
        if not 0 <= index < len(self):
            raise StatusListError(f"status list index {index} is outside 0..{len(self) - 1}")
        return index // 8, 0x80 >> (index % 8)

    def set(self, index: int) -> None:
        byte, mask = self._locate(index)
        self._bits[byte] |= mask

    def clear(self, index: int) -> None:
        byte, mask = self._locate(index)
        self._bits[byte] &= ~mask & 0xFF

    def get(self, index: int) -> bool:
        byte, mask = self._locate(index)
        return bool(self._bits[byte] & mask)

    def _check_size(self, size: int) -> None:
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_STATUS_SIZE:
            raise StatusListError(f"status size must be 1 to {MAX_STATUS_SIZE} bits, not {size!r}")

    def entries(self, size: int = 1) -> int:
        """How many entries of ``size`` bits the list holds."""
        self._check_size(size)
        return len(self) // size

    def _first_bit(self, index: int, size: int) -> int:
        self._check_size(size)
        if not isinstance(index, int) or isinstance(index, bool):
            raise StatusListError(f"status list index must be an integer, not {index!r}")
        if not 0 <= index < self.entries(size):
            raise StatusListError(
                f"status list index {index} is outside 0..{self.entries(size) - 1}"
            )
        return index * size

    def get_value(self, index: int, size: int = 1) -> int:
        """The value of entry ``index`` of ``size`` bits (first bit most significant)."""
        first = self._first_bit(index, size)
        value = 0
        for bit in range(first, first + size):
            value = value << 1 | self.get(bit)
        return value

    def set_value(self, index: int, size: int, value: int) -> None:
        """Write ``value`` (0 to 2**size - 1) into entry ``index`` of ``size`` bits."""
        first = self._first_bit(index, size)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << size:
            raise StatusListError(f"status value {value!r} does not fit in {size} bit(s)")
        for offset in range(size):
            if value >> (size - 1 - offset) & 1:
                self.set(first + offset)
            else:
                self.clear(first + offset)

    def indices(self) -> Iterator[int]:
        """The set indices, ascending."""
        for byte_index, byte in enumerate(self._bits):
            if byte:
                for bit in range(8):
                    if byte & (0x80 >> bit):
                        yield byte_index * 8 + bit

    def to_bytes(self) -> bytes:
        return bytes(self._bits)

    @classmethod
    def from_bytes(cls, data: bytes) -> BitstringStatusList:
        if not data:
            raise StatusListError("status list is empty")
        status_list = cls(len(data) * 8)
        status_list._bits[:] = data
        return status_list

    def encode(self) -> str:
        compressed = gzip.compress(bytes(self._bits), compresslevel=9, mtime=0)
        return "u" + b64url_encode(compressed)

    @classmethod
    def decode(cls, text: str, *, min_length: int = MIN_LENGTH) -> BitstringStatusList:
        if not isinstance(text, str) or not text:
            raise StatusListError("encodedList must be a non-empty string")
        if text[0] != "u":
            raise StatusListError(
                f"encodedList must be multibase base64url (start with 'u'), starts with {text[0]!r}"
            )
        try:
            compressed = b64url_decode(text[1:])
        except EncodingError as exc:
            raise StatusListError(f"encodedList is not base64url: {exc}") from exc
        data = _gunzip(compressed)
        status_list = cls.from_bytes(data)
        if len(status_list) < min_length:
            raise StatusListError(
                f"status list has {len(status_list)} bits, fewer than the minimum {min_length}"
            )
        return status_list


def _gunzip(compressed: bytes) -> bytes:
    if not compressed.startswith(b"\x1f\x8b"):
        raise StatusListError("encodedList is not GZIP data")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(compressed, MAX_DECODED_BYTES)
    except zlib.error as exc:
        raise StatusListError(f"encodedList GZIP data is damaged: {exc}") from exc
    if inflater.unconsumed_tail:
        raise StatusListError(f"status list expands beyond {MAX_DECODED_BYTES} bytes")
    if not inflater.eof:
        raise StatusListError("encodedList GZIP data is truncated")
    return data


def status_list_credential(
    list_url: str,
    issuer_id: str,
    encoded_list: str,
    purpose: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential; secure it with add_proof or encode_jwt.

    A "message" list names only its purpose: the entry size and the messages are in each
    credential's entry (statusSize, statusMessage), where the issuer commits to them at
    issuance. The VC 2.0 context defines neither term on a BitstringStatusList."""
    if purpose not in PURPOSES:
        raise StatusListError(f"status purpose {purpose!r} is not one of {', '.join(PURPOSES)}")
    doc: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": iso(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
        },
    }
    if valid_until is not None:
        doc["validUntil"] = iso(valid_until)
    return doc
