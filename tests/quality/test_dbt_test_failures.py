"""A failed dbt test's check result carries its description and a sample of its failing rows, never personal ones."""

from __future__ import annotations

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey

from pipelines.quality.dbt_test_failures import describe_test, with_failure_details
from pipelines.warehouse import open_warehouse

MODEL_ID = "model.citybrain.fct_example"
MANIFEST = {
    "nodes": {
        MODEL_ID: {
            "name": "fct_example",
            "columns": {
                "district_code": {"description": "Conformed district code (区县代码)."},
                "secret_note": {"description": "Free text", "meta": {"personal": True}},
            },
        },
        "test.citybrain.not_null_fct_example_district_code": {
            "name": "not_null_fct_example_district_code",
            "description": "",
            "attached_node": MODEL_ID,
            "column_name": "district_code",
            "test_metadata": {"name": "not_null", "kwargs": {"column_name": "district_code", "model": "{{ x }}"}},
            "config": {"store_failures": True},
            "schema": "ops_test_failures",
            "alias": "not_null_fct_example_district_code",
            "depends_on": {"nodes": [MODEL_ID]},
        },
    },
    "sources": {},
}


def check_result(passed: bool, unique_id: str) -> AssetCheckResult:
    return AssetCheckResult(passed=passed, asset_key=AssetKey(["marts", "fct_example"]), check_name="t",
                            severity=AssetCheckSeverity.WARN, metadata={"unique_id": unique_id})


def test_a_failing_test_shows_its_description_and_failing_rows_without_personal_columns(workdirs):
    database = workdirs["warehouse"]
    database.parent.mkdir(parents=True, exist_ok=True)
    with open_warehouse(database) as connection:
        connection.execute("create schema ops_test_failures")
        # caller_name is personal in the hotline contract, secret_note by its dbt column meta
        connection.execute("""create view ops_test_failures.not_null_fct_example_district_code as
            select * from (values ('WO1', null, '张三', 'x'), ('WO2', null, '李四', 'y'))
            as t(work_order_id, district_code, caller_name, secret_note)""")
    passed = check_result(True, "test.citybrain.other")
    failed = check_result(False, "test.citybrain.not_null_fct_example_district_code")
    events = list(with_failure_details(iter([failed, "other event", passed]), MANIFEST, database))
    assert events[:2] == ["other event", passed]  # failures are held until the dbt run has ended
    detailed = events[2]
    assert (detailed.passed, detailed.severity) == (False, AssetCheckSeverity.WARN)
    assert detailed.description.startswith("not_null on fct_example.district_code")
    assert "区县代码" in detailed.metadata["test_description"].value
    sample = detailed.metadata["failing_rows_sample"].value
    assert "| work_order_id | district_code |" in sample and "| WO1 | NULL |" in sample and "| WO2 | NULL |" in sample
    assert "张三" not in sample and "李四" not in sample and "| x" not in sample
    assert "Personal columns not shown: caller_name, secret_note." in sample
    assert detailed.metadata["failures_relation"].value == '"ops_test_failures"."not_null_fct_example_district_code"'


def test_a_test_with_its_own_description_keeps_it():
    node = {**MANIFEST["nodes"]["test.citybrain.not_null_fct_example_district_code"],
            "description": "Every work order has a district (区县)."}
    assert describe_test(node, MANIFEST) == "Every work order has a district (区县)."
