"""End to end: generated deliveries → Dagster runs (landing, dbt, checks) → marts, compared with the generator's
ground truth. Then a re-delivered file and a rerun of the same day, which must change nothing. Last, the
pseudonym salt (random, made here) is searched for in every file the runs wrote."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from demo.generate import GENERATORS, generate, scaled_sizes
from demo.scenarios import REPORT
from pipelines import settings
from pipelines.cli import BuildReport, build
from pipelines.dbt_launcher.jinja_code_cache import CACHE_DIR_VARIABLE
from pipelines.ingestion.contracts import load_contracts
from pipelines.publish.marts import published_marts
from pipelines.warehouse import open_warehouse
from tests.duckdb_openings import recorded_openings
from tests.governance.ground_truth import pairwise_precision_recall, scenario_matters
from tests.publish.reader_process import ReaderProcess, judge

START = date(2026, 3, 1)
DAYS = 6
END = START + timedelta(days=DAYS - 1)
REPORTERS = {module.SOURCE for module in GENERATORS if getattr(module, "SCENARIO_ROLE", None) == REPORT}
DISPUTE_REFERRERS = {module.SOURCE for module in GENERATORS if getattr(module, "SCENARIO_REFERS_DISPUTES", False)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    salt = f"salt-{secrets.token_hex(16)}"  # made now: no file held it before the build
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CITYBRAIN_WAREHOUSE", str(root / "city.duckdb"))
        env.setenv("CITYBRAIN_INBOX", str(root / "inbox"))
        env.setenv("CITYBRAIN_LANDING", str(root / "landing"))
        env.setenv("CITYBRAIN_SERVING_DIR", str(root / "serving"))
        env.setenv("CITYBRAIN_PSEUDONYM_SALT", salt)
        truth = generate(root / "inbox", START, DAYS, scaled_sizes(0.3), seed=11)
        # a persistent instance: run and event-log storage and compute logs are files, searched for the salt
        (root / "dagster_home").mkdir()
        with DagsterInstance.local_temp(tempdir=str(root / "dagster_home")) as instance:
            reader = ReaderProcess.start(root / "serving" / "city.duckdb", root)  # a BI tool polling all along
            try:
                with recorded_openings() as openings:
                    report = build(START, END, instance)
                yield {"root": root, "truth": truth, "report": report, "instance": instance, "reader": reader,
                       "salt": salt, "openings": openings}
            finally:
                reader.process.kill()


def query(sql: str, params=None) -> list[tuple]:
    with open_warehouse(read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def scalar(sql: str, params=None):
    return query(sql, params)[0][0]


def expected(built, source: str) -> dict:
    return built["truth"]["sources"][source]["expected"]


def test_every_run_succeeds_and_no_error_check_fails(built):
    report: BuildReport = built["report"]
    assert report.success, report.runs
    # the standard, then each source's own landing job, then the governance job for the days
    assert [name for name, _ in report.runs] == ["city_standard_job",
                                                 *(f"{source}_landing_job" for source in load_contracts()),
                                                 "daily_governance_job"]
    assert report.checks_passed > 100
    # the window ended months ago: every source's next partition is long overdue
    stale = [failed for failed in report.checks_failed if ":delivery_freshness " in failed]
    assert sorted(stale) == sorted(f"landing/{source}:delivery_freshness (ERROR)" for source in load_contracts())
    assert all(failed.endswith("(WARN)") for failed in report.checks_failed if failed not in stale), \
        report.checks_failed


def test_the_build_opens_the_warehouse_only_through_the_door(built):
    """In a process where dbt holds the warehouse open, DuckDB refuses a connection with another configuration: every
    opening of the warehouse has the pipeline's (pipelines/warehouse.py, open_warehouse)."""
    warehouse = [opening for opening in built["openings"] if opening.database == settings.warehouse_path().resolve()]
    assert warehouse, "the build opens the warehouse"
    assert [opening.caller for opening in warehouse if opening.config != settings.duckdb_config()] == []


@pytest.mark.parametrize("source", sorted(load_contracts()))
def test_every_record_is_landed_or_quarantined_exactly_as_injected(built, source):
    truth = expected(built, source)
    read, landed, quarantined = query(
        "select sum(rows_read), sum(rows_landed), sum(rows_quarantined) from ops.ingestion_ledger where source = ?",
        [source])[0]
    assert (read, landed) == (truth["rows_written"], truth["landed"])
    assert read == landed + quarantined
    by_reason = dict(query("select reason, count(*) from ops.quarantine where source = ? group by 1", [source]))
    assert by_reason == {reason: n for reason, n in truth["quarantine"].items() if n}


