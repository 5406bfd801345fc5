"""What a failed dbt test shows in Dagster: its description and a sample of its failing rows.

A data test that fails or warns stores its failing rows as a view in the private schema `ops_test_failures`
(`store_failures` in dbt_project.yml; dbt_project/macros/test_failures.sql). After `dbt build` has finished (DuckDB
admits one process at a time, so not while dbt runs), each failed test's check result gets:
- `description`: the test's own description, else what it asserts (test, model, column, arguments), with the
  tested column's description (which carries the Chinese term);
- `failing_rows_sample`: up to SAMPLE_ROWS failing rows as a markdown table, without personal columns (those
  marked `personal: true` in a contract or `meta: {personal: true}` in dbt), and `failures_relation`, where the
  data engineer finds every failing row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetCheckResult, MetadataValue

from pipelines.ingestion.contracts import load_contracts
from pipelines.warehouse import open_warehouse

SAMPLE_ROWS = 5
CELL_CHARACTERS = 60


def with_failure_details(events: Iterable[Any], manifest: Mapping[str, Any], database: Path) -> Iterator[Any]:
    """The events of a dbt run, failed test results held back until the run ends, then yielded with details."""
    failed: list[AssetCheckResult] = []
    for event in events:
        if isinstance(event, AssetCheckResult) and not event.passed:
            failed.append(event)
        else:
            yield event
    if not failed:
        return
    with open_warehouse(database) as connection:  # the run holds the warehouse lock
        for result in failed:
            yield detailed_result(result, manifest, connection)


def detailed_result(
    result: AssetCheckResult, manifest: Mapping[str, Any], connection: duckdb.DuckDBPyConnection
) -> AssetCheckResult:
    unique_id = result.metadata.get("unique_id")
    test = manifest["nodes"].get(unique_id.value) if unique_id else None
    if test is None:
        return result
    metadata = dict(result.metadata)
    description = describe_test(test, manifest)
    metadata["test_description"] = MetadataValue.text(description)
    if test.get("config", {}).get("store_failures"):
        # schema-qualified only: the database name follows the warehouse file's name
        relation = f'"{test["schema"]}"."{test["alias"]}"'
        metadata["failures_relation"] = MetadataValue.text(relation)
        metadata["failing_rows_sample"] = MetadataValue.md(
            failing_rows_sample(connection, relation, personal_columns(manifest))
        )
    return AssetCheckResult(
        passed=result.passed,
        asset_key=result.asset_key,
        check_name=result.check_name,
        metadata=metadata,
        severity=result.severity,
        description=description,
    )


def describe_test(test: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """The test's description, else a sentence built from its generic test name, model, column and arguments."""
    if test.get("description"):
        return test["description"].strip()
    metadata = test.get("test_metadata") or {}
    arguments = {k: v for k, v in (metadata.get("kwargs") or {}).items() if k not in ("model", "column_name")}
    column = test.get("column_name") or (metadata.get("kwargs") or {}).get("column_name")
    tested = manifest["nodes"].get(test.get("attached_node") or "") or {}
    target = tested.get("name") or ", ".join(test.get("depends_on", {}).get("nodes", []))
    sentence = f"{metadata.get('name') or test['name']} on {target}" + (f".{column}" if column else "")
    if arguments:
        sentence += " (" + ", ".join(f"{key}: {value}" for key, value in sorted(arguments.items())) + ")"
    column_description = ((tested.get("columns") or {}).get(column) or {}).get("description") if column else None
    if column_description:
        sentence += f". Column: {column_description.strip()}"
    return sentence


def personal_columns(manifest: Mapping[str, Any]) -> frozenset[str]:
    """Column names that are personal in any contract or dbt node: never shown in a sample."""
    names = {column.name for contract in load_contracts().values() for column in contract.columns if column.personal}
    for node in [*manifest["nodes"].values(), *manifest.get("sources", {}).values()]:
        for name, column in (node.get("columns") or {}).items():
            meta = {**(column.get("meta") or {}), **((column.get("config") or {}).get("meta") or {})}
            if meta.get("personal"):
                names.add(name)
    return frozenset(names)


def failing_rows_sample(connection: duckdb.DuckDBPyConnection, relation: str, personal: frozenset[str]) -> str:
    """Up to SAMPLE_ROWS rows of the failures relation as a markdown table, personal columns left out."""
    try:
        cursor = connection.execute(f"select * from {relation} limit 0")
        columns = [description[0] for description in cursor.description]
        shown = [column for column in columns if column not in personal]
        select_list = ", ".join(f'"{column}"' for column in shown) or "1"
        rows = connection.execute(f"select {select_list} from {relation} limit {SAMPLE_ROWS}").fetchall()
    except duckdb.Error as error:
        return f"Failing rows could not be read from {relation}: {error}"
    lines = ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    hidden = sorted(set(columns) - set(shown))
    if hidden:
        lines.append(f"\nPersonal columns not shown: {', '.join(hidden)}.")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    if len(text) > CELL_CHARACTERS:
        text = text[: CELL_CHARACTERS - 1] + "…"
    return text.replace("|", "\\|").replace("\n", " ")
