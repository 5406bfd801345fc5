"""Corrections, backfills, seed changes and name normalization through real dbt runs on a few landed records.

The dbt project is copied to tmp (so a test may change the city standard's seeds) and runs against its own DuckDB
file. Records are written as landed Parquet in the documented layout (docs/architecture.md, "Landing"): every contract
column as delivered text plus the lineage columns. Only the hotline models run. Values come from the seeds and the
contract, never from a hard-coded city. The tests run in file order and share the warehouse.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import settings
from pipelines.ingestion.contracts import load_contracts
from pipelines.warehouse import open_warehouse
from tests.dbt_in_process import run_dbt

CONTRACT = load_contracts()["hotline_12345"]
HOTLINE_MODELS = "stg_hotline_12345__work_orders int_hotline_12345__work_orders fct_service_request"
FACT = "marts.fct_service_request"
DAY_1, DAY_2, DAY_3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def read_seed(project: Path, name: str) -> list[dict[str, str]]:
    folder = "mappings" if name.startswith("map_") else "standard"
    with (project / "seeds" / folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_seed(project: Path, name: str, rows: list[dict[str, str]]) -> None:
    with (project / "seeds" / "standard" / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


class Warehouse:
    """A copy of the dbt project, its DuckDB file and landing folder; dbt runs in-process."""

    def __init__(self, root: Path):
        self.project = root / "dbt_project"
        shutil.copytree(settings.DBT_PROJECT_DIR, self.project,
                        ignore=shutil.ignore_patterns("target", "logs", ".user.yml", "__pycache__"))
        self.root = root
        self.path = root / "city.duckdb"
        self.landing = root / "landing"
        first = {name: read_seed(self.project, name)[0] for name in
                 ("std_channel", "std_request_type", "std_request_status", "map_category__hotline_12345")}
        self.city = read_seed(self.project, "std_division_city")[0]
        self.district = read_seed(self.project, "std_division_district")[0]
        self.streets = [s for s in read_seed(self.project, "std_division_street")
                        if s["district_code"] == self.district["district_code"]]
        self.defaults = {
            "channel_name": first["std_channel"]["channel_name"],
            "request_type_name": first["std_request_type"]["request_type_name"],
            "source_category": first["map_category__hotline_12345"]["source_value"],
            "status_name": first["std_request_status"]["status_name"],
            "district_name": self.district["district_name"],
            "incident_address": self.district["district_name"] + self.streets[0]["street_name"] + "1号",
            "caller_phone": "13800138000",
        }

    def dbt(self, *args: str, expect_success: bool = True, without: str | None = None):
        result = run_dbt(list(args), self.root, self.path, self.landing, self.project,
                         {"CITYBRAIN_PSEUDONYM_SALT": "corrections-test"}, without)
        assert result.success is expect_success, f"dbt {args} success={result.success}: {result.exception!r} " \
                                                 f"(log: {self.root / 'logs' / 'dbt.log'})"
        return result

    def run_window(self, start: date, end: date | None = None, *extra: str, expect_success: bool = True,
                   without: str | None = None):
        window = f'{{"window_start": "{start}", "window_end": "{end or start}"}}'
        return self.dbt("run", "--select", *HOTLINE_MODELS.split(), "--vars", window, *extra,
                        expect_success=expect_success, without=without)

    def land(self, day: date, records: list[dict[str, str]]) -> None:
        """Replace a partition's landed Parquet, as the landing asset does when it lands the day again."""
        rows = [{**self.defaults, **record} for record in records]
        columns = {c.name: pa.array([row.get(c.name) for row in rows], pa.string()) for c in CONTRACT.columns}
        source_file = f"hotline_12345/12345_workorders_{day:%Y%m%d}.csv"
        columns |= {
            "_source_file": pa.array([source_file] * len(rows), pa.string()),
            "_source_row": pa.array(range(1, len(rows) + 1), pa.int64()),
            "_load_id": pa.array([f"load-{day}"] * len(rows), pa.string()),
            "_ingested_at": pa.array([datetime(2026, 3, 10)] * len(rows), pa.timestamp("us", tz="UTC")),
            "_record_hash": pa.array([hashlib.sha256(repr(sorted(r.items())).encode()).hexdigest() for r in rows]),
        }
        folder = self.landing / "hotline_12345" / f"partition_key={day}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns), folder / "data.parquet")

    def query(self, sql: str, params=None) -> list[tuple]:
        # dbt-duckdb keeps its connection open in this process: share its (read-write) database instance
        with open_warehouse(self.path) as connection:
            return connection.execute(sql, params or []).fetchall()

    def facts(self) -> dict[str, tuple]:
        rows = self.query(f"select work_order_id, partition_key, status_code, is_repeat_request, street_code "
                          f"from {FACT} order by 1")
        return {row[0]: row[1:] for row in rows}


