"""What a snapshot holds: every dbt model in schema `marts`, read from the dbt manifest (never a hand list)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines import settings

MARTS_SCHEMA = "marts"


@dataclass(frozen=True)
class Mart:
    name: str
    personal_columns: tuple[str, ...]  # columns tagged `meta: {personal: true}` in the model's YAML


def manifest_path() -> Path:
    return settings.DBT_PROJECT_DIR / "target" / "manifest.json"


@cache
def published_marts() -> tuple[Mart, ...]:
    """The marts in the manifest `make` prepares (`dbt parse`), sorted by name."""
    path = manifest_path()
    if not path.exists():
        raise FileNotFoundError(f"No dbt manifest at {path}: run `make setup` (it runs `dbt parse`).")
    nodes = json.loads(path.read_text(encoding="utf-8"))["nodes"].values()
    return tuple(
        Mart(node["name"], tuple(sorted(name for name, column in node["columns"].items() if _is_personal(column))))
        for node in sorted(nodes, key=lambda node: node["name"])
        if node["resource_type"] == "model" and node["schema"] == MARTS_SCHEMA
    )


def _is_personal(column: dict) -> bool:
    meta = {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}
    return bool(meta.get("personal"))
