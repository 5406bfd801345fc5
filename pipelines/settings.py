"""Where things live. Every path and secret the pipelines use is read here, from the environment."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CONTRACTS_DIR = REPO_ROOT / "contracts"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
TIMEZONE = "Asia/Shanghai"


def _path_from_env(variable: str, default: str) -> Path:
    path = Path(os.environ.get(variable, default))
    return path if path.is_absolute() else REPO_ROOT / path


def warehouse_path() -> Path:
    return _path_from_env("CITYBRAIN_WAREHOUSE", "warehouse/city.duckdb")


def dbt_target_dir() -> Path:
    """The dbt target folder of the warehouse's runs, kept from run to run: dbt's partial parse is keyed on the
    profile (the warehouse path among it), so each warehouse keeps its own and only its first run parses fully."""
    return warehouse_path().parent / "dbt_target"


def inbox_dir() -> Path:
    return _path_from_env("CITYBRAIN_INBOX", "warehouse/inbox")


def landing_dir() -> Path:
    return _path_from_env("CITYBRAIN_LANDING", "warehouse/landing")


def dbt_environment() -> dict[str, str]:
    """Absolute locations for the dbt subprocess, so it finds the same warehouse whatever its working directory."""
    return {
        "CITYBRAIN_WAREHOUSE": str(warehouse_path()),
        "CITYBRAIN_LANDING": str(landing_dir()),
        # the profile's plugin that sets the pseudonym salt as a DuckDB variable (never as SQL text)
        "CITYBRAIN_DBT_PLUGINS": str(DBT_PROJECT_DIR / "plugins"),
        **duckdb_environment(),
        # the interpreter of the pipeline's dbt executable (pipelines/dbt_launcher/dbt): this one, which has dbt
        "CITYBRAIN_DBT_PYTHON": sys.executable,
        # its cache of Jinja's generated code (dbt_launcher/jinja_code_cache.py), beside dbt's parse state
        "CITYBRAIN_JINJA_CODE_CACHE": str(dbt_target_dir() / "jinja_code"),
    }


# --- serving (publish): the published snapshots BI tools and the sharing service read -----------------------


def serving_dir() -> Path:
    return _path_from_env("CITYBRAIN_SERVING_DIR", "warehouse/serving")


def serving_path() -> Path:
    """The serving entry point: always the current published snapshot (switched atomically)."""
    return serving_dir() / "city.duckdb"


def snapshots_dir() -> Path:
    return serving_dir() / "snapshots"


def serving_keep() -> int:
    """How many published snapshots stay on disk (the current one always does)."""
    keep = int(os.environ.get("CITYBRAIN_SERVING_KEEP", "5"))
    if keep < 2:
        raise ValueError(f"CITYBRAIN_SERVING_KEEP={keep}: keep at least 2 snapshots, so a rollback has one to go to.")
    return keep


# --- sharing (issue 5) ---
SHARING_CONFIG_DIR = REPO_ROOT / "sharing"


def exports_dir() -> Path:
    return _path_from_env("CITYBRAIN_EXPORTS_DIR", "warehouse/exports")


def audit_log_path() -> Path:
    return _path_from_env("CITYBRAIN_AUDIT_LOG", "warehouse/audit/sharing_audit.jsonl")


def sharing_config_dir() -> Path:
    """The sharing catalog and the departments' token hashes (`catalog.yaml`, `departments.yaml`)."""
    return _path_from_env("CITYBRAIN_SHARING_CONFIG", str(SHARING_CONFIG_DIR))


# --- operations (timeops) ---

def dagster_home() -> Path:
    """Dagster's instance folder: $DAGSTER_HOME, or the repository's `.dagster_home` (as `make` sets it)."""
    return _path_from_env("DAGSTER_HOME", ".dagster_home")


DAGSTER_INSTANCE_TEMPLATE = REPO_ROOT / "deploy" / "dagster.yaml"


def lock_timeout_seconds() -> float:
    """How long a writer waits for the warehouse lock before giving up (CITYBRAIN_LOCK_TIMEOUT_SECONDS)."""
    return float(os.environ.get("CITYBRAIN_LOCK_TIMEOUT_SECONDS", "3600"))


def debug_enabled() -> bool:
    """CITYBRAIN_DEBUG=1: operator commands print tracebacks and the full run log."""
    return os.environ.get("CITYBRAIN_DEBUG", "") not in ("", "0")


# --- partitions (parts) ---

# The governance models' first day when CITYBRAIN_GOVERNANCE_START is not set: the demo city's go-live.
DEFAULT_GOVERNANCE_START = "2026-01-01"


def governance_start_date() -> date:
    """The first day the governance models (dbt, checks, publication, exports) have a partition for
    (CITYBRAIN_GOVERNANCE_START, ISO date): a city setting, not derived from the contracts, so onboarding a source
    with older history never moves it. A source's own landing partitions start at its contract's start_date."""
    text = os.environ.get("CITYBRAIN_GOVERNANCE_START", "") or DEFAULT_GOVERNANCE_START
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"CITYBRAIN_GOVERNANCE_START={text!r}: give an ISO date YYYY-MM-DD") from None


# --- engine resources (perf, issue 9) ---
# DuckDB spills to disk past its memory limit instead of growing; the dbt profile and every warehouse connection
# take both values from here (dbt through the environment of dbt_environment()).

def duckdb_memory_limit() -> str:
    """CITYBRAIN_DUCKDB_MEMORY_LIMIT, a DuckDB size such as `1.2GB`: what one DuckDB process may hold in memory."""
    return os.environ.get("CITYBRAIN_DUCKDB_MEMORY_LIMIT", "1.2GB")


def duckdb_threads() -> int:
    """CITYBRAIN_DUCKDB_THREADS: DuckDB's worker threads (default: one per core)."""
    return int(os.environ.get("CITYBRAIN_DUCKDB_THREADS", str(os.cpu_count() or 1)))


def duckdb_max_vacuum_tasks() -> int:
    """CITYBRAIN_DUCKDB_MAX_VACUUM_TASKS: how many row-group merges (vacuum tasks) DuckDB's checkpoint may run per
    table when a connection closes. Default 0: a run's checkpoint only writes its changes; merging the row groups
    that deletes and small appends leave is the weekly compaction's work (pipelines/compaction.py)."""
    return int(os.environ.get("CITYBRAIN_DUCKDB_MAX_VACUUM_TASKS", "0"))


def duckdb_config() -> dict[str, str | int]:
    """The configuration of every DuckDB database the pipeline opens on the warehouse (pipelines/warehouse.py):
    resources, and no vacuum at close."""
    return {"memory_limit": duckdb_memory_limit(), "threads": duckdb_threads(),
            "max_vacuum_tasks": duckdb_max_vacuum_tasks()}


def duckdb_environment() -> dict[str, str]:
    """duckdb_config() and the city's time zone as the variables dbt's profile reads (dbt_project/profiles.yml:
    `config_options`, the TimeZone setting) and the models' SQL (macro city_timezone): dbt opens the warehouse with
    the configuration of every other connection, in its process or in a test's."""
    return {**{f"CITYBRAIN_DUCKDB_{option.upper()}": str(value) for option, value in duckdb_config().items()},
            "CITYBRAIN_TIMEZONE": TIMEZONE}


# --- cockpit (issue 8): the static HTML cockpit rebuilt from each published snapshot ---


def cockpit_dir() -> Path:
    """Where the cockpit's static site is written (index.html, vendored JS, dbt docs, checks): for readers."""
    return _path_from_env("CITYBRAIN_COCKPIT_DIR", str(serving_dir() / "cockpit"))
