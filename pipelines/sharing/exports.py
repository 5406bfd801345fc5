"""Export packages: for each department, every dataset it may read from the current published snapshot, as
Parquet, CSV (UTF-8 with BOM) and XLSX (when the rows fit a sheet), under
`<exports>/<department>/<snapshot_id>/` with a `manifest.json` of files, rows and sha256 checksums.
Each dataset exported, and each expired grant refused, is an audit entry."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipelines import settings
from pipelines.sharing import audit
from pipelines.sharing.catalog import Access, Refusal, SharingConfig, city_today
from pipelines.sharing.config import NOT_SHARED
from pipelines.sharing.formats import XLSX_MAX_DATA_ROWS, csv_bytes, parquet_bytes, write_xlsx
from pipelines.sharing.query import Snapshot, fetch_table, open_snapshot


def export_all(config: SharingConfig, root: Path | None = None, today: date | None = None) -> list[dict]:
    """Write every department's package for the snapshot being served; returns their manifests."""
    root = root or settings.exports_dir()
    today = today or city_today()
    written: dict[tuple, Path] = {}
    with open_snapshot() as (connection, snapshot):
        return [export_department(config, code, connection, snapshot, root, today, written)
                for code in config.departments]


def export_department(config: SharingConfig, department: str, connection: duckdb.DuckDBPyConnection,
                      snapshot: Snapshot, root: Path, today: date, written: dict[tuple, Path]) -> dict:
    """One department's package. `written` maps (dataset, columns, filter) to a folder where the same files
    were already written for another department: they are linked, not written again."""
    final = root / department / snapshot.snapshot_id
    partial = final.with_name(f".{snapshot.snapshot_id}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True, mode=0o700)
    manifest = {"department": department, "snapshot_id": snapshot.snapshot_id,
                "published_at": snapshot.published_at, "datasets": [], "files": [], "refused": []}
    for access in _accesses(config, department, today, snapshot, manifest):
        manifest["datasets"].append(_export_dataset(access, connection, snapshot, partial, manifest["files"],
                                                    written))
    (partial / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    if final.exists():  # the same snapshot exported again: the new package replaces the old one whole
        shutil.rmtree(final)
    os.replace(partial, final)
    return manifest


def _accesses(config: SharingConfig, department: str, today: date, snapshot: Snapshot, manifest: dict):
    """The department's readable datasets; its expired grants are refused (and audited), never exported."""
    for dataset in config.catalog.datasets:
        if dataset.sharing_class == NOT_SHARED:
            continue
        granted = any(g.department == department and g.dataset == dataset.name for g in config.catalog.grants)
        try:
            yield config.access(department, dataset.name, today)
        except Refusal as refusal:
            if granted:
                manifest["refused"].append({"dataset": dataset.name, "reason": refusal.reason})
                audit.append({"kind": "export", "department": department, "dataset": dataset.name,
                              "snapshot_id": snapshot.snapshot_id, "outcome": "refused", "status": refusal.status,
                              "reason": refusal.reason, "rows": 0})


def _export_dataset(access: Access, connection: duckdb.DuckDBPyConnection, snapshot: Snapshot, folder: Path,
                    files: list[dict], written: dict[tuple, Path]) -> dict:
    name = access.dataset.name
    columns = [column.name for column in access.columns]
    same_content = (name, tuple(columns), access.row_filter)
    if same_content in written:
        rows = _link_files(written[same_content], folder, name)
    else:
        rows = _write_files(access, connection, snapshot, folder)
        written[same_content] = folder.parent / snapshot.snapshot_id  # where the package is once complete
    checksums = {}
    for path in sorted(folder.glob(f"{name}.*")):
        checksums[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        files.append({"file": path.name, "dataset": name, "format": path.suffix[1:], "rows": rows,
                      "bytes": path.stat().st_size, "sha256": checksums[path.name]})
    formats = [path.split(".")[-1] for path in checksums]
    audit.append({"kind": "export", "department": access.department, "dataset": name, "columns": columns,
                  "filter": dict(access.row_filter), "format": "+".join(formats), "rows": rows,
                  "snapshot_id": snapshot.snapshot_id, "checksum_sha256": checksums[f"{name}.parquet"],
                  "outcome": "allowed", "status": 200, "detail": {"files": checksums}})
    return {"name": name, "class": access.dataset.sharing_class, "columns": columns,
            "row_filter": dict(access.row_filter),
            "expires": access.grant.expires.isoformat() if access.grant else None,
            "xlsx": rows <= XLSX_MAX_DATA_ROWS}


def _write_files(access: Access, connection: duckdb.DuckDBPyConnection, snapshot: Snapshot, folder: Path) -> int:
    name = access.dataset.name
    table = fetch_table(connection, access, list(access.columns), snapshot)
    (folder / f"{name}.parquet").write_bytes(
        parquet_bytes(table, {"citybrain.snapshot_id": snapshot.snapshot_id, "citybrain.dataset": name}))
    (folder / f"{name}.csv").write_bytes(csv_bytes(table))
    if table.num_rows <= XLSX_MAX_DATA_ROWS:
        write_xlsx(table, folder / f"{name}.xlsx", name)
    return table.num_rows


def _link_files(source: Path, folder: Path, name: str) -> int:
    """The same data for another department: hard links to the files already written (a copy where links fail)."""
    for path in source.glob(f"{name}.*"):
        try:
            os.link(path, folder / path.name)
        except OSError:
            shutil.copyfile(path, folder / path.name)
    return pq.ParquetFile(source / f"{name}.parquet").metadata.num_rows
