"""Benchmark stages, each run in its own process by bench.run so that its time and peak memory are its own.

    python -m bench.stages generate --start 2026-01-01 --days 365 --sizes '{"hotline_12345": 2739}' [--inbox DIR]
    python -m bench.stages land --start 2026-01-01 --end 2026-12-31 --sources hotline_12345,grid_events
    python -m bench.stages dbt --vars JSON [--select S] [--exclude S] [--report FILE]   (one `dbt build`; the vars
        window_start / window_end / full_table_tests go to dbt as the pipeline passes them: as environment variables)
    python -m bench.stages checks [--start D --end D]                      (every GX suite)
    python -m bench.stages prepare       (untimed: dbt's parse for the scenario's warehouse, as `make setup` does)
    python -m bench.stages compact [--report FILE]       (the weekly compaction job's work: pipelines/compaction.py)

Each stage imports what it runs and nothing else: its process's start-up counts in its time.

The dbt stage runs dbt as the pipeline does (no JSON artifacts) and writes the wall seconds dbt spent in data tests
to `--report` (their share of the nodes' time in dbt's structured log), so the checks' share of a build counts the
dbt tests as well as the GX suites.
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
from pipelines.dbt_environment import DBT_EXECUTABLE, NO_ARTIFACTS, run_environment, window_environment

# dbt's unit tests check logic, not data: the pipeline runs them in CI, not in a build (pipelines/assets/dbt.py)
BUILD_EXCLUDE = "test_type:unit"


def generate(start: date, days: int, sizes: dict[str, int], inbox: Path | None = None) -> None:
    from demo.generate import generate as generate_deliveries

    generate_deliveries(inbox or settings.inbox_dir(), start, days, sizes, seed=20261127)


def partition_keys(partition_type: str, start: date, end: date) -> list[str]:
    """The partition keys of a contract's partitioning that a date range touches."""
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    first_day = {"daily": lambda d: d, "weekly": lambda d: d - timedelta(days=d.weekday()),
                 "monthly": lambda d: d.replace(day=1)}[partition_type]
    return [key.isoformat() for key in dict.fromkeys(first_day(d) for d in days)]


def land(start: date, end: date, sources: list[str]) -> None:
    from pipelines.ingestion.contracts import load_contracts
    from pipelines.ingestion.landing import land_partitions
    from pipelines.warehouse import warehouse_connection

    contracts = load_contracts()
    with warehouse_connection() as connection:
        for source in sources:
            contract = contracts[source]
            land_partitions(contract, partition_keys(contract.partition_type, start, end), connection)


def dbt(dbt_vars: str, select: str | None, exclude: str, resource_types: list[str], report: Path | None) -> None:
    """One `dbt build`, run as the pipeline runs it (pipelines/assets/dbt.py): no JSON artifacts, dbt's structured
    log on stdout. The window and test scope given in `dbt_vars` reach dbt as the pipeline passes them, in its
    environment (pipelines/dbt_project.py, window_environment); any other var stays a dbt var."""
    other_vars = json.loads(dbt_vars)
    start, end = (other_vars.pop(name, None) for name in ("window_start", "window_end"))
    window = window_environment(date.fromisoformat(start) if start else None,
                                date.fromisoformat(end) if end else None,
                                bool(other_vars.pop("full_table_tests", False)))
    # the scenario warehouse's own target folder, as the pipeline's runs use it
    target = settings.dbt_target_dir()
    command = [DBT_EXECUTABLE, "build", NO_ARTIFACTS, "--log-format", "json",
               "--exclude", exclude, *(["--vars", json.dumps(other_vars)] if other_vars else []),
               "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROJECT_DIR),
               "--target-path", str(target), *(["--select", select] if select else []),
               *(option for kind in resource_types for option in ("--resource-type", kind))]
    # dbt's own log beside its target, as dagster-dbt places it for the pipeline's runs
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                               env={**os.environ, **run_environment(window), "DBT_LOG_PATH": str(target)})
    times = NodeTimes()
    for line in process.stdout:
        times.read(line)
    if process.wait() != 0:
        sys.exit(f"dbt build failed (exit code {process.returncode})")
    print(f"bench: dbt built {', '.join(f'{count} {kind}' for kind, count in sorted(times.nodes.items()))} in "
          f"{times.elapsed:.1f} s (nodes {times.node_seconds:.1f} s, tests {times.test_seconds:.1f} s)",
          file=sys.stderr, flush=True)
    if report:
        report.write_text(json.dumps({"test_seconds": times.test_share()}), encoding="utf-8")


