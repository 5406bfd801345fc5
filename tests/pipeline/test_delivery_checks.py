"""Freshness and volume checks from the contracts, evaluated at given times and through the real landing."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from dagster import AssetCheckSeverity, DagsterInstance, materialize

from pipelines.deliveries import checks
from pipelines.deliveries.checks import freshness_result, volume_result
from pipelines.ingestion.contracts import load_contract, load_contracts
from pipelines.partitions import last_complete_day

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _contract(partition_type: str, tmp_path=None, **sections):
    """A contract of the demo city; with `sections`, a copy whose YAML carries them (e.g. freshness: {...})."""
    contract = next(c for c in load_contracts().values() if c.partition_type == partition_type)
    if not sections:
        return contract
    raw = yaml.safe_load(contract.path.read_text(encoding="utf-8")) | sections
    path = tmp_path / contract.path.name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_contract(path)


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize("now, passed, severity", [
    (_at(2026, 3, 1, 5, 59), True, None),                         # not due yet
    (_at(2026, 3, 1, 9, 0), True, None),                          # 3 h late, within the 4 h grace
    (_at(2026, 3, 1, 10, 30), False, AssetCheckSeverity.WARN),    # 4.5 h late
    (_at(2026, 3, 2, 6, 30), False, AssetCheckSeverity.ERROR),    # 24.5 h late
])
def test_a_missing_daily_delivery_turns_warn_then_error(now, passed, severity):
    result = freshness_result(_contract("daily"), {"2026-02-27"}, now)
    assert result.passed is passed
    assert result.metadata["next_partition_due"].value == "2026-02-28"
    if severity:
        assert result.severity == severity and "2026-02-28 not delivered" in result.description


def test_the_deadline_is_local_time_across_a_month_end():
    daily, monthly = _contract("daily"), _contract("monthly")
    # 22:30 UTC on 28 February is 06:30 on 1 March in Shanghai: 28 February is 30 minutes overdue
    now = datetime(2026, 2, 28, 22, 30, tzinfo=ZoneInfo("UTC"))
    result = freshness_result(daily, {"2026-02-27"}, now)
    assert result.passed and result.metadata["hours_overdue"].value == 0.5
    # February of a monthly source is due on 1 March at 06:00 too
    assert freshness_result(monthly, {"2026-01-01"}, now).metadata["due_at"].value == "2026-03-01T06:00+08:00"
    assert freshness_result(monthly, {"2026-01-01"}, _at(2026, 3, 2, 7, 0)).severity == AssetCheckSeverity.ERROR
    assert freshness_result(monthly, {"2026-02-01"}, _at(2026, 3, 20, 7, 0)).passed


def test_a_week_is_due_on_the_monday_after_it():
    weekly = _contract("weekly")
    # the ISO week of Monday 2026-03-02 ends on Sunday 03-08: due on Monday 03-09 at expected_by
    result = freshness_result(weekly, {"2026-02-23"}, _at(2026, 3, 9, 5, 0))
    assert result.passed and result.metadata["next_partition_due"].value == "2026-03-02"
    assert result.metadata["due_at"].value == "2026-03-09T06:00+08:00"
    assert freshness_result(weekly, {"2026-02-23"}, _at(2026, 3, 10, 7, 0)).severity == AssetCheckSeverity.ERROR
    assert freshness_result(weekly, {"2026-03-02"}, _at(2026, 3, 15, 7, 0)).passed


def test_the_contract_sets_the_deadline_and_the_grace(tmp_path):
    contract = _contract("daily", tmp_path, freshness={"expected_by": "09:30", "warn_after_hours": 1,
                                                       "error_after_hours": 2})
    assert freshness_result(contract, {"2026-02-27"}, _at(2026, 3, 1, 9, 0)).passed
    assert freshness_result(contract, {"2026-02-27"}, _at(2026, 3, 1, 10, 45)).severity == AssetCheckSeverity.WARN
    assert freshness_result(contract, {"2026-02-27"}, _at(2026, 3, 1, 11, 45)).severity == AssetCheckSeverity.ERROR


def test_nothing_delivered_is_overdue_from_the_source_start():
    contract = _contract("daily")
    result = freshness_result(contract, set(), _at(2026, 3, 1, 12, 0))
    assert not result.passed and result.metadata["next_partition_due"].value == contract.start_date.isoformat()


HISTORY = {f"2026-02-{day:02d}": 100 for day in range(1, 11)}


@pytest.mark.parametrize("rows, passed, severity", [
    (60, True, None),
    (40, False, AssetCheckSeverity.WARN),     # below half of the median
    (5, False, AssetCheckSeverity.ERROR),     # below a tenth
    (None, False, AssetCheckSeverity.WARN),   # nothing delivered for the partition
])
def test_volume_against_the_median_of_the_previous_partitions(rows, passed, severity):
    delivered = HISTORY | ({"2026-02-11": rows} if rows is not None else {})
    result = volume_result(_contract("daily"), ["2026-02-11"], delivered)
    assert result.passed is passed
    if severity:
        assert result.severity == severity and "2026-02-11" in result.description


def test_volume_uses_only_the_contracts_history_window(tmp_path):
    contract = _contract("daily", tmp_path, volume={"history_partitions": 3, "warn_below_ratio": 0.5,
                                                     "error_below_ratio": 0.1})
    # long ago the source delivered 1000 a day; the last three partitions 10; today's 8 is normal for them
    delivered = {f"2026-01-{day:02d}": 1000 for day in range(1, 28)} | {
        "2026-01-28": 10, "2026-01-29": 10, "2026-01-30": 10, "2026-01-31": 8}
    assert volume_result(contract, ["2026-01-31"], delivered).passed
    assert not volume_result(_contract("daily"), ["2026-01-31"], delivered).passed


def test_too_little_history_is_no_baseline():
    result = volume_result(_contract("daily"), ["2026-02-03"], {"2026-02-01": 100, "2026-02-02": 100,
                                                                 "2026-02-03": 1})
    assert result.passed and "no baseline" in result.metadata["partitions"].value


ROW = "RX{day}{n:03d},{date} 10:00:00,电话,投诉,市容环境,标题,示例区,地址,张三,13800138000,,,,,已受理,"


def _deliver_hotline(folder, day, rows: int) -> None:
    """A complete hotline delivery of `rows` work orders for `day` (written an hour ago)."""
    contract = load_contracts()["hotline_12345"]
    header = ",".join(column.source for column in contract.columns)
    lines = [ROW.format(day=f"{day:%Y%m%d}", n=n, date=f"{day:%Y/%m/%d}") for n in range(rows)]
    path = folder / contract.file_glob(day).replace("*", "")
    path.write_text("\n".join([header, *lines]) + "\n", encoding="gb18030")
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))


def test_landing_runs_the_delivery_checks_on_the_ledger(workdirs, monkeypatch):
    from pipelines.definitions import defs

    contract = load_contracts()["hotline_12345"]
    days = [last_complete_day() - timedelta(days=n) for n in range(4, -1, -1)]
    folder = workdirs["inbox"] / contract.source
    folder.mkdir()
    for index, day in enumerate(days):
        _deliver_hotline(folder, day, 20 if index < 4 else 6)  # the last day brings less than half the usual
    # evaluated at 07:00 on the day after the last partition: it has been delivered
    monkeypatch.setattr(checks, "now_in_city", lambda: datetime.combine(days[-1] + timedelta(days=1),
                                                                        datetime.min.time(), SHANGHAI) + timedelta(hours=7))
    landing = next(a for a in defs.assets if getattr(a, "key", None) and a.key.path == ["landing", contract.source])
    instance = DagsterInstance.ephemeral()
    selected = [c for c in defs.asset_checks
                if any(k.asset_key == landing.key and k.name in (checks.FRESHNESS_CHECK, checks.VOLUME_CHECK)
                       for k in c.check_keys)]
    for day in days:
        result = materialize([landing, *selected], partition_key=day.isoformat(), instance=instance,
                             raise_on_error=False)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations[checks.VOLUME_CHECK].severity == AssetCheckSeverity.WARN
    assert not evaluations[checks.VOLUME_CHECK].passed
    assert evaluations[checks.VOLUME_CHECK].metadata["rows_landed"].value == 6
    assert evaluations[checks.FRESHNESS_CHECK].passed
    # two days later nothing new has come: the next partition is 25 h overdue
    monkeypatch.setattr(checks, "now_in_city", lambda: datetime.combine(days[-1] + timedelta(days=3),
                                                                        datetime.min.time(), SHANGHAI) + timedelta(hours=7))
    freshness_job = defs.resolve_job_def("delivery_freshness_job")
    result = freshness_job.execute_in_process(instance=instance)
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.asset_key == landing.key]
    assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR


def test_a_range_run_records_each_partitions_volume(workdirs):
    from pipelines.definitions import defs

    contract = load_contracts()["hotline_12345"]
    days = [last_complete_day() - timedelta(days=n) for n in range(4, -1, -1)]
    folder = workdirs["inbox"] / contract.source
    folder.mkdir()
    for index, day in enumerate(days):
        _deliver_hotline(folder, day, 20 if index < 4 else 1)
    landing = next(a for a in defs.assets if getattr(a, "key", None) and a.key.path == ["landing", contract.source])
    [volume] = [c for c in defs.asset_checks if any(k.asset_key == landing.key and k.name == checks.VOLUME_CHECK
                                                    for k in c.check_keys)]
    result = materialize([landing, volume], instance=DagsterInstance.ephemeral(), raise_on_error=False,
                         tags={"dagster/asset_partition_range_start": days[0].isoformat(),
                               "dagster/asset_partition_range_end": days[-1].isoformat()})
    outcomes = {e.partition: (e.passed, e.severity) for e in result.get_asset_check_evaluations()}
    assert outcomes == {**{day.isoformat(): (True, AssetCheckSeverity.ERROR) for day in days[:4]},
                        days[-1].isoformat(): (False, AssetCheckSeverity.ERROR)}  # 1 row against a median of 20
