"""Enforced contract constraints are checks: DuckDB enforces them while a mart is built, so they replace the
not-NULL and range data tests a run would otherwise repeat (docs/data_quality.md, "No check runs twice"). A
standard seed's checks are one test per seed (seed_rows_valid), and a model's coded columns one test per model
(codes_in_code_sets); each still fails for, and names, each broken column.

Through real dbt runs of the hotline models on a few landed records (the harness of test_corrections.py): every
constraint the manifest declares exists on the built incremental fact, and a row that breaks one fails the build
with DuckDB's message naming the model and the column, leaving the built rows as they were.
"""

from __future__ import annotations

import json

import pytest

from tests.dbt.test_corrections import DAY_1, DAY_2, FACT, Warehouse, order, read_seed, write_seed

MODEL = FACT.split(".")[1]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("constraints"))
    warehouse.dbt("seed", "--select", "+fct_service_request")
    warehouse.land(DAY_1, [order("A", DAY_1), order("B", DAY_1)])
    warehouse.run_window(DAY_1)
    return warehouse


def manifest_model(warehouse: Warehouse) -> dict:
    manifest = json.loads((warehouse.root / "target" / "manifest.json").read_text(encoding="utf-8"))
    model = manifest["nodes"][f"model.citybrain.{MODEL}"]
    assert model["config"]["contract"]["enforced"]
    return model


def declared_constraints(warehouse: Warehouse) -> dict[str, list[dict]]:
    model = manifest_model(warehouse)
    return {name: column["constraints"] for name, column in model["columns"].items() if column["constraints"]}


def break_model(warehouse: Warehouse, column: str, value: str) -> str:
    """The fact's SQL with one column replaced by a value that breaks its constraint; returns the original SQL."""
    path = warehouse.project / "models" / "marts" / f"{MODEL}.sql"
    original = path.read_text(encoding="utf-8")
    path.write_text(f"select * replace ({value} as {column}) from (\n{original}\n) as built", encoding="utf-8")
    return original


def restore_model(warehouse: Warehouse, original: str) -> None:
    (warehouse.project / "models" / "marts" / f"{MODEL}.sql").write_text(original, encoding="utf-8")


def test_the_built_incremental_fact_carries_every_declared_constraint(warehouse):
    declared = declared_constraints(warehouse)
    not_null = {name for name, constraints in declared.items() if any(c["type"] == "not_null" for c in constraints)}
    checked = {name for name, constraints in declared.items() if any(c["type"] == "check" for c in constraints)}
    assert not_null and checked
    rows = warehouse.query("select constraint_type, constraint_column_names from duckdb_constraints() "
                           "where schema_name = ? and table_name = ?", list(FACT.split(".")))
    assert {columns[0] for kind, columns in rows if kind == "NOT NULL"} >= not_null
    assert {columns[0] for kind, columns in rows if kind == "CHECK"} >= checked
    model_checks = [c for c in manifest_model(warehouse)["constraints"] if c["type"] == "check"]
    assert model_checks  # a rule between columns of a row
    column_checks = sum(c["type"] == "check" for constraints in declared.values() for c in constraints)
    assert sum(kind == "CHECK" for kind, _ in rows) == column_checks + len(model_checks)


@pytest.mark.parametrize("kind", ["not_null", "check"])
def test_a_row_breaking_a_constraint_fails_the_build_naming_model_and_column(warehouse, kind):
    declared = declared_constraints(warehouse)
    column = sorted(name for name, constraints in declared.items()
                    if any(c["type"] == kind for c in constraints) and name != "partition_key")[0]
    data_type = warehouse.query(f"select data_type from information_schema.columns "
                                f"where table_schema = ? and table_name = ? and column_name = ?",
                                [*FACT.split("."), column])[0][0]
    before = warehouse.query(f"select * from {FACT} order by work_order_id")
    broken = f"cast({'null' if kind == 'not_null' else -1} as {data_type})"
    original = break_model(warehouse, column, broken)
    try:
        warehouse.land(DAY_2, [order("C", DAY_2)])
        result = warehouse.run_window(DAY_2, expect_success=False)
    finally:
        restore_model(warehouse, original)
    failed = [r for r in result.result.results if r.status == "error"]
    assert [r.node.name for r in failed] == [MODEL]
    message = str(failed[0].message)
    assert "constraint" in message.lower() and MODEL in message and column in message, message
    assert warehouse.query(f"select * from {FACT} order by work_order_id") == before


