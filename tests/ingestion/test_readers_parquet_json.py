"""The Parquet and JSON-document readers: text exactly as delivered, typed columns as unambiguous text, bad files
quarantined whole with a specific reason, and (through landing) counts that add up."""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.ingestion.contracts import load_contracts
from pipelines.ingestion.landing import land_partition
from pipelines.ingestion.readers import read_delivery
from pipelines.ingestion.readers_parquet import read_parquet
from pipelines.ingestion.records import FileRejected

CONTRACTS = load_contracts()
POLICE, EMERGENCY = CONTRACTS["police_incidents"], CONTRACTS["emergency_events"]
LOCAL = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def engine():
    connection = duckdb.connect()
    yield connection
    connection.close()


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def police_table(**overrides) -> pa.Table:
    columns = {
        "警情编号": pa.array(["JQ1", "JQ2"]),
        "接警时间": pa.array([dt.datetime(2026, 3, 1, 8, 5, tzinfo=LOCAL), dt.datetime(2026, 3, 1, 23, 59, 1, 500000,
                                                                                      tzinfo=LOCAL)],
                             pa.timestamp("ms", tz="Asia/Shanghai")),
        "警情类别": pa.array(["纠纷", None]),
        "管辖派出所": pa.array(["甲派出所", "乙派出所"]).dictionary_encode(),
        "到场时间": pa.array([dt.datetime(2026, 3, 1, 8, 20), None], pa.timestamp("us")),
        "处警结果": pa.array([b"\xe5\xb7\xb2\xe8\xb0\x83\xe8\xa7\xa3", None], pa.binary()),
    }
    columns.update(overrides)
    return pa.table(columns)


def test_parquet_columns_land_as_text_timestamps_unambiguous(engine):
    read = read_parquet(parquet_bytes(police_table()), POLICE, engine)
    rows = read.records.to_pylist()
    assert [row["reported_at"] for row in rows] == ["2026-03-01T08:05:00+08:00", "2026-03-01T23:59:01.500+08:00"]
    assert [row["arrived_at"] for row in rows] == ["2026-03-01 08:20:00", None]  # no zone: local wall-clock text
    assert [row["jurisdiction"] for row in rows] == ["甲派出所", "乙派出所"]
    assert [row["disposal_result"] for row in rows] == ["已调解", None]
    assert [row["_source_row"] for row in rows] == [1, 2]
    assert read.records.schema.field("reported_at").type == pa.string()
    # absent columns are NULL and reported; none of them is required here
    assert set(read.missing_columns) == {"report_channel", "incident_type", "incident_address", "closed_at"}


def test_a_utc_timestamp_keeps_its_instant(engine):
    stamps = pa.array([dt.datetime(2026, 3, 1, 0, 5, tzinfo=dt.UTC)], pa.timestamp("s", tz="UTC"))
    table = pa.table({"警情编号": ["JQ1"], "接警时间": stamps})
    [row] = read_parquet(parquet_bytes(table), POLICE, engine).records.to_pylist()
    assert row["reported_at"] == "2026-03-01T00:05:00+00:00"


def test_numbers_booleans_dates_and_nested_values_become_their_text(engine):
    table = pa.table({
        "警情编号": pa.array([7, 8], pa.int64()),
        "事发地址": pa.array([Decimal("1.50"), None], pa.decimal128(5, 2)),
        "处警结果": pa.array([True, False]),
        "办结时间": pa.array([dt.date(2026, 3, 2), None]),
        "警情类型": pa.array([[1, 2], None], pa.list_(pa.int64())),
    })
    rows = read_parquet(parquet_bytes(table), POLICE, engine).records.to_pylist()
    assert [(r["incident_id"], r["incident_address"], r["disposal_result"], r["closed_at"], r["incident_type"])
            for r in rows] == [("7", "1.50", "true", "2026-03-02", "[1,2]"), ("8", None, "false", None, None)]