def order(work_order_id: str, day: date, hour: int = 9, **values: str) -> dict[str, str]:
    return {"work_order_id": work_order_id, "accepted_at": f"{day:%Y/%m/%d} {hour:02d}:00:00", **values}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("corrections"))
    warehouse.dbt("seed", "--select", "+fct_service_request")  # only the seeds the hotline models read
    return warehouse


def test_a_relanded_day_removes_and_changes_its_records_downstream(warehouse):
    statuses = [row["status_name"] for row in read_seed(warehouse.project, "std_request_status")]
    warehouse.land(DAY_1, [order("A", DAY_1), order("B", DAY_1), order("C", DAY_1)])
    warehouse.land(DAY_2, [order("B", DAY_1, status_name=statuses[1]), order("D", DAY_2), order("E", DAY_2)])
    warehouse.run_window(DAY_1, DAY_2)
    built = warehouse.facts()
    assert set(built) == {"A", "B", "C", "D", "E"} and built["B"][0] == DAY_2

    # DAY_2 delivered again: D and B's update are gone, E changed its status
    warehouse.land(DAY_2, [order("E", DAY_2, status_name=statuses[1])])
    warehouse.run_window(DAY_2)
    facts = warehouse.facts()
    assert set(facts) == {"A", "B", "C", "E"}
    assert facts["B"][0] == DAY_1  # falls back to the version DAY_1 still holds
    status_code = {row["status_name"]: row["status_code"] for row in read_seed(warehouse.project, "std_request_status")}
    assert facts["E"][1] == status_code[statuses[1]]
    assert warehouse.query("select count(*) from intermediate.int_hotline_12345__work_orders "
                           "where work_order_id = 'D'") == [(0,)]


def test_backfilling_an_earlier_day_updates_later_repeat_flags(warehouse):
    same_caller = {"caller_phone": "13900139000"}
    warehouse.land(DAY_3, [order("R2", DAY_3, **same_caller)])
    warehouse.run_window(DAY_3)
    assert warehouse.facts()["R2"][2] is False

    # the first request of that caller arrives late: landing DAY_1 again and rebuilding DAY_1 alone flags R2
    warehouse.land(DAY_1, [order("A", DAY_1), order("B", DAY_1), order("C", DAY_1), order("R1", DAY_1, **same_caller)])
    warehouse.run_window(DAY_1)
    assert warehouse.facts()["R2"][2] is True

    # and a correction that removes R1 again clears it
    warehouse.land(DAY_1, [order("A", DAY_1), order("B", DAY_1), order("C", DAY_1)])
    warehouse.run_window(DAY_1)
    facts = warehouse.facts()
    assert "R1" not in facts and facts["R2"][2] is False


