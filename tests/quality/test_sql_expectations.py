"""The runner's SQL gives GX's own result: every suite that has data in the fixtures is also validated by GX on
pandas (its reference engine), and both report the same counts and verdict for every expectation."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.quality import gx_runner
from pipelines.quality.gx_runner import load_suites, run_suite
from tests.quality.helpers import FCT_SERVICE_REQUEST_COLUMNS, create_table, service_request


def gx_on_pandas(connection: duckdb.DuckDBPyConnection, suite_name: str) -> list[dict]:
    """GX's result per expectation (in suite order), validating the suite's rows as one pandas DataFrame."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    suite = load_suites()[suite_name]
    source, _ = gx_runner._source(connection, suite)
    frame = connection.execute(f"SELECT * FROM {source}").df()
    context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(), analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False)))
    batch = (context.data_sources.add_pandas("p").add_dataframe_asset("frame")
             .add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame}))
    gx_suite = gx_runner.gx_suite(suite)
    parameters = {
        gx_runner._gx_parameter_name(value[gx_runner.PARAMETER_KEY]): values
        for position, values in gx_runner._resolve_seed_values(connection, suite).items()
        for value in suite.expectations[position]["kwargs"].values()
        if isinstance(value, dict) and gx_runner.PARAMETER_KEY in value
    }
    # text on both sides, as the runner compares a column with a seed set
    for position, expectation in enumerate(suite.expectations):
        if gx_runner.seed_references(expectation):
            column = expectation["kwargs"]["column"]
            frame[column] = frame[column].map(lambda v: None if v is None or v != v else str(v))
    results = []
    for expectation in gx_suite.expectations:
        result = batch.validate(expectation, expectation_parameters=parameters,
                                result_format={"result_format": "BASIC"})
        results.append({"success": result.success, "unexpected_count": result.result["unexpected_count"],
                        "element_count": result.result["element_count"]})
    return results


def sql_outcomes(connection: duckdb.DuckDBPyConnection, suite_name: str) -> list[dict]:
    return [{"success": o.success, "unexpected_count": o.unexpected_count, "element_count": o.element_count}
            for o in run_suite(connection, suite_name).expectations]


def test_mart_suite_counts_equal_gx_on_pandas(service_requests):
    with duckdb.connect(str(service_requests)) as connection:
        assert sql_outcomes(connection, "fct_service_request") == gx_on_pandas(connection, "fct_service_request")


def test_landing_suite_counts_equal_gx_on_pandas(hotline_landing):
    with duckdb.connect(str(hotline_landing)) as connection:
        assert sql_outcomes(connection, "hotline_12345") == gx_on_pandas(connection, "hotline_12345")


@pytest.mark.parametrize("work_order_ids", [["A1", "A1", "B2", None, None], ["A1", "B2", "C3"]])
def test_uniqueness_counts_equal_gx_on_pandas(warehouse, work_order_ids):
    rows = [service_request(n, work_order_id=key) for n, key in enumerate(work_order_ids, start=1)]
    with duckdb.connect(str(warehouse)) as connection:
        create_table(connection, "marts.fct_service_request", FCT_SERVICE_REQUEST_COLUMNS, rows)
        assert sql_outcomes(connection, "fct_service_request") == gx_on_pandas(connection, "fct_service_request")