@pytest.mark.parametrize("raw", [b"", b"PAR1not really parquet", b"\x89PNG\r\n\x1a\n" + b"\0" * 64])
def test_a_file_that_is_not_parquet_is_rejected_whole(engine, raw):
    with pytest.raises(FileRejected) as rejected:
        read_parquet(raw, POLICE, engine)
    assert rejected.value.reason == "invalid_parquet"
    assert rejected.value.detail.startswith("not a valid Parquet file")
    assert rejected.value.records is None  # counts as one record


def test_a_truncated_parquet_file_is_rejected_whole(engine):
    data = parquet_bytes(police_table())
    with pytest.raises(FileRejected) as rejected:
        read_delivery(data[: len(data) // 2], POLICE, engine)
    assert rejected.value.reason == "invalid_parquet"


def test_binary_that_is_not_utf8_is_rejected_naming_the_column(engine):
    table = police_table(处警结果=pa.array([b"\xff\xfe", None], pa.binary()))
    with pytest.raises(FileRejected) as rejected:
        read_parquet(parquet_bytes(table), POLICE, engine)
    assert (rejected.value.reason, rejected.value.detail) == ("invalid_parquet",
                                                              "column 处警结果 holds bytes that are not UTF-8 text")


EVENTS = [
    {"eventId": "YJ1", "eventType": "事故灾难", "level": "Ⅳ级", "reportTime": "2026-03-01 08:00:00",
     "location": {"district": "甲区", "street": "乙街道"}, "casualties": {"dead": 0, "injured": 2},
     "response": [{"time": "2026-03-01T08:10:00+08:00", "level": "街道", "action": "上报", "unit": "乙街道应急办"}]},
    "not an object",
    {"eventId": "YJ3", "eventType": "自然灾害", "level": "II", "reportTime": 1772323500000},
]


def test_a_json_document_lands_one_row_per_element_nested_values_as_json_text(engine):
    read = read_delivery(json.dumps(EVENTS, ensure_ascii=False).encode(), EMERGENCY, engine)
    rows = read.records.to_pylist()
    assert [row["_source_row"] for row in rows] == [1, 3]
    first, third = rows
    assert (first["district_name"], first["street_name"], first["deaths"], first["injuries"]) == ("甲区", "乙街道",
                                                                                                  "0", "2")
    assert json.loads(first["response_steps"]) == EVENTS[0]["response"]
    assert (third["reported_at"], third["district_name"], third["response_steps"]) == ("1772323500000", None, None)
    [reject] = read.rejects
    assert (reject.source_row, reject.reason, reject.raw_record) == (2, "malformed_json", '"not an object"')


@pytest.mark.parametrize("raw, detail", [
    (b'[{"eventId": "YJ1"}, {"eventId": ', "not one JSON document: Malformed JSON at byte"),
    (b'{"events": []}', "the document is a JSON object, not an array of records"),
    (b"", "not one JSON document"),
])
def test_a_file_that_is_not_a_json_array_is_rejected_whole(engine, raw, detail):
    with pytest.raises(FileRejected) as rejected:
        read_delivery(raw, EMERGENCY, engine)
    assert rejected.value.reason == "invalid_json"
    assert rejected.value.detail.startswith(detail)


def test_landing_counts_a_corrupt_parquet_file_as_one_quarantined_record(tmp_path):
    inbox, landing = tmp_path / "inbox", tmp_path / "landing"
    (inbox / "police_incidents").mkdir(parents=True)
    good = parquet_bytes(police_table(警情类别=pa.array(["纠纷", "求助"])))
    (inbox / "police_incidents" / "jq_20260301.parquet").write_bytes(good)
    (inbox / "police_incidents" / "jq_20260301_b.parquet").write_bytes(good[:100])
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        load = land_partition(replace(POLICE, complete_after_seconds=0), "2026-03-01", connection, inbox, landing)
        quarantine = connection.execute("select source_file, reason from ops.quarantine").fetchall()
    assert (load.rows_read, load.rows_landed, load.rows_quarantined) == (3, 2, 1)
    assert quarantine == [("police_incidents/jq_20260301_b.parquet", "invalid_parquet")]
    assert sorted(file.status for file in load.files) == ["invalid_parquet", "landed"]
