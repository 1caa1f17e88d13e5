"""Benchmark helpers: time a callable repeatedly and compare with a baseline measured in the same run.

Machines are noisy: benchmarks print ratios against a baseline timed in the same process, never
absolute thresholds in tests. Each ``bench/bench_*.py`` module exposes ``run(report)``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Timing:
    label: str
    samples: list[float] = field(default_factory=list)  # seconds

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def best(self) -> float:
        return min(self.samples)


def measure(
    label: str, fn: Callable[[], object], repeat: int = 5, setup: Callable[[], object] | None = None
) -> Timing:
    timing = Timing(label)
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        timing.samples.append(time.perf_counter() - start)
    return timing


class Report:
    """Collects lines and target checks; ``python -m bench`` prints them and exits non-zero on a miss."""

    def __init__(self, title: str):
        self.title = title
        self.lines: list[str] = []
        self.misses: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text)
        print(f"  {text}", flush=True)

    def ratio(self, label: str, measured: float, baseline: float, target: float | None = None) -> float:
        ratio = measured / baseline if baseline else float("inf")
        verdict = ""
        if target is not None:
            ok = ratio <= target
            verdict = f"  target ≤ {target:g}× {'OK' if ok else 'MISSED'}"
            if not ok:
                self.misses.append(f"{self.title}: {label} {ratio:.2f}× > {target:g}×")
        self.line(
            f"{label}: {measured * 1000:.1f} ms vs baseline {baseline * 1000:.1f} ms = {ratio:.2f}×{verdict}"
        )
        return ratio

    def absolute(self, label: str, measured: float, target: float | None = None) -> None:
        verdict = ""
        if target is not None:
            ok = measured <= target
            verdict = f"  target ≤ {target * 1000:g} ms {'OK' if ok else 'MISSED'}"
            if not ok:
                self.misses.append(f"{self.title}: {label} {measured * 1000:.1f} ms > {target * 1000:g} ms")
        self.line(f"{label}: {measured * 1000:.2f} ms{verdict}")
