"""A small timing harness: the app's figure next to a reference floor, same run.

The machine is shared and noisy, so each pair is run alternately (A B A B ...), the
median of each is reported, and the ratio is the median of the pairwise ratios.
"""

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    """Medians of the app and the reference, in seconds, and their ratio."""

    name: str
    app_label: str
    reference_label: str
    app_median: float
    reference_median: float
    ratio: float
    target: str

    def line(self) -> str:
        return (
            f"{self.name}: app {self.app_median * 1000:.1f} ms ({self.app_label}) | "
            f"reference {self.reference_median * 1000:.1f} ms ({self.reference_label}) | "
            f"ratio {self.ratio:.2f}x (target {self.target})"
        )


def timed(fn: Callable[[], object]) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_process(argv: Sequence[str]) -> Callable[[], object]:
    """A callable that runs ``argv`` to completion, output discarded."""

    def run() -> object:
        return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              check=True)

    return run


def compare(
    name: str,
    app: tuple[str, Callable[[], object]],
    reference: tuple[str, Callable[[], object]],
    target: str,
    runs: int = 5,
    warmup: int = 1,
) -> Comparison:
    """Time ``app`` against ``reference`` alternately; print and return the result."""
    for _ in range(warmup):
        app[1]()
        reference[1]()
    app_times, ref_times = [], []
    for _ in range(runs):
        app_times.append(timed(app[1]))
        ref_times.append(timed(reference[1]))
    ratio = statistics.median(a / r for a, r in zip(app_times, ref_times, strict=True))
    result = Comparison(
        name, app[0], reference[0], statistics.median(app_times),
        statistics.median(ref_times), ratio, target,
    )
    print(result.line(), flush=True)
    return result


def recorded(fn: Callable[[], object], times: list[float]) -> Callable[[], object]:
    """``fn``, appending each call's duration to ``times`` (for percentiles)."""

    def run() -> object:
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        return result

    return run


def percentiles(times: list[float]) -> tuple[float, float]:
    """(p50, p95) of ``times``."""
    cuts = statistics.quantiles(times, n=20, method="inclusive")
    return statistics.median(times), cuts[18]


def p50_p95(times: list[float]) -> str:
    """"p50 1.23 ms, p95 2.34 ms"."""
    p50, p95 = percentiles(times)
    return f"p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"
