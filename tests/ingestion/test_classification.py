"""The classification of a landing pass's records: which are quarantined, and that records keep their read order."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.ingestion.classification import classify_records
from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.records import SOURCE_ROW, FileRead

CONTRACT = load_contracts(Path(__file__).parent / "fault_contracts")["faults_csv"]


def _read(rows: list[tuple[int, str | None, str]]) -> FileRead:
    """A file's records as (source row, record_id, note); the other columns hold one value."""
    columns = {column.name: pa.array(["x"] * len(rows)) for column in CONTRACT.columns}
    columns["record_id"] = pa.array([record_id for _, record_id, _ in rows], pa.string())
    columns["note"] = pa.array([note for _, _, note in rows])
    columns[SOURCE_ROW] = pa.array([row for row, _, _ in rows], pa.int64())
    return FileRead(records=pa.table(columns))


def test_the_first_of_equal_records_by_file_then_source_row_lands_and_records_keep_their_read_order():
    accepted = [
        # a reader may give records out of source-row order: the earlier source row is the original
        ("2026-11-01", "a.csv", _read([(2, "A", "same"), (1, "A", "same"), (3, "B", "b"), (4, None, "no id"),
                                       (5, None, "no id")])),
        ("2026-11-01", "b.csv", _read([(1, "B", "b"), (2, "C", "c"), (3, "A", "same")])),
        ("2026-11-02", "a2.csv", _read([(1, "A", "same"), (2, "A", "same"), (3, "A", "same")])),
    ]
    with duckdb.connect() as connection:
        classified = classify_records(connection, CONTRACT, accepted)
    records = classified.records
    assert list(zip(records.column("partition_key").to_pylist(), records.column("_source_file").to_pylist(),
                    records.column(SOURCE_ROW).to_pylist(), records.column("_reason").to_pylist())) == [
        ("2026-11-01", "a.csv", 2, "duplicate_record"),
        ("2026-11-01", "a.csv", 1, None),
        ("2026-11-01", "a.csv", 3, None),
        ("2026-11-01", "a.csv", 4, "missing_required"),
        ("2026-11-01", "a.csv", 5, "missing_required"),
        ("2026-11-01", "b.csv", 1, "duplicate_record"),
        ("2026-11-01", "b.csv", 2, None),
        ("2026-11-01", "b.csv", 3, "duplicate_record"),
        ("2026-11-02", "a2.csv", 1, None),  # equal to a record of another partition: lands
        ("2026-11-02", "a2.csv", 2, "duplicate_record"),
        ("2026-11-02", "a2.csv", 3, "duplicate_record"),
    ]
    hashes = records.column("_record_hash").to_pylist()
    assert hashes[0] == hashes[1] == hashes[7] == hashes[8] and len(set(hashes)) == 4  # A, B, C, the two without id
    assert classified.of_partition("2026-11-02").column(SOURCE_ROW).to_pylist() == [1, 2, 3]
    assert classified.of_partition("2026-11-03").num_rows == 0
