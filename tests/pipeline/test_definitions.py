"""The code location loads, and every asset is documented and placed in a group."""

from __future__ import annotations

import yaml

from pipelines.ingestion.contracts import load_contracts
from pipelines.settings import REPO_ROOT, TIMEZONE


def test_workspace_points_at_the_code_location():
    workspace = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())
    assert workspace["load_from"][0]["python_module"]["module_name"] == "pipelines.definitions"


def test_every_asset_has_a_description_a_group_and_an_owner_or_kind():
    from pipelines.definitions import defs

    specs = list(defs.resolve_all_asset_specs())
    assert len(specs) > 30
    for spec in specs:
        name = spec.key.to_user_string()
        assert spec.description and spec.description.strip(), f"{name} has no description"
        assert spec.group_name and spec.group_name != "default", f"{name} has no group"
        assert spec.kinds, f"{name} has no kind"


def _specs() -> dict:
    from pipelines.definitions import defs

    return {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}


def test_a_department_has_one_name_across_groups_owners_and_tags():
    specs = _specs()
    for contract in load_contracts().values():
        code = contract.department_code
        named = {key for key, spec in specs.items() if spec.tags.get("department") == code}
        assert {f"landing/{contract.source}", f"staging/stg_{contract.source}__{contract.entity}"} <= named
        assert any(key.startswith("intermediate/") for key in named)
        assert {key for key, spec in specs.items() if spec.group_name == code} == named
        assert {key for key, spec in specs.items() if f"team:{code}" in spec.owners} == named
        assert all(specs[key].owners == [f"team:{code}"] for key in named)
        assert specs[f"landing/{contract.source}"].tags["layer"] == "landing"


def test_shared_models_are_grouped_by_layer_and_owned_by_the_platform():
    specs = _specs()
    for key, spec in specs.items():
        if key.startswith("marts/"):
            assert (spec.group_name, spec.owners) == ("marts", ["team:city-data-platform"]), key
    assert all(spec.group_name == "city_standard" for key, spec in specs.items() if key.startswith("standard/"))


def test_a_department_owns_the_mart_columns_that_come_from_it():
    specs = _specs()
    owning = set()
    for key, spec in specs.items():
        if not key.startswith("marts/"):
            continue
        lineage = spec.metadata.get("dagster/column_lineage")
        for column in spec.metadata["dagster/column_schema"].columns:
            code = column.tags.get("department")
            if code is None:
                continue
            [dep] = lineage.deps_by_column[column.name]
            upstream = specs[dep.asset_key.to_user_string()]
            assert (upstream.tags["department"], dep.column_name) == (code, column.name), f"{key}.{column.name}"
            assert column.tags["owner"] == f"team:{code}"
            owning.add(code)
    assert owning == {contract.department_code for contract in load_contracts().values()}


def test_every_gx_suite_and_dbt_test_is_an_asset_check():
    from pipelines.definitions import defs
    from pipelines.quality.suites import load_suites

    check_keys = {key for checks in defs.asset_checks or [] for key in checks.check_keys}
    check_keys |= {key for assets_def in defs.assets for key in getattr(assets_def, "check_keys", [])}
    names = {key.name for key in check_keys}
    assert {f"gx_{name}" for name in load_suites()} <= names
    assert any(name.startswith("unique_") or name.startswith("not_null_") for name in names)


def test_jobs_schedules_and_sensors_resolve():
    from pipelines.definitions import defs

    landing_jobs = [f"{source}_landing_job" for source in load_contracts()]
    for job_name in ("city_standard_job", "daily_governance_job", "delivery_freshness_job", *landing_jobs):
        assert defs.resolve_job_def(job_name) is not None
    assert {job.name for job in defs.jobs} == {"city_standard_job", "daily_governance_job", "delivery_freshness_job",
                                               "warehouse_compaction_job", *landing_jobs}
    for source in load_contracts():  # a landing job holds its source's landing asset alone
        job = defs.resolve_job_def(f"{source}_landing_job")
        assert [key.to_user_string() for key in job.asset_layer.selected_asset_keys] == [f"landing/{source}"]
    # the governance job has one schedule, the weekly full-table test run; its daily runs come from the sensor
    assert {s.job_name for s in defs.schedules if s.name != "full_table_tests_schedule"} == \
        {"delivery_freshness_job", "warehouse_compaction_job", *landing_jobs}
    assert defs.get_schedule_def("full_table_tests_schedule").job_name == "daily_governance_job"
    compaction = defs.get_schedule_def("warehouse_compaction_schedule")
    assert (compaction.job_name, compaction.execution_timezone) == ("warehouse_compaction_job", TIMEZONE)
    assert compaction.cron_schedule.endswith(" * * 0")  # weekly, on Sundays
    assert {t.job_name for t in defs.resolve_sensor_def("inbox_sensor").targets} == set(landing_jobs)
    assert [t.job_name for t in defs.resolve_sensor_def("governance_sensor").targets] == ["daily_governance_job"]


def test_every_dbt_test_on_a_model_is_an_asset_check_of_a_job():
    """Including the tests that reference the standard's seeds (the facts' codes_in_code_sets tests), which a job
    selecting by excluding the seeds would silently leave out."""
    import json

    from pipelines.dbt_project import dbt_project
    from pipelines.definitions import defs

    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    model_tests = {node["name"]: node for node in nodes.values()
                   if node["resource_type"] == "test" and (node.get("attached_node") or "").startswith("model.")}
    governance_tests_on_seeds = [
        name for name, node in model_tests.items()
        if any(parent.startswith("seed.") for parent in node["depends_on"]["nodes"])
        and "city_standard" not in nodes[node["attached_node"]]["tags"]
    ]
    assert len(governance_tests_on_seeds) >= 15  # one per model with coded columns
    in_jobs = set()
    for job_name in ("city_standard_job", "daily_governance_job"):
        job = defs.resolve_job_def(job_name)
        in_jobs |= {key.name for key in job.asset_layer.asset_graph.asset_check_keys}
    assert set(model_tests) - in_jobs == set()
