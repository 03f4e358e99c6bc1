"""Identifiers that are reproducible from the seed: resource UUIDs, NPIs and MRNs.

UUIDs are name-based (uuid5) on a scope and a counter rather than drawn from the random stream,
so adding a resource to one patient's chart never renumbers another patient's resources.
"""

from __future__ import annotations

import hashlib
import random
import uuid

EXTENDER_NAMESPACE = uuid.UUID("6f1c1a52-3f0e-5b43-9a8e-1d7b6b0c2e11")

NPI_PREFIX = "80840"
"""The ISO issuer prefix for US health identifiers; the NPI check digit is computed over it."""


class UuidMint:
    """Hands out uuid5 values keyed by seed, scope and a per-scope counter.

    Equal to ``str(uuid.uuid5(namespace, f"{scope}#{n}"))``; computed with hashlib directly
    because the uuid module's object overhead dominated generation time.
    """

    def __init__(self, seed: int) -> None:
        self.namespace = uuid.uuid5(EXTENDER_NAMESPACE, f"practice-seed:{seed}")
        self._prefix = self.namespace.bytes
        self._counters: dict[str, int] = {}

    def mint(self, scope: str) -> str:
        n = self._counters.get(scope, 0)
        self._counters[scope] = n + 1
        digest = bytearray(hashlib.sha1(self._prefix + f"{scope}#{n}".encode()).digest()[:16])
        digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
        digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = digest.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def luhn_valid(digits: str) -> bool:
    """Standard Luhn (mod 10) check over a string of decimal digits."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The digit that, appended to ``payload``, makes the whole string Luhn-valid."""
    for candidate in "0123456789":
        if luhn_valid(payload + candidate):
            return candidate
    raise AssertionError("a Luhn check digit always exists")  # pragma: no cover


def npi_is_valid(npi: str) -> bool:
    """An NPI is 10 digits whose check digit is Luhn over ``80840`` + the NPI."""
    return len(npi) == 10 and npi[0] in "12" and luhn_valid(NPI_PREFIX + npi)


def make_npi(rng: random.Random, *, organization: bool = False) -> str:
    """Type 1 (individual) NPIs start with 1, type 2 (organization) ones with 2 by convention."""
    body = ("2" if organization else "1") + "".join(str(rng.randrange(10)) for _ in range(8))
    return body + luhn_check_digit(NPI_PREFIX + body)


def make_mrn(index: int, rng: random.Random) -> str:
    """Eight digits: a two-digit prefix, then the registration number, so MRNs are unique and
    later registrations (a duplicate, say) get higher numbers, as in real EHRs."""
    return f"{(index * 7919 + rng.randrange(100)) % 100:02d}{index:06d}"
