"""Which of the sources due in a governance run's days have anything new for their models.

A source is due when one of its partitions ends on one of the days (`sources_due`), but a due partition may not have
been delivered: a late department, or one that delivers nothing yet. Its landing then reads no file, and its models
would find nothing new; they are left as they are until its delivery lands, whose landing requests the run of its
days again (pipelines/governance_runs.py). A due source counts as delivered when

- the ledger holds a file read for one of its partitions ending in the days (a new, late or corrected delivery; a
  partition keeping data landed earlier keeps that load's ledger rows, so it counts too), or
- a model of the source already holds rows of those partitions: their landed data was replaced with nothing (the
  operator's `allow_empty_replace`), and the models must drop them;

and always when neither can be told (no ledger yet, a model without `partition_key`, a table not built): leaving a
source's models out is only ever an optimisation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import duckdb

from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.ledger import NOT_READ_STATUSES
from pipelines.partitions import partitions_ending_in, sources_due


def sources_delivered(connection: duckdb.DuckDBPyConnection, contracts: Mapping[str, SourceContract], first: date,
                      last: date, built_models: Mapping[str, Sequence[str] | None]) -> list[str]:
    """The sources due in the days `first` to `last` that have something new for their models (see the module).
    `built_models` names, per source, the relations of its models that keep a `partition_key` column (None: one of
    its models has none, so it cannot be told)."""
    keys = {source: partitions_ending_in(contracts[source], first, last)
            for source in sources_due(contracts, first, last)}
    try:
        read = _sources_with_files_read(connection, keys)
    except duckdb.CatalogException:  # no ledger yet: nothing can be told
        return list(keys)
    return [source for source, partitions in keys.items()
            if source in read or _holds_rows_of(connection, built_models.get(source), partitions)]


def _sources_with_files_read(connection: duckdb.DuckDBPyConnection, keys: Mapping[str, list[str]]) -> set[str]:
    pairs = [(source, key) for source, partitions in keys.items() for key in partitions]
    if not pairs:
        return set()
    not_read = ", ".join(f"'{status}'" for status in NOT_READ_STATUSES)
    rows = connection.execute(
        f"select distinct source from ops.ingestion_ledger "
        f"where status not in ({not_read}) and source || '|' || partition_key in (select unnest(?::varchar[]))",
        [[f"{source}|{key}" for source, key in pairs]]).fetchall()
    return {source for (source,) in rows}


def _holds_rows_of(connection: duckdb.DuckDBPyConnection, relations: Sequence[str] | None,
                   partitions: list[str]) -> bool:
    """A relation holds rows of the partitions, or one cannot be asked."""
    if relations is None:
        return True
    dates = ", ".join(f"date '{date.fromisoformat(key)}'" for key in partitions)
    for relation in relations:
        try:
            [(found,)] = connection.execute(
                f"select exists (select 1 from {relation} where partition_key in ({dates}))").fetchall()
        except duckdb.Error:  # not built, or no such column
            return True
        if found:
            return True
    return False
