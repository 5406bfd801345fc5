"""Operator errors from the CLI are one line (exit code 2); the traceback only at debug level."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipelines import settings
from pipelines.warehouse import warehouse_lock


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=settings.REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def env(workdirs, tmp_path) -> dict[str, str]:
    return {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home"), "CITYBRAIN_DEBUG": ""}


def _one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_an_unusable_warehouse_path_is_one_line(env, tmp_path):
    not_a_folder = tmp_path / "a_file"
    not_a_folder.write_text("")
    env["CITYBRAIN_WAREHOUSE"] = str(not_a_folder / "city.duckdb")
    line = _one_line(_cli("build", "--days", "1", env=env))
    assert line.startswith("error: cannot create the warehouse folder") and "CITYBRAIN_WAREHOUSE" in line


def test_the_traceback_comes_with_debug(env, tmp_path):
    not_a_folder = tmp_path / "a_file"
    not_a_folder.write_text("")
    env |= {"CITYBRAIN_WAREHOUSE": str(not_a_folder / "city.duckdb"), "CITYBRAIN_DEBUG": "1"}
    result = _cli("build", "--days", "1", env=env)
    assert result.returncode == 2 and "Traceback" in result.stderr


def test_a_held_warehouse_lock_is_one_line(env, workdirs):
    env["CITYBRAIN_LOCK_TIMEOUT_SECONDS"] = "1"
    with warehouse_lock(workdirs["warehouse"]):
        line = _one_line(_cli("build", "--days", "1", env=env))
    assert "stayed locked by another process for 1 s" in line and "city.duckdb.lock" in line


def test_a_missing_salt_is_one_line(env):
    env.pop("CITYBRAIN_PSEUDONYM_SALT")
    assert "CITYBRAIN_PSEUDONYM_SALT is not set" in _one_line(_cli("build", "--days", "1", env=env))


def test_a_day_that_has_not_ended_is_one_line(env):
    line = _one_line(_cli("build", "--start", "2026-01-01", "--end", "2999-01-01", env=env))
    assert "has not ended yet in Asia/Shanghai" in line


def test_summary_of_a_warehouse_not_built_yet_is_one_line(env):
    assert "has not been built yet" in _one_line(_cli("summary", env=env))


def test_without_dagster_home_the_repositorys_instance_folder_is_used(monkeypatch):
    from dagster import DagsterInstance

    from pipelines.preflight import ensure_dagster_home

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = ensure_dagster_home()
    assert home == settings.REPO_ROOT / ".dagster_home" and (home / "dagster.yaml").exists()
    assert os.environ["DAGSTER_HOME"] == str(home)
    with DagsterInstance.get() as instance:
        assert instance.root_directory == str(home)


def test_a_failed_step_is_one_line_naming_the_step_and_its_cause():
    from dagster import asset, materialize

    from pipelines.preflight import failure_lines

    @asset
    def landing_step():
        raise PermissionError("[Errno 13] Permission denied: '/srv/landing/x.parquet'")

    result = materialize([landing_step], raise_on_error=False)
    assert failure_lines("some_job", result) == [
        "some_job: step landing_step failed: PermissionError: [Errno 13] Permission denied: '/srv/landing/x.parquet'"]
