"""The runner's SQL gives GX's own result: every suite that has data in the fixtures is also validated by GX on
pandas (its reference engine), and both report the same counts and verdict for every expectation."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from pipelines.quality import gx_runner, suites
from pipelines.quality.gx_runner import run_suite
from pipelines.quality.suites import Suite, load_suites
from pipelines.warehouse import open_warehouse
from tests.quality.helpers import FCT_SERVICE_REQUEST_COLUMNS, create_table, service_request
from tests.quality.test_gx_runner import UNIQUE_WORK_ORDERS


def gx_on_pandas(connection: duckdb.DuckDBPyConnection, suite_name: str | Suite) -> list[dict]:
    """GX's result per expectation (in suite order), validating the suite's rows as one pandas DataFrame."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    suite = suite_name if isinstance(suite_name, Suite) else load_suites()[suite_name]
    source, _ = gx_runner._source(connection, suite)
    frame = connection.execute(f"SELECT * FROM {source}").df()
    context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(), analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False)))
    batch = (context.data_sources.add_pandas("p").add_dataframe_asset("frame")
             .add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame}))
    gx_suite = suites.gx_suite(suite)
    parameters = {
        suites._gx_parameter_name(value[suites.PARAMETER_KEY]): values
        for position, values in gx_runner._resolve_seed_values(connection, suite).items()
        for value in suite.expectations[position]["kwargs"].values()
        if isinstance(value, dict) and suites.PARAMETER_KEY in value
    }
    # text on both sides, as the runner compares a column with a seed set
    for position, expectation in enumerate(suite.expectations):
        if suites.seed_references(expectation):
            column = expectation["kwargs"]["column"]
            frame[column] = frame[column].map(lambda v: None if v is None or v != v else str(v))
    results = []
    for expectation in gx_suite.expectations:
        result = batch.validate(expectation, expectation_parameters=parameters,
                                result_format={"result_format": "BASIC"})
        results.append({"success": result.success, "unexpected_count": result.result["unexpected_count"],
                        "element_count": result.result["element_count"]})
    return results


def sql_outcomes(connection: duckdb.DuckDBPyConnection, suite_name: str | Suite) -> list[dict]:
    return [{"success": o.success, "unexpected_count": o.unexpected_count, "element_count": o.element_count}
            for o in run_suite(connection, suite_name).expectations]


def test_mart_suite_counts_equal_gx_on_pandas(service_requests):
    with open_warehouse(service_requests) as connection:
        assert sql_outcomes(connection, "fct_service_request") == gx_on_pandas(connection, "fct_service_request")


def test_landing_suite_counts_equal_gx_on_pandas(hotline_landing):
    with open_warehouse(hotline_landing) as connection:
        assert sql_outcomes(connection, "hotline_12345") == gx_on_pandas(connection, "hotline_12345")


@pytest.mark.parametrize("work_order_ids", [["A1", "A1", "B2", None, None], ["A1", "B2", "C3"]])
def test_uniqueness_counts_equal_gx_on_pandas(warehouse, work_order_ids):
    rows = [service_request(n, work_order_id=key) for n, key in enumerate(work_order_ids, start=1)]
    with open_warehouse(warehouse) as connection:
        create_table(connection, "marts.fct_service_request", FCT_SERVICE_REQUEST_COLUMNS, rows)
        assert sql_outcomes(connection, UNIQUE_WORK_ORDERS) == gx_on_pandas(connection, UNIQUE_WORK_ORDERS)


def test_scorecard_suite_counts_equal_gx_on_pandas(warehouse):
    """Compound uniqueness, ranges and pairs with missing values."""
    with open_warehouse(warehouse) as connection:
        connection.execute("""CREATE TABLE marts.mart_governance_scorecard AS SELECT * FROM (VALUES
            ('d1', DATE '2026-03-01', 1.5, 10, 11, 3), ('d1', DATE '2026-03-01', 0.5, 10, 9, 9),
            ('d2', NULL, NULL, 2, NULL, 1), (NULL, NULL, 0.2, 1, 1, 1)) AS t(district_code, month_start,
            closure_rate, requests_received, requests_closed, requests_closed_on_time)""")
        present = {"district_code", "month_start", "closure_rate", "requests_received", "requests_closed",
                   "requests_closed_on_time"}
        suite = load_suites()["mart_governance_scorecard"]
        grain = {"type": "expect_compound_columns_to_be_unique",
                 "kwargs": {"column_list": ["district_code", "month_start"]}, "meta": {"severity": "error"}}
        suite = dataclasses.replace(suite, expectations=(grain, *(
            e for e in suite.expectations if set(suites.expectation_columns(e)) <= present)))
        assert {e["type"] for e in suite.expectations} >= {"expect_compound_columns_to_be_unique",
                                                           "expect_column_values_to_be_between"}
        assert sql_outcomes(connection, suite) == gx_on_pandas(connection, suite)