class NodeTimes:
    """The nodes' execution times and the invocation's, from dbt's structured log (what run_results.json holds:
    a node's Log<Type>Result event); errors are passed on to stderr."""

    def __init__(self) -> None:
        self.node_seconds = self.test_seconds = self.elapsed = 0.0
        self.nodes: dict[str, int] = {}  # by resource type

    def read(self, line: str) -> None:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            print(line, end="", file=sys.stderr)
            return
        name, data = event["info"]["name"], event.get("data", {})
        if event["info"]["level"] == "error":
            print(event["info"]["msg"], file=sys.stderr)
        if name.startswith("Log") and name.endswith("Result") and "execution_time" in data:
            kind = data["node_info"].get("resource_type", "")
            self.nodes[kind] = self.nodes.get(kind, 0) + 1
            self.node_seconds += data["execution_time"]
            self.test_seconds += data["execution_time"] if kind == "test" else 0.0
        elif name == "FinishedRunningStats":
            self.elapsed = data["execution_time"]

    def test_share(self) -> float:
        """dbt runs nodes on several threads: the tests' share of the nodes' time, of the invocation's time."""
        return self.elapsed * self.test_seconds / (self.node_seconds or 1.0)


def checks(start: date | None, end: date | None) -> None:
    from pipelines.quality.gx_runner import run_suite
    from pipelines.quality.suites import load_suites
    from pipelines.warehouse import warehouse_connection

    window = (start, end) if start else None
    with warehouse_connection() as connection:
        for name in load_suites():
            run_suite(connection, name, window)


def compact(report: Path | None) -> None:
    """The weekly warehouse_compaction_job's work; its row groups and sizes before and after go to `--report`."""
    from dataclasses import asdict

    from pipelines.compaction import compact as compact_warehouse
    from pipelines.warehouse import warehouse_connection

    database = settings.warehouse_path()
    with warehouse_connection(database) as connection:
        result = compact_warehouse(connection, database)
    print(f"bench: {result.describe()}", file=sys.stderr, flush=True)
    if report:
        report.write_text(json.dumps(asdict(result)), encoding="utf-8")


def prepare() -> None:
    """What `make setup` does for a deployment configured with this warehouse: the partial parse its runs start
    from, in the folder they use. Without it a scenario's first build would pay a whole parse no run pays."""
    from pipelines.dbt_project import prepare as prepare_parse

    prepare_parse(settings.dbt_target_dir())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=["generate", "land", "dbt", "checks", "compact", "prepare"])
    parser.add_argument("--start", type=date.fromisoformat)
    parser.add_argument("--end", type=date.fromisoformat)
    parser.add_argument("--days", type=int)
    parser.add_argument("--sizes", type=json.loads)
    parser.add_argument("--sources", type=lambda text: [source for source in text.split(",") if source])
    parser.add_argument("--inbox", type=Path)
    parser.add_argument("--vars", default="{}")
    parser.add_argument("--select")
    parser.add_argument("--exclude", default=BUILD_EXCLUDE)
    parser.add_argument("--resource-type", action="append", default=[])
    parser.add_argument("--report", type=Path)
    args = parser.parse_args(argv)
    if args.stage == "generate":
        generate(args.start, args.days, args.sizes, args.inbox)
    elif args.stage == "land":
        land(args.start, args.end, args.sources)
    elif args.stage == "dbt":
        dbt(args.vars, args.select, args.exclude, args.resource_type, args.report)
    elif args.stage == "checks":
        checks(args.start, args.end)
    elif args.stage == "compact":
        compact(args.report)
    else:
        prepare()


if __name__ == "__main__":
    main()
