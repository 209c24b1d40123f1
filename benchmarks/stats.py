"""Medians with their spread, and the rule for calling one figure larger than another.

Every benchmark here takes several samples per figure (rounds, interleaved
across frameworks) and reports the median with the interquartile range (the
middle half of the samples). Two figures differ only when their IQRs do not
overlap; otherwise the report says they are alike. The machine these run on
may be shared and noisy, so that rule matters more than the medians.
"""

from __future__ import annotations

import os
import shutil
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """The median of some samples and their interquartile range."""

    median: float
    low: float  # first quartile
    high: float  # third quartile
    count: int

    @classmethod
    def of(cls, samples: list[float]) -> Spread:
        if len(samples) == 1:
            return cls(samples[0], samples[0], samples[0], 1)
        low, _, high = statistics.quantiles(samples, n=4, method="inclusive")
        return cls(statistics.median(samples), low, high, len(samples))

    def above(self, other: Spread) -> bool:
        """Whether this figure is larger than *other* beyond both spreads."""
        return self.low > other.high

    def below(self, other: Spread) -> bool:
        """Whether this figure is smaller than *other* beyond both spreads."""
        return self.high < other.low

    def ratio(self, base: Spread) -> float:
        return self.median / base.median

    def to_json(self) -> dict[str, float]:
        return {"median": self.median, "q1": self.low, "q3": self.high, "n": self.count}


def compare(mine: Spread, other: Spread, *, lower_is_better: bool) -> str:
    """``"better"``, ``"worse"`` or ``"alike"`` (IQRs overlap) for *mine* against *other*."""
    if mine.below(other):
        return "better" if lower_is_better else "worse"
    if mine.above(other):
        return "worse" if lower_is_better else "better"
    return "alike"


def cpu_pair() -> tuple[list[str], list[str]]:
    """``taskset`` prefixes pinning a server and its load generator to separate cores.

    With fewer than two cores, or without ``taskset``, both run unpinned.
    """
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2 or shutil.which("taskset") is None:
        return [], []
    return ["taskset", "-c", str(cores[0])], ["taskset", "-c", str(cores[1])]
