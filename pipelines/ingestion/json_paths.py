"""JSON paths of contract columns (`location.lng`) as DuckDB path literals, shared by the JSON readers."""

from __future__ import annotations


def json_path(source: str) -> str:
    """`$."a"."b"` for the contract source `a.b`: each member quoted, so keys with any characters work."""
    return "$." + ".".join('"' + part.replace('"', '\\"') + '"' for part in source.split("."))


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def extracted_columns(contract, json_column: str) -> str:
    """SQL selecting every contract column from a JSON object column as its text (a nested value as JSON text)."""
    return ", ".join(
        f"json_extract_string({json_column}, {sql_string(json_path(column.source))}) as {column.name}"
        for column in contract.columns
    )
