"""What an operator command checks before it starts, and how it reports what went wrong: one line per problem,
saying what to do; the traceback only with `--debug` or CITYBRAIN_DEBUG=1."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
from dagster import DagsterEvent, ExecuteInProcessResult

from pipelines import settings
from pipelines.ingestion.contracts import ContractError
from pipelines.warehouse import WarehouseBusyError, warehouse_lock


class OperatorError(RuntimeError):
    """A problem the operator fixes (configuration, permissions, arguments): printed as one line."""


def ensure_dagster_home() -> Path:
    """Use $DAGSTER_HOME, or the repository's `.dagster_home` with deploy/dagster.yaml, as `make` does."""
    home = settings.dagster_home()
    try:
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "dagster.yaml").exists():
            shutil.copyfile(settings.DAGSTER_INSTANCE_TEMPLATE, home / "dagster.yaml")
    except OSError as error:
        raise OperatorError(f"cannot prepare the Dagster instance folder {home} ({error.strerror}); "
                            "set DAGSTER_HOME to a writable folder") from error
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def _writable_folder(folder: Path, what: str, variable: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OperatorError(f"cannot create the {what} folder {folder} ({error.strerror}); "
                            f"set {variable} to a writable location") from error
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OperatorError(f"the {what} folder {folder} is not writable; set {variable} to a writable location")


def check_writable_warehouse() -> None:
    """The warehouse file, its lock and the landing folder can be written, and no other process holds the lock
    longer than CITYBRAIN_LOCK_TIMEOUT_SECONDS."""
    warehouse = settings.warehouse_path()
    _writable_folder(warehouse.parent, "warehouse", "CITYBRAIN_WAREHOUSE")
    if warehouse.exists() and not os.access(warehouse, os.W_OK):
        raise OperatorError(f"the warehouse {warehouse} is read-only; make it writable or set CITYBRAIN_WAREHOUSE")
    _writable_folder(settings.landing_dir(), "landing", "CITYBRAIN_LANDING")
    with warehouse_lock(warehouse):
        pass


def check_salt() -> None:
    if not os.environ.get("CITYBRAIN_PSEUDONYM_SALT"):
        raise OperatorError("CITYBRAIN_PSEUDONYM_SALT is not set: pseudonyms need a secret salt "
                            "(see README, 'Secrets')")


def check_days(start: date, end: date, first: str, last: str | None) -> None:
    """The range is within the governance partitions: from the governance start date to yesterday (Asia/Shanghai)."""
    if start > end:
        raise OperatorError(f"--start {start} is after --end {end}")
    if start.isoformat() < first:
        raise OperatorError(f"--start {start} is before the first partition {first} (the governance start date, "
                            "CITYBRAIN_GOVERNANCE_START)")
    if last is None or end.isoformat() > last:
        raise OperatorError(f"--end {end} has not ended yet in {settings.TIMEZONE}; "
                            f"the latest complete day is {last}")


def _innermost(error):
    """The root cause of a step's serialized error (Dagster wraps the user code's error)."""
    while error.cause is not None:
        error = error.cause
    return error


def failure_lines(job_name: str, result: ExecuteInProcessResult) -> list[str]:
    """One line per failed step of a run: the step and the error that caused it (first line of its message)."""
    lines = []
    for event in result.all_events:
        if not isinstance(event, DagsterEvent) or not event.is_step_failure:
            continue
        error = _innermost(event.step_failure_data.error)
        message = (error.message.strip().splitlines() or [""])[0]
        if error.cls_name and not message.startswith(error.cls_name):
            message = f"{error.cls_name}: {message}"
        lines.append(f"{job_name}: step {event.step_key} failed: {message}")
    return lines


# Configuration, permissions, a busy or unusable warehouse file: what an operator can fix.
OPERATOR_ERRORS = (OperatorError, WarehouseBusyError, ContractError, OSError, duckdb.IOException)


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if isinstance(error, (OperatorError, WarehouseBusyError, ContractError)) else f"{type(error).__name__}: {text}"
