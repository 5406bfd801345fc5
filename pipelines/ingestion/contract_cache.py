"""The validated contracts of a contracts folder, kept beside the warehouse so that each process does not validate
them again: validating imports pydantic and builds the contract schema (~0.1 CPU-s), which every process that
lands or checks paid at its start for the same few unchanged files.

The cache holds one folder's contracts, under a key of everything their validation depends on: the folder, each
contract file's name and bytes, the validating code (`contracts.py`, `contract_schema.py`) and the Python version.
A changed, added or removed contract or a changed schema misses the cache and is validated (and its errors
raised) as before. A cache that cannot be read or written is ignored: it only saves time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import uuid
from datetime import date, time
from pathlib import Path

from pipelines import settings
from pipelines.ingestion.contracts import ColumnSpec, FreshnessSpec, SourceContract, VolumeSpec

_VALIDATING_CODE = ("contracts.py", "contract_schema.py")


def cache_path() -> Path:
    return settings.warehouse_path().parent / "validated_contracts.json"


def contracts_key(directory: Path, paths: list[Path]) -> str:
    """What the folder's validated contracts depend on, hashed."""
    digest = hashlib.sha256(f"{sys.version}\0{directory.resolve()}".encode())
    for code in _VALIDATING_CODE:
        digest.update((Path(__file__).with_name(code)).read_bytes())
    for path in paths:
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cached_contracts(key: str) -> dict[str, SourceContract] | None:
    """The contracts validated under `key`, or None (no cache, another key, or an unreadable cache)."""
    try:
        cached = json.loads(cache_path().read_text(encoding="utf-8"))
        if cached["key"] != key:
            return None
        return {data["source"]: _contract(data) for data in cached["contracts"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def keep_contracts(key: str, contracts: dict[str, SourceContract]) -> None:
    """Replace the cache with these contracts, validated under `key` (atomically; readers see old or new)."""
    path = cache_path()
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    document = {"key": key, "contracts": [dataclasses.asdict(contract) for contract in contracts.values()]}
    try:
        temporary.write_text(json.dumps(document, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


def _contract(data: dict) -> SourceContract:
    """A contract from its cached JSON (the dataclass fields; dates, times and paths as ISO text)."""
    freshness = data["freshness"]
    return SourceContract(**{
        **data,
        "start_date": date.fromisoformat(data["start_date"]),
        "record_key": tuple(data["record_key"]),
        "columns": tuple(ColumnSpec(**column) for column in data["columns"]),
        "path": Path(data["path"]),
        "freshness": FreshnessSpec(**{**freshness, "expected_by": time.fromisoformat(freshness["expected_by"])}),
        "volume": VolumeSpec(**data["volume"]),
    })
