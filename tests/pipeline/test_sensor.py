from __future__ import annotations

from pipelines.automation import delivery_run_requests
from pipelines.ingestion.contracts import load_contracts


def test_a_delivery_requests_its_partition_once_per_file_version(workdirs):
    folder = workdirs["inbox"] / "hotline_12345"
    folder.mkdir()
    (folder / "12345_workorders_20260105.csv").write_text("x")
    (folder / "readme.txt").write_text("not a delivery")
    monthly = workdirs["inbox"] / "mediation_cases"
    monthly.mkdir()
    (monthly / "mediation_cases_202602.xlsx").write_text("x")
    requests = list(delivery_run_requests(list(load_contracts().values())))
    assert sorted((r.job_name, r.partition_key) for r in requests) == [
        ("daily_governance_job", "2026-01-05"), ("mediation_cases_landing_job", "2026-02-01")]
    (folder / "12345_workorders_20260105.csv").write_text("changed content")
    again = list(delivery_run_requests(list(load_contracts().values())))
    assert {r.run_key for r in again} != {r.run_key for r in requests}
