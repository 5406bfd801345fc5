"""A BI-like reader: polls the serving file read-only every 0.2 s and logs what each read saw, one JSON line per
read, until a stop file appears. It knows only the serving layout (schema `marts`, `meta.publication`).

    python tests/publish/serving_reader.py <serving file> <log file> <stop file>
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

INTERVAL_SECONDS = 0.2


def read_once(serving: Path) -> dict:
    if not serving.exists():
        return {"absent": True}
    try:
        with duckdb.connect(str(serving), read_only=True) as connection:
            snapshot_id, manifest = connection.execute("select snapshot_id, manifest from meta.publication").fetchone()
            tables = json.loads(manifest)["tables"]
            counts = {name: connection.execute(f"select count(*) from {name}").fetchone()[0] for name in tables}
        return {"snapshot_id": snapshot_id, "manifest_rows": {n: t["rows"] for n, t in tables.items()},
                "counts": counts}
    except Exception as error:  # every failure is what the test counts
        return {"error": f"{type(error).__name__}: {error}"}


def main(serving: Path, log: Path, stop: Path) -> None:
    with log.open("w", encoding="utf-8") as out:
        while not stop.exists():
            out.write(json.dumps({"at": time.time(), **read_once(serving)}) + "\n")
            out.flush()
            time.sleep(INTERVAL_SECONDS)


if __name__ == "__main__":
    main(*(Path(argument) for argument in sys.argv[1:4]))
