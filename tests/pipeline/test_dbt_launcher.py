"""The pipeline's dbt executable (pipelines/dbt_launcher) is dbt's command line ending without Python's teardown:
it keeps dbt's exit code and output, closes the warehouse as a normal exit does (DuckDB checkpoints on close, so no
write-ahead log is left behind), and leaves nothing for multiprocessing's resource tracker to report. It keeps
Jinja's generated code and the JSON schemas of dbt's settings for the next process (jinja_code_cache.py,
json_schema_cache.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines import settings
from pipelines.dbt_environment import DBT_EXECUTABLE, run_environment

sys.path.insert(0, str(Path(__file__).parents[2] / "pipelines" / "dbt_launcher"))  # as the launcher imports them
from jinja_code_cache import CACHE_DIR_VARIABLE, ENTRY_SUFFIX  # noqa: E402
from json_schema_cache import SCHEMA_FOLDER  # noqa: E402

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


def test_the_next_process_compiles_from_the_code_the_first_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYBRAIN_WAREHOUSE", str(tmp_path / "city.duckdb"))
    env = {**os.environ, **run_environment()}
    cache = Path(env[CACHE_DIR_VARIABLE])
    assert cache.is_relative_to(tmp_path / "dbt_target")  # the warehouse's own target folder
    model = sorted(Path(DBT_DIR, "models").rglob("*.sql"))[0]
    compiled, kept = [], []
    for _ in range(2):
        run = run_dbt("compile", "--select", model.stem, "--project-dir", DBT_DIR, "--profiles-dir", DBT_DIR,
                      "--target-path", str(tmp_path / "dbt_target"), env=env)
        assert run.returncode == 0, run.stdout[-2000:]
        compiled.append(next((tmp_path / "dbt_target" / "compiled").rglob(model.name)).read_text())
        kept.append({entry.name: entry.stat().st_mtime_ns
                     for entry in [*cache.glob(f"*{ENTRY_SUFFIX}"), *(cache / SCHEMA_FOLDER).glob("*.json")]})
    assert len(kept[0]) > 100  # the parse and the model's compile
    assert len(list((cache / SCHEMA_FOLDER).glob("*.json"))) >= 3  # project, profile credentials, flags
    assert kept[1] == kept[0]  # the second process found every template's code and schema, none written again
    assert compiled[1] == compiled[0]


def test_the_lines_a_level_asks_for_still_come(tmp_path, monkeypatch):
    # the launcher's loggers skip what their level drops (log_level_first.py): at debug, the SQL still comes
    monkeypatch.setenv("CITYBRAIN_WAREHOUSE", str(tmp_path / "city.duckdb"))
    seed = sorted(Path(DBT_DIR, "seeds").rglob("*.csv"))[0].stem
    env = {**os.environ, **run_environment()}
    lines = {}
    for level in ("info", "debug"):
        run = run_dbt("--log-level", level, "seed", "--select", seed, "--project-dir", DBT_DIR, "--profiles-dir",
                      DBT_DIR, "--target-path", str(tmp_path / "dbt_target"), env=env)
        assert run.returncode == 0, run.stdout[-2000:]
        lines[level] = run.stdout
    assert "1 of 1 OK loaded seed" in lines["info"] and "1 of 1 OK loaded seed" in lines["debug"]
    assert "create table" not in lines["info"].lower() and "create table" in lines["debug"].lower()
