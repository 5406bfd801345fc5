"""The environment of a dbt subprocess: where the warehouse and landing are, and the run's window. Light on
purpose (no Dagster import): the bench's dbt stage and the tests use it too."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pipelines import settings

# dbt as the pipeline runs it: dbt's own command line, ending without Python's teardown (dbt_launcher/fast_exit.py)
DBT_EXECUTABLE = str(Path(__file__).parent / "dbt_launcher" / "dbt")

# dbt's JSON artifacts (manifest.json, written twice per invocation, and run_results.json) are read by nothing a run
# does (the assets and checks come from the prepared manifest and dbt's event stream): not written, seconds saved.
NO_ARTIFACTS = "--no-write-json"


def window_environment(start: date | None = None, end: date | None = None,
                       full_table_tests: bool = False) -> dict[str, str]:
    """A run's window (inclusive days; None: all history) and the scope of its data tests, as the environment
    variables the dbt project reads while it executes (macros/windows.sql, run_setting). Not dbt vars: the vars are
    part of dbt's parse state, so a new window every run would re-parse the whole project every run."""
    return {"CITYBRAIN_WINDOW_START": start.isoformat() if start else "",
            "CITYBRAIN_WINDOW_END": end.isoformat() if end else "",
            "CITYBRAIN_FULL_TABLE_TESTS": "true" if full_table_tests else "false"}


def run_environment(window: Mapping[str, str] | None = None) -> dict[str, str]:
    """The dbt subprocess's own variables: absolute warehouse and landing locations (it runs in the dbt project
    folder) and the run's window (none: all history)."""
    return {**settings.dbt_environment(), **(window or window_environment())}
