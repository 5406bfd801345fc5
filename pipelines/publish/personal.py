"""The serving file never holds a personal column: checked on the build warehouse before anything is copied."""

from __future__ import annotations

import duckdb

from pipelines.ingestion.contracts import load_contracts
from pipelines.publish.marts import MARTS_SCHEMA, Mart


class PersonalColumnError(RuntimeError):
    """A mart that would be published has a personal column."""


def contract_personal_columns() -> dict[str, str]:
    """Every contract column marked `personal: true` → the contract file it comes from."""
    return {
        column.name: f"contracts/{contract.path.name}"
        for contract in load_contracts().values()
        for column in contract.columns
        if column.personal
    }


def assert_no_personal_columns(connection: duckdb.DuckDBPyConnection, marts: tuple[Mart, ...]) -> None:
    """Raise, naming every offending table and column, when a mart column is tagged personal in dbt or is named
    after a contract's personal column without being declared not personal (`meta: {personal: false}`)."""
    from_contracts = contract_personal_columns()
    problems = []
    for mart in marts:
        columns = [row[0] for row in connection.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [MARTS_SCHEMA, mart.name],
        ).fetchall()]
        problems += [f"{MARTS_SCHEMA}.{mart.name}.{column} is tagged personal in dbt (meta.personal)"
                     for column in mart.personal_columns if column in columns]
        problems += [f"{MARTS_SCHEMA}.{mart.name}.{column} is named after a personal column of {from_contracts[column]}"
                     for column in columns if column in from_contracts and column not in mart.cleared_columns]
    if problems:
        raise PersonalColumnError(
            "Refusing to publish: the serving file must not hold a personal column.\n  " + "\n  ".join(problems)
        )