def test_service_requests_match_the_ground_truth(built):
    truth = expected(built, "hotline_12345")
    fct = "marts.fct_service_request"
    assert scalar(f"select count(*) from {fct}") == truth["distinct_work_orders"]
    assert scalar(f"select count(*) from {fct} where district_code is null") == truth["unknown_district"]
    by_district = dict(query(f"select district_code, count(*) from {fct} where district_code is not null group by 1"))
    assert by_district == truth["requests_by_district"]
    assert scalar(f"select count(*) filter (is_closed) from {fct}") == truth["closed"]
    assert scalar(f"select count(*) filter (is_closed_on_time) from {fct}") == truth["closed_on_time"]
    assert scalar(f"select count(*) filter (not caller_id_is_valid) from {fct}") == truth["invalid_citizen_id"]
    assert scalar(f"select count(*) filter (category_code is null) from {fct}") == truth["unknown_category"]
    assert scalar(f"select count(*) filter (not lifecycle_in_order) from {fct}") == truth["lifecycle_out_of_order"]


def test_grid_events_match_the_ground_truth(built):
    truth = expected(built, "grid_events")
    fct = "marts.fct_grid_event"
    assert scalar(f"select count(*) from {fct}") == truth["distinct_events"]
    assert scalar(f"select count(*) from {fct} where grid_code is null") == truth["unknown_grid"]
    assert scalar(f"select count(*) from {fct} where grid_code not in (select grid_code from marts.dim_grid)") == 0
    by_district = dict(query(f"select district_code, count(*) from {fct} where district_code is not null group by 1"))
    assert by_district == truth["events_by_district"]
    assert scalar(f"select count(*) filter (is_closed) from {fct}") == truth["closed"]
    assert scalar(f"select count(*) filter (category_code is null) from {fct}") == truth["unknown_category"]
    assert scalar(f"select count(*) filter (not lifecycle_in_order) from {fct}") == truth["lifecycle_out_of_order"]


def test_dispute_cases_match_the_ground_truth(built):
    truth = expected(built, "mediation_cases")
    fct = "marts.fct_dispute_case"
    assert scalar(f"select count(*) from {fct}") == truth["distinct_cases"]
    by_district = dict(query(f"select district_code, count(*) from {fct} where district_code is not null group by 1"))
    assert by_district == {code: n for code, n in truth["cases_by_district"].items() if n}
    assert scalar(f"select count(*) from {fct} where district_code is null") == truth["unknown_district"]
    assert scalar(f"select count(*) filter (is_mediation_success) from {fct}") == truth["mediation_success"]
    assert scalar(f"select count(*) filter (not applicant_id_is_valid or not respondent_id_is_valid) from {fct}") \
        == truth["invalid_citizen_id"]


def test_police_incidents_match_the_ground_truth(built):
    truth = expected(built, "police_incidents")
    fct = "marts.fct_police_incident"
    assert scalar(f"select count(*) from {fct}") == truth["distinct_incidents"]
    # every time form (zoned, naive, text) parsed
    assert scalar(f"select count(*) from {fct} where reported_at is null") == 0
    assert scalar(f"select count(*) from {fct} where jurisdiction_code is null") == truth["unknown_jurisdiction"]
    by_district = dict(query(f"select district_code, count(*) from {fct} where district_code is not null group by 1"))
    assert by_district == truth["incidents_by_district"]
    assert scalar(f"select count(*) from {fct} where street_code is not null") == truth["located_to_street"]
    assert scalar(f"select count(*) from {fct} where incident_type_code is null") == truth["unknown_type"]
    assert scalar(f"select count(*) from {fct} where category_code is not null") == truth["with_category"]
    assert scalar(f"select count(*) filter (is_dispute) from {fct}") == truth["disputes"]
    assert scalar(f"select count(*) filter (is_closed) from {fct}") == truth["closed"]
    assert scalar(f"select count(response_minutes) from {fct}") == truth["attended"]
    # the scenario's 110 addresses carry house numbers: the mart cuts them off
    assert scalar(f"select count(*) from {fct} where regexp_matches(incident_address, '[0-9０-９]+号')") == 0


def test_emergency_events_match_the_ground_truth(built):
    truth = expected(built, "emergency_events")
    fct = "marts.fct_emergency_event"
    assert scalar(f"select count(*) from {fct}") == truth["distinct_events"]
    by_district = dict(query(f"select district_code, count(*) from {fct} where district_code is not null group by 1"))
    assert by_district == truth["events_by_district"]
    assert scalar(f"select count(*) from {fct} where district_code is null") == truth["unknown_district"]
    assert scalar(f"select count(*) from {fct} where severity_level is null") == truth["unknown_severity"]
    assert scalar(f"select count(*) filter (was_escalated) from {fct}") == truth["escalated"]
    assert dict(query(f"select highest_command_level, count(*) from {fct} group by 1")) == \
        truth["events_by_highest_command_level"]
    assert scalar(f"select count(*) from {fct} where first_response_at is null or response_minutes is null") == 0
    assert scalar("select count(*) from marts.fct_emergency_response_step") == truth["response_steps"]
    assert scalar("select count(*) from marts.fct_emergency_response_step where step_at is null "
                  "or command_level_code is null or action_code is null") == 0


