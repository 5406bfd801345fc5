"""Shared fixtures: every test gets its own warehouse, inbox and landing folders through the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reference_build import ReferenceBuild

TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end files first, in a stable order (`make test` keeps it with --no-loadscope-reorder): under
    `--dist loadfile` each is one worker's long pole, so they start at once and the other files fill in around them
    (by number of tests, the one-test kill -9 file would start last)."""
    items.sort(key=lambda item: not item.path.is_relative_to(TESTS / "e2e"))


@pytest.fixture(scope="session")
def reference_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> ReferenceBuild:
    """The session's one reference build (tests/reference_build.py), shared by the xdist workers."""
    return ReferenceBuild(tmp_path_factory, worker_id)


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
