"""Command line for operators: build everything for a date range and print what the warehouse now holds.

    python -m pipelines.cli build --start 2026-01-01 --end 2026-02-28
    python -m pipelines.cli build --days 7          (the 7 days ending yesterday, Asia/Shanghai)
    python -m pipelines.cli build --full-refresh --start 2026-02-28 --end 2026-02-28
    python -m pipelines.cli summary
    python -m pipelines.cli publications     (the published snapshots, newest first)
    python -m pipelines.cli rollback         (serve the snapshot before the current one again, with its cockpit)

Runs go through the Dagster instance in $DAGSTER_HOME (default: the repository's `.dagster_home`), so they show
up in the UI (`make dev`) afterwards. A problem is reported as one line (exit code 2); `--debug` or
CITYBRAIN_DEBUG=1 adds the traceback and the full run log.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from datetime import date, timezone

import dagster
from dagster import AssetKey, DagsterInstance, ExecuteInProcessResult, JobDefinition

# Dagster's notices about its own beta and preview APIs are for the developers, not the operator's terminal.
for _notice in (dagster.BetaWarning, dagster.PreviewWarning):
    warnings.filterwarnings("ignore", category=_notice)

from pipelines import settings
from pipelines.partitions import day_range
from pipelines.preflight import (
    OPERATOR_ERRORS,
    OperatorError,
    check_days,
    check_salt,
    check_writable_warehouse,
    ensure_dagster_home,
    failure_lines,
    one_line,
)
from pipelines.publish import SnapshotError, registry, rollback
from pipelines.publish.asset import PUBLICATION_KEY
from pipelines.warehouse import warehouse_connection

DEMO_SALT_PREFIX = "DEMO-"
MARTS_SCHEMA = "marts"


@dataclass
class BuildReport:
    runs: list[tuple[str, bool]] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)  # snapshot ids published by the runs
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, job_name: str, result: ExecuteInProcessResult) -> None:
        self.runs.append((job_name, result.success))
        self.failures += failure_lines(job_name, result)
        # a run over a range of days materializes each day's partition of the one snapshot it published
        self.published += dict.fromkeys(
            event.materialization.metadata["snapshot_id"].value
            for event in result.get_asset_materialization_events()
            if event.asset_key == PUBLICATION_KEY
        )
        for evaluation in result.get_asset_check_evaluations():
            if evaluation.passed:
                self.checks_passed += 1
            else:
                key = evaluation.asset_check_key
                partition = f" [{evaluation.partition}]" if evaluation.partition else ""
                self.checks_failed.append(
                    f"{key.asset_key.to_user_string()}:{key.name}{partition} ({evaluation.severity.value})"
                )

    @property
    def success(self) -> bool:
        return all(ok for _, ok in self.runs)


def _run(job_name: str, instance: DagsterInstance, partition_range: tuple[str, str] | None,
         ops_config: dict | None = None, *, debug: bool = False,
         asset_selection: list[AssetKey] | None = None) -> ExecuteInProcessResult:
    from pipelines.definitions import defs

    tags = {}
    if partition_range:
        tags = {"dagster/asset_partition_range_start": partition_range[0],
                "dagster/asset_partition_range_end": partition_range[1]}
    # the summary and one line per failed step are the output; the run log is in the UI (or here with --debug)
    run_config = {"loggers": {"console": {"config": {"log_level": "DEBUG" if debug else "CRITICAL"}}}}
    if ops_config:
        run_config["ops"] = ops_config
    return execute(defs.resolve_job_def(job_name), run_config, instance, tags, debug=debug,
                   asset_selection=asset_selection)


def execute(job: JobDefinition, run_config: dict, instance: DagsterInstance, tags: dict[str, str], *,
            debug: bool = False, asset_selection: list[AssetKey] | None = None) -> ExecuteInProcessResult:
    """Run a job in this process. What its steps print (dagster-dbt echoes every dbt log line) stays in the run's
    compute logs, shown in the UI: Dagster writes them to files and mirrors them onto stdout, here /dev/null."""
    with open(os.devnull, "w") if not debug else contextlib.nullcontext(sys.stdout) as out, \
            contextlib.redirect_stdout(out):
        return job.execute_in_process(run_config=run_config, instance=instance, tags=tags, raise_on_error=False,
                                      asset_selection=asset_selection)


def build(start: date, end: date, instance: DagsterInstance, debug: bool = False,
          full_refresh: bool = False) -> BuildReport:
    """Standard first, then each source's landing job over its complete partitions holding the days, then the
    governance job for the days. `full_refresh` rebuilds every incremental model from all landed partitions (after
    the standard changed)."""
    from pipelines.assets.dbt import governance_models
    from pipelines.automation import city_standard_job, daily_governance_job, governance_run_assets, landing_job_name
    from pipelines.ingestion.contracts import load_contracts
    from pipelines.partitions import governance_daily_partitions, partition_range, partitions_for

    daily = governance_daily_partitions()
    check_days(start, end, daily.get_first_partition_key(), daily.get_last_partition_key())
    report = BuildReport()
    report.add(city_standard_job.name, _run(city_standard_job.name, instance, None, debug=debug))
    for source, contract in load_contracts().items():
        partitions = partition_range(contract, start, end)
        last_wanted = contract.period_start(end).isoformat()
        last_complete = partitions_for(contract).get_last_partition_key()
        if contract.start_date <= end and (last_complete is None or last_wanted > last_complete):
            report.notes.append(f"{source}: the {contract.partition_type} period from {last_wanted} has not ended; "
                                "it lands once it has (its schedule or the inbox sensor)")
        if partitions is None:
            continue
        job_name = landing_job_name(source)
        report.add(job_name, _run(job_name, instance, partitions, debug=debug))
    if not report.success:
        report.notes.append("a landing run failed: the governance job did not run (fix it and build again)")
        return report
    days = (start.isoformat(), end.isoformat())
    # a build of a whole range is the full build: its dbt tests check whole tables, not just the window
    full_build = {governance_models.op.name: {"config": {"full_table_tests": True, "full_refresh": full_refresh}}}
    # what the days' landed sources can change, as the sensor's runs (pipelines/governance_runs.py)
    selection = None if full_refresh else governance_run_assets(instance, load_contracts(), start, end)
    report.add(daily_governance_job.name, _run(daily_governance_job.name, instance, days, full_build, debug=debug,
                                               asset_selection=selection))
    return report


def warehouse_summary() -> dict[str, list[tuple]]:
    if not settings.warehouse_path().exists():
        raise OperatorError(f"the warehouse {settings.warehouse_path()} has not been built yet; "
                            "run `make demo` or `python -m pipelines.cli build`")
    with warehouse_connection() as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = ? order by table_name",
            [MARTS_SCHEMA],
        ).fetchall()
        marts = [(name, connection.execute(f'select count(*) from {MARTS_SCHEMA}."{name}"').fetchone()[0])
                 for (name,) in tables]
        ledger = connection.execute("""
            select source, count(distinct partition_key), count(*), sum(rows_read), sum(rows_landed),
                   sum(rows_quarantined)
            from ops.ingestion_ledger group by source order by source
        """).fetchall()
        quarantine = connection.execute(
            "select source, reason, count(*) from ops.quarantine group by all order by source, reason"
        ).fetchall()
        current = [row for row in registry.publications(connection) if row["status"] == registry.CURRENT]
        unmatched = connection.execute(
            "select inbox_path, reason from ops.unmatched_deliveries order by inbox_path"
        ).fetchall() if _has_table(connection, "ops", "unmatched_deliveries") else []
    return {"marts": marts, "ledger": ledger, "quarantine": quarantine, "serving": current, "unmatched": unmatched}


def _has_table(connection, schema: str, table: str) -> bool:
    return connection.execute("select count(*) from information_schema.tables where table_schema = ? "
                              "and table_name = ?", [schema, table]).fetchone()[0] > 0


def print_summary(summary: dict[str, list[tuple]], report: BuildReport | None = None) -> None:
    print("\nMarts (rows):")
    for name, rows in summary["marts"]:
        print(f"  {MARTS_SCHEMA}.{name:<32} {rows:>10,}")
    print("\nIngestion ledger:  source / partitions / files / read / landed / quarantined")
    for source, partitions, files, read, landed, quarantined in summary["ledger"]:
        print(f"  {source:<18} {partitions:>5} {files:>6} {read:>10,} {landed:>10,} {quarantined:>8,}")
    print("\nQuarantined rows by reason:")
    for source, reason, rows in summary["quarantine"]:
        print(f"  {source:<18} {reason:<20} {rows:>8,}")
    if summary["unmatched"]:
        print(f"\nInbox files matching no contract (not landed; ops.unmatched_deliveries): {len(summary['unmatched'])}")
        for path, reason in summary["unmatched"][:10]:
            print(f"  {path}  ({reason})")
    if report:
        print(f"\nRuns: " + ", ".join(f"{name} {'ok' if ok else 'FAILED'}" for name, ok in report.runs))
        print(f"Checks: {report.checks_passed} passed, {len(report.checks_failed)} failed")
        for check, partitions in _partitions_by_check(report.checks_failed).items():
            where = "" if not partitions else f" [{partitions[0]}]" if len(partitions) == 1 else \
                f" in {len(partitions)} partitions [{min(partitions)} .. {max(partitions)}]"
            print(f"  failed: {check}{where}")
        for line in report.notes:
            print(f"Note: {line}")
        for line in report.failures:
            print(f"FAILED: {line}")
        if not report.published:
            print("Publication held: no snapshot was published by these runs (see the failed checks and runs).")
    print(f"\nWarehouse (the pipeline's own, private): {settings.warehouse_path()}")
    for current in summary["serving"]:
        print(f"Serving snapshot {current['snapshot_id']} (published {current['published_at']:%Y-%m-%d %H:%M:%S %Z}, "
              f"partitions {current['partitions']}): {settings.serving_path()}")
    if not summary["serving"]:
        print(f"Serving: nothing published yet ({settings.serving_path()})")
    print("Open the UI: make dev  (then http://127.0.0.1:3000)")


def _partitions_by_check(failed: list[str]) -> dict[str, list[str]]:
    """`asset:check [partition] (SEVERITY)` lines → `asset:check (SEVERITY)` → its failed partitions."""
    checks: dict[str, list[str]] = {}
    for line in failed:
        check, partition, severity = re.fullmatch(r"(.*?)(?: \[(.*)\])? (\(\w+\))", line).groups()
        checks.setdefault(f"{check} {severity}", []).extend([partition] if partition else [])
    return checks


def print_publications() -> None:
    with warehouse_connection() as connection:
        rows = registry.publications(connection)
    if not rows:
        print("Nothing published yet.")
    print(f"{'snapshot':<30} {'published (UTC)':<20} {'status':<12} {'partitions':<23} {'checks':>6} {'rows':>10}  run")
    for row in rows:
        manifest = json.loads(row["manifest"])
        rows_total = sum(table["rows"] for table in manifest["tables"].values())
        status = row["status"] + (" (file pruned)" if row["file_removed_at"] else "")
        print(f"{row['snapshot_id']:<30} {row['published_at'].astimezone(timezone.utc):%Y-%m-%d %H:%M:%S}  "
              f"{status:<12} {row['partitions'] or '':<23} {row['checks_passed']:>6} {rows_total:>10,}  {row['run_id']}")


def roll_back() -> int:
    try:
        with warehouse_connection() as connection:
            withdrawn, restored = rollback(connection)
    except SnapshotError as error:
        print(f"rollback: {error}", file=sys.stderr)
        return 1
    print(f"Rolled back: {settings.serving_path()} serves snapshot {restored} again; {withdrawn} is rolled_back.")
    # the cockpit shows the served snapshot: rebuilt here, as the daily job rebuilds it after a publication
    from pipelines.cockpit import build_cockpit

    print(f"Cockpit of snapshot {build_cockpit()['snapshot_id']}: {settings.cockpit_dir() / 'index.html'}")
    return 0


def _warn_if_demo_salt() -> None:
    check_salt()
    if os.environ["CITYBRAIN_PSEUDONYM_SALT"].startswith(DEMO_SALT_PREFIX):
        print("WARNING: using the public DEMO pseudonym salt. Pseudonyms are not protected; "
              "set CITYBRAIN_PSEUDONYM_SALT to a secret for real data.")


def _command(args: argparse.Namespace, debug: bool) -> int:
    if args.command == "summary":
        print_summary(warehouse_summary())
        return 0
    if args.command == "publications":
        print_publications()
        return 0
    if args.command == "rollback":
        return roll_back()
    _warn_if_demo_salt()
    check_writable_warehouse()
    ensure_dagster_home()
    try:
        start, end = day_range(args.start, args.end, args.days)
    except ValueError as error:
        raise OperatorError(str(error)) from None
    report = build(start, end, DagsterInstance.get(), debug, full_refresh=args.full_refresh)
    print_summary(warehouse_summary(), report)
    return 0 if report.success else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="print tracebacks and the full run log")
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="land and build every partition between two dates")
    build_parser.add_argument("--start", type=date.fromisoformat, help="first day (ISO date)")
    build_parser.add_argument("--end", type=date.fromisoformat, help="last day (ISO date), at most yesterday")
    build_parser.add_argument("--days", type=int, help="number of days, from --start or ending at --end "
                                                       "(default: yesterday)")
    build_parser.add_argument("--full-refresh", action="store_true",
                              help="rebuild every incremental model from all landed partitions (after a seed change)")
    commands.add_parser("summary", help="print what the warehouse holds")
    commands.add_parser("publications", help="list the published snapshots, newest first")
    commands.add_parser("rollback", help="serve the snapshot published before the current one again (and rebuild "
                                         "the cockpit for it)")
    args = parser.parse_args(argv)
    debug = args.debug or settings.debug_enabled()
    try:
        return _command(args, debug)
    except OPERATOR_ERRORS as error:
        if debug:
            traceback.print_exc()
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
