"""The JSON readers read a run's files together, in one query: each file's records, rejects and rejection are what
reading it alone gives, whatever files are read beside it."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.readers import read_deliveries, reads_many_files_at_once
from pipelines.ingestion.records import FileRead, FileRejected

CONTRACTS = list(load_contracts().values())


def contract_of_format(file_format: str):
    found = [contract for contract in CONTRACTS if contract.format == file_format]
    if not found:
        pytest.skip(f"no contract delivers {file_format}")
    return found[0]


def record(contract, number: int) -> dict:
    """An object holding every contract column (a dotted source nests), each value naming its column and record
    (in Chinese too: a file whose only non-ASCII line is undecodable is in an unknown encoding, not one bad line)."""
    document: dict = {}
    for column in contract.columns:
        *parents, leaf = column.source.split(".")
        node = document
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = f"{column.name}-{number}-记录"
    return document


def summary(outcome: FileRead | FileRejected) -> tuple:
    if isinstance(outcome, FileRejected):
        return "rejected", outcome.reason, outcome.detail
    return ("read", outcome.records.to_pylist(), outcome.encoding, outcome.notes,
            [(reject.source_row, reject.reason, reject.detail, reject.raw_record) for reject in outcome.rejects])


def read_alone_and_together(contract, raws: list[bytes]) -> tuple[list[tuple], list[tuple]]:
    assert reads_many_files_at_once(contract)
    with duckdb.connect() as engine:
        alone = [summary(read_deliveries([raw], contract, engine)[0]) for raw in raws]
        together = [summary(outcome) for outcome in read_deliveries(raws, contract, engine)]
    return alone, together


def test_json_lines_files_read_together_are_each_read_as_alone():
    contract = contract_of_format("jsonl")
    line = lambda number: json.dumps(record(contract, number), ensure_ascii=False)  # noqa: E731
    raws = [
        f"{line(1)}\n\n{line(2)}\n".encode(),
        f"{line(3)}\nnot json\n[1, 2]\n".encode() + b'{"x": "\xff"}\n' + f"{line(4)}".encode(),
        b"",
        f"{line(5)}\r\n{line(6)}\r\n".encode(),
    ]
    alone, together = read_alone_and_together(contract, raws)
    assert together == alone
    first_column = contract.columns[0].name
    # the second file: its own line numbers, the broken lines rejected with their reasons
    _, records, _, _, rejects = together[1]
    assert [(row[first_column], row["_source_row"]) for row in records] == [
        (f"{first_column}-3-记录", 1), (f"{first_column}-4-记录", 5)]
    assert [(row, reason) for row, reason, _, _ in rejects] == [
        (2, "malformed_json"), (3, "malformed_json"), (4, "encoding_error")]
    assert [row["_source_row"] for row in together[0][1]] == [1, 3]  # the blank line is no record
    assert together[2][1] == [] and [row["_source_row"] for row in together[3][1]] == [1, 2]


def test_json_documents_read_together_are_each_read_as_alone():
    contract = contract_of_format("json")
    document = lambda *elements: json.dumps(list(elements), ensure_ascii=False).encode()  # noqa: E731
    raws = [
        document(record(contract, 1), record(contract, 2)),
        document(record(contract, 3), 7),
        json.dumps(record(contract, 4)).encode(),  # an object, not an array
        b'[{"a": 1}',  # not one JSON document
        b"[\n" + b",\n".join(json.dumps(record(contract, n), ensure_ascii=False).encode() for n in range(9)) + b',\n{"a": "\xff"}\n]',
        document(),
        document(record(contract, 5)),
    ]
    alone, together = read_alone_and_together(contract, raws)
    assert together == alone
    first_column = contract.columns[0].name
    assert [row["_source_row"] for row in together[0][1]] == [1, 2]
    _, records, _, _, rejects = together[1]
    assert [row[first_column] for row in records] == [f"{first_column}-3-记录"]
    assert [(row, reason, raw) for row, reason, _, raw in rejects] == [(2, "malformed_json", "7")]
    assert together[2][:2] == ("rejected", "invalid_json") and "not an array" in together[2][2]
    assert together[3][:2] == ("rejected", "invalid_json") and "not one JSON document" in together[3][2]
    assert together[4][:2] == ("rejected", "encoding_error")
    assert together[5][1] == [] and [row[first_column] for row in together[6][1]] == [f"{first_column}-5-记录"]
