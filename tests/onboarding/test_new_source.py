"""A city onboards a source with configuration only: a contract and mapping seeds, added as new files to a copy of
the project. The source then lands, reaches its staging model, its landing checks and the unmapped-code report,
with no Python change and no edit to a shared file; the sources never landed are empty staging relations."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.derived.__main__ import generate
from pipelines.derived.landing_suites import landing_suite_document
from pipelines.ingestion.contracts import load_contract, read_contracts
from pipelines.ingestion.landing import land_partition
from pipelines.quality.gx_runner import run_suite
from pipelines.quality.suites import parse_suite_document
from pipelines.warehouse import open_warehouse

FIXTURE = Path(__file__).parent / "open311"
SOURCE = "open311_requests"
DAY = "2026-03-01"
HEADER = "case_enquiry_id,open_dt,closed_dt,case_status,source,reason,case_title,location,latitude,longitude\n"
DELIVERY = HEADER + (
    "101,2026-03-01 08:00:00,2026-03-01 10:00:00,Closed,Constituent Call,Street Lights,Street Light Repair,"
    "1 Main St,42.3594,-71.0587\n"
    "102,2026-03-01 08:30:00,,Open,Citizens Connect App,Sanitation,Missed Trash,2 Main St,42.3601,-71.0589\n"
    "103,2026-03-01 09:00:00,2026-03-01 12:00:00,Closed,Self Service,Street Lights,Street Light Repair,,,\n"
    "104,2026-03-01 09:30:00,,In Progress,Employee Generated,Sanitation,Missed Trash,3 Main St,42.36,-71.06\n"
    "105,2026-03-01 10:00:00,,Pending,Constituent Call,Highway Maintenance,Pothole,4 Main St,42.37,-71.07\n"
    "106,2026-03-01 10:30:00,03/01/2026 11:30,Closed,Constituent Call,Street Lights,Street Light Repair,5 Main St,"
    "42.38,-71.08\n"
)
ADDED = {f"contracts/{SOURCE}.yaml", f"dbt_project/seeds/mappings/map_status__{SOURCE}.csv",
         f"dbt_project/seeds/mappings/map_channel__{SOURCE}.csv"}
NOT_COPIED = shutil.ignore_patterns("target", "logs", "derived", "dbt_packages", ".user.yml")


def _onboard(root: Path) -> tuple[Path, Path]:
    """The city's copy of the project, plus the new source's contract and mapping seeds as new files."""
    contracts, project = root / "contracts", root / "dbt_project"
    shutil.copytree(settings.CONTRACTS_DIR, contracts)
    shutil.copytree(settings.DBT_PROJECT_DIR, project, ignore=NOT_COPIED)
    shutil.copy(FIXTURE / f"{SOURCE}.yaml", contracts)
    for seed in FIXTURE.glob("map_*.csv"):
        shutil.copy(seed, project / "seeds" / "mappings")
    return contracts, project


def _files(root: Path, folder: str) -> set[str]:
    return {f"{folder}/{path.relative_to(root / folder).as_posix()}" for path in (root / folder).rglob("*")
            if path.is_file() and not NOT_COPIED(str(path.parent), [path.name])
            and not any(part in ("target", "logs", "derived") for part in path.relative_to(root / folder).parts)}


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory):
    root = tmp_path_factory.mktemp("city")
    with pytest.MonkeyPatch.context() as env:
        for variable, path in (("CITYBRAIN_WAREHOUSE", root / "city.duckdb"), ("CITYBRAIN_INBOX", root / "inbox"),
                               ("CITYBRAIN_LANDING", root / "landing")):
            env.setenv(variable, str(path))
        env.setenv("CITYBRAIN_PSEUDONYM_SALT", "onboarding-test")
        contracts, project = _onboard(root)
        contract = load_contract(contracts / f"{SOURCE}.yaml")
        (root / "inbox" / SOURCE).mkdir(parents=True)
        (root / "inbox" / SOURCE / "open311_20260301.csv").write_text(DELIVERY, encoding="utf-8")
        with open_warehouse() as connection:
            load = land_partition(contract, DAY, connection)

        generate(contracts, project)
        # a subprocess, like the pipeline's dbt runs: dbt-duckdb keeps its connection open in its process
        result = subprocess.run([
            str(Path(sys.executable).with_name("dbt")), "build", "--select", "+ops_unmapped_codes",
            "--exclude", "test_type:unit", "--indirect-selection", "cautious",
            "--project-dir", str(project), "--profiles-dir", str(project),
        ], capture_output=True, text=True, cwd=project, env={**os.environ, **settings.duckdb_environment()})
        suite = parse_suite_document(landing_suite_document(contract, project / "seeds"), contract.path.name)
        with open_warehouse() as connection:
            checks = run_suite(connection, suite, window=(datetime.fromisoformat(DAY).date(),) * 2)
        yield {"root": root, "contracts": contracts, "load": load, "dbt": result, "checks": checks}


def query(onboarded, sql: str) -> list[tuple]:
    with open_warehouse(onboarded["root"] / "city.duckdb", read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_onboarding_adds_files_only_no_python_and_no_shared_file_changes(onboarded):
    root, repo = onboarded["root"], settings.REPO_ROOT
    copied = _files(root, "contracts") | _files(root, "dbt_project")
    original = _files(repo, "contracts") | _files(repo, "dbt_project")
    assert copied - original == ADDED
    assert original <= copied
    changed = [name for name in original if not filecmp.cmp(root / name, repo / name, shallow=False)]
    assert changed == []


def test_the_new_source_lands_completely(onboarded):
    load = onboarded["load"]
    assert (load.rows_read, load.rows_landed, load.rows_quarantined) == (6, 6, 0)
    assert onboarded["dbt"].returncode == 0, onboarded["dbt"].stdout[-3000:]


def test_the_new_source_reaches_its_staging_model_typed_by_its_contract(onboarded):
    rows = query(onboarded, f"select request_id, opened_at, status_name, latitude, closed_at "
                            f"from staging.stg_{SOURCE}__requests order by request_id")
    assert [row[0] for row in rows] == ["101", "102", "103", "104", "105", "106"]
    city_time = timezone(timedelta(hours=8))
    assert rows[0][1] == datetime(2026, 3, 1, 8, tzinfo=city_time)
    assert rows[5][4] is None  # 03/01/2026 11:30 is not the contract's format: NULL, the row kept
    assert rows[0][2] == "Closed" and float(rows[0][3]) == pytest.approx(42.3594)
    types = dict(query(onboarded, "select column_name, data_type from information_schema.columns "
                                  f"where table_schema = 'staging' and table_name = 'stg_{SOURCE}__requests'"))
    assert types["opened_at"] == "TIMESTAMP WITH TIME ZONE" and types["latitude"].startswith("DECIMAL")


def test_sources_never_landed_are_empty_staging_relations(onboarded):
    others = [c for c in read_contracts(onboarded["contracts"]).values() if c.source != SOURCE]
    assert others
    for contract in others:
        assert query(onboarded, f"select count(*) from staging.stg_{contract.source}__{contract.entity}") == [(0,)]


def test_the_unmapped_code_report_lists_what_its_seeds_do_not_map(onboarded):
    rows = query(onboarded, f"select element, raw_value, rows, code_set from ops.ops_unmapped_codes "
                            f"where source = '{SOURCE}' order by element, raw_value")
    assert [row for row in rows if row[0] != "category"] == [
        ("channel", "EmployeeGenerated", 1, f"map_channel__{SOURCE}"),
        ("status", "Pending", 1, f"map_status__{SOURCE}"),
    ]
    # no category seed yet: every reason is reported, with the seed to create
    assert {(row[1], row[2], row[3]) for row in rows if row[0] == "category"} == {
        ("StreetLights", 3, f"map_category__{SOURCE}"), ("Sanitation", 2, f"map_category__{SOURCE}"),
        ("HighwayMaintenance", 1, f"map_category__{SOURCE}")}


def test_the_landing_checks_derived_from_the_contract_run_on_the_new_source(onboarded):
    checks = onboarded["checks"]
    assert checks.row_count == 6 and checks.no_data_reason is None
    assert checks.error_failures == []
    failed = {(o.expectation_type, o.columns, o.unexpected_count) for o in checks.warn_failures}
    assert failed == {
        ("expect_column_values_to_match_strftime_format", ("closed_at",), 1),
        ("expect_column_values_to_be_in_set", ("status_name",), 1),  # Pending
        ("expect_column_values_to_be_in_set", ("channel_name",), 1),  # Employee Generated
        ("expect_column_values_to_be_in_set", ("source_category",), 6),  # no category seed
    }
