"""The bare DuckDB peer of the project's hotline path: one process, one connection, no landing files, no dbt.

    python -m bench.peer prepare --folder F      (untimed: compile the models' SQL once, see below)
    python -m bench.peer run --folder F --inbox I --database D

It does the same work on the same delivered files: decode each file (valid UTF-8 as UTF-8, else the contract's
encoding, as landing decides), drop byte-identical re-deliveries, split the records, classify malformed rows
(wrong number of fields), missing required values and duplicate records in one query, then run the models'
own SQL (staging, intermediate, facts, scorecard: compiled once by `prepare`, with the landed Parquet replaced by
the peer's table) as plain `CREATE TABLE … AS`. The project's cost beyond this is its machinery: landing files,
ledger and quarantine, lineage, dbt. `compare` checks the two fact tables are equal row for row.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines import settings
from pipelines.ingestion.contracts import load_contracts

SOURCE_KEY = "hotline_12345"  # the source whose path the peer repeats (issue 9)
FACT = "marts.fct_service_request"
TARGETS = "+fct_service_request +mart_governance_scorecard"
SALT_VARIABLE = "CITYBRAIN_PSEUDONYM_SALT"


def compiled_models(folder: Path) -> Path:
    return folder / "peer_models.json"


def prepare(folder: Path, warehouse: Path, landing: Path, dbt_vars: str) -> None:
    """Compile the selected models as a full build (untimed) and keep their SQL in dependency order."""
    env = {**os.environ, **settings.dbt_environment(), "CITYBRAIN_WAREHOUSE": str(warehouse),
           "CITYBRAIN_LANDING": str(landing)}
    target = folder.resolve() / "peer_dbt_target"
    subprocess.run([str(Path(sys.executable).with_name("dbt")), "compile", "--full-refresh", "--quiet", "--no-partial-parse",
                    "--select", TARGETS, "--vars", dbt_vars, "--target-path", str(target),
                    "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROJECT_DIR)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    selected = {unique_id for unique_id, node in manifest["nodes"].items()
                if node["resource_type"] == "model" and node.get("compiled_code")}
    ordered: list[str] = []

    def visit(unique_id: str) -> None:
        if unique_id in ordered or unique_id not in selected:
            return
        for parent in manifest["nodes"][unique_id]["depends_on"]["nodes"]:
            visit(parent)
        ordered.append(unique_id)

    for unique_id in sorted(selected):
        visit(unique_id)
    landed = re.compile(r"read_parquet\('[^']*/(?P<source>[a-z0-9_]+)/\*/\*\.parquet'[^)]*\)")
    models = [{"schema": manifest["nodes"][u]["schema"], "name": manifest["nodes"][u]["name"],
               "sql": landed.sub(lambda m: f"peer_landed_{m.group('source')}", manifest["nodes"][u]["compiled_code"])}
              for u in ordered]
    seeds = [{"schema": node["schema"], "name": node["name"], "path": str(settings.DBT_PROJECT_DIR / node["original_file_path"]),
              "types": node["config"].get("column_types") or {}}
             for node in manifest["nodes"].values() if node["resource_type"] == "seed"]
    compiled_models(folder).write_text(json.dumps({"models": models, "seeds": seeds}), encoding="utf-8")


def _decode(raw: bytes, declared: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode(declared, errors="replace")


def run(folder: Path, inbox: Path, database: Path) -> None:
    compiled = json.loads(compiled_models(folder).read_text(encoding="utf-8"))
    contract = load_contracts()[SOURCE_KEY]
    connection = duckdb.connect(str(database), config=settings.duckdb_config())
    connection.execute(f"SET TimeZone = '{settings.TIMEZONE}'")
    connection.execute("SET enable_progress_bar = false")
    connection.execute("SET VARIABLE pseudonym_salt = ?", [os.environ.get(SALT_VARIABLE, "")])
    for schema in {item["schema"] for item in compiled["models"] + compiled["seeds"]}:
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    for seed in compiled["seeds"]:
        types = f", types = {seed['types']}" if seed["types"] else ""
        connection.execute(f"""CREATE TABLE "{seed['schema']}"."{seed['name']}" AS
                               SELECT * FROM read_csv('{seed['path']}', header = true{types})""")

    # decode: every delivered file of the source, in partition and name order; a byte-identical copy is dropped
    files, texts, keys, seen = [], [], [], set()
    for path in sorted((inbox / contract.source).iterdir(), key=lambda p: (contract.partition_key_of(p.name) or "", p.name)):
        key = contract.partition_key_of(path.name)
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).digest()
        if key is None or digest in seen:
            continue
        seen.add(digest)
        files.append(f"{contract.source}/{path.name}")
        texts.append(_decode(raw, contract.encoding))
        keys.append(key)
    connection.register("delivered", pa.table({"_source_file": files, "partition_key": keys, "text": texts,
                                               "_file_order": list(range(len(files)))}))
    del texts

    # classify: malformed, missing required, duplicate (within a partition), in one query
    names = [column.name for column in contract.columns]
    fields = ", ".join(f"nullif(fields[{n + 1}], '') AS {name}" for n, name in enumerate(names))
    missing = " OR ".join(f"nullif(trim({name}), '') IS NULL" for name in contract.required_columns) or "FALSE"
    connection.execute(f"""
        CREATE TEMP TABLE peer_classified AS
        WITH lines AS (
            SELECT _source_file, partition_key, _file_order,
                   unnest(string_split(text, chr(10))) AS line, unnest(range(len(string_split(text, chr(10))))) AS _source_row
            FROM delivered
        ),
        records AS (
            SELECT *, string_split(rtrim(line, chr(13)), ',') AS fields FROM lines
            WHERE _source_row > 0 AND line <> ''
        ),
        parsed AS (
            SELECT _source_file, partition_key, _file_order, _source_row, len(fields) <> {len(names)} AS malformed,
                   {fields}
            FROM records
        )
        SELECT *, CASE
            WHEN malformed THEN 'malformed_row'
            WHEN {missing} THEN 'missing_required'
            WHEN row_number() OVER (PARTITION BY partition_key, {', '.join(names)}, malformed, ({missing})
                                    ORDER BY _file_order, _source_row) > 1 THEN 'duplicate_record'
        END AS _reason
        FROM parsed
    """)
    connection.unregister("delivered")
    connection.execute(f"""
        CREATE TEMP TABLE peer_landed_{contract.source} AS
        SELECT {', '.join(names)}, _source_file, _source_row::BIGINT AS _source_row, 'peer' AS _load_id,
               now() AS _ingested_at, sha256(to_json([{', '.join(names)}])::VARCHAR) AS _record_hash,
               partition_key::DATE AS partition_key
        FROM peer_classified WHERE _reason IS NULL
    """)
    # the models' SQL; a source the peer does not land reads as the models' own empty relation
    for model in compiled["models"]:
        connection.execute(f'CREATE TABLE "{model["schema"]}"."{model["name"]}" AS {model["sql"]}')
    connection.close()


def compare(peer_database: Path, project_warehouse: Path) -> int:
    """Rows of the project's fact table missing from the peer's, plus the peer's missing from the project's."""
    with duckdb.connect(str(peer_database), read_only=True) as connection:
        connection.execute("SET enable_progress_bar = false")
        connection.execute(f"ATTACH '{project_warehouse}' AS project (READ_ONLY)")
        ours = f"project.{FACT}"
        return connection.execute(f"""
            SELECT (SELECT count(*) FROM (SELECT * FROM {ours} EXCEPT ALL SELECT * FROM {FACT}))
                 + (SELECT count(*) FROM (SELECT * FROM {FACT} EXCEPT ALL SELECT * FROM {ours}))
        """).fetchone()[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["prepare", "run"])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--inbox", type=Path)
    parser.add_argument("--database", type=Path)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--landing", type=Path)
    parser.add_argument("--vars", default="{}")
    args = parser.parse_args(argv)
    if args.step == "prepare":
        prepare(args.folder, args.warehouse, args.landing, args.vars)
    else:
        run(args.folder, args.inbox, args.database)


if __name__ == "__main__":
    main()
