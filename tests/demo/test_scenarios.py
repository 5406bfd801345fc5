"""The cross-department scenario (demo/scenarios.py) in the generators: its records are added to the deliveries,
every other record is written exactly as without it, and mediation cases name the record that referred them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from demo import grid, hotline, mediation, police
from demo.generate import GENERATORS
from demo.scenarios import Scenario
from demo.standard import CityStandard, Contract

START, DAYS, SEED = date(2026, 1, 26), 14, 3


@pytest.fixture(scope="module")
def std() -> CityStandard:
    return CityStandard.load()


def _scenario(std: CityStandard) -> Scenario:
    roles = {module.SOURCE: module.SCENARIO_ROLE for module in GENERATORS if hasattr(module, "SCENARIO_ROLE")}
    disputes = {module.SOURCE for module in GENERATORS if getattr(module, "SCENARIO_REFERS_DISPUTES", False)}
    deliverable = {module.SOURCE: module.scenario_categories(std) for module in GENERATORS
                   if hasattr(module, "scenario_categories")}
    return Scenario(std, SEED, START, DAYS, roles, disputes, deliverable)


def _lines(inbox: Path, files: list[str], encoding: str) -> list[str]:
    """Every delivered record as one line of text: a text file's lines, a Parquet file's rows."""
    lines = []
    for name in files:
        if name.endswith(".parquet"):
            try:
                lines += [repr(row) for row in pq.read_table(inbox / name).to_pylist()]
            except pa.ArrowException:  # the extract the generator cuts off in transfer on purpose
                lines.append(repr((inbox / name).read_bytes()))
            continue
        data = (inbox / name).read_bytes()
        try:
            lines += data.decode(encoding).splitlines()
        except UnicodeDecodeError:  # the file the generator writes in the wrong encoding on purpose
            lines += data.decode("utf-8").splitlines()
    return lines


@pytest.mark.parametrize("module", [hotline, grid, police], ids=lambda module: module.SOURCE)
def test_scenario_records_are_added_and_the_other_records_stay_unchanged(module, std, tmp_path):
    scenario = _scenario(std)
    size = 40
    plain = module.deliver(tmp_path / "plain", std, np.random.default_rng([SEED, 0]), START, DAYS, size)
    mixed = module.deliver(tmp_path / "mixed", std, np.random.default_rng([SEED, 0]), START, DAYS, size,
                           scenario=scenario)
    records = scenario.records_for(module.SOURCE)
    ids = [record_id for record_ids in mixed["scenario_records"].values() for record_id in record_ids]
    assert records and len(ids) == len(set(ids)) == len(records)
    assert {record.matter_id for record in records} == set(mixed["scenario_records"])
    encoding = Contract.load(module.SOURCE).encoding or "utf-8"
    before = _lines(tmp_path / "plain", plain["files"], encoding)
    after = _lines(tmp_path / "mixed", mixed["files"], encoding)
    added = [line for line in after if any(record_id in line for record_id in ids)]
    assert [line for line in after if line not in added] == before
    assert {record_id for record_id in ids if any(record_id in line for line in added)} == set(ids)
    for record in records:  # each record carries the scenario's address as delivered
        assert any(record.address in line for line in added)


def test_mediation_cases_name_the_record_that_referred_them(std, tmp_path):
    scenario = _scenario(std)
    for module in (hotline, grid, police):
        part = module.deliver(tmp_path, std, np.random.default_rng([SEED, 0]), START, DAYS, 40, scenario=scenario)
        scenario.register(module.SOURCE, part["scenario_records"])
    part = mediation.deliver(tmp_path, std, np.random.default_rng([SEED, 2]), START, DAYS, 100, scenario=scenario)
    referred = {matter for matter, journey in scenario.journeys.items() if len(journey["stages"]) > 1}
    assert referred and set(part["scenario_records"]) == referred
    headers = Contract.load(mediation.SOURCE).columns
    referral_column = list(headers).index("referral_record_id")
    rows = {}
    for name in part["files"]:
        sheet = openpyxl.load_workbook(tmp_path / name, read_only=True).worksheets[0]
        # a row's trailing empty cells are not stored
        rows |= {row[0]: row + (None,) * (len(headers) - len(row))
                 for row in sheet.iter_rows(min_row=2, values_only=True)}
    for matter in referred:
        (case_id,) = part["scenario_records"][matter]
        assert rows[case_id][referral_column] == scenario.referral_id(matter) is not None
    assert sum(row[referral_column] is not None for row in rows.values()) == len(referred)
