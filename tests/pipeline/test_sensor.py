from __future__ import annotations

import os
import time

from pipelines.automation import delivery_run_requests
from pipelines.ingestion.contracts import load_contracts


def _delivered_an_hour_ago(path) -> None:
    os.utime(path, (time.time() - 3600, time.time() - 3600))


def test_a_delivery_requests_its_partition_once_per_file_version(workdirs):
    folder = workdirs["inbox"] / "hotline_12345"
    folder.mkdir()
    (folder / "12345_workorders_20260105.csv").write_text("x")
    (folder / "readme.txt").write_text("not a delivery")
    monthly = workdirs["inbox"] / "mediation_cases"
    monthly.mkdir()
    (monthly / "mediation_cases_202602.xlsx").write_text("x")
    assert list(delivery_run_requests(list(load_contracts().values()))) == []  # still being written
    _delivered_an_hour_ago(folder / "12345_workorders_20260105.csv")
    _delivered_an_hour_ago(monthly / "mediation_cases_202602.xlsx")
    requests = list(delivery_run_requests(list(load_contracts().values())))
    assert sorted((r.job_name, r.partition_key) for r in requests) == [
        ("daily_governance_job", "2026-01-05"), ("mediation_cases_landing_job", "2026-02-01")]
    (folder / "12345_workorders_20260105.csv").write_text("changed content")
    _delivered_an_hour_ago(folder / "12345_workorders_20260105.csv")
    again = list(delivery_run_requests(list(load_contracts().values())))
    assert {r.run_key for r in again} != {r.run_key for r in requests}
