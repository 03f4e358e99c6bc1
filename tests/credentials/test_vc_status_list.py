"""W3C Bitstring Status List v1.0: bit order, encoding, decoding and its refusals; entries of
more than one bit (Extender's 2-bit "message" lists)."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extender.credentials.vc import BitstringStatusList, status_list_credential
from extender.credentials.vc.status_list import MIN_ENTRIES, MIN_LENGTH, StatusListError

SMALL = 1024


def _raw(status_list: BitstringStatusList) -> bytes:
    """The bitstring behind an encoded list, decoded independently of the module."""
    text = status_list.encode()
    assert text[0] == "u" and "=" not in text
    compressed = base64.urlsafe_b64decode(text[1:] + "=" * (-len(text[1:]) % 4))
    return gzip.decompress(compressed)


def test_default_length_is_the_spec_minimum_of_131072_bits() -> None:
    status_list = BitstringStatusList()
    assert len(status_list) == MIN_LENGTH == 131072
    assert _raw(status_list) == bytes(16384)


def test_index_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    status_list = BitstringStatusList(SMALL)
    for index in (0, 7, 8, 13, SMALL - 1):
        status_list.set(index)
    raw = _raw(status_list)
    assert raw[0] == 0b1000_0001
    assert raw[1] == 0b1000_0100
    assert raw[-1] == 0b0000_0001
    assert sum(bin(byte).count("1") for byte in raw) == 5


def test_set_clear_get() -> None:
    status_list = BitstringStatusList(SMALL)
    status_list.set(42)
    status_list.set(42)
    assert status_list.get(42) and not status_list.get(41) and not status_list.get(43)
    status_list.clear(42)
    assert not status_list.get(42)
    assert list(status_list.indices()) == []


@pytest.mark.parametrize("index", [-1, SMALL, 10**9])
def test_index_outside_the_list_is_refused(index: int) -> None:
    with pytest.raises(StatusListError, match=f"index {index} is outside 0..{SMALL - 1}"):
        BitstringStatusList(SMALL).get(index)


@pytest.mark.parametrize("index", [True, "3", 2.0])
def test_non_integer_index_is_refused(index: object) -> None:
    with pytest.raises(StatusListError, match="must be an integer"):
        BitstringStatusList(SMALL).set(index)  # type: ignore[arg-type]


@pytest.mark.parametrize("length", [0, -8, 12, 8.0])
def test_bad_length_is_refused(length: object) -> None:
    with pytest.raises(StatusListError, match="positive multiple of 8"):
        BitstringStatusList(length)  # type: ignore[arg-type]


@given(st.sets(st.integers(min_value=0, max_value=MIN_LENGTH - 1), max_size=300))
def test_encode_decode_round_trip(indices: set[int]) -> None:
    status_list = BitstringStatusList()
    for index in indices:
        status_list.set(index)
    decoded = BitstringStatusList.decode(status_list.encode())
    assert len(decoded) == MIN_LENGTH
    assert list(decoded.indices()) == sorted(indices)
    for index in list(indices)[:20]:
        assert decoded.get(index)


@given(st.sets(st.integers(min_value=0, max_value=SMALL - 1), max_size=64))
def test_bit_order_property(indices: set[int]) -> None:
    status_list = BitstringStatusList(SMALL)
    for index in indices:
        status_list.set(index)
    raw = _raw(status_list)
    expected = {i for i in range(SMALL) if raw[i // 8] >> (7 - i % 8) & 1}
    assert expected == indices


def _encoded(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# Each case names itself (pytest.param id), and the GZIP members are made with mtime=0:
# ids built from the encoded text would carry the compression time, and pytest-xdist
# refuses to run when two workers collect different ids.
@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "non-empty string", id="empty-string"),
        pytest.param("z" + "A" * 10, "start with 'u'", id="wrong-multibase-prefix"),
        pytest.param("uAB+C", "not base64url", id="not-base64url"),
        pytest.param(_encoded(b"not gzip at all"), "not GZIP data", id="not-gzip"),
        pytest.param(
            _encoded(gzip.compress(bytes(16384), mtime=0)[:-12]), "truncated", id="truncated"
        ),
        pytest.param(_encoded(b"\x1f\x8b" + b"\x00" * 20), "damaged", id="damaged"),
        pytest.param(
            _encoded(gzip.compress(bytes(1024), mtime=0)),
            "fewer than the minimum 131072",
            id="too-short",
        ),
        pytest.param(_encoded(gzip.compress(b"", mtime=0)), "empty", id="empty-list"),
    ],
)
def test_bad_encoded_list_is_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(StatusListError, match=message):
        BitstringStatusList.decode(text)


def test_gzip_bomb_is_refused() -> None:
    bomb = _encoded(gzip.compress(bytes(20 * 1024 * 1024), compresslevel=9))
    with pytest.raises(StatusListError, match="expands beyond"):
        BitstringStatusList.decode(bomb)


@given(st.text(max_size=60))
def test_decoder_only_raises_status_list_errors(text: str) -> None:
    try:
        decoded = BitstringStatusList.decode(text, min_length=8)
    except StatusListError:
        return
    assert len(decoded) >= 8 and text.startswith("u")


def test_status_list_credential_shape() -> None:
    bits = BitstringStatusList()
    bits.set(3)
    when = datetime(2026, 5, 1, tzinfo=UTC)
    doc = status_list_credential(
        "https://x.example/status/revocation-1",
        "did:web:x.example",
        bits.encode(),
        "revocation",
        when,
    )
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert doc["validFrom"] == "2026-05-01T00:00:00Z"
    subject = doc["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert BitstringStatusList.decode(subject["encodedList"]).get(3)
    with pytest.raises(StatusListError, match="not one of revocation, suspension, message"):
        status_list_credential("https://x.example/s", "did:web:x.example", "u", "refresh", when)


def test_a_message_list_credential_names_its_purpose_only() -> None:
    bits = BitstringStatusList(MIN_ENTRIES * 2)
    bits.set_value(3, 2, 2)
    when = datetime(2026, 5, 1, tzinfo=UTC)
    doc = status_list_credential(
        "https://x.example/status/message-1", "did:web:x.example", bits.encode(), "message", when
    )
    subject = doc["credentialSubject"]
    assert subject["statusPurpose"] == "message"
    assert "statusSize" not in subject and "statusMessage" not in subject
    decoded = BitstringStatusList.decode(subject["encodedList"], min_length=MIN_ENTRIES * 2)
    assert decoded.entries(2) == MIN_ENTRIES
    assert decoded.get_value(3, 2) == 2


# --- entries of several bits ------------------------------------------------------------------


def test_a_2_bit_entry_is_read_with_its_first_bit_most_significant() -> None:
    status_list = BitstringStatusList(SMALL)
    status_list.set_value(0, 2, 2)  # bits 0-1: 10
    status_list.set_value(3, 2, 1)  # bits 6-7: 01
    status_list.set_value(4, 2, 3)  # bits 8-9: 11
    raw = _raw(status_list)
    assert raw[0] == 0b1000_0001
    assert raw[1] == 0b1100_0000
    assert [status_list.get_value(i, 2) for i in range(6)] == [2, 0, 0, 1, 3, 0]
    status_list.set_value(4, 2, 0)
    assert status_list.get_value(4, 2) == 0 and _raw(status_list)[1] == 0
    assert status_list.entries(2) == SMALL // 2


def test_a_1_bit_value_is_the_bit() -> None:
    status_list = BitstringStatusList(SMALL)
    status_list.set_value(9, 1, 1)
    assert status_list.get(9) and status_list.get_value(9) == 1


@pytest.mark.parametrize(
    ("index", "size", "value", "message"),
    [
        (0, 2, 4, "does not fit in 2 bit"),
        (0, 2, -1, "does not fit in 2 bit"),
        (SMALL // 2, 2, 1, f"index {SMALL // 2} is outside 0..{SMALL // 2 - 1}"),
        (0, 0, 0, "status size must be 1 to 8 bits"),
        (0, 9, 0, "status size must be 1 to 8 bits"),
        (True, 2, 0, "must be an integer"),
    ],
)
def test_bad_entries_are_refused(index: object, size: int, value: int, message: str) -> None:
    with pytest.raises(StatusListError, match=message):
        BitstringStatusList(SMALL).set_value(index, size, value)  # type: ignore[arg-type]


def _independent_entries(raw: bytes) -> dict[int, int]:
    """The non-zero 2-bit entries of a bitstring, read without the module."""
    found = {}
    for byte_index, byte in enumerate(raw):
        for pair in range(4) if byte else ():
            value = byte >> (6 - 2 * pair) & 0b11
            if value:
                found[byte_index * 4 + pair] = value
    return found


# A shared 2-core machine: time per example varies, so no deadline.
@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.integers(min_value=0, max_value=MIN_ENTRIES - 1),
        st.integers(min_value=0, max_value=3),
        max_size=200,
    )
)
def test_2_bit_encode_decode_round_trip(values: dict[int, int]) -> None:
    status_list = BitstringStatusList(MIN_ENTRIES * 2)
    for index, value in values.items():
        status_list.set_value(index, 2, value)
    decoded = BitstringStatusList.decode(status_list.encode(), min_length=MIN_ENTRIES * 2)
    assert decoded.entries(2) == MIN_ENTRIES
    assert decoded.to_bytes() == status_list.to_bytes()
    for index, value in values.items():
        assert decoded.get_value(index, 2) == value
    # Every entry not written reads 0 ("active"), as an independent reading confirms.
    assert _independent_entries(_raw(decoded)) == {i: v for i, v in values.items() if v}


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=8).flatmap(
        lambda size: st.tuples(
            st.just(size),
            st.dictionaries(
                st.integers(min_value=0, max_value=SMALL // size - 1),
                st.integers(min_value=0, max_value=(1 << size) - 1),
                max_size=40,
            ),
        )
    )
)
def test_any_entry_size_round_trips(case: tuple[int, dict[int, int]]) -> None:
    size, values = case
    status_list = BitstringStatusList(SMALL)
    for index, value in values.items():
        status_list.set_value(index, size, value)
    decoded = BitstringStatusList.decode(status_list.encode(), min_length=SMALL)
    for index in range(decoded.entries(size)):
        assert decoded.get_value(index, size) == values.get(index, 0)
