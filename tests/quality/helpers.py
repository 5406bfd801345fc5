"""Helpers that build a small warehouse: the seed CSVs as text tables, mart tables and landed Parquet."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta, timezone

import duckdb
import pandas as pd

from pipelines import settings
from pipelines.quality.suites import expectation_columns, load_suites

SEEDS_DIR = settings.DBT_PROJECT_DIR / "seeds"


def standard_rows(seed: str) -> list[dict]:
    with open(SEEDS_DIR / "standard" / f"{seed}.csv", encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


# A district of the city standard, whichever city the seeds describe.
DISTRICT = standard_rows("std_division_district")[0]


def load_seeds(connection: duckdb.DuckDBPyConnection) -> None:
    for csv_path in sorted(SEEDS_DIR.glob("*/*.csv")):
        schema = csv_path.parent.name  # seeds/standard/*.csv → schema standard, seeds/mappings → mappings
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        connection.execute(
            f"CREATE TABLE {schema}.{csv_path.stem} AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
            [str(csv_path)],
        )


def create_table(connection: duckdb.DuckDBPyConnection, relation: str, columns: str, rows: list[dict]) -> None:
    """CREATE TABLE relation (columns) and insert rows (dicts by column name; DuckDB casts the values)."""
    connection.execute(f"CREATE TABLE {relation} ({columns})")
    connection.register("new_rows", pd.DataFrame(rows))
    connection.execute(f"INSERT INTO {relation} BY NAME SELECT * FROM new_rows")
    connection.unregister("new_rows")


def write_landing(source: str, partition_key: str, rows: list[dict], columns: list[str]) -> None:
    """Land rows as the landing step does: every column VARCHAR, one Parquet file per partition."""
    folder = settings.landing_dir() / source / f"partition_key={partition_key}"
    folder.mkdir(parents=True)
    with duckdb.connect() as connection:
        connection.register("landed", pd.DataFrame(rows, columns=columns).astype("string"))
        connection.execute(f"COPY landed TO '{folder / 'data.parquet'}' (FORMAT parquet)")


CHINA = timezone(timedelta(hours=8))

FCT_SERVICE_REQUEST_COLUMNS = """
    work_order_id VARCHAR, accepted_at TIMESTAMPTZ, channel_code VARCHAR, request_type_code VARCHAR,
    category_code VARCHAR, district_code VARCHAR, street_code VARCHAR, status_code VARCHAR,
    satisfaction_code VARCHAR, caller_phone_masked VARCHAR, caller_pseudonym VARCHAR, caller_id_is_valid BOOLEAN,
    dispatched_at TIMESTAMPTZ, closed_at TIMESTAMPTZ, lifecycle_in_order BOOLEAN, dispatch_minutes DOUBLE,
    response_minutes DOUBLE, handling_hours DOUBLE, closing_hours DOUBLE, time_limit_hours INTEGER,
    partition_key DATE, source_file VARCHAR
"""


def service_request(number: int, **overrides) -> dict:
    """A valid work order; numbers 1-10 are in partition 2026-03-01, 11-20 in 2026-03-02."""
    accepted_at = datetime(2026, 3, 1, 8, tzinfo=CHINA) + timedelta(hours=number)
    row = {
        "work_order_id": f"WO{number:04d}",
        "accepted_at": accepted_at,
        "channel_code": "01",
        "request_type_code": "1",
        "category_code": "0101",
        "district_code": DISTRICT["district_code"],
        "street_code": None,
        "status_code": "40",
        "satisfaction_code": "1",
        "caller_phone_masked": "138****8000",
        "caller_pseudonym": "ab" * 32,
        "caller_id_is_valid": True,
        "dispatched_at": accepted_at + timedelta(hours=1),
        "closed_at": accepted_at + timedelta(hours=5),
        "lifecycle_in_order": True,
        "dispatch_minutes": 60.0,
        "response_minutes": 30.0,
        "handling_hours": 3.0,
        "closing_hours": 5.0,
        "time_limit_hours": 24,
        "partition_key": date(2026, 3, 1) if number <= 10 else date(2026, 3, 2),
        "source_file": "12345_workorders_20260301.csv",
    }
    return row | overrides


def defective_service_requests() -> list[dict]:
    rows = [service_request(number) for number in range(1, 21)]
    rows[1]["time_limit_hours"] = 0  # no time limit                               ERROR
    rows[2]["caller_pseudonym"] = "not-a-pseudonym"  # not a salted hash           ERROR
    rows[3]["response_minutes"] = -5.0  # negative duration: 1/20 > 2%            WARN
    rows[4]["caller_phone_masked"] = "13812348000"  # unmasked phone              ERROR
    rows[5]["closed_at"] = rows[5]["accepted_at"] - timedelta(hours=1)  # 1/20 > 2%  WARN
    rows[5]["lifecycle_in_order"] = False  # 1/20 > 2%                            WARN
    rows[6]["caller_id_is_valid"] = False  # 1/20 = 5% invalid, still within mostly 0.95
    return rows


HOTLINE_COLUMNS = sorted({c for e in load_suites()["hotline_12345"].expectations for c in expectation_columns(e)})


def hotline_row(number: int, **overrides) -> dict:
    row = {
        "work_order_id": f"WO2026030{number:04d}",
        "accepted_at": "2026/03/01 08:00:00",
        "dispatched_at": "2026/03/01 09:00:00",
        "responded_at": "2026/03/01 10:00:00",
        "closed_at": "2026/03/01 12:00:00",
        "channel_name": "电话",
        "request_type_name": "咨询",
        "status_name": "已办结",
        "satisfaction_name": "满意",
        "district_name": DISTRICT["district_name"],
        "source_category": "市容环境",
        "caller_phone": "13800138000",
        "caller_id_number": "11010519491231002X",
    }
    return row | overrides


def defective_hotline_rows() -> list[dict]:
    rows = [hotline_row(number) for number in range(1, 21)]
    rows[0]["status_name"] = None  # empty: not a code-set failure (landing quarantines empty required fields)
    rows[1]["accepted_at"] = rows[6]["accepted_at"] = "2026-03-01T08:00:00+08:00"  # not the contract's format:
    # 2/20 > 5% off: ERROR (and WARN)
    rows[2]["district_name"] = DISTRICT["district_name"][:-1]  # name variant: 1/20, within mostly 0.95
    rows[3]["channel_name"] = rows[4]["channel_name"] = "热线电话"  # 2/20 > 5%     WARN
    rows[5]["caller_id_number"] = "12345"  # 1/20, within mostly 0.95
    return rows
