"""Tables of the credentials domain."""

from __future__ import annotations
