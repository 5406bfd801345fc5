"""A governance run selects only what its days' landed sources can change: the models and tests downstream of the
sources with a partition ending on one of its days, of the ops tables and the sensor's marker mart. The days and
the expected sources come from the contracts' rhythms, never a list of names."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dagster import AssetSpec, DagsterInstance, materialize, multi_asset

from pipelines.assets.dbt import (
    DEPARTMENT_LAYERS,
    GOVERNANCE,
    dbt_manifest,
    governance_asset_keys,
    governance_models,
    governance_selection,
    window_models,
)
from pipelines.automation import AFTER_MODELS, daily_governance_job, governance_run_assets
from pipelines.governance_runs import GOVERNANCE_MARKER, governance_run_requests
from pipelines.ingestion.contracts import load_contracts
from pipelines.partitions import governance_daily_partitions, sources_due

CONTRACTS = load_contracts()
YEAR = [date(2026, 3, 1) + timedelta(days=n) for n in range(300)]  # every source has started


def _of(*rhythms: str) -> set[str]:
    return {source for source, contract in CONTRACTS.items() if contract.partition_type in rhythms}


def _day(sunday: bool, month_end: bool) -> date:
    """A day that is (not) a Sunday and (not) a month's last day; not one within a week of a month's end."""
    return next(day for day in YEAR if (day.weekday() == 6) == sunday
                and ((day + timedelta(days=1)).day == 1 if month_end else 8 <= day.day <= 20))


def _department_models(sources: set[str]) -> set:
    nodes = dbt_manifest()["nodes"]
    return {spec.key for spec in governance_models.specs
            if (fqn := nodes[spec.metadata["dagster_dbt/unique_id"]]["fqn"])[1] in DEPARTMENT_LAYERS
            and fqn[2] in sources}


@pytest.mark.parametrize(("sunday", "month_end", "rhythms"), [
    (False, False, ("daily",)), (True, False, ("daily", "weekly")), (False, True, ("daily", "monthly"))])
def test_a_day_selects_the_models_of_the_sources_whose_partition_ends_on_it(sunday, month_end, rhythms):
    day = _day(sunday, month_end)
    assert set(sources_due(CONTRACTS, day, day)) == _of(*rhythms)
    keys = set(governance_asset_keys(governance_selection(CONTRACTS, day, day)))
    assert _department_models(_of(*rhythms)) <= keys
    assert not _department_models(set(CONTRACTS) - _of(*rhythms)) & keys
    assert GOVERNANCE_MARKER in keys


def test_a_window_of_days_selects_every_source_ending_in_it():
    sunday = _day(True, False)
    assert set(sources_due(CONTRACTS, sunday - timedelta(days=2), sunday)) == _of("daily", "weekly")
    assert set(sources_due(CONTRACTS, sunday + timedelta(days=1), sunday + timedelta(days=5))) == _of("daily")
    month_end = _day(False, True)
    assert set(sources_due(CONTRACTS, month_end - timedelta(days=7), month_end)) == set(CONTRACTS)
    assert governance_selection(CONTRACTS, month_end - timedelta(days=7), month_end) == GOVERNANCE


def test_a_full_build_selects_every_governance_model():
    assert governance_selection(CONTRACTS) == GOVERNANCE
    assert set(governance_asset_keys(GOVERNANCE)) == set(governance_models.keys)


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as instance:
        yield instance


def _build_every_model(instance, day: date) -> None:
    @multi_asset(specs=[AssetSpec(key) for key in governance_models.keys], partitions_def=governance_daily_partitions())
    def stand_in():
        return None

    materialize([stand_in], partition_key=day.isoformat(), instance=instance)


def test_a_days_run_leaves_out_the_models_of_sources_with_nothing_due(instance):
    day = _day(False, False)
    assert window_models(instance, CONTRACTS, day, day) is None  # nothing built yet: every model
    _build_every_model(instance, day - timedelta(days=1))
    selection = governance_run_assets(instance, CONTRACTS, day, day)
    job = daily_governance_job.resolve(asset_graph=_asset_graph()).get_subset(asset_selection=set(selection))
    planned = set(job.asset_layer.executable_asset_keys)
    assert {asset.key for asset in AFTER_MODELS} | {GOVERNANCE_MARKER} <= planned
    assert _department_models(_of("daily")) <= planned
    assert not _department_models(set(CONTRACTS) - _of("daily")) & planned
    # every dbt test of a planned model is a planned check
    checks = {key for key in governance_models.check_keys if key.asset_key in planned}
    assert checks and checks <= set(job.asset_layer.asset_graph.asset_check_keys)


def test_the_sensor_requests_the_selection(instance):
    from tests.pipeline.test_governance_sensor import _land

    day = _day(False, False)
    _build_every_model(instance, day - timedelta(days=1))
    for source in _of("daily"):
        _land(instance, source, day.isoformat())
    [request] = governance_run_requests(instance, CONTRACTS, [day], governance_run_assets)[0]
    assert set(request.asset_selection) == set(governance_run_assets(instance, CONTRACTS, day, day))


def _asset_graph():
    from pipelines.definitions import defs

    return defs.resolve_asset_graph()
