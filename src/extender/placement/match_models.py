"""Tables of the cohort match: rounds, participants and rank lists."""

from __future__ import annotations
