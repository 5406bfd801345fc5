"""Every parsed record of a landing pass classified: its record hash and, if any, its quarantine reason.

The records stay in Arrow in the order they were read (partition, then file, then record), so each partition's
rows are one contiguous slice that is written to Parquet as it is, with no sort. DuckDB hashes the records; only
the narrow columns that classify a record (partition, hash, required values present, position) of the records that
may be quarantined go through its window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pipelines.ingestion.contracts import SourceContract
from pipelines.ingestion.records import SOURCE_ROW, FileRead

ROW = "_row"  # a record's position in the pass
REASON, RECORD_HASH = "_reason", "_record_hash"
QUARANTINE_REASONS = ("missing_required", "duplicate_record")  # why classifying quarantines a record
# Columns of a classified record that are not landed as they are (landing writes the lineage columns itself).
CLASSIFYING_COLUMNS = ("partition_key", "_file_order", REASON, RECORD_HASH, "_source_file", SOURCE_ROW)


@dataclass(frozen=True)
class ClassifiedRecords:
    """The pass's records with `_source_file`, `_file_order`, `partition_key`, `_record_hash` and `_reason`
    (NULL for a record to land), and where each partition's rows lie."""

    records: pa.Table
    spans: dict[str, tuple[int, int]]  # partition key: (offset, rows)

    def of_partition(self, partition_key: str) -> pa.Table:
        """The partition's rows (none when no file of it was accepted), without copying."""
        offset, rows = self.spans.get(partition_key, (0, 0))
        return self.records.slice(offset, rows)


def classify_records(connection, contract: SourceContract, accepted: list[tuple[str, str, FileRead]]
                     ) -> ClassifiedRecords:
    """Classify the accepted files' records, given as (partition key, inbox path, read) in landing order: a
    record missing a required value, else one with the same values as an earlier record (by file order, then
    source row) of its partition, is quarantined."""
    columns = [column.name for column in contract.columns]
    schema = pa.schema([(name, pa.string()) for name in columns]
                       + [(SOURCE_ROW, pa.int64()), ("_source_file", pa.string()), ("_file_order", pa.int64()),
                          ("partition_key", pa.string())])
    parts, spans, offset = [], {}, 0
    for order, (partition_key, relative, read) in enumerate(accepted):
        rows = read.records.num_rows
        parts.append(read.records.append_column("_source_file", pa.repeat(relative, rows))
                                 .append_column("_file_order", pa.repeat(order, rows))
                                 .append_column("partition_key", pa.repeat(partition_key, rows))
                                 .select(schema.names).cast(schema))
        start, count = spans.get(partition_key, (offset, 0))
        spans[partition_key] = (start, count + rows)
        offset += rows
    records = pa.concat_tables(parts) if parts else schema.empty_table()
    missing = " or ".join(f"nullif(trim({name}), '') is null" for name in contract.required_columns) or "false"
    connection.register("run_records", records)
    try:  # a projection of one relation keeps its order: row i of the result is record i
        hashed = connection.sql(f"""
            select sha256(to_json([{', '.join(columns)}])::varchar) as {RECORD_HASH},
                   ({missing}) as _missing_required
            from run_records
        """).to_arrow_table()
    finally:
        connection.unregister("run_records")
    return ClassifiedRecords(records.append_column(RECORD_HASH, hashed.column(RECORD_HASH).cast(pa.string()))
                                    .append_column(REASON, _reasons(connection, records, hashed)), spans)


def _reasons(connection, records: pa.Table, hashed: pa.Table) -> pa.Array:
    """Each record's quarantine reason, NULL for one to land. Only the records missing a required value or sharing
    their hash with another record of their partition go through the window that tells the first."""
    connection.register("hashed_records", pa.table({
        ROW: pa.array(np.arange(records.num_rows)), "partition_key": records.column("partition_key"),
        "_file_order": records.column("_file_order"), SOURCE_ROW: records.column(SOURCE_ROW),
        RECORD_HASH: hashed.column(RECORD_HASH), "_missing_required": hashed.column("_missing_required")}))
    try:
        flagged = connection.sql(f"""
            select {ROW}, _missing_required
            from hashed_records
            where _missing_required or (partition_key, {RECORD_HASH}) in (
                select (partition_key, {RECORD_HASH}) from hashed_records where not _missing_required
                group by all having count(*) > 1)
            qualify _missing_required
                 or row_number() over (partition by partition_key, {RECORD_HASH}, _missing_required
                                       order by _file_order, {SOURCE_ROW}) > 1
        """).to_arrow_table()
    finally:
        connection.unregister("hashed_records")
    reason_of_row = np.full(records.num_rows, -1)  # an index into QUARANTINE_REASONS, -1 for none
    reason_of_row[flagged.column(ROW).to_numpy()] = np.where(flagged.column("_missing_required").to_numpy(), 0, 1)
    return pa.array(QUARANTINE_REASONS).take(pa.array(reason_of_row, mask=reason_of_row < 0))
