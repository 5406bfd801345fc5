"""Where things live. Every path and secret the pipelines use is read here, from the environment."""

from __future__ import annotations

import os
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


def inbox_dir() -> Path:
    return _path_from_env("CITYBRAIN_INBOX", "warehouse/inbox")


def landing_dir() -> Path:
    return _path_from_env("CITYBRAIN_LANDING", "warehouse/landing")


def dbt_environment() -> dict[str, str]:
    """Absolute locations for the dbt subprocess, so it finds the same warehouse whatever its working directory."""
    return {
        "CITYBRAIN_WAREHOUSE": str(warehouse_path()),
        "CITYBRAIN_LANDING": str(landing_dir()),
    }
