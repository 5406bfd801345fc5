from __future__ import annotations

import os
from dataclasses import replace

import pytest

from pipelines.ingestion.contracts import ColumnSpec, load_contracts
from pipelines.ingestion.inbox import DeliveryChanged, partition_deliveries, read_delivery_bytes
from pipelines.ingestion.landing import land_partition
from pipelines.warehouse import open_warehouse, warehouse_connection

CONTRACT = replace(load_contracts()["hotline_12345"], complete_after_seconds=0)
HEADER = ",".join(column.source for column in CONTRACT.columns)
ROW = "RX{n},2026/11/03 14:05:11,电话,投诉,市容环境,标题,示例区,地址,张三,13800138000,,,,,已受理,"


def _deliver(inbox, name: str, rows: list[str], header: str = HEADER) -> None:
    folder = inbox / CONTRACT.source
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes((header + "\n" + "\n".join(rows) + "\n").encode("gb18030"))


def _land(key: str = "2026-11-03"):
    with warehouse_connection() as connection:
        return land_partition(CONTRACT, key, connection)


def _query(workdirs, sql: str):
    with open_warehouse(workdirs["warehouse"], read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _landed(workdirs, key: str = "2026-11-03"):
    return _query(workdirs, f"select work_order_id, _source_row from "
                            f"'{workdirs['landing']}/hotline_12345/partition_key={key}/data.parquet' order by 2")


def test_every_record_is_landed_or_quarantined_with_a_reason(workdirs):
    rows = [ROW.format(n=1), ROW.format(n=2), ROW.format(n=2), ROW.format(n="").replace("RX,", ",", 1),
            ROW.format(n=5) + ",extra"]
    _deliver(workdirs["inbox"], "12345_workorders_20261103.csv", rows)
    load = _land()
    assert (load.rows_read, load.rows_landed, load.rows_quarantined) == (5, 2, 3)
    assert dict(load.quarantined_by_reason) == {"duplicate_record": 1, "missing_required": 1, "malformed_row": 1}
    assert _landed(workdirs) == [("RX1", 1), ("RX2", 2)]
    assert _query(workdirs, "select source_row, reason from ops.quarantine order by 1") == [
        (3, "duplicate_record"), (4, "missing_required"), (5, "malformed_row")]
    assert _query(workdirs, "select rows_read, rows_landed, rows_quarantined, status from ops.ingestion_ledger") == [
        (5, 2, 3, "landed_with_quarantine")]


def test_landing_a_partition_again_replaces_it(workdirs):
    _deliver(workdirs["inbox"], "12345_workorders_20261103.csv", [ROW.format(n=1), ROW.format(n=1)])
    first = _land()
    second = _land()
    assert first.load_id != second.load_id
    assert _landed(workdirs) == [("RX1", 1)]
    assert _query(workdirs, "select count(*), any_value(load_id) from ops.ingestion_ledger") == [(1, second.load_id)]
    assert _query(workdirs, "select count(*) from ops.quarantine") == [(1,)]


def test_a_redelivered_copy_is_quarantined_whole_in_the_same_or_a_later_partition(workdirs):
    rows = [ROW.format(n=1), ROW.format(n=2)]
    _deliver(workdirs["inbox"], "12345_workorders_20261103.csv", rows)
    _deliver(workdirs["inbox"], "12345_workorders_20261103_resend.csv", rows)
    load = _land()
    assert [file.status for file in load.files] == ["landed", "duplicate_delivery"]
    assert dict(load.quarantined_by_reason) == {"duplicate_delivery": 2}
    (workdirs["inbox"] / "hotline_12345" / "12345_workorders_20261104.csv").write_bytes(
        (workdirs["inbox"] / "hotline_12345" / "12345_workorders_20261103.csv").read_bytes())
    next_day = _land("2026-11-04")
    assert next_day.rows_landed == 0 and dict(next_day.quarantined_by_reason) == {"duplicate_delivery": 2}
    assert "12345_workorders_20261103.csv" in next_day.files[0].detail
    assert _landed(workdirs, "2026-11-04") == []


def test_schema_drift_quarantines_the_file_and_says_which_columns(workdirs):
    header = HEADER.replace("工单编号", "工单号")
    _deliver(workdirs["inbox"], "12345_workorders_20261103.csv", [ROW.format(n=1)], header=header)
    load = _land()
    assert load.files[0].status == "schema_drift"
    assert _query(workdirs, "select reason, detail from ops.quarantine") == [
        ("schema_drift", "required columns missing: work_order_id")]


def test_an_unreadable_file_counts_as_one_quarantined_record(workdirs):
    folder = workdirs["inbox"] / "hotline_12345"
    folder.mkdir()
    (folder / "12345_workorders_20261103.csv").write_bytes(b"")
    load = _land()
    assert (load.rows_read, load.rows_quarantined, load.files[0].status) == (1, 1, "unreadable")


def test_a_first_missing_delivery_lands_an_empty_partition_with_a_no_delivery_row(workdirs):
    load = _land()
    assert [(f.status, f.rows_read, f.rows_landed, f.rows_quarantined) for f in load.files] == [
        ("no_delivery", 0, 0, 0)]
    assert _landed(workdirs) == []
    assert _query(workdirs, "select status, source_file from ops.ingestion_ledger") == [("no_delivery", "")]


@pytest.mark.parametrize("source", sorted(load_contracts()))
def test_landed_schema_is_the_contract_plus_lineage(workdirs, source):
    contract = replace(load_contracts()[source], complete_after_seconds=0)
    with warehouse_connection() as connection:
        load = land_partition(contract, "2026-11-01", connection)
    columns = [name for name, *_ in _query(workdirs, f"describe select * from read_parquet('{load.landed_path}', hive_partitioning = false)")]
    assert columns == [c.name for c in contract.columns] + [
        "_source_file", "_source_row", "_load_id", "_ingested_at", "_record_hash"]


def test_a_contract_gaining_a_column_conforms_the_partitions_landed_before(workdirs):
    _deliver(workdirs["inbox"], "12345_workorders_20261103.csv", [ROW.format(n=1)])
    _land()
    note = ColumnSpec("note", "附注", "string", "a note added to the contract later")
    grown = replace(CONTRACT, columns=(*CONTRACT.columns, note))
    _deliver(workdirs["inbox"], "12345_workorders_20261104.csv", [ROW.format(n=2) + ",备注"], HEADER + ",附注")
    with warehouse_connection() as connection:
        land_partition(grown, "2026-11-04", connection)
    landed = f"read_parquet('{workdirs['landing']}/hotline_12345/*/*.parquet', hive_partitioning = true)"
    assert _query(workdirs, f"select partition_key::varchar, work_order_id, note from {landed} order by 1") == [
        ("2026-11-03", "RX1", None), ("2026-11-04", "RX2", "备注")]


def test_a_file_growing_while_it_is_read_is_not_complete(tmp_path, monkeypatch):
    folder = tmp_path / CONTRACT.source
    folder.mkdir()
    delivered = folder / "12345_workorders_20261103.csv"
    delivered.write_bytes(b"header\nfirst row\n")
    (delivery,) = partition_deliveries(CONTRACT, "2026-11-03", tmp_path)
    real_lstat = os.lstat

    def lstat_after_more_was_written(path, *args, **kwargs):
        with open(delivered, "ab") as writer:
            writer.write(b"second row, cut off at the e")
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", lstat_after_more_was_written)
    with pytest.raises(DeliveryChanged, match="changed while it was read"):
        read_delivery_bytes(delivery)


def test_a_partition_landed_under_an_older_contract_takes_the_current_schema(workdirs):
    """Readers need no union_by_name: a source's landed files keep one schema, the one landing writes now."""
    older_contract = replace(CONTRACT, columns=tuple(c for c in CONTRACT.columns if c.name != "satisfaction_name"))
    _deliver(workdirs["inbox"], "12345_workorders_20261102.csv", [ROW.format(n=1).removesuffix(",")],
             header=",".join(column.source for column in older_contract.columns))
    _deliver(workdirs["inbox"], "12345_workorders_20261103.csv", [ROW.format(n=2)])
    with warehouse_connection() as connection:
        land_partition(older_contract, "2026-11-02", connection)
    older = workdirs["landing"] / "hotline_12345" / "partition_key=2026-11-02" / "data.parquet"
    assert "satisfaction_name" not in _query(workdirs, f"select list(name) from parquet_schema('{older}')")[0][0]
    _land("2026-11-03")
    schemas = _query(workdirs, f"select distinct list(name order by name) over (partition by file_name) "
                               f"from parquet_schema('{workdirs['landing']}/hotline_12345/*/*.parquet')")
    assert len(schemas) == 1
    assert _query(workdirs, f"select work_order_id, satisfaction_name from '{older}'") == [("RX1", None)]
