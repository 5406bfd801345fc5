"""One small real build read by several test files (the sharing tests serve and export it; the kill -9 test
compares its rerun with it): generated deliveries built by `python -m pipelines.cli build`, made once per test
session. Under xdist the workers share it: it is made in the folder their temporary folders share, under a file
lock, by the first worker that asks. Readers that write (a publication, exports, the audit log) work on a copy.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from filelock import FileLock

from demo.generate import generate, scaled_sizes
from pipelines import settings

START = date(2026, 4, 1)  # a month's first day: the monthly and weekly sources land too
DAYS = 3
END = START + timedelta(days=DAYS - 1)
SCALE, SEED, SALT = 0.3, 5, "reference-build-salt"
BUILD_TIMEOUT_SECONDS = 600
BUILT = "BUILT"  # written in the folder once its build succeeded
DAGSTER_HOME = "dagster_home"  # the build's Dagster instance, in its folder


def environment(root: Path) -> dict[str, str]:
    """The locations of a build in `root` and the salt, as the pipeline's variables."""
    return {"CITYBRAIN_WAREHOUSE": str(root / "city.duckdb"), "CITYBRAIN_INBOX": str(root / "inbox"),
            "CITYBRAIN_LANDING": str(root / "landing"), "CITYBRAIN_SERVING_DIR": str(root / "serving"),
            "CITYBRAIN_EXPORTS_DIR": str(root / "exports"),
            "CITYBRAIN_AUDIT_LOG": str(root / "audit" / "sharing_audit.jsonl"),
            "CITYBRAIN_PSEUDONYM_SALT": SALT}


def deliver(root: Path) -> None:
    """The scenario's deliveries in `root`'s inbox (the generator is deterministic: every call delivers the same
    files, with the same delivery times)."""
    generate(root / "inbox", START, DAYS, scaled_sizes(SCALE), seed=SEED)


def start_build(root: Path, *, event_log: bool = False) -> subprocess.Popen:
    """`python -m pipelines.cli build` of the scenario's days on `root`, in its own process group (the kill -9 test
    kills the group); with `event_log`, its Dagster event log (debug output) on stderr."""
    (root / DAGSTER_HOME).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **environment(root), "DAGSTER_HOME": str(root / DAGSTER_HOME),
           "CITYBRAIN_DEBUG": "1" if event_log else ""}
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "build", "--start", START.isoformat(), "--end", END.isoformat()],
        cwd=settings.REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if event_log else subprocess.DEVNULL, text=True, start_new_session=True)


class ReferenceBuild:
    """The session's build: `folder()` waits for it (making it when no worker has), `building()` starts it in the
    background while the caller works (the kill -9 test's own builds run beside it)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory, worker_id: str):
        base = tmp_path_factory.getbasetemp()
        shared = base.parent if worker_id != "master" else base  # xdist: the workers' common folder
        self.root = shared / "reference_build"
        self.lock = FileLock(f"{self.root}.lock")

    def folder(self) -> Path:
        with self.building():
            pass
        return self.root

    @contextmanager
    def building(self) -> Iterator[Path]:
        with self.lock:
            process = None
            if not (self.root / BUILT).exists():
                shutil.rmtree(self.root, ignore_errors=True)  # what a failed attempt left
                deliver(self.root)
                process = start_build(self.root)
            try:
                yield self.root
                if process is not None:
                    assert process.wait(timeout=BUILD_TIMEOUT_SECONDS) == 0, "the reference build failed"
                    (self.root / BUILT).touch()
            finally:
                if process is not None and process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
