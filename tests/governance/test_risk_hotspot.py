"""mart_risk_hotspot, run by dbt on nine weeks of the demo scenario's cases: the injected surge is flagged, the
steady streets are not.

The e2e window (a few days) has no history to judge a week against, so this test builds the hotspot model alone:
the scenario's matters become the governance cases it reads (one case per matter, at its first report), with a
Poisson background of the same mean in every series of the scenario's streets, and dbt builds the rule seeds and
the mart in a temporary warehouse (its own target and log paths: dbt_project/target is never touched).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pytest

from demo.generate import GENERATORS
from demo.scenarios import Scenario
from demo.standard import CityStandard, read_seed
from pipelines.warehouse import open_warehouse
from tests.dbt_in_process import run_dbt

START, DAYS, SEED = date(2026, 1, 5), 63, 5
BACKGROUND_MEAN = 4  # cases per street, week and group besides the scenario's


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    modules = [module for module in GENERATORS if hasattr(module, "SCENARIO_ROLE")]
    roles = {module.SOURCE: module.SCENARIO_ROLE for module in modules}
    disputes = {module.SOURCE for module in modules if getattr(module, "SCENARIO_REFERS_DISPUTES", False)}
    return Scenario(CityStandard.load(), SEED, START, DAYS, roles, disputes)


def _cases(scenario: Scenario) -> pa.Table:
    """One case per scenario matter (its first report), plus the background of the scenario's street series."""
    std = CityStandard.load()
    first = {}
    for source in scenario.reporters:
        for record in scenario.records_for(source):
            if record.matter_id not in first or record.occurred_at < first[record.matter_id].occurred_at:
                first[record.matter_id] = record
    rows = [(record.district_code, record.street_code, std.category_parent[record.category_code],
             record.occurred_at.date(), matter) for matter, record in first.items()]
    series = {(row[0], row[1], row[2]) for row in rows}
    rng = np.random.default_rng(SEED)
    for district, street, group in sorted(series):
        for week in range(DAYS // 7):
            for k in range(rng.poisson(BACKGROUND_MEAN)):
                day = START + timedelta(weeks=week, days=int(rng.integers(0, 7)))
                rows.append((district, street, group, day, f"B-{street}-{group}-{week}-{k}"))
    names = ["district_code", "street_code", "category_group_code", "first_reported_date", "case_id"]
    table = pa.table({name: [row[k] for row in rows] for k, name in enumerate(names)})
    return table.append_column("record_count", pa.array([1] * len(rows), pa.int32()))


@pytest.fixture(scope="module")
def hotspots(scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    tmp = tmp_path_factory.mktemp("risk_hotspot")
    warehouse = tmp / "warehouse.duckdb"
    cases = _cases(scenario)
    with open_warehouse(warehouse) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_governance_case as select * from cases")
    result = run_dbt([
        # the mart and every seed upstream of it: as an incremental model it records the standard it was built with
        # (macros/standard_version.sql)
        "build", "--select", "+mart_risk_hotspot,resource_type:seed", "mart_risk_hotspot",
        "--indirect-selection", "cautious", "--no-partial-parse", "--no-write-json",
    ], tmp, warehouse, tmp / "landing")
    assert result.success, f"dbt build failed: {result.exception!r} (log: {tmp / 'logs' / 'dbt.log'})"
    with open_warehouse(warehouse) as con:  # dbt-duckdb may still hold it open in this process
        cursor = con.execute("select * from marts.mart_risk_hotspot")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_the_scenario_injects_a_surge_after_the_minimum_baseline(scenario: Scenario):
    min_weeks = int(read_seed("standard/cfg_risk_hotspot_rule.csv")[0]["min_baseline_weeks"])
    assert scenario.surge is not None
    assert date.fromisoformat(scenario.surge["week_start"]) >= START + timedelta(weeks=min_weeks)
    assert scenario.steady and all(steady["street_code"] != scenario.surge["street_code"]
                                   for steady in scenario.steady)


def test_the_injected_surge_is_flagged_and_the_steady_streets_are_not(scenario: Scenario, hotspots: list[dict]):
    surge = scenario.surge
    flagged = {(row["street_code"], row["week_start"].isoformat(), row["category_group_code"])
               for row in hotspots if row["is_flagged"]}
    injected = {(surge["street_code"], surge["week_start"], surge["category_group"])}
    assert injected <= flagged, "recall on the injected surge is 0"
    steady = {(row["street_code"], row["category_group"]) for row in scenario.steady}
    assert not {(street, group) for street, _, group in flagged} & steady
    # every flag is the injected surge: precision 1 on this data
    assert flagged == injected
    surge_row = next(row for row in hotspots if row["is_flagged"])
    assert surge_row["case_count"] >= len(surge["matters"]) and surge_row["severity_code"] is not None
    assert Counter(row["is_flagged"] for row in hotspots)[True] == 1
