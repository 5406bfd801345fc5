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
    # columns declared `meta: {personal: false}`: named like a contract's personal column (incident_address) but
    # holding a de-identified value (an address generalised to road or community)
    cleared_columns: tuple[str, ...] = ()


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
        Mart(node["name"], _columns_declared(node, True), _columns_declared(node, False))
        for node in sorted(nodes, key=lambda node: node["name"])
        if node["resource_type"] == "model" and node["schema"] == MARTS_SCHEMA
    )


def _columns_declared(node: dict, personal: bool) -> tuple[str, ...]:
    return tuple(sorted(name for name, column in node["columns"].items() if _personal_meta(column) is personal))


def _personal_meta(column: dict) -> bool | None:
    meta = {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}
    return None if meta.get("personal") is None else bool(meta["personal"])
