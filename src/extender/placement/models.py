"""Tables of the placement domain."""

from __future__ import annotations
