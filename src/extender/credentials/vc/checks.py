"""The outcome of one verification step. Kept apart from verify.py so that the securing
modules (jose, data_integrity) can report without importing the verifier."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extender.credentials.vc.keys import IssuerKey

KeyResolver = Callable[[str], "IssuerKey | None"]


@dataclass
class Check:
    name: str
    passed: bool
    reason: str

    @classmethod
    def ok(cls, name: str, reason: str) -> Check:
        return cls(name, True, reason)

    @classmethod
    def fail(cls, name: str, reason: str) -> Check:
        return cls(name, False, reason)


def resolve_safely(resolve_key: KeyResolver, verification_method: str) -> IssuerKey | None:
    """A resolver that raises is treated as one that does not know the key: verification
    must report, never crash."""
    try:
        return resolve_key(verification_method)
    except Exception:
        return None
