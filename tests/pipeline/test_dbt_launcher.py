"""The pipeline's dbt executable (pipelines/dbt_launcher) is dbt's command line ending without Python's teardown:
it keeps dbt's exit code and output, closes the warehouse as a normal exit does (DuckDB checkpoints on close, so no
write-ahead log is left behind), and leaves nothing for multiprocessing's resource tracker to report."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pipelines import settings
from pipelines.dbt_environment import DBT_EXECUTABLE, run_environment

DBT_DIR = str(settings.DBT_PROJECT_DIR)


def run_dbt(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([DBT_EXECUTABLE, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_dbt_exit_codes_pass_through():
    env = {**os.environ, **run_environment()}
    version = run_dbt("--version", env=env)
    assert version.returncode == 0 and "Core" in version.stdout, version.stderr
    unknown = run_dbt("no-such-command", env=env)
    assert unknown.returncode == 2 and "no-such-command" in unknown.stderr


def test_a_run_leaves_the_warehouse_checkpointed_and_no_leaked_semaphore(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYBRAIN_WAREHOUSE", str(tmp_path / "city.duckdb"))
    seed = sorted(Path(DBT_DIR, "seeds").rglob("*.csv"))[0].stem
    built = run_dbt("seed", "--select", seed, "--project-dir", DBT_DIR, "--profiles-dir", DBT_DIR,
                    "--target-path", str(tmp_path / "dbt_target"), env={**os.environ, **run_environment()})
    assert built.returncode == 0, built.stdout[-2000:]
    assert "1 of 1 OK loaded seed" in built.stdout
    assert (tmp_path / "city.duckdb").exists() and not (tmp_path / "city.duckdb.wal").exists()
    assert "leaked" not in built.stderr, built.stderr


def test_without_its_interpreter_the_launcher_says_what_is_missing():
    env = {name: value for name, value in {**os.environ, **run_environment()}.items() if name != "CITYBRAIN_DBT_PYTHON"}
    missing = run_dbt("--version", env=env)
    assert missing.returncode != 0 and "CITYBRAIN_DBT_PYTHON" in missing.stderr
