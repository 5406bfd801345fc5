"""dbt's documentation site next to the cockpit: what `dbt docs generate --static --empty-catalog` writes (dbt-core's
own docs page with the manifest and catalog inlined, so it opens from file://), made from the manifest `make`
prepares (`dbt parse`). The catalog is left empty (as with --empty-catalog): docs never query the private build
warehouse, and column types come from the models' YAML contracts."""

from __future__ import annotations

import json
from pathlib import Path

from dbt.task.docs import DOCS_INDEX_FILE_PATH

from pipelines.publish.marts import manifest_path
from pipelines.publish.snapshot import readable_folder

EMPTY_CATALOG = {"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"},
                 "nodes": {}, "sources": {}, "errors": None}


def write_dbt_docs(folder: Path) -> Path:
    manifest = manifest_path()
    if not manifest.exists():
        raise FileNotFoundError(f"No dbt manifest at {manifest}: run `make setup` (it runs `dbt parse`).")
    page = Path(DOCS_INDEX_FILE_PATH).read_text(encoding="utf-8")
    page = page.replace('"MANIFEST.JSON INLINE DATA"', manifest.read_text(encoding="utf-8"))
    page = page.replace('"CATALOG.JSON INLINE DATA"', json.dumps(EMPTY_CATALOG))
    readable_folder(folder)
    target = folder / "index.html"
    target.write_text(page, encoding="utf-8")
    target.chmod(0o644)  # for readers, like the rest of the serving folder
    return target
