"""Shared fixtures: every test gets its own warehouse, inbox and landing folders through the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from xdist.scheduler import LoadFileScheduling

TESTS = Path(__file__).parent
# Folders whose conftest.py builds a warehouse once per session for several files: under `--dist loadfile` their
# files go to one worker as one unit, so the build runs once, not once in each worker that gets one of them.
SESSION_BUILD_FOLDERS = ("sharing",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end files first, in a stable order (`make test` keeps it with --no-loadscope-reorder): under
    `--dist loadfile` each is one worker's long pole, so they start at once and the other files fill in around them
    (by number of tests, the one-test kill -9 file would start last)."""
    items.sort(key=lambda item: not item.path.is_relative_to(TESTS / "e2e"))


class SessionBuildScheduling(LoadFileScheduling):
    """`--dist loadfile`, with the files of a SESSION_BUILD_FOLDERS folder as one unit of work."""

    def _split_scope(self, nodeid: str) -> str:
        path = super()._split_scope(nodeid)
        folder = path.rpartition("/")[0]
        return folder if folder in {f"{TESTS.name}/{name}" for name in SESSION_BUILD_FOLDERS} else path


def pytest_xdist_make_scheduler(config: pytest.Config, log) -> LoadFileScheduling | None:
    return SessionBuildScheduling(config, log) if config.getvalue("dist") == "loadfile" else None


@pytest.fixture
def workdirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    paths = {
        "warehouse": tmp_path / "warehouse" / "city.duckdb",
        "inbox": tmp_path / "warehouse" / "inbox",
        "landing": tmp_path / "warehouse" / "landing",
        "serving": tmp_path / "warehouse" / "serving",
    }
    paths["inbox"].mkdir(parents=True)
    monkeypatch.setenv("CITYBRAIN_WAREHOUSE", str(paths["warehouse"]))
    monkeypatch.setenv("CITYBRAIN_INBOX", str(paths["inbox"]))
    monkeypatch.setenv("CITYBRAIN_LANDING", str(paths["landing"]))
    monkeypatch.setenv("CITYBRAIN_SERVING_DIR", str(paths["serving"]))
    monkeypatch.setenv("CITYBRAIN_PSEUDONYM_SALT", "test-salt")
    return paths
