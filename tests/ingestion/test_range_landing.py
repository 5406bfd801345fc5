"""A run over a range of partitions lands them in one pass, with exactly the outcome of landing them one by one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.landing import land_partition, land_partitions
from pipelines.warehouse import warehouse_connection

CONTRACT = replace(load_contracts()["hotline_12345"], complete_after_seconds=0)
HEADER = ",".join(column.source for column in CONTRACT.columns)
ROW = "RX{n},2026/11/0{day} 14:05:11,电话,投诉,市容环境,标题,示例区,地址,张三,13800138000,,,,,已受理,"
DAYS = ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"]
LINEAGE_OF_THE_RUN = ("_load_id", "_ingested_at")


def _file(day: int, rows: list[str]) -> bytes:
    return (HEADER + "\n" + "\n".join(rows) + "\n").encode("gb18030")


def _name(day: int, suffix: str = "") -> str:
    return f"12345_workorders_2026110{day}{suffix}.csv"


def _earlier_deliveries(inbox: Path) -> None:
    """Day 1 lies outside the run; day 4 was landed earlier and its file has since been archived."""
    folder = inbox / CONTRACT.source
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _name(1)).write_bytes(_file(1, [ROW.format(n=100, day=1), ROW.format(n=101, day=1)]))
    (folder / _name(4)).write_bytes(_file(4, [ROW.format(n=400, day=4)]))


def _deliveries_of_the_run(inbox: Path) -> None:
    folder = inbox / CONTRACT.source
    (folder / _name(4)).unlink()
    day2 = _file(2, [ROW.format(n=1, day=2), ROW.format(n=2, day=2), ROW.format(n=2, day=2),
                     ROW.format(n=3, day=2) + ",extra", ROW.format(n="", day=2).replace("RX,", ",", 1)])
    (folder / _name(2)).write_bytes(day2)
    (folder / _name(3)).write_bytes(day2)  # the same bytes again: a duplicate delivery across partitions
    (folder / _name(3, "_b")).write_bytes(_file(3, [ROW.format(n=2, day=3), ROW.format(n=31, day=3)]))
    (folder / _name(5)).write_bytes((folder / _name(1)).read_bytes())  # a copy of a file landed before the run
    (folder / _name(6)).write_bytes(_file(6, [ROW.format(n="", day=6).replace("RX,", ",", 1)]))  # nothing lands


def _land_then_describe(root: Path, in_one_run: bool, pass_bytes: int | None = None) -> dict:
    inbox, landing, database = root / "inbox", root / "landing", root / "city.duckdb"
    _earlier_deliveries(inbox)
    with warehouse_connection(database) as connection:
        for key in ("2026-11-01", "2026-11-04"):
            land_partition(CONTRACT, key, connection, inbox, landing)
        _deliveries_of_the_run(inbox)
        if in_one_run:
            with pytest.MonkeyPatch.context() as patch:
                if pass_bytes is not None:
                    patch.setattr("pipelines.ingestion.batch.PASS_DELIVERED_BYTES", pass_bytes)
                loads = land_partitions(CONTRACT, DAYS, connection, inbox, landing)
        else:
            loads = [land_partition(CONTRACT, key, connection, inbox, landing) for key in DAYS]
        ledger = connection.execute(
            "select partition_key, source_file, file_sha256, encoding, status, rows_read, rows_landed, "
            "rows_quarantined, detail from ops.ingestion_ledger order by all").fetchall()
        quarantine = connection.execute(
            "select partition_key, source_file, source_row, reason, detail, raw_record from ops.quarantine "
            "order by all").fetchall()
        landed = {key: connection.execute(
            f"select * exclude ({', '.join(LINEAGE_OF_THE_RUN)}) from "
            f"'{landing}/{CONTRACT.source}/partition_key={key}/data.parquet'").fetchall() for key in DAYS}
        load_ids = connection.execute(
            "select partition_key, count(distinct load_id) from ops.ingestion_ledger group by 1 order by 1").fetchall()
    counts = [(load.partition_key, load.rows_read, load.rows_landed, load.rows_quarantined, load.rows_in_partition,
               load.kept_landed_data, dict(load.quarantined_by_reason)) for load in loads]
    return {"ledger": ledger, "quarantine": quarantine, "landed": landed, "counts": counts, "load_ids": load_ids,
            "landing_entries": sorted(path.name for path in landing.iterdir())}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> tuple[dict, dict]:
    return (_land_then_describe(tmp_path_factory.mktemp("one_run"), in_one_run=True),
            _land_then_describe(tmp_path_factory.mktemp("one_by_one"), in_one_run=False))


def _without_load_ids(outcome: dict) -> dict:
    return {name: value for name, value in outcome.items() if name != "load_ids"}


def test_a_range_run_in_several_passes_lands_as_in_one(outcomes, tmp_path):
    """A pass holds about PASS_DELIVERED_BYTES of deliveries: here two days' files each."""
    in_passes = _land_then_describe(tmp_path, in_one_run=True, pass_bytes=2 * len(_file(2, [ROW] * 5)))
    assert _without_load_ids(in_passes) == _without_load_ids(outcomes[0])


def test_a_range_run_counts_exactly_as_partition_runs(outcomes):
    in_one_run, one_by_one = outcomes
    assert in_one_run["counts"] == one_by_one["counts"]
    assert in_one_run["counts"] == [
        ("2026-11-02", 5, 2, 3, 2, False, {"duplicate_record": 1, "missing_required": 1, "malformed_row": 1}),
        ("2026-11-03", 7, 2, 5, 2, False, {"duplicate_delivery": 5}),
        ("2026-11-04", 0, 0, 0, 1, True, {}),
        ("2026-11-05", 2, 0, 2, 0, False, {"duplicate_delivery": 2}),
        ("2026-11-06", 1, 0, 1, 0, False, {"missing_required": 1}),
    ]


def test_a_range_run_records_the_same_ledger_and_quarantine(outcomes):
    in_one_run, one_by_one = outcomes
    assert in_one_run["ledger"] == one_by_one["ledger"]
    assert in_one_run["quarantine"] == one_by_one["quarantine"]
    assert {(key, file, status) for key, file, _, _, status, *_ in in_one_run["ledger"]} >= {
        ("2026-11-03", f"{CONTRACT.source}/{_name(3)}", "duplicate_delivery"),
        ("2026-11-04", "", "no_delivery"),
        ("2026-11-04", f"{CONTRACT.source}/{_name(4)}", "landed"),
        ("2026-11-05", f"{CONTRACT.source}/{_name(5)}", "duplicate_delivery"),
    }


def test_a_range_run_lands_the_same_records_in_the_same_order(outcomes):
    in_one_run, one_by_one = outcomes
    assert in_one_run["landed"] == one_by_one["landed"]
    assert [row[0] for row in in_one_run["landed"]["2026-11-03"]] == ["RX2", "RX31"]
    assert in_one_run["landed"]["2026-11-06"] == []


def test_each_partition_of_a_range_run_has_its_own_load(outcomes):
    in_one_run, _ = outcomes
    assert [count for _, count in in_one_run["load_ids"]] == [1, 1, 1, 2, 1, 1]  # day 4 keeps its earlier load


def test_a_range_run_leaves_no_staged_file(outcomes):
    in_one_run, _ = outcomes
    assert in_one_run["landing_entries"] == [CONTRACT.source]
