"""How fast the machine is while the bench runs. A shared machine's speed drifts (bench11 measured a pure-Python loop
at 1.13 s, then 1.96 s within two hours), and every seconds figure moves with it; so the report gives, beside the
figures, probes taken before each scenario and at the end: a Python loop (what dbt's and Dagster's own work is
like) and a DuckDB hash aggregate on the pipeline's threads (what the models' SQL is like)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb

from pipelines import settings

PYTHON_STEPS = 10_000_000
DUCKDB_ROWS = 200_000_000


@dataclass(frozen=True)
class SpeedProbe:
    label: str
    clock: str
    python_seconds: float
    duckdb_seconds: float

    def describe(self) -> str:
        return f"{self.label} ({self.clock}): Python {self.python_seconds:.2f} s, DuckDB {self.duckdb_seconds:.2f} s"


def probe(label: str) -> SpeedProbe:
    started = time.perf_counter()
    total = 0
    for step in range(PYTHON_STEPS):
        total += step
    python_seconds = time.perf_counter() - started
    with duckdb.connect() as connection:
        connection.execute(f"set threads = {settings.duckdb_threads()}")
        started = time.perf_counter()
        connection.execute(f"select sum(hash(i)) from range({DUCKDB_ROWS}) as numbers(i)").fetchall()
        duckdb_seconds = time.perf_counter() - started
    return SpeedProbe(label, time.strftime("%H:%M:%S"), python_seconds, duckdb_seconds)