def test_credit_list_entries_match_the_ground_truth(built):
    truth = expected(built, "credit_lists")
    fct = "marts.fct_credit_list_entry"
    assert scalar(f"select count(*) from {fct}") == truth["distinct_entries"]
    assert scalar(f"select count(*) filter (subject_type = 'person') from {fct}") == truth["persons"]
    assert scalar(f"select count(*) filter (not code_is_valid) from {fct}") == truth["invalid_code"]
    assert scalar(f"select count(*) filter (code_is_valid is null) from {fct}") == 0
    assert dict(query(f"select list_type_code, count(*) from {fct} group by 1")) == {
        code: n for code, n in truth["entries_by_list_type"].items() if n}
    assert scalar(f"select count(*) filter (removed_date is not null) from {fct}") == truth["removed"]
    assert scalar(f"select count(*) filter (is_active) from {fct}") == truth["active"]
    assert {str(day) for (day,) in query(f"select distinct as_of_date from {fct}")} == {truth["as_of_date"]}
    by_district = dict(query(f"select district_code, count(*) from {fct} where district_code is not null group by 1"))
    assert by_district == {code: n for code, n in truth["entries_by_district"].items() if n}
    assert scalar(f"select count(*) from {fct} where district_code is null") == truth["unknown_district"]
    weeks = {str(day) for (day,) in query("select distinct partition_key from ops.ingestion_ledger "
                                          "where source = 'credit_lists'")}
    assert weeks and all(date.fromisoformat(day).weekday() == 0 for day in weeks)


def test_volunteer_services_match_the_ground_truth(built):
    truth = expected(built, "volunteer_services")
    fct = "marts.fct_volunteer_service"
    assert scalar(f"select count(*) from {fct}") == truth["distinct_records"]
    assert scalar(f"select count(*) from {fct} where community_code is null") == truth["unknown_community"]
    by_district = dict(query(f"select district_code, count(*) from {fct} where district_code is not null group by 1"))
    assert by_district == {code: n for code, n in truth["records_by_district"].items() if n}
    assert scalar(f"select count(*) filter (not hours_are_valid) from {fct}") == truth["invalid_hours"]
    assert scalar(f"select count(*) filter (not is_half_hour_step) from {fct}") == truth["hours_not_half_step"]
    assert scalar(f"select count(*) filter (is_approved) from {fct}") == truth["approved"]
    assert scalar(f"select sum(service_hours) filter (is_approved and hours_are_valid) from {fct}") \
        == pytest.approx(truth["approved_valid_hours"])
    assert scalar(f"select count(distinct volunteer_pseudonym) from {fct}") == truth["volunteers"]


def test_enterprise_history_matches_the_ground_truth(built):
    from demo.enterprise_history import history_digest

    truth = expected(built, "enterprise_register")
    dim = "marts.dim_enterprise"
    history = query(f"select uscc, cast(valid_from as varchar), cast(valid_to as varchar), closed_reason from {dim}")
    assert history_digest(history) == truth["history_sha256"]
    assert scalar(f"select count(*) from {dim}") == truth["versions"]
    assert scalar(f"select count(*) filter (is_current) from {dim}") == truth["current_versions"]
    current = dict(query(f"select district_code, count(*) from {dim} where is_current group by 1"))
    assert current == truth["current_by_district"]
    assert scalar(f"select count(distinct uscc) filter (not code_is_valid) from {dim}") == truth["invalid_uscc"]
    assert scalar(f"select count(*) from {dim} where industry_code is null or registration_status_code is null") == 0


def test_community_population_matches_the_ground_truth(built):
    truth = expected(built, "community_population")
    fct = "marts.fct_community_population"
    assert scalar(f"select count(*) from {fct}") == truth["community_months"]
    assert scalar(f"select count(*) from {fct} where community_code is null") == truth["unknown_community"]
    by_month = dict(query(f"select cast(month as varchar), sum(resident_population) from {fct} "
                          "where community_code is not null group by 1"))
    assert by_month == truth["resident_by_month"]
    flags = query(f"""select count(*) filter (has_negative_count), count(*) filter (has_more_elderly_than_residents),
                             count(*) filter (has_resident_jump), count(*) filter (not is_plausible) from {fct}""")[0]
    implausible = truth["implausible"]
    assert flags == (implausible["negative_count"], implausible["more_elderly_than_residents"],
                     implausible["resident_jump"], implausible["implausible"])


def test_unmapped_code_report_counts_the_injected_unknown_values(built):
    unmapped = dict(((source, element), rows) for source, element, rows in query(
        "select source, element, sum(rows) from ops.ops_unmapped_codes group by all"))
    hotline, grid, mediation = (expected(built, s) for s in ("hotline_12345", "grid_events", "mediation_cases"))
    assert unmapped.get(("hotline_12345", "district")) == hotline["unknown_district"]
    assert unmapped.get(("hotline_12345", "category")) == hotline["unknown_category"]
    assert unmapped.get(("grid_events", "grid")) == grid["unknown_grid"]
    assert unmapped.get(("grid_events", "category")) == grid["unknown_category"]
    assert unmapped.get(("mediation_cases", "district")) == mediation["unknown_district"]
    assert unmapped.get(("volunteer_services", "community")) == expected(built, "volunteer_services")["unknown_community"]
    assert unmapped.get(("community_population", "community")) == expected(built, "community_population")[
        "unknown_community"]
    assert not any(source == "enterprise_register" for source, _ in unmapped)  # status variants map by seed
    assert scalar("select count(*) from ops.ops_unmapped_codes where code_set <> 'map_' || element || '__' || source") == 0
    police, emergency = (expected(built, s) for s in ("police_incidents", "emergency_events"))
    assert unmapped.get(("police_incidents", "jurisdiction")) == police["unknown_jurisdiction"]
    assert unmapped.get(("police_incidents", "incident_type")) == police["unknown_type"]
    assert unmapped.get(("emergency_events", "district")) == emergency["unknown_district"]
    assert unmapped.get(("emergency_events", "severity")) == emergency["unknown_severity"]


