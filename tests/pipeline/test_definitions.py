"""The code location loads, and every asset is documented and placed in a group."""

from __future__ import annotations

import yaml

from pipelines.settings import REPO_ROOT


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


def test_department_assets_belong_to_the_contract_owner():
    from pipelines.definitions import defs

    owners = {spec.key.to_user_string(): spec.owners for spec in defs.resolve_all_asset_specs()}
    assert owners["landing/hotline_12345"] == ["team:hotline-data"]
    assert owners["staging/stg_grid_events__events"] == ["team:grid-data"]
    assert owners["marts/fct_service_request"] == ["team:city-data-platform"]


def test_groups_follow_department_and_layer():
    from pipelines.definitions import defs

    groups = {spec.key.to_user_string(): spec.group_name for spec in defs.resolve_all_asset_specs()}
    assert groups["landing/hotline_12345"] == "hotline_12345_landing"
    assert groups["staging/stg_hotline_12345__work_orders"] == "hotline_12345_staging"
    assert groups["marts/fct_service_request"] == "marts"
    assert groups["standard/std_channel"] == "city_standard"


def test_every_gx_suite_and_dbt_test_is_an_asset_check():
    from pipelines.definitions import defs
    from pipelines.quality.gx_runner import load_suites

    check_keys = {key for checks in defs.asset_checks or [] for key in checks.check_keys}
    check_keys |= {key for assets_def in defs.assets for key in getattr(assets_def, "check_keys", [])}
    names = {key.name for key in check_keys}
    assert {f"gx_{name}" for name in load_suites()} <= names
    assert any(name.startswith("unique_") or name.startswith("not_null_") for name in names)


def test_jobs_schedules_and_sensor_resolve():
    from pipelines.definitions import defs

    for job_name in ("city_standard_job", "daily_governance_job", "mediation_cases_landing_job"):
        assert defs.resolve_job_def(job_name) is not None
    schedules = {schedule.name: schedule for schedule in defs.schedules}
    daily = next(s for s in schedules.values() if s.job_name == "daily_governance_job")
    assert daily.execution_timezone == "Asia/Shanghai"
    assert defs.resolve_sensor_def("inbox_sensor") is not None


def test_every_dbt_test_on_a_model_is_an_asset_check_of_a_job():
    """Including the tests that reference the standard's seeds (the facts' relationships to the code sets), which
    a job selecting by excluding the seeds would silently leave out."""
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
    assert len(governance_tests_on_seeds) >= 18
    in_jobs = set()
    for job_name in ("city_standard_job", "daily_governance_job"):
        job = defs.resolve_job_def(job_name)
        in_jobs |= {key.name for key in job.asset_layer.asset_graph.asset_check_keys}
    assert set(model_tests) - in_jobs == set()
