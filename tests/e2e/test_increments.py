"""Increments equal a full rebuild: the governance models built day by day, as the daily governance runs build them
(one `dbt build` per day with that day's window and selection, the pipeline's own command and dbt environment; the
first day on the empty warehouse builds every model, as the pipeline's first run does), then corrected
deliveries re-landed and rebuilt day by day, hold exactly the rows a `--full-refresh` build of the same landed data
holds.

Scenario (every demo generator, small sizes): three days ending on a Sunday that is also a month's last day, so
daily, weekly and monthly partitions land. The days are built in order, one daily source delivering nothing on the
last (its models are left out of that run); then the middle day is delivered again with other records (out of
order: after the last day was built) and rebuilt; then the last day is delivered again, the late source's delivery
with it, without the re-export it held of an earlier record (that record must fall back to its earlier version)
and rebuilt.

Compared: every incremental model and every mart table of the dbt manifest (never a hand list), as multisets of
rows. Only run-time columns are left out: those whose name says dbt wrote them at build time (RUN_TIME_COLUMN; no
model has one today); the landing's load ids and timestamps come from the landed data, which both builds read, so
they are compared.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from demo.generate import GENERATORS, generate, scaled_sizes
from pipelines import settings
from pipelines.assets.dbt import (
    CITY_STANDARD,
    GOVERNANCE,
    GOVERNANCE_EXCLUDE,
    delivered_sources,
    governance_build_args,
    governance_selection,
)
from pipelines.dbt_environment import run_environment, window_environment
from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.landing import land_partitions, landed_partition_path
from pipelines.partitions import partition_ending_on
from pipelines.warehouse import open_warehouse, warehouse_connection

# Friday to Sunday, the Sunday a month's last day: a weekly and monthly partitions end on it (3 days: the fewest
# in which every generator injects a re-export, a record's later version delivered the next day).
START = date(2026, 5, 29)
DAYS = 3
SIZE_FRACTION = 0.05
# Columns dbt fills at build time (not from landed data): they differ between any two builds.
RUN_TIME_COLUMN = re.compile(r"(^|_)(built_at|dbt_updated_at|invocation_id|run_started_at)$")
# Data tests write no model rows (a failing one keeps its rows in a view of ops_test_failures): left out of these
# builds to keep the test small. The pipeline's end-to-end test runs them.
DATA_TESTS = "resource_type:test"
BEFORE = "increments"  # schema holding the day-by-day build's tables while the full rebuild runs


def dbt(root: Path, *args: str, window: dict[str, str] | None = None) -> None:
    """One dbt invocation as the pipeline's (a subprocess in its environment), with its own target and log folders
    that start from the partial parse the build prepared (as dagster-dbt's invocations do)."""
    target = root / "target"
    if not target.exists():
        target.mkdir()
        prepared = settings.DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
        if prepared.exists():
            shutil.copy(prepared, target / prepared.name)
    command = [str(Path(sys.executable).with_name("dbt")), *args,
               "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROJECT_DIR),
               "--target-path", str(target), "--log-path", str(root / "logs"), "--quiet"]
    completed = subprocess.run(command, env={**os.environ, **run_environment(window)}, capture_output=True,
                               text=True)
    assert completed.returncode == 0, f"dbt {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}"


def build_governance(root: Path, start: date | None, end: date | None, *, full_table_tests: bool = False,
                     full_refresh: bool = False, every_model: bool = False) -> str:
    """What the governance job runs for a window (pipelines/assets/dbt.py, governance_models): the models its
    delivered sources can change (governance_selection, window_models), or `every_model` (the first run, on an
    empty warehouse); its selection."""
    selection = GOVERNANCE
    if not (every_model or full_refresh or start is None or end is None):
        with warehouse_connection() as connection:
            delivered = delivered_sources(connection, load_contracts(), start, end)
        selection = governance_selection(load_contracts(), start, end, delivered)
    dbt(root, *governance_build_args(full_refresh), "--select", selection,
        "--exclude", f"{GOVERNANCE_EXCLUDE} {DATA_TESTS}", window=window_environment(start, end, full_table_tests))
    return selection


def land_day(day: date) -> None:
    """Land every source's partition whose period ends on `day`: what a governance run for `day` reads first."""
    with warehouse_connection() as connection:
        for contract in load_contracts().values():
            key = partition_ending_on(contract, day)
            if key:
                land_partitions(contract, [key], connection)


def withhold_a_daily_delivery(root: Path, day: date) -> str:
    """A daily source's delivery of `day` is late: moved out of the inbox (its landing reads no file), it lands with
    the day's redelivery (`reland`); the source."""
    contracts = load_contracts()
    late = sorted(source for source, contract in contracts.items() if contract.partition_type == "daily")[0]
    for path in sorted((root / "inbox" / late).glob("*")):
        if contracts[late].partition_key_of(path.name) == day.isoformat():
            path.rename(root / f"late_{path.name}")
    return late


def redeliver(inbox: Path, day: date, other: Path, seed: int) -> None:
    """The daily sources deliver `day` again with other records: one day generated alone (a one-day window has no
    re-exports) with another seed; the other sources' generators at their default sizes, which one day needs."""
    contracts = load_contracts()
    daily = {source for source, contract in contracts.items() if contract.partition_type == "daily"}
    sizes = {module.SOURCE: module.DEFAULT_SIZE for module in GENERATORS} | {
        source: size for source, size in scaled_sizes(SIZE_FRACTION).items() if source in daily}
    generate(other, day, 1, sizes, seed=seed)
    for source in sorted(daily):
        for folder in (inbox, other):
            for path in sorted((folder / source).glob("*")):
                if contracts[source].partition_key_of(path.name) == day.isoformat():
                    shutil.copy2(path, inbox / source / path.name) if folder == other else path.unlink()


def landed_versions(day: date) -> set[tuple]:
    """(source, record key, record hash) of what the daily sources landed for `day`."""
    versions = set()
    with duckdb.connect() as connection:
        for contract in load_contracts().values():
            path = landed_partition_path(contract, day.isoformat(), settings.landing_dir())
            if contract.partition_type == "daily" and path.exists():
                key = " || '|' || ".join(f'coalesce("{column}", \'\')' for column in contract.record_key)
                versions |= {(contract.source, *row) for row in connection.execute(
                    f"select {key}, _record_hash from read_parquet(?)", [str(path)]).fetchall()}
    return versions


def reland(root: Path, day: date, seed: int) -> tuple[set, set]:
    """Deliver and land `day` again with other records, then rebuild it as its governance run does; the landed
    versions of the day before and after."""
    before = landed_versions(day)
    redeliver(root / "inbox", day, root / f"other_{day}", seed)
    land_day(day)
    build_governance(root, day, day)
    return before, landed_versions(day)


def compared_tables() -> list[str]:
    """Every incremental model and every mart table of the manifest, as `schema.name`."""
    manifest = json.loads((settings.DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    return sorted(f"{node['schema']}.{node['name']}" for node in manifest["nodes"].values()
                  if node["resource_type"] == "model" and node["config"]["materialized"] != "view"
                  and (node["config"]["materialized"] == "incremental" or node["fqn"][1] == "marts"))


def compared_columns(connection, table: str) -> list[str]:
    schema, name = table.split(".")
    columns = connection.execute("select column_name from information_schema.columns where table_schema = ? "
                                 "and table_name = ? order by ordinal_position", [schema, name]).fetchall()
    return [column for (column,) in columns if not RUN_TIME_COLUMN.search(column)]


@pytest.fixture(scope="module")
def differences(tmp_path_factory) -> dict[str, tuple[int, int]]:
    """Per compared table, (rows only in the day-by-day build, rows only in the full rebuild), multisets."""
    root = tmp_path_factory.mktemp("increments")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CITYBRAIN_WAREHOUSE", str(root / "city.duckdb"))
        env.setenv("CITYBRAIN_INBOX", str(root / "inbox"))
        env.setenv("CITYBRAIN_LANDING", str(root / "landing"))
        env.setenv("CITYBRAIN_SERVING_DIR", str(root / "serving"))
        env.setenv("CITYBRAIN_PSEUDONYM_SALT", "increments-test")
        generate(root / "inbox", START, DAYS, scaled_sizes(SIZE_FRACTION), seed=5)
        dbt(root, "build", "--select", CITY_STANDARD, "--exclude", DATA_TESTS)
        middle, last = START + timedelta(days=1), START + timedelta(days=DAYS - 1)
        late = withhold_a_daily_delivery(root, last)
        for day in (START + timedelta(days=n) for n in range(DAYS)):
            land_day(day)
            selection = build_governance(root, day, day, every_model=day == START)
        assert f"source:{late}+" not in selection.split(), "a source that delivered nothing is left out"
        before, after = reland(root, middle, seed=6)
        assert before != after, "the re-landed day must change what is landed"
        earlier_keys = {version[:2] for day in (START, middle) for version in landed_versions(day)}
        before, after = reland(root, last, seed=7)
        # a record the last day held a later version of, and holds no more: its earlier version is its latest
        assert {version[:2] for version in before - after} & earlier_keys - {version[:2] for version in after}, \
            "the re-landed last day must drop a re-exported record that an earlier day holds"

        tables = compared_tables()
        with open_warehouse() as connection:
            connection.execute(f"create schema {BEFORE}")
            for table in tables:
                connection.execute(f"create table {BEFORE}.{table.replace('.', '__')} as select * from {table}")
        build_governance(root, None, None, full_table_tests=True, full_refresh=True)
        with open_warehouse(read_only=True) as connection:
            result = {}
            for table in tables:
                listed = ", ".join(f'"{column}"' for column in compared_columns(connection, table))
                before = f"(select {listed} from {BEFORE}.{table.replace('.', '__')})"
                after = f"(select {listed} from {table})"
                count = "select count(*) from ({} except all {})"
                result[table] = (connection.execute(count.format(before, after)).fetchone()[0],
                                 connection.execute(count.format(after, before)).fetchone()[0])
                result[table + " rows"] = connection.execute(f"select count(*) from {table}").fetchone()[0]
        return result


def test_the_demo_fills_the_compared_tables(differences):
    # an empty table compares equal to anything: most of them must hold rows
    counts = {table: rows for table, rows in differences.items() if table.endswith(" rows")}
    assert sum(1 for rows in counts.values() if rows) >= len(counts) * 3 // 4, counts


@pytest.mark.parametrize("table", compared_tables())
def test_the_day_by_day_build_equals_a_full_rebuild(differences, table):
    only_incremental, only_full = differences[table]
    assert (only_incremental, only_full) == (0, 0), \
        f"{table}: {only_incremental} rows only in the day-by-day build, {only_full} only in the full rebuild"
