"""Shared fixtures: every test gets its own warehouse, inbox and landing folders through the environment."""

from __future__ import annotations

from pathlib import Path

import pytest


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
