"""dbt models, seeds and tests as Dagster assets and asset checks.

Two multi-assets: the city standard (seeds and the models tagged `city_standard`, built from seeds only,
unpartitioned) and the governance models (staging → intermediate → facts → scorecard), partitioned by day. A run over a range of days
is one `dbt build` with the window in its environment (`window_environment`: not dbt vars, which would re-parse
the project every run), so incremental models process only that window, and the data tests of what the run
rebuilds check that window (unless the run config `full_table_tests` is set). A failed test's check shows its description and a sample of its failing rows.
"""


import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    Config,
    DagsterInstance,
    TableColumn,
    TableColumnDep,
    TableColumnLineage,
    TableSchema,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_dbt.utils import select_unique_ids

from pipelines import settings
from pipelines.dbt_environment import NO_ARTIFACTS, window_environment
from pipelines.dbt_project import dbt_environment, dbt_project, run_dbt
from pipelines.delivered import sources_delivered
from pipelines.departments import PLATFORM_OWNER, Department, department_of_source
from pipelines.ingestion.contracts import SourceContract
from pipelines.partitions import governance_daily_partitions, sources_due
from pipelines.quality.dbt_test_failures import with_failure_details
from pipelines.quality.scorecard import MONTHLY_MART, OPS_SOURCE, scorecard_observations
from pipelines.warehouse import WarehouseBusyError, warehouse_connection, warehouse_lock

CITY_STANDARD = "resource_type:seed tag:city_standard"
# Every model but the standard's, and the sources' tests. Selected, not derived by excluding the seeds: excluding a
# seed would also exclude every test that references it (the facts' tests of their codes against the code sets).
GOVERNANCE = "resource_type:model source:*"
# dbt unit tests check logic, not data: they run in CI (tests/dbt), not in every production run.
UNIT_TESTS = "test_type:unit"
GOVERNANCE_EXCLUDE = f"tag:city_standard {UNIT_TESTS}"
# Layers whose models live in one folder per source: the department's own models.
DEPARTMENT_LAYERS = ("staging", "intermediate")
# How long choosing a run's models waits for the warehouse (a sensor's tick must not wait long).
DELIVERED_LOCK_WAIT_SECONDS = 5
COLUMN_SCHEMA, COLUMN_LINEAGE = "dagster/column_schema", "dagster/column_lineage"


class CityBrainTranslator(DagsterDbtTranslator):
    """Asset keys are `[schema, name]` (as BI tools see the tables). A department's staging and intermediate models
    share its landing asset's group, owner and tags (`pipelines/departments.py`); shared models are grouped by
    layer and owned by the platform team, and their columns that come from a department's model carry its tags."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        department = department_of_model(dbt_resource_props)
        if department:
            return department.group_name
        return group_for_fqn(dbt_resource_props["resource_type"], dbt_resource_props["fqn"])

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        department = department_of_model(dbt_resource_props)
        return [department.owner if department else PLATFORM_OWNER]

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        department = department_of_model(dbt_resource_props)
        return tags | department.tags(dbt_resource_props["fqn"][1]) if department else tags

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        model = manifest["nodes"].get(unique_id)
        if not model or model["resource_type"] != "model" or department_of_model(model):
            return spec
        origins = department_column_origins(manifest, model)
        if not origins:
            return spec
        return spec.replace_attributes(metadata={**spec.metadata, **self._department_columns(spec, origins)})

    def _department_columns(self, spec: AssetSpec, origins: Mapping[str, tuple[Department, Mapping]]) -> dict:
        """The column schema with each department column tagged, and its lineage to the department's model."""
        schema = spec.metadata[COLUMN_SCHEMA]
        schema = getattr(schema, "schema", schema)  # a TableSchemaMetadataValue or a TableSchema
        columns = [
            TableColumn(name=column.name, type=column.type, description=column.description,
                        constraints=column.constraints,
                        tags={**column.tags, **origins[column.name][0].column_tags()} if column.name in origins
                        else column.tags)
            for column in schema.columns
        ]
        lineage = TableColumnLineage({
            name: [TableColumnDep(asset_key=self.get_asset_key(parent), column_name=name)]
            for name, (_, parent) in origins.items()
        })
        return {COLUMN_SCHEMA: TableSchema(columns=columns), COLUMN_LINEAGE: lineage}


def department_of_model(dbt_resource_props: Mapping[str, Any]) -> Department | None:
    """The department of a staging or intermediate model in a folder named after a contract's source."""
    fqn = dbt_resource_props["fqn"]
    if dbt_resource_props["resource_type"] != "model" or len(fqn) < 4 or fqn[1] not in DEPARTMENT_LAYERS:
        return None
    return department_of_source(fqn[2])


def department_column_origins(manifest: Mapping[str, Any], model: Mapping[str, Any]) -> dict[str, tuple]:
    """A shared model's columns that it takes, under the same name, from a department's model it depends on."""
    origins = {}
    for parent_id in model["depends_on"]["nodes"]:
        parent = manifest["nodes"].get(parent_id)
        department = department_of_model(parent) if parent else None
        if department:
            for name in model["columns"]:
                if name in parent["columns"]:
                    origins.setdefault(name, (department, parent))
    return origins


def group_for_fqn(resource_type: str, fqn: list[str]) -> str:
    """Seeds are the city standard; other shared models are grouped by layer (`marts`, `ops`), or by their folder
    and layer (`city_standard_intermediate`)."""
    if resource_type == "seed":
        return "city_standard"
    layer = fqn[1]
    has_folder = layer in DEPARTMENT_LAYERS and len(fqn) > 3
    return f"{fqn[2]}_{layer}" if has_folder else layer


