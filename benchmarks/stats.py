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
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Spread:
    """The median of some samples and their interquartile range."""

    median: float
    low: float  # first quartile
    high: float  # third quartile
    count: int
    #: the samples, in the order of the rounds that took them
    samples: tuple[float, ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def of(cls, samples: list[float]) -> Spread:
        if len(samples) == 1:
            return cls(samples[0], samples[0], samples[0], 1, (samples[0],))
        low, _, high = statistics.quantiles(samples, n=4, method="inclusive")
        return cls(statistics.median(samples), low, high, len(samples), tuple(samples))

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


def paired_ratio(mine: Spread, other: Spread) -> Spread:
    """The spread of *mine* ÷ *other* round by round (both measured in each round).

    Two figures taken moments apart share what the machine's load did to
    both, so their ratio carries less of that noise than either figure.
    """
    if len(mine.samples) != len(other.samples) or not mine.samples:
        raise ValueError(f"paired samples needed: {len(mine.samples)} against {len(other.samples)}")
    return Spread.of([a / b for a, b in zip(mine.samples, other.samples, strict=True)])


def compare_paired(mine: Spread, other: Spread, *, lower_is_better: bool) -> tuple[str, Spread]:
    """``"better"``, ``"worse"`` or ``"alike"``, from the round-by-round ratio, and that ratio.

    *mine* differs from *other* only when the middle half of the per-round
    ratios lies entirely below 1 or entirely above it.
    """
    ratio = paired_ratio(mine, other)
    if ratio.high < 1:
        return ("better" if lower_is_better else "worse"), ratio
    if ratio.low > 1:
        return ("worse" if lower_is_better else "better"), ratio
    return "alike", ratio


def verdict_table(
    results: dict[str, dict[str, Spread]], rivals: list[str], *, lower_is_better: bool
) -> str:
    """asgiweb against each rival, per case: faster, slower or alike, with the paired ratio.

    *results* holds, per case and framework, samples taken round by round
    with every framework in each round.
    """
    words = {"better": "asgiweb faster", "worse": "asgiweb slower", "alike": "alike"}
    lines = ["| case | " + " | ".join(rivals) + " |", "|---|" + "---|" * len(rivals)]
    for case, per_fw in results.items():
        cells = []
        for rival in rivals:
            verdict, ratio = compare_paired(
                per_fw["asgiweb"], per_fw[rival], lower_is_better=lower_is_better
            )
            cells.append(
                f"{words[verdict]} ({ratio.median:.2f}×, {ratio.low:.2f}–{ratio.high:.2f})"
            )
        lines.append(f"| {case} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cpu_pair() -> tuple[list[str], list[str]]:
    """``taskset`` prefixes pinning a server and its load generator to separate cores.

    With fewer than two cores, or without ``taskset``, both run unpinned.
    """
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2 or shutil.which("taskset") is None:
        return [], []
    return ["taskset", "-c", str(cores[0])], ["taskset", "-c", str(cores[1])]