def test_a_changed_city_standard_stops_incremental_runs_until_a_full_refresh(warehouse):
    """The standard changes: two real streets of the seed get a bracketed qualifier (the form 中国（南京）软件谷
    takes), one written with full-width （）, one with half-width (), built from the seed's own city and district
    names. The already built facts were conformed with the old names."""
    streets = read_seed(warehouse.project, "std_division_street")
    full_width, half_width = warehouse.streets[0], warehouse.streets[1]
    qualifier = warehouse.city["city_name"]
    renamed = {
        full_width["street_code"]: f"{warehouse.district['district_name']}（{qualifier}）{full_width['street_name']}",
        half_width["street_code"]: f"{warehouse.district['district_name']}({qualifier}){half_width['street_name']}",
    }
    write_seed(warehouse.project, "std_division_street",
               [{**s, "street_name": renamed.get(s["street_code"], s["street_name"])} for s in streets])
    warehouse.dbt("seed", "--select", "std_division_street")

    # the day is landed again: S1 new, its other records gone; the stopped run leaves the built rows as they were
    built = "select work_order_id, partition_key from intermediate.int_hotline_12345__work_orders order by all"
    before = warehouse.query(built)
    warehouse.land(DAY_3, [order("S1", DAY_3)])
    result = warehouse.run_window(DAY_3, expect_success=False)
    messages = [str(r.message) for r in result.result.results if r.status == "error"]
    assert len(messages) == 1, messages
    assert "std_division_street" in messages[0]
    assert f"python -m pipelines.cli build --full-refresh --start {DAY_3} --end {DAY_3}" in messages[0]
    assert warehouse.query(built) == before and any(row[1] == DAY_3 for row in before)

    # each delivered with the other bracket form, and with a spaced, full-width district name
    swapped = {code: name.translate(str.maketrans("（）()", "()（）")) for code, name in renamed.items()}
    warehouse.land(DAY_3, [
        order("N1", DAY_3, incident_address=swapped[full_width["street_code"]] + "8号"),
        order("N2", DAY_3, incident_address=" ".join(swapped[half_width["street_code"]]) + "9号"),
    ])
    warehouse.run_window(DAY_3, DAY_3, "--full-refresh")
    warehouse.run_window(DAY_3)  # incremental runs go on once the facts carry the new standard
    facts = warehouse.facts()
    assert facts["N1"][3] == full_width["street_code"]
    assert facts["N2"][3] == half_width["street_code"]
    assert set(facts) == {"A", "B", "C", "E", "N1", "N2"}  # a full refresh rebuilds every landed partition


def test_without_the_salt_the_first_pseudonym_fails_with_one_clear_message(warehouse):
    result = warehouse.run_window(DAY_3, expect_success=False, without="CITYBRAIN_PSEUDONYM_SALT")
    errors = [r for r in result.result.results if r.status == "error"]
    assert [r.node.name for r in errors] == ["int_hotline_12345__work_orders"]
    assert "CITYBRAIN_PSEUDONYM_SALT is not set" in str(errors[0].message)


def test_a_staging_view_is_created_again_only_when_its_sql_changed(warehouse):
    """Every run selects the staging views of its sources; a view whose SQL is the same is left as it is (it
    reads the landed files by a glob: a partition landed since is in it), one whose SQL changed is created again
    (here: another landing folder, so the view reads that one)."""
    view, left_as_it_is = "stg_hotline_12345__work_orders", "OK (view unchanged)"

    def run_view(*extra: str) -> str:
        results = warehouse.dbt("run", "--select", view, *extra).result.results
        return next(str(result.message) for result in results if result.node.name == view)

    def rows() -> int:
        return warehouse.query(f"select count(*) from staging.{view}")[0][0]

    day_4, day_5 = DAY_3 + timedelta(days=1), DAY_3 + timedelta(days=2)
    warehouse.land(day_4, [order("L1", day_4)])
    run_view()
    assert run_view() == left_as_it_is
    landed = rows()
    warehouse.land(day_5, [order("L2", day_5)])
    assert run_view() == left_as_it_is and rows() == landed + 1

    landing, warehouse.landing = warehouse.landing, warehouse.root / "no_landing_yet"
    try:
        assert run_view() != left_as_it_is and rows() == 0
    finally:
        warehouse.landing = landing
    assert run_view() != left_as_it_is and rows() == landed + 1
    assert run_view() == left_as_it_is
    assert run_view("--full-refresh") != left_as_it_is and rows() == landed + 1
