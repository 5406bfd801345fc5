"""JSON paths of contract columns (`location.lng`) as DuckDB path literals, shared by the JSON readers."""

from __future__ import annotations


def json_path(source: str) -> str:
    """`$."a"."b"` for the contract source `a.b`: each member quoted, so keys with any characters work."""
    return "$." + ".".join('"' + part.replace('"', '\\"') + '"' for part in source.split("."))


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def extracted_columns(contract, json_column: str) -> str:
    """SQL selecting every contract column from a JSON object column as its text (a nested value as JSON text).

    All paths are extracted in one call, so each object is parsed once (DuckDB computes the repeated call once)."""
    paths = "[" + ", ".join(sql_string(json_path(column.source)) for column in contract.columns) + "]"
    return ", ".join(f"json_extract_string({json_column}, {paths})[{index}] as {column.name}"
                     for index, column in enumerate(contract.columns, start=1))
