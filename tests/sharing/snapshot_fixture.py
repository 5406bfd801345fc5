"""Until the publish step writes it, a serving snapshot in the agreed layout: schema `marts` copied from the build
warehouse and the one-row table `meta.publication`, switched in with os.replace."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import duckdb


def write_fixture_snapshot(build: Path, serving: Path) -> str:
    snapshot_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ") + "-test"
    serving.parent.mkdir(parents=True, exist_ok=True)
    partial = serving.with_name(f".{snapshot_id}.partial")
    with duckdb.connect(str(build)) as connection:
        tables = [name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
        connection.execute(f"attach '{partial}' as snapshot")
        connection.execute("create schema snapshot.marts; create schema snapshot.meta")
        manifest = {}
        for table in tables:
            connection.execute(f'create table snapshot.marts."{table}" as select * from marts."{table}"')
            manifest[f"marts.{table}"] = {"rows": connection.execute(
                f'select count(*) from snapshot.marts."{table}"').fetchall()[0][0]}
        connection.execute("create table snapshot.meta.publication (snapshot_id varchar, published_at timestamptz, "
                           "run_id varchar, partitions varchar, manifest json)")
        connection.execute("insert into snapshot.meta.publication values (?, now(), 'test', '', ?)",
                           [snapshot_id, json.dumps({"snapshot_id": snapshot_id, "tables": manifest})])
        connection.execute("detach snapshot")
    os.replace(partial, serving)
    return snapshot_id