def test_scorecard_adds_up_to_the_facts(built):
    received, closed = query("select sum(requests_received), sum(requests_closed) from marts.mart_governance_scorecard")[0]
    assert received == scalar("select count(*) from marts.fct_service_request where district_code is not null")
    assert closed == scalar("select count(*) from marts.fct_service_request where district_code is not null and is_closed")
    assert scalar("select count(*) from marts.mart_governance_scorecard") == 7  # 7 districts x 1 month


def test_the_assessment_drills_down_to_communities_where_the_facts_carry_one(built):
    community_values = dict(query("""select indicator_code, count(indicator_value) from marts.mart_assessment_scorecard
        where level = 'community' group by indicator_code"""))
    assert community_values["grid_closure_rate"] > 0 and community_values["hotline_closure_rate"] > 0
    assert community_values["mediation_success_rate"] == 0 and community_values["police_incidents_per_10k"] == 0
    # a community's grid closure rate is its events' own, and the communities are ranked among themselves
    assert scalar("""select count(*) from (
        select community_code, cast(date_trunc('month', reported_date) as date),
            round(avg(case when is_closed then 1.0 else 0.0 end), 9)
        from marts.fct_grid_event
        where community_code is not null and district_code is not null and reported_date is not null
            and not has_implausible_dates
        group by all
        except
        select area_code, month_start, round(indicator_value, 9) from marts.mart_assessment_scorecard
        where level = 'community' and indicator_code = 'grid_closure_rate' and indicator_value is not null)""") == 0
    assert scalar("""select count(*) from marts.mart_assessment_scorecard where level = 'community'
        and (area_rank < 1 or area_rank > areas_ranked)""") == 0
    assert scalar("select max(areas_ranked) from marts.mart_assessment_scorecard where level = 'community'") > 1


def test_governance_cases_merge_the_scenario_matters_across_channels(built):
    bridge = query("select source, record_id, case_id from marts.bridge_governance_case_record")
    precision, recall, predicted, true = pairwise_precision_recall(built["truth"], bridge)
    print(f"governance cases: pairwise precision {precision:.3f} ({predicted} pairs), recall {recall:.3f} "
          f"({true} true pairs)")
    assert true > 0
    assert precision >= 0.95 and recall >= 0.90
    # every reporting channel takes part in the judged pairs
    for source in REPORTERS:
        precision, recall, predicted, true = pairwise_precision_recall(built["truth"], bridge, involving=source)
        print(f"  pairs with a {source} record: precision {precision:.3f} ({predicted} pairs), "
              f"recall {recall:.3f} ({true} true pairs)")
        assert true > 0, source


def test_a_governance_case_is_closed_only_when_every_record_is(built):
    matters = built["truth"]["scenario"]["matters"]
    case_of = {(source, record_id): case_id for source, record_id, case_id in
               query("select source, record_id, case_id from marts.bridge_governance_case_record")}
    cases = {row[0]: row[1:] for row in query("select case_id, is_closed, channel_count from marts.fct_governance_case")}
    checked = {True: 0, False: 0}
    for matter, records in scenario_matters(built["truth"]).items():
        case_ids = {case_of.get(record) for record in records}
        if matters[matter]["kind"] != "multi_channel" or len(case_ids) != 1 or None in case_ids:
            continue
        is_closed, channel_count = cases[case_ids.pop()]
        assert is_closed == matters[matter]["all_closed"]
        assert channel_count == len(set(matters[matter]["channels"]))
        checked[is_closed] += 1
    assert checked[True] and checked[False]


def test_dispute_journeys_follow_the_scenario_across_the_three_mediations(built):
    truth = built["truth"]
    journeys = truth["scenario"]["journeys"]
    records = scenario_matters(truth)
    rows = {row[0]: row[1:] for row in query(
        "select origin_record_id, stage_path, resolved_stage, is_resolved_at_grassroots from marts.fct_dispute_journey"
        " where origin_record_id is not null")}
    assert journeys
    origins = set()
    for matter, expected in journeys.items():
        origin_source, origin = next(record for record in records[matter] if record[0] != "mediation_cases")
        assert rows[origin] == (">".join(expected["stages"]), expected["resolved_stage"],
                                expected["resolved_at_grassroots"]), matter
        origins.add(origin_source)
    assert origins == DISPUTE_REFERRERS  # journeys start at every channel that refers disputes (12345, 110)
    assert scalar("select count(*) from marts.fct_dispute_journey where mediation_case_id is not null") \
        == scalar("select count(*) from marts.fct_dispute_case")


