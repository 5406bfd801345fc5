from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.ingestion.contracts import ContractError, load_contract, load_contracts
from pipelines.settings import CONTRACTS_DIR


def test_every_repository_contract_loads_with_unique_columns():
    contracts = load_contracts()
    assert set(contracts) == {"hotline_12345", "grid_events", "mediation_cases"}
    for contract in contracts.values():
        assert contract.required_columns, contract.source
        assert set(contract.record_key) <= set(contract.required_columns)


@pytest.mark.parametrize(
    ("source", "file_name", "partition_key"),
    [
        ("hotline_12345", "12345_workorders_20261103.csv", "2026-11-03"),
        ("hotline_12345", "12345_workorders_20261103_resend.csv", "2026-11-03"),
        ("hotline_12345", "12345_workorders_2026110.csv", None),
        ("hotline_12345", "12345_workorders_20261341.csv", None),
        ("grid_events", "grid_events_20260102.jsonl", "2026-01-02"),
        ("mediation_cases", "mediation_cases_202611.xlsx", "2026-11-01"),
        ("mediation_cases", "notes.txt", None),
    ],
)
def test_partition_key_is_read_from_the_file_name(source, file_name, partition_key):
    assert load_contracts()[source].partition_key_of(file_name) == partition_key


def _write_variant(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load((CONTRACTS_DIR / "hotline_12345.yaml").read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["delivery"].pop("format"), "missing required key 'format'"),
        (lambda raw: raw["delivery"].update(format="dbf"), "'dbf' is not one of csv, jsonl, xlsx"),
        (lambda raw: raw["delivery"].update(file_pattern="orders.csv"), "needs a {partition:FMT} placeholder"),
        (lambda raw: raw["delivery"].update(file_pattern="o_{partition:%j}.csv"), "supported: %Y"),
        (lambda raw: raw.update(record_key=["nope"]), "record_key names unknown columns ['nope']"),
        (lambda raw: raw["columns"][1].update(name="work_order_id"), "column names repeat"),
        (lambda raw: raw["columns"][0].update(type="blob"), "'blob' is not one of"),
        (lambda raw: raw["columns"][0].update(name="工单编号"), "must be snake_case ASCII"),
    ],
)
def test_a_broken_contract_names_its_file_and_the_problem(tmp_path, change, message):
    with pytest.raises(ContractError, match="variant.yaml") as error:
        load_contract(_write_variant(tmp_path, change))
    assert message in str(error.value)
