"""The whole decision rule of an adaptive test, shared by simulation, tuning and live delivery.

An adaptive form is a selector (content balancing, enemies, randomesque, Sympson-Hetter with a
fallback) and a stopping rule. :class:`AdaptiveProcedure` puts the two together in one place:
``step`` decides, from a test's record so far, whether to stop (and why) or which item to give
next. Simulation studies (:func:`~.simulation.run_adaptive_test`), the Sympson-Hetter tuning
that simulates them, and live delivery all call ``step``; live delivery rebuilds the test
before each step with ``resume`` from what it stored (items, responses *and the items that lost
their exposure lottery*). The exposure parameters are therefore used live under exactly the
rules they were tuned under, and the two paths cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from extender.assessment.irt.models import FloatArray
from extender.assessment.irt.selection import AdaptiveSelector, AdaptiveTest
from extender.assessment.irt.stopping import StoppingRule, StopReason

__all__ = ["AdaptiveProcedure", "Decision"]


@dataclass(frozen=True)
class Decision:
    """Exactly one of: the item to give next, or why the test ends."""

    item: int | None
    stop: StopReason | None


class AdaptiveProcedure:
    """A selector and a stopping rule; share one instance across examinees."""

    def __init__(self, selector: AdaptiveSelector, stopping: StoppingRule) -> None:
        self.selector = selector
        self.stopping = stopping
        self._ratios: FloatArray | None = (
            stopping.sprt.ratio_table(selector.items) if stopping.sprt is not None else None
        )

    def log_ratio(self, test: AdaptiveTest) -> float:
        """The SPRT statistic of the responses so far (0 without an SPRT)."""
        if self._ratios is None or not test.administered:
            return 0.0
        rows = np.asarray(test.administered, dtype=np.int64)
        columns = np.asarray(test.responses, dtype=np.int64)
        return float(self._ratios[rows, columns].sum())

    def step(self, test: AdaptiveTest) -> Decision:
        """Stop by the stopping rule, else the next item; ``exhausted`` only when no item is
        eligible by the content and enemy rules (the lottery alone never ends a test)."""
        reason = self.stopping.reason(test.length, test.se, self.log_ratio(test))
        if reason is not None:
            return Decision(None, reason)
        item = self.selector.next_item(test)
        if item is None:
            return Decision(None, "exhausted")
        return Decision(item, None)

    def resume(
        self,
        administered: Sequence[int],
        responses: Sequence[int],
        rng: np.random.Generator | int | None = None,
        *,
        passed_over: Iterable[int] = (),
    ) -> AdaptiveTest:
        """Rebuild a test from its stored record; see :meth:`AdaptiveSelector.resume`."""
        return self.selector.resume(administered, responses, rng, passed_over=passed_over)
