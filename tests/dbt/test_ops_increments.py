"""The unmapped-code report built day by day equals a full rebuild: a record's newer version replaces its unmapped
values, a re-landed day that lost a record falls back to the record's earlier version or deletes it.

Real dbt runs on a few landed hotline records (the harness of test_corrections.py); values that do not conform are
made unknown by construction (a name no seed spells), never taken from a hard-coded list.
"""

from __future__ import annotations

import pytest

from tests.dbt.test_corrections import DAY_1, DAY_2, Warehouse, order

MODELS = ("ops_unmapped_code_records", "ops_unmapped_codes")
UNKNOWN = "不存在的区名"  # no district seed spells it


# every run passes the same vars (a change of vars makes dbt parse the project again): the first run builds all
WINDOW = f'{{"window_start": "{DAY_2}", "window_end": "{DAY_2}"}}'


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("ops_increments"))
    warehouse.dbt("seed", "--select", "+ops_unmapped_codes", "--vars", WINDOW)
    return warehouse


def run(warehouse: Warehouse, *extra: str) -> None:
    # the staging views too on the first run: a view of a source not landed yet reads an empty relation
    built = warehouse.query("select count(*) from information_schema.tables "
                            "where table_name = 'ops_unmapped_code_records'")[0][0]
    select = ["+ops_unmapped_codes"] if "--full-refresh" in extra or not built else list(MODELS)
    warehouse.dbt("run", "--select", *select, "--vars", WINDOW, *extra)


def unmapped_districts(warehouse: Warehouse) -> dict[str, tuple]:
    rows = warehouse.query("select record_key, partition_key, raw_value from ops.ops_unmapped_code_records "
                           "where source = 'hotline_12345' and element = 'district'")
    return {key: (partition_key, raw_value) for key, partition_key, raw_value in rows}


def built_rows(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {model: sorted(warehouse.query(f"select * from ops.{model}"), key=repr) for model in MODELS}


def test_day_by_day_equals_a_full_rebuild_also_after_a_relanded_day(warehouse):
    warehouse.land(DAY_1, [order("A", DAY_1, district_name=UNKNOWN), order("B", DAY_1)])
    run(warehouse)
    warehouse.land(DAY_2, [order("B", DAY_1, district_name=UNKNOWN + "2"), order("D", DAY_2, district_name=UNKNOWN)])
    run(warehouse)
    assert unmapped_districts(warehouse) == {"A": (DAY_1, UNKNOWN), "B": (DAY_2, UNKNOWN + "2"), "D": (DAY_2, UNKNOWN)}

    # DAY_2 delivered again without B's update and without D: B falls back to DAY_1 (conformed), D is gone
    warehouse.land(DAY_2, [order("E", DAY_2)])
    run(warehouse)
    assert unmapped_districts(warehouse) == {"A": (DAY_1, UNKNOWN)}
    assert warehouse.query("select record_key, partition_key from ops.ops_unmapped_code_records "
                           "where source = 'hotline_12345' order by 1") == [("A", DAY_1), ("B", DAY_1), ("E", DAY_2)]
    day_by_day = built_rows(warehouse)

    run(warehouse, "--full-refresh")
    assert built_rows(warehouse) == day_by_day