def test_one_test_per_seed_finds_each_missing_required_value_and_each_repeated_unique_value(warehouse):
    rows = read_seed(warehouse.project, "std_request_status")
    first, second = rows[0], rows[1]
    write_seed(warehouse.project, "std_request_status",
               [*rows, {**second, "status_code": "x" + second["status_code"]},  # the name repeated
                {**first, "status_code": "y" + first["status_code"], "status_name": ""}])  # no name
    try:
        warehouse.dbt("seed", "--select", "std_request_status")
        result = warehouse.dbt("test", "--select", "std_request_status,test_name:seed_rows_valid",
                               expect_success=False)
        [failed] = [r for r in result.result.results if r.status == "fail"]
        # the failures view shows the seed's rows as they are now
        checks = warehouse.query(f"select failed_checks from {failed.node.relation_name} order by 1")
    finally:
        write_seed(warehouse.project, "std_request_status", rows)
        warehouse.dbt("seed", "--select", "std_request_status")
    assert failed.failures == 3  # the missing name, and both rows sharing a name
    assert checks == [("status_name is null; ",), ("status_name not unique; ",), ("status_name not unique; ",)]
    # a test stores its failing rows only while it fails (macros/test_failures.sql): passing again drops them
    results = warehouse.dbt("test", "--select", "std_request_status,test_name:seed_rows_valid").result.results
    assert [r.status for r in results if r.node.unique_id == failed.node.unique_id] == ["pass"]
    assert warehouse.query("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                           [failed.node.schema, failed.node.alias]) == [(0,)]


def test_one_test_per_seed_finds_a_code_outside_its_code_set(warehouse):
    """A seed's coded columns are checked by its one seed_rows_valid node too (here a category's parent)."""
    rows = read_seed(warehouse.project, "std_category")
    child = next(row for row in rows if row["parent_category_code"])
    write_seed(warehouse.project, "std_category", [{**row, "parent_category_code": "zz"} if row is child else row
                                                   for row in rows])
    try:
        warehouse.dbt("seed", "--select", "std_category")
        result = warehouse.dbt("test", "--select", "std_category,test_name:seed_rows_valid", expect_success=False)
        [failed] = [r for r in result.result.results if r.status == "fail"]
        failing = warehouse.query(f"select category_code, failed_checks from {failed.node.relation_name}")
    finally:
        write_seed(warehouse.project, "std_category", rows)
        warehouse.dbt("seed", "--select", "std_category")
    assert failing == [(child["category_code"], "parent_category_code not in std_category.category_code; ")]


def test_one_test_per_model_finds_a_code_outside_its_code_set_and_names_column_code_set_and_value(warehouse):
    """The coded columns of a model are one codes_in_code_sets node; its failing rows say which column holds
    which value outside which code set (here the fact's channel, once its code leaves the standard)."""
    rows = read_seed(warehouse.project, "std_channel")
    [(code, orders)] = warehouse.query(f"select channel_code, count(*) from {FACT} group by 1")
    write_seed(warehouse.project, "std_channel", [row for row in rows if row["channel_code"] != code])
    try:
        warehouse.dbt("seed", "--select", "std_channel")
        result = warehouse.dbt("test", "--select", f"{MODEL},test_name:codes_in_code_sets", expect_success=False)
        [failed] = [r for r in result.result.results if r.status == "fail"]
        failing = warehouse.query(f"select * from {failed.node.relation_name}")
    finally:
        write_seed(warehouse.project, "std_channel", rows)
        warehouse.dbt("seed", "--select", "std_channel")
    assert failed.node.name == f"{MODEL}_codes_in_code_sets" and failed.failures == 1
    assert failing == [("channel_code", "std_channel.channel_code", code, orders)]
