"""kill -9 during a build (at landing, in dbt, in the checks), then rerun: the marts are identical to those of an
uninterrupted build of the same deliveries, and the ledger counts every file once.

Each build is `python -m pipelines.cli --debug build` in its own process group; its Dagster event log (debug
console output) tells the phase. The whole group (the CLI and the dbt it started) is killed with SIGKILL.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from pathlib import Path


from pipelines.ingestion.contracts import load_contracts
from pipelines.warehouse import open_warehouse
from tests.reference_build import BUILD_TIMEOUT_SECONDS, deliver, start_build

# Markers in the Dagster event log: a landing step starting, dbt having built a model, a mart's GX check starting
# (after dbt).
AT_LANDING = ('STEP_START', 'step "landing__')
IN_DBT = ("governance_dbt", "ASSET_MATERIALIZATION")
IN_CHECKS = ("STEP_START", 'step "marts__', "_gx_")


def _build(root: Path, kill_at: tuple[str, ...] | None = None) -> tuple[int | None, bool]:
    """Run a build; with `kill_at`, SIGKILL its process group at the first log line holding every marker.
    Returns (exit code, killed)."""
    process = start_build(root, event_log=True)
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=lambda: [*map(lines.put, process.stderr), lines.put(None)], daemon=True)
    reader.start()
    deadline = time.monotonic() + BUILD_TIMEOUT_SECONDS
    try:
        while (line := _next_line(lines, deadline)) is not None:
            if kill_at and all(marker in line for marker in kill_at):
                os.killpg(process.pid, signal.SIGKILL)
                return process.wait(timeout=30), True
        return process.wait(timeout=max(deadline - time.monotonic(), 1)), False
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _next_line(lines: queue.Queue, deadline: float) -> str | None:
    try:
        return lines.get(timeout=max(deadline - time.monotonic(), 0.1))
    except queue.Empty:
        raise TimeoutError(f"no build output for {BUILD_TIMEOUT_SECONDS} s") from None


def _tables(database: Path, schema: str) -> list[str]:
    with open_warehouse(database, read_only=True) as connection:
        return [name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
            "order by 1", [schema]).fetchall()]


def _differences(reference: Path, rebuilt: Path, schema: str, table: str) -> int:
    """Rows in one table and not the other (both ways, as multisets), over every column."""
    with open_warehouse(reference, read_only=True) as connection:
        connection.execute(f"attach '{rebuilt}' as rebuilt (read_only)")
        columns = ", ".join(f'"{name}"' for (name,) in connection.execute(
            "select column_name from information_schema.columns where table_catalog = current_database() "
            "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall())
        a = f'select {columns} from {schema}."{table}"'
        b = f'select {columns} from rebuilt.{schema}."{table}"'
        return connection.execute(f"select (select count(*) from ({a} except all {b})) + "
                                  f"(select count(*) from ({b} except all {a}))").fetchone()[0]


def test_kill_9_at_landing_in_dbt_and_in_checks_then_rerun_gives_the_same_marts(tmp_path, reference_build):
    interrupted = tmp_path / "interrupted"
    deliver(interrupted)
    # the uninterrupted build is the session's reference build (tests/reference_build.py); when no other test has
    # made it yet, it runs beside the interrupted ones (separate warehouses): two cores, half the time
    with reference_build.building() as reference:
        for phase in (AT_LANDING, IN_DBT, IN_CHECKS):
            returncode, killed = _build(interrupted, kill_at=phase)
            assert killed and returncode == -signal.SIGKILL, f"the build ended before {phase}"
        assert _build(interrupted) == (0, False)

    marts = _tables(reference / "city.duckdb", "marts")
    assert marts and _tables(interrupted / "city.duckdb", "marts") == marts
    for table in marts:
        assert _differences(reference / "city.duckdb", interrupted / "city.duckdb", "marts", table) == 0, table
    ledger = ("select source, source_file, status, rows_read, rows_landed, rows_quarantined, delivered_at "
              "from ops.ingestion_ledger")
    with open_warehouse(reference / "city.duckdb", read_only=True) as connection:
        landed = connection.execute("select distinct source from ops.ingestion_ledger where rows_landed > 0")
        assert {source for (source,) in landed.fetchall()} == set(load_contracts()), \
            "every source (daily, weekly and monthly) lands in the scenario"
        connection.execute(f"attach '{interrupted / 'city.duckdb'}' as rebuilt (read_only)")
        rebuilt_ledger = ledger.replace("ops.", "rebuilt.ops.")
        assert connection.execute(f"select count(*) from ({ledger} except all {rebuilt_ledger})").fetchone()[0] == 0
        assert connection.execute(f"select count(*) from ({rebuilt_ledger} except all {ledger})").fetchone()[0] == 0