class GovernanceBuildConfig(Config):
    full_table_tests: bool = False  # data tests check whole tables, not the run's window (a full build sets it)
    # rebuild every incremental model from all landed partitions, whatever the run's window (after the city
    # standard changed: the incremental models stop and say so)
    full_refresh: bool = False


def governance_build_args(full_refresh: bool = False) -> list[str]:
    """The dbt command of a governance run, but for the selection; its window is in its environment
    (pipelines/dbt_environment.py, window_environment)."""
    return ["build", NO_ARTIFACTS, *(["--full-refresh"] if full_refresh else [])]


def governance_selection(contracts: Mapping[str, SourceContract], first: date | None = None,
                         last: date | None = None, delivered: Sequence[str] | None = None) -> str:
    """The dbt selection of a governance run over the days `first` to `last` (with GOVERNANCE_EXCLUDE): the models
    and tests downstream of the sources with a partition ending on one of those days (`sources_due`), of those of
    them `delivered` when given (`delivered_sources`), of the landing's ops tables (every landing writes them) and
    the scorecard mart (the sensor's marker of a day built). The other sources' models would find nothing new in
    the window: they are left as they are. No window (a full build), or every source: every governance model."""
    due = sources_due(contracts, first, last) if first and last else list(contracts)
    chosen = due if delivered is None or not (first and last) else [source for source in due if source in delivered]
    if set(chosen) >= set(contracts):
        return GOVERNANCE
    return " ".join([*(f"source:{source}+" for source in chosen), f"source:{OPS_SOURCE}+", MONTHLY_MART])


def delivered_sources(connection: duckdb.DuckDBPyConnection, contracts: Mapping[str, SourceContract], first: date,
                      last: date) -> list[str]:
    """The sources due in the days with something new for their models (pipelines/delivered.py), asked of the
    warehouse; their department models that keep a `partition_key` come from the prepared manifest."""
    models: dict[str, list[str] | None] = {}
    for node in dbt_manifest()["nodes"].values():
        if node["resource_type"] != "model" or node["config"]["materialized"] in ("view", "ephemeral"):
            continue
        fqn = node["fqn"]
        if len(fqn) < 4 or fqn[1] not in DEPARTMENT_LAYERS or fqn[2] not in contracts:
            continue
        known = models.setdefault(fqn[2], [])
        if known is not None:
            models[fqn[2]] = [*known, node["relation_name"]] if "partition_key" in node["columns"] else None
    return sources_delivered(connection, contracts, first, last, models)


def governance_asset_keys(selection: str) -> list[AssetKey]:
    """The governance assets (dbt models) a dbt selection picks, by dbt's own selector on the prepared manifest."""
    unique_ids = select_unique_ids(selection, GOVERNANCE_EXCLUDE, "", None, dbt_manifest())
    return [spec.key for spec in governance_models.specs if spec.metadata["dagster_dbt/unique_id"] in unique_ids]


def window_models(instance: DagsterInstance, contracts: Mapping[str, SourceContract], first: date,
                  last: date) -> list[AssetKey] | None:
    """The governance models a run over the days builds (`governance_selection` of the sources delivered); None
    for every one, also while a governance model has never been materialized (a new warehouse or model): a model
    left out must already exist for the models downstream of it to read. A warehouse busy for longer than a
    sensor waits leaves the sources due (a few models more, never fewer)."""
    records = instance.get_asset_records(list(governance_models.keys))
    built = {record.asset_entry.asset_key for record in records if record.asset_entry.last_materialization_record}
    if governance_selection(contracts, first, last) == GOVERNANCE or built != set(governance_models.keys):
        return None
    delivered = None
    if settings.warehouse_path().exists():
        try:
            with warehouse_connection(lock_timeout_seconds=DELIVERED_LOCK_WAIT_SECONDS) as connection:
                delivered = delivered_sources(connection, contracts, first, last)
        except WarehouseBusyError:
            pass
    return governance_asset_keys(governance_selection(contracts, first, last, delivered))


def run_days(context: AssetExecutionContext) -> tuple[date, date]:
    """The run's first and last day (the partition time window's end is exclusive)."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


@cache
def dbt_manifest() -> dict[str, Any]:
    return json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=CITY_STANDARD,
    dagster_dbt_translator=CityBrainTranslator(),
    name="city_standard_dbt",
)
def city_standard_models(context: AssetExecutionContext, dbt: DbtCliResource):
    with dbt_environment(), warehouse_lock(settings.warehouse_path()):
        # buildable: leave the facts' relationship tests to the seeds for the governance run, so the standard
        # also builds on an empty warehouse
        events = run_dbt(dbt, ["build", NO_ARTIFACTS, "--indirect-selection", "buildable"], context).stream()
        yield from with_failure_details(events, dbt_manifest(), settings.warehouse_path())


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=GOVERNANCE,
    exclude=GOVERNANCE_EXCLUDE,
    dagster_dbt_translator=CityBrainTranslator(),
    partitions_def=governance_daily_partitions(),
    backfill_policy=BackfillPolicy.single_run(),
    name="governance_dbt",
)
def governance_models(context: AssetExecutionContext, dbt: DbtCliResource, config: GovernanceBuildConfig):
    window = window_environment(*run_days(context), config.full_table_tests)
    with dbt_environment(window), warehouse_lock(settings.warehouse_path()):
        # a run of some of the models (pipelines/governance_runs.py) is their list: dbt would add their unit tests
        events = run_dbt(dbt, [*governance_build_args(config.full_refresh), "--exclude", GOVERNANCE_EXCLUDE],
                         context).stream()
        yield from with_failure_details(events, dbt_manifest(), settings.warehouse_path())
        yield from scorecard_observations()
