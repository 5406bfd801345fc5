from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml

from pipelines.deliveries.rules import delivery_deadline
from pipelines.ingestion import contracts
from pipelines.ingestion.contracts import ContractError, load_contract, load_contracts, read_contracts
from pipelines.settings import CONTRACTS_DIR


def test_every_repository_contract_loads_with_unique_columns():
    contracts = load_contracts()
    assert {contract.path.name for contract in contracts.values()} == {p.name for p in CONTRACTS_DIR.glob("*.yaml")}
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
        # weekly: the ISO week names its Monday; ISO week 1 of 2027 begins in December 2026
        ("credit_lists", "credit_lists_2026-W10.xml", "2026-03-02"),
        ("credit_lists", "credit_lists_2026-W10_supplement.xml", "2026-03-02"),
        ("credit_lists", "credit_lists_2026-W53.xml", "2026-12-28"),
        ("credit_lists", "credit_lists_2027-W01.xml", "2027-01-04"),
        ("credit_lists", "credit_lists_2026-W54.xml", None),
        ("credit_lists", "credit_lists_2026-10.xml", None),
    ],
)
def test_partition_key_is_read_from_the_file_name(source, file_name, partition_key):
    assert load_contracts()[source].partition_key_of(file_name) == partition_key


def _write_variant(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load((CONTRACTS_DIR / "hotline_12345.yaml").read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    return [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line][-1]


def _rename_key(mapping: dict, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


@pytest.mark.parametrize(
    ("change", "key", "line_text", "message"),
    [
        (lambda raw: _rename_key(raw["delivery"], "encoding", "encodng"), "delivery.encodng", "encodng:",
         "unknown key 'encodng'; did you mean 'encoding'?"),
        (lambda raw: _rename_key(raw["columns"][0], "required", "requried"), "columns[0].requried", "requried:",
         "unknown key 'requried'; did you mean 'required'?"),
        (lambda raw: _rename_key(raw["columns"][1], "format", "fromat"), "columns[1].fromat", "fromat:",
         "unknown key 'fromat'; did you mean 'format'?"),
        (lambda raw: raw.update(owner="x"), "owner", "owner: x", "unknown key 'owner'"),
        (lambda raw: raw["department"].update(lead="x"), "department.lead", "lead:", "unknown key 'lead'"),
        (lambda raw: raw["partitioning"].update(timezone="UTC"), "partitioning.timezone", "timezone:",
         "unknown key 'timezone'"),
        (lambda raw: raw.update(freshness={"expected_by": "06:00", "warn_after": 4}), "freshness.warn_after",
         "warn_after:", "did you mean 'warn_after_hours'?"),
        (lambda raw: raw.update(volume={"history": 28}), "volume.history", "history:",
         "did you mean 'history_partitions'?"),
        (lambda raw: raw["delivery"].update(encoding="utf8mb4"), "delivery.encoding", "utf8mb4",
         "'utf8mb4' is not an encoding"),
        (lambda raw: raw["columns"][1].update(format="%Y/%m/%d %H:%M:%Q"), "columns[1].format", "%Q",
         "is not a usable date format"),
        (lambda raw: raw["columns"][1].update(format="%m/%d %H:%M"), "columns[1].format", "'%m/%d %H:%M'",
         "does not round-trip"),
        (lambda raw: raw["columns"][0].update(format="%Y-%m-%d"), "columns[0].format",
         "format: '%Y-%m-%d'", "applies to timestamp and date columns, not to string"),
        (lambda raw: raw["columns"][0].update(required="yes"), "columns[0].required", "required: 'yes'",
         "valid boolean"),
        (lambda raw: raw["delivery"].update(complete_after_seconds=-1), "delivery.complete_after_seconds",
         "complete_after_seconds:", "greater than or equal to 0"),
        (lambda raw: raw["delivery"].update(done_marker="{stem}.ok"), "delivery.done_marker", "done_marker:",
         "may only use the placeholder {name}"),
        (lambda raw: raw["delivery"].update(sheet="Sheet1"), "delivery.sheet", "sheet:", "applies to xlsx"),
        (lambda raw: raw.update(freshness={"expected_by": "6 am"}), "freshness.expected_by", "expected_by:",
         "is not a time of day HH:MM"),
        (lambda raw: raw.update(freshness={"expected_by": 360}), "freshness.expected_by", "expected_by: 360",
         'quote the time, e.g. "06:00"'),
        (lambda raw: raw.update(volume={"warn_below_ratio": 0.1, "error_below_ratio": 0.5}), "volume.error_below_ratio",
         "error_below_ratio:", "must not be larger than warn_below_ratio"),
        (lambda raw: raw["delivery"].pop("format"), "delivery.format", "delivery:", "missing required key 'format'"),
        (lambda raw: raw["delivery"].update(format="dbf"), "delivery.format", "format: dbf",
         "'dbf' is not one of 'csv', 'jsonl',"),
        (lambda raw: raw["delivery"].update(file_pattern="orders.csv"), "delivery.file_pattern", "orders.csv",
         "needs a {partition:FMT} placeholder"),
        (lambda raw: raw["delivery"].update(file_pattern="../o_{partition:%Y%m%d}.csv"), "delivery.file_pattern",
         "../o_", "must be a file name"),
        (lambda raw: raw["delivery"].update(file_pattern="o_{partition:%j}.csv"), "delivery.file_pattern",
         "%j", "supported: %Y"),
        (lambda raw: raw.update(record_key=["nope"]), "record_key[0]", "- nope",
         "record_key names unknown column 'nope'"),
        (lambda raw: raw["columns"][1].update(name="work_order_id"), "columns[1].name", "name: work_order_id",
         "column name 'work_order_id' repeats"),
        (lambda raw: raw["columns"][0].update(type="blob"), "columns[0].type", "type: blob", "'blob' is not one of"),
        (lambda raw: raw["columns"][0].update(name="工单编号"), "columns[0].name", "name: 工单编号",
         "must be snake_case ASCII"),
        (lambda raw: raw["partitioning"].update(type="weekly"), "partitioning.start_date", "start_date:",
         "a weekly partition starts on a Monday; 2026-01-01 is not one"),
        (lambda raw: raw["delivery"].update(file_pattern="o_{partition:%G-W%V}.csv"), "delivery.file_pattern",
         "file_pattern:", "needs the day (%d)"),
        (lambda raw: raw["delivery"].update(file_pattern="o_{partition:%Y-W%V}.csv"), "delivery.file_pattern",
         "file_pattern:", "needs both %G (ISO year) and %V (ISO week)"),
        (lambda raw: raw["delivery"].update(format="xml"), "delivery", "delivery:",
         "an xml delivery needs 'record_element'"),
        (lambda raw: raw["delivery"].update(record_element="条目"), "delivery.record_element", "record_element:",
         "'record_element' applies to xml deliveries only"),
    ],
)
def test_a_broken_contract_names_its_file_the_key_and_the_line(tmp_path, change, key, line_text, message):
    path = _write_variant(tmp_path, change)
    with pytest.raises(ContractError) as error:
        load_contract(path)
    assert str(error.value).startswith(f"variant.yaml:{_line_of(path, line_text)}: {key}: "), str(error.value)
    assert message in str(error.value)


def test_a_repeated_key_is_an_error_not_the_last_one_wins(tmp_path):
    text = (CONTRACTS_DIR / "hotline_12345.yaml").read_text(encoding="utf-8")
    path = tmp_path / "variant.yaml"
    path.write_text(text.replace("  encoding: gb18030", "  encoding: gb18030\n  encoding: utf-8"), encoding="utf-8")
    with pytest.raises(ContractError, match=rf"variant.yaml:{_line_of(path, 'encoding: utf-8')}: "
                                            r"delivery.encoding: key repeats"):
        load_contract(path)


def test_new_delivery_keys_have_defaults_and_can_be_set(tmp_path):
    contract = load_contract(_write_variant(tmp_path, lambda raw: None))
    assert (contract.complete_after_seconds, contract.done_marker, contract.max_rows, contract.max_columns,
            contract.max_field_bytes) == (60, None, 1_000_000, 200, 1_048_576)
    assert (contract.freshness.expected_by.isoformat(), contract.volume.history_partitions) == ("06:00:00", 28)
    changed = load_contract(_write_variant(tmp_path, lambda raw: (
        raw["delivery"].update(complete_after_seconds=0, done_marker="{name}.done", max_field_bytes=10),
        raw.update(freshness={"expected_by": "09:30", "warn_after_hours": 1, "error_after_hours": 2}))))
    assert (changed.complete_after_seconds, changed.done_marker, changed.max_field_bytes) == (0, "{name}.done", 10)
    assert (changed.freshness.expected_by.isoformat(), changed.freshness.error_after_hours) == ("09:30:00", 2)


@pytest.mark.parametrize("partition_type, day, start, end", [
    ("daily", date(2026, 3, 4), date(2026, 3, 4), date(2026, 3, 5)),
    ("weekly", date(2026, 3, 4), date(2026, 3, 2), date(2026, 3, 9)),
    ("weekly", date(2027, 1, 3), date(2026, 12, 28), date(2027, 1, 4)),
    ("monthly", date(2026, 2, 14), date(2026, 2, 1), date(2026, 3, 1)),
])
def test_a_partition_period_starts_on_its_key_and_ends_the_day_after_it(partition_type, day, start, end):
    contract = replace(next(iter(load_contracts().values())), partition_type=partition_type)
    assert contract.period_start(day) == start
    assert contract.period_end(start) == end
    assert delivery_deadline(contract, start.isoformat()).date() == end


def test_contracts_are_validated_once_per_content_and_again_when_one_changes(workdirs, tmp_path, monkeypatch):
    folder = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, folder)
    validated = read_contracts(folder)
    load_contracts(folder)  # validates and keeps them beside the warehouse
    load_contracts.cache_clear()
    with monkeypatch.context() as patched:  # a process that finds them kept does not validate them
        patched.setattr(contracts, "read_contracts", lambda directory: pytest.fail("validated again"))
        assert load_contracts(folder) == validated
    load_contracts.cache_clear()
    hotline = folder / "hotline_12345.yaml"
    hotline.write_text(hotline.read_text(encoding="utf-8").replace("encoding: gb18030", "encoding: utf8mb4"),
                       encoding="utf-8")
    with pytest.raises(ContractError, match="hotline_12345.yaml:.*utf8mb4"):
        load_contracts(folder)
    load_contracts.cache_clear()