@pytest.mark.parametrize("source", ["hotline_12345", "police_incidents"])
def test_addresses_find_their_community(built, source):
    matters = built["truth"]["scenario"]["matters"]
    community = dict(query("select source || ':' || record_id, community_code from marts.bridge_governance_case_record"))
    written = [(matter, record_id) for matter, record_ids in
               built["truth"]["sources"][source]["scenario_records"].items() for record_id in record_ids]
    assert written
    for matter, record_id in written:  # every scenario address names its community
        assert community[f"{source}:{record_id}"] == matters[matter]["community_code"]
    rates = dict(query("select source, sum(records_with_community) / sum(records) from marts.mart_community_match_rate"
                       " group by source"))
    print(f"community match rate: {rates}")
    assert rates["grid_events"] > 0.9 and 0 < rates[source] < 1


def raw_personal_values() -> list[str]:
    """A select of every raw personal value the build read: each landed column a contract marks `personal: true`,
    and each column dbt tags personal (`meta: {personal: true}`) in a model outside the marts. A new department's
    personal columns are in it as soon as its contract marks them."""
    landed = settings.landing_dir()
    selects = [f"""select "{column.name}" as v from read_parquet('{landed}/{contract.source}/*/*.parquet')"""
               for contract in load_contracts().values() for column in contract.columns if column.personal]
    manifest = json.loads((settings.DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["schema"] != "marts":
            selects += [f'select "{name}" as v from {node["schema"]}."{node["alias"]}"'
                        for name, column in node["columns"].items()
                        if {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}.get("personal")]
    return selects


def test_no_raw_personal_information_reaches_a_mart(built):
    columns = query("select table_name, column_name from information_schema.columns "
                    "where table_schema = 'marts' and data_type = 'VARCHAR'")
    selects = raw_personal_values()
    assert selects and all(scalar(f"select count(v) from ({select})") for select in selects)  # each reads values
    looks_like_phone_or_id = "'(^|[^0-9])(1[3-9][0-9]{9}|[0-9]{17}[0-9X])([^0-9]|$)'"
    # declared not personal in dbt (`meta: {personal: false}`): an enterprise's address may equal a caller's by chance
    not_personal = {(mart.name, column) for mart in published_marts() for column in mart.cleared_columns}
    with open_warehouse(read_only=True) as connection:
        connection.execute(f"create temp table raw_personal as {' union '.join(selects)}")  # read once
        for table, column in columns:
            value_check = "false" if (table, column) in not_personal else f'"{column}" in (select v from raw_personal)'
            # a 64-hex pseudonym may contain 11 digits in a row by chance; its format is checked by dbt and GX
            # so may a USCC (GB 32100), an enterprise's code: 17 digits and a check character like a citizen ID
            pattern_check = "false" if column.endswith("_pseudonym") or column == "uscc" \
                else f'regexp_matches("{column}", {looks_like_phone_or_id})'
            leaks = connection.execute(
                f'select count(*) from marts."{table}" where {value_check} or {pattern_check}').fetchone()[0]
            assert leaks == 0, f"marts.{table}.{column} carries raw personal values"


def test_dbt_unit_tests_pass_on_the_built_warehouse(built):
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "test", "--select", "test_type:unit", "--project-dir", str(settings.DBT_PROJECT_DIR),
         "--profiles-dir", str(settings.DBT_PROJECT_DIR), "--target-path", str(built["root"] / "dbt_target")],
        capture_output=True, text=True, env={**os.environ, **settings.dbt_environment()},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "ERROR=0" in result.stdout and "PASS=0" not in result.stdout


def test_the_build_publishes_a_snapshot_of_every_mart(built):
    from pipelines.publish import current_snapshot
    from pipelines.publish.marts import published_marts

    assert len(built["report"].published) == 1
    with duckdb.connect(str(settings.serving_path()), read_only=True) as reader:
        snapshot = current_snapshot(reader)
        served = {f"marts.{name}": reader.execute(f'select count(*) from marts."{name}"').fetchone()[0]
                  for (name,) in reader.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    assert snapshot["snapshot_id"] == built["report"].published[0]
    assert served == {name: table["rows"] for name, table in snapshot["manifest"]["tables"].items()}
    assert set(served) == {f"marts.{mart.name}" for mart in published_marts()}
    assert served["marts.fct_service_request"] == scalar("select count(*) from marts.fct_service_request")


def test_the_cockpit_of_the_published_snapshot_renders_every_chart_offline(built, record_property):
    """The cockpit asset ran after the publication: in headless Chromium with the network blocked, every chart
    paints its marks from non-empty data, nothing logs an error, and panels without a chart say they have no data."""
    from pipelines.cockpit.panels import PANELS
    from pipelines.publish import current_snapshot
    from tests.cockpit.browser import read_tables, render

    index = settings.cockpit_dir() / "index.html"
    with duckdb.connect(str(settings.serving_path()), read_only=True) as reader:
        snapshot = current_snapshot(reader)
    assert snapshot["snapshot_id"] in index.read_text(encoding="utf-8")
    screenshot = settings.REPO_ROOT / "warehouse" / "test-artifacts" / "cockpit.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    result = render(index, screenshot)
    record_property("cockpit_screenshot", str(screenshot))
    print(f"cockpit screenshot: {screenshot}")
    assert result["errors"] == [] and result["blocked"] == []
    assert result["charts"]
    for chart_id, chart in result["charts"].items():
        assert chart["rows"] > 0 and chart["marks"], (chart_id, chart)
        assert all(mark["painted"] == mark["items"] for mark in chart["marks"]), (chart_id, chart)
    drawn = {chart_id.split("-")[1] for chart_id in result["charts"]}
    assert {"ranking", "trends", "data_quality"} <= drawn
    assert drawn | {section.removeprefix("panel-") for section in result["noData"]} == {p.__name__ for p in PANELS}

    # the GX results of the snapshot: one table per suite check, a row per expectation, offline
    recorded = snapshot["manifest"]["checks"]["gx_results"]
    gx_page = read_tables(index.parent / "gx-results.html")
    assert gx_page["errors"] == [] and gx_page["blocked"] == [] and recorded
    assert {check: len(rows) for check, rows in gx_page["sections"].items()} == {
        check: len(expectations) for check, expectations in recorded.items()}
    assert not any("partial_unexpected_list" in e["result"] for suite in recorded.values() for e in suite)


def test_data_quality_scorecard_counts_what_the_ledger_and_the_generator_say(built):
    from pipelines.ingestion.contracts import load_contracts

    contracts = load_contracts()
    daily = "marts.mart_data_quality_daily"
    assert {row[0] for row in query(f"select distinct source from {daily}")} == set(contracts)
    for source, contract in contracts.items():
        truth = expected(built, source)
        read, duplicates, department = query(f"""select sum(records_read), sum(duplicate_records),
            any_value(department_code) from {daily} where source = ?""", [source])[0]
        assert read == truth["rows_written"] and department == contract.department_code
        assert duplicates == truth["quarantine"].get("duplicate_record", 0) + truth["quarantine"].get(
            "duplicate_delivery", 0)
    # every unconformed coded value (ops_unmapped_codes) and invalid citizen ID is a failed validity check
    failed_validity = scalar(f"select sum(validity_checks - validity_passed) from {daily} where source = 'hotline_12345'")
    unmapped = scalar("select sum(rows) from ops.ops_unmapped_codes where source = 'hotline_12345'")
    assert failed_validity == unmapped + expected(built, "hotline_12345")["invalid_citizen_id"]
    out_of_order = scalar(f"select sum(consistency_checks - consistency_passed) from {daily} where source = 'grid_events'")
    assert out_of_order >= expected(built, "grid_events")["lifecycle_out_of_order"] > 0
    # every department with partitions in a month is ranked in it (a weekly source's first week may begin in the
    # month before the window)
    ranks = query(f"""select s.month_start, list(s.department_rank order by s.department_rank),
                             any_value(s.departments_ranked), any_value(d.departments)
                      from marts.mart_data_quality_scorecard as s
                      inner join (select month_start, count(distinct department_code) as departments from {daily}
                                  group by 1) as d on d.month_start = s.month_start
                      group by 1""")
    assert ranks and all(ranked == departments and sorted(r) == r for _, r, ranked, departments in ranks)
    assert max(ranked for _, _, ranked, _ in ranks) == len({c.department_code for c in contracts.values()})


def test_timeliness_is_judged_by_when_the_department_delivered_not_when_the_pipeline_landed(built):
    """The ledger keeps each file's delivery time (its inbox mtime); the generator back-dates files to 01:00 after
    their period, long before this build landed them, so on-time partitions exist only if delivery time is used."""
    inbox = settings.inbox_dir()
    ledgered = query("""select source_file, delivered_at, loaded_at from ops.ingestion_ledger
                        where status in ('landed', 'landed_with_quarantine')""")
    assert ledgered
    for source_file, delivered_at, loaded_at in ledgered:
        assert delivered_at.timestamp() == pytest.approx((inbox / source_file).stat().st_mtime, abs=1e-3)
        assert delivered_at < loaded_at
    daily = "marts.mart_data_quality_daily"
    assert scalar(f"""select count(*) from {daily} as d where is_delivered and first_delivered_at <> (
        select min(delivered_at) from ops.ingestion_ledger as l
        where l.source = d.source and cast(l.partition_key as date) = d.partition_key
          and l.status not in ('no_delivery', 'refused', 'incomplete'))""") == 0
    on_time, delivered = query(f"select count(*) filter (where is_on_time), count(*) filter (where is_delivered) "
                               f"from {daily}")[0]
    assert 0 < on_time <= delivered


def test_each_landing_asset_shows_its_latest_data_quality_scores(built):
    from dagster import AssetKey

    from pipelines.ingestion.contracts import load_contracts

    for source in load_contracts():
        [record] = built["instance"].fetch_observations(AssetKey(["landing", source]), limit=1).records
        metadata = record.asset_observation.metadata
        composite, rank = query("""select composite_score, department_rank from marts.mart_data_quality_scorecard
            where source = ? order by month_start desc limit 1""", [source])[0]
        assert metadata["dq/composite_score"].value == round(composite, 4)
        assert metadata["dq/department_rank"].value == rank
        assert 0 <= metadata["dq/validity_score"].value <= 1


def _fact_counts() -> tuple:
    return query("""select (select count(*) from marts.fct_service_request), (select count(*) from marts.fct_grid_event),
                           (select sum(requests_received) from marts.mart_governance_scorecard),
                           (select count(*) from marts.fct_dispute_case)""")[0]


def test_a_redelivered_file_and_a_rerun_day_duplicate_nothing(built):
    from pipelines.definitions import defs

    before = _fact_counts()
    day = START + timedelta(days=1)
    folder = settings.inbox_dir() / "hotline_12345"
    original = folder / f"12345_workorders_{day:%Y%m%d}.csv"
    shutil.copy2(original, folder / f"12345_workorders_{day:%Y%m%d}_copy.csv")  # delivered, complete
    for _ in range(2):
        for job_name in ("hotline_12345_landing_job", "daily_governance_job"):
            result = defs.resolve_job_def(job_name).execute_in_process(
                instance=built["instance"], partition_key=day.isoformat(), raise_on_error=False)
            assert result.success, job_name
        assert _fact_counts() == before
    statuses = dict(query("select source_file, status from ops.ingestion_ledger where partition_key = ? "
                          "and source = 'hotline_12345'", [day.isoformat()]))
    assert statuses[f"hotline_12345/{original.stem}_copy.csv"] == "duplicate_delivery"
    assert scalar("select count(*) from ops.ingestion_ledger where partition_key = ? and source = 'hotline_12345'",
                  [day.isoformat()]) == 2



def test_range_run_records_every_day_of_partitioned_checks(built):
    from dagster import AssetCheckKey, AssetKey

    key = AssetCheckKey(AssetKey(["landing", "hotline_12345"]), "gx_hotline_12345")
    records = built["instance"].event_log_storage.get_asset_check_execution_history(key, limit=100)
    range_run = min(records, key=lambda record: record.create_timestamp).run_id
    assert sorted(record.partition for record in records if record.run_id == range_run) == [
        (START + timedelta(days=n)).isoformat() for n in range(DAYS)]
    assert {record.status.value for record in records} <= {"SUCCEEDED", "FAILED"}  # no day left planned (Skipped)


def test_a_failed_dbt_test_shows_its_description_and_failing_rows(built):
    from dagster import DagsterEventType

    instance = built["instance"]
    evaluations = [event.dagster_event.event_specific_data for run in instance.get_runs()
                   for event in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)]
    failed = {e.check_name: e for e in evaluations if not e.passed and not e.check_name.startswith("gx_")}
    unconformed = failed["fct_service_request_conformed"]  # the generator's unknown districts
    assert "conform" in unconformed.description
    sample = unconformed.metadata["failing_rows_sample"].value
    assert "| work_order_id |" in sample and sample.count("\n| ") >= 1
    # failed_checks names each NULL column of the row
    assert any(f"{column} is null;" in sample for column in conformed_columns("fct_service_request"))
    assert "caller_phone_masked" in sample  # a mask, not a personal column; raw columns never reach the marts


def conformed_columns(model: str) -> list[str]:
    """The columns of the model's WARN test `<model>_conformed`, as the manifest holds them."""
    manifest = json.loads((settings.DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    [test] = [node for node in manifest["nodes"].values() if node["name"] == f"{model}_conformed"]
    return test["test_metadata"]["kwargs"]["required"]


def test_an_incremental_run_tests_its_window_and_the_full_build_every_row(built):
    from dagster import DagsterEventType

    instance = built["instance"]
    check = "fct_service_request_conformed"  # the generator's unknown districts, on several days
    failures_by_run = {}
    for run in instance.get_runs():
        for event in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
            if event.dagster_event.event_specific_data.check_name == check:
                evaluation = event.dagster_event.event_specific_data
                failures_by_run[run.tags.get("dagster/partition", "range")] = evaluation.metadata[
                    "dagster_dbt/failed_row_count"].value
    day = (START + timedelta(days=1)).isoformat()  # the day the rerun test ran alone
    unconformed = " or ".join(f"{column} is null" for column in conformed_columns("fct_service_request"))
    assert failures_by_run["range"] == scalar(f"select count(*) from marts.fct_service_request where {unconformed}")
    assert failures_by_run[day] == scalar(f"select count(*) from marts.fct_service_request where ({unconformed}) "
                                          "and partition_key = ?", [day])
    assert failures_by_run[day] < failures_by_run["range"]


# The last tests change what the others read: a day with an injected ERROR failure, a rollback. Keep them last;
# the salt search comes after them, when every run has written what it writes.


def _serving_snapshot_id() -> str:
    from pipelines.publish import current_snapshot

    with duckdb.connect(str(settings.serving_path()), read_only=True) as reader:
        return current_snapshot(reader)["snapshot_id"]


def test_an_error_check_failure_holds_the_publication_and_a_rollback_restores_the_one_before(built):
    """A delivery whose acceptance times are not in the contract's format (real data made bad) fails the landing
    suite's ERROR expectation: the publication is held and says so, the served snapshot stays; then a rollback."""
    from dagster import AssetKey

    from pipelines.definitions import defs
    from pipelines.publish import registry, rollback
    from pipelines.publish.asset import PUBLICATION_KEY
    from pipelines.warehouse import warehouse_connection

    with warehouse_connection() as connection:
        before = registry.publications(connection)
    served = _serving_snapshot_id()
    assert before[0]["snapshot_id"] == served and before[0]["status"] == "current" and len(before) >= 2

    day = END + timedelta(days=1)
    folder = settings.inbox_dir() / "hotline_12345"
    delivered = (folder / f"12345_workorders_{END:%Y%m%d}.csv").read_bytes()
    reformatted = delivered.replace(f"{END:%Y/%m/%d} ".encode(), f"{day:%Y-%m-%d}T".encode())
    assert reformatted != delivered
    bad = folder / f"12345_workorders_{day:%Y%m%d}.csv"
    bad.write_bytes(reformatted)
    os.utime(bad, (bad.stat().st_mtime - 3600,) * 2)  # delivered an hour ago: complete

    landing = defs.resolve_job_def("hotline_12345_landing_job").execute_in_process(
        instance=built["instance"], partition_key=day.isoformat(), raise_on_error=False)
    assert not landing.success
    failed = [e for e in landing.get_asset_check_evaluations() if not e.passed]
    # the window is months old, so every source's delivery_freshness is ERROR too: non-blocking, it holds nothing
    assert [(e.asset_key, e.check_name, e.severity.value) for e in failed
            if e.severity.value == "ERROR" and e.check_name != "delivery_freshness"] == [
        (AssetKey(["landing", "hotline_12345"]), "gx_hotline_12345", "ERROR")]
    # the governance run of the day (as from the UI: the sensor waits for a landing run that failed) is held by the
    # landing's failed check, read by the publish gate
    result = defs.resolve_job_def("daily_governance_job").execute_in_process(
        instance=built["instance"], partition_key=day.isoformat(), raise_on_error=False)
    assert not result.success
    assert PUBLICATION_KEY not in {event.asset_key for event in result.get_asset_materialization_events()}
    assert _serving_snapshot_id() == served
    [held] = built["instance"].fetch_observations(PUBLICATION_KEY, limit=1).records
    observation = held.asset_observation
    assert observation.metadata["held_by"].value == ["landing/hotline_12345:gx_hotline_12345 (ERROR)"]
    assert observation.metadata["serving_snapshot"].value == served
    assert f"snapshot {served} stays served" in observation.description

    with warehouse_connection() as connection:
        withdrawn, restored = rollback(connection)
        after = {row["snapshot_id"]: row["status"] for row in registry.publications(connection)}
    assert (withdrawn, restored) == (served, before[1]["snapshot_id"])
    assert _serving_snapshot_id() == restored
    assert after[served] == "rolled_back" and after[restored] == "current"


def test_a_reader_polling_the_serving_file_never_fails_and_always_sees_one_published_snapshot(built):
    """Through the range build, the two one-day reruns, the held run and the rollback."""
    import json

    from pipelines.publish import registry
    from pipelines.warehouse import warehouse_connection

    reads = built["reader"].stop()
    with warehouse_connection() as connection:
        published = {row["snapshot_id"]: json.loads(row["manifest"]) for row in registry.publications(connection)}
    verdict = judge(reads, published)
    print(f"\nserving reader: {verdict['reads']} reads, {len(verdict['errors'])} errors, "
          f"{verdict['whole_snapshot_reads']} whole-snapshot reads of {len(verdict['snapshots_seen'])} snapshots")
    assert verdict["errors"] == []
    assert built["report"].success
    assert len(verdict["snapshots_seen"]) >= 3  # the range build's and the reruns' (or the restored one)
    assert verdict["whole_snapshot_reads"] >= 20


def test_the_pseudonym_salt_is_in_no_file_the_pipeline_wrote(built):
    """Last in this module, after every run: compiled SQL, dbt logs and artifacts (under dbt_project/target),
    the dbt processes' cache of Jinja's generated code, the warehouse, landing and inbox, Dagster storage and logs.
    `.venv` holds the installed packages only."""
    salt = built["salt"].encode()
    pseudonyms = scalar("select count(distinct caller_pseudonym) from marts.fct_service_request")
    assert pseudonyms > 0  # the salt was used
    jinja_code = Path(settings.dbt_environment()[CACHE_DIR_VARIABLE])
    assert jinja_code.is_relative_to(built["root"]) and any(jinja_code.iterdir())  # searched below
    searched, holding = 0, []
    for top in (settings.REPO_ROOT, built["root"]):
        for path in top.rglob("*"):
            if ".venv" in path.relative_to(top).parts or ".git" in path.relative_to(top).parts or not path.is_file():
                continue
            searched += 1
            if salt in path.read_bytes():
                holding.append(str(path))
    assert searched > 100
    assert not holding, f"the salt is written in {holding[:10]}"
