"""Helpers shared by the `bench_*` commands: a guarded database and timing figures."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.management.base import CommandError
from django.db import connection


def require_bench_database() -> None:
    """Refuse to run unless on PostgreSQL in a database named for benchmarks (data is replaced)."""
    name = connection.settings_dict["NAME"] or ""
    if connection.vendor != "postgresql" or "bench" not in name:
        raise CommandError(
            "Benchmarks replace the data of their database: run them on PostgreSQL in a "
            "database whose name contains 'bench' (make bench does), "
            f"not {connection.vendor}:{name}."
        )


@dataclass(frozen=True)
class Timing:
    label: str
    samples_ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def line(self, target_ms: float | None = None) -> str:
        verdict = ""
        if target_ms is not None:
            verdict = (
                f"  target p95 < {target_ms:.0f} ms: {'met' if self.p95 < target_ms else 'MISSED'}"
            )
        return (
            f"{self.label:<40} n={len(self.samples_ms):<4} median {self.median:8.1f} ms"
            f"  p95 {self.p95:8.1f} ms{verdict}"
        )


def time_calls(label: str, call: Callable[[], object], *, runs: int, warmup: int = 3) -> Timing:
    """Wall-clock milliseconds of `runs` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return Timing(label, samples)
