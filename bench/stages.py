"""Benchmark stages, each run in its own process by bench.run so that its time and peak memory are its own.

    python -m bench.stages generate --start 2026-01-01 --days 365 --hotline 1000000 --grid 300000 --mediation 20000
    python -m bench.stages land --start 2026-01-01 --end 2026-12-31
    python -m bench.stages dbt-build [--start D --end D]      (seeds + all models, or the models for a window)
    python -m bench.stages checks [--start D --end D]         (dbt tests + every GX suite)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from pipelines import settings
from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.landing import land_partitions
from pipelines.warehouse import warehouse_connection


def generate(start: date, days: int, hotline: int, grid: int, mediation: int, inbox: Path | None = None) -> None:
    from demo.generate import generate as generate_deliveries

    months = max(1, round(days / 30.4))
    sizes = {"hotline_12345": hotline // days, "grid_events": grid // days, "mediation_cases": mediation // months}
    generate_deliveries(inbox or settings.inbox_dir(), start, days, sizes, seed=20261127)


def partition_keys(partition_type: str, start: date, end: date) -> list[str]:
    if partition_type == "monthly":
        months = sorted({date(d.year, d.month, 1) for d in _days(start, end)})
        return [m.isoformat() for m in months]
    return [d.isoformat() for d in _days(start, end)]


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def land(start: date, end: date) -> None:
    with warehouse_connection() as connection:
        for contract in load_contracts().values():
            land_partitions(contract, partition_keys(contract.partition_type, start, end), connection)


def _dbt(*args: str) -> None:
    command = [str(Path(sys.executable).with_name("dbt")), *args, "--project-dir", str(settings.DBT_PROJECT_DIR),
               "--profiles-dir", str(settings.DBT_PROJECT_DIR), "--quiet"]
    subprocess.run(command, check=True, env={**os.environ, **settings.dbt_environment()})


def _window_args(start: date | None, end: date | None) -> list[str]:
    if start is None:
        return []
    return ["--vars", json.dumps({"window_start": start.isoformat(), "window_end": end.isoformat()})]


def dbt_build(start: date | None, end: date | None) -> None:
    """A full build loads the seeds first; a windowed (daily) run only runs the models, as the daily job does."""
    if start is None:
        _dbt("seed")
    _dbt("run", *_window_args(start, end))


def checks(start: date | None, end: date | None) -> None:
    from pipelines.quality.gx_runner import load_suites, run_suite

    _dbt("test", "--exclude", "test_type:unit")  # as the pipeline runs them; unit tests run in CI
    window = (start, end) if start else None
    with warehouse_connection() as connection:
        for name in load_suites():
            run_suite(connection, name, window)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=["generate", "land", "dbt-build", "checks"])
    parser.add_argument("--start", type=date.fromisoformat)
    parser.add_argument("--end", type=date.fromisoformat)
    parser.add_argument("--days", type=int)
    parser.add_argument("--hotline", type=int)
    parser.add_argument("--grid", type=int)
    parser.add_argument("--mediation", type=int)
    parser.add_argument("--inbox", type=Path)
    args = parser.parse_args(argv)
    if args.stage == "generate":
        generate(args.start, args.days, args.hotline, args.grid, args.mediation, args.inbox)
    elif args.stage == "land":
        land(args.start, args.end)
    elif args.stage == "dbt-build":
        dbt_build(args.start, args.end)
    else:
        checks(args.start, args.end)


if __name__ == "__main__":
    main()
