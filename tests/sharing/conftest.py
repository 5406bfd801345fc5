"""A small real build (the daily job publishes the snapshot and writes the exports: the session's reference build,
copied), and the sharing service running on it as a real uvicorn process on 127.0.0.1 (a free port). Every path
(warehouse, serving, exports, audit log) is in a temporary folder."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import requests

from pipelines import settings
from pipelines.sharing.catalog import load_sharing_config
from tests import reference_build as reference


@pytest.fixture(scope="session")
def sharing_env(tmp_path_factory) -> dict[str, str]:
    return reference.environment(tmp_path_factory.mktemp("sharing"))


@pytest.fixture(scope="session")
def published(sharing_env, reference_build) -> dict:
    """Generated deliveries for a few days, built by the real jobs, then published as the serving snapshot: a copy
    of the session's reference build (tests/reference_build.py), which these tests change."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in sharing_env.items():
            env.setenv(name, value)
        shutil.copytree(reference_build.folder(), settings.warehouse_path().parent, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(reference.DAGSTER_HOME, reference.BUILT))
        assert settings.serving_path().exists(), "the daily job should have published a snapshot"
        yield {"serving": settings.serving_path(), "landing": settings.landing_dir()}


@pytest.fixture(scope="session")
def sharing_config():
    return load_sharing_config()


@pytest.fixture(scope="session")
def service(sharing_env, published) -> str:
    """The service as `make serve` starts it, on a free port of 127.0.0.1; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_path = Path(sharing_env["CITYBRAIN_WAREHOUSE"]).with_name("service.log")
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.sharing.app", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **sharing_env, "PYTHONUNBUFFERED": "1"}, cwd=settings.REPO_ROOT, stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the sharing service did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()
    assert "Traceback" not in log_path.read_text(), log_path.read_text()


def snapshot_query(path: Path, sql: str, params=None):
    with duckdb.connect(str(path), read_only=True) as connection:
        connection.execute(f"set TimeZone = '{settings.TIMEZONE}'")
        return connection.sql(sql, params=params).to_arrow_table()
