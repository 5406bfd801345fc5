"""The Dagster code location: every asset, check, job, schedule, sensor and resource of the city brain."""

from __future__ import annotations

from collections.abc import Mapping

from dagster import Definitions

from pipelines.assets.dbt import city_standard_models, dbt_manifest, governance_models
from pipelines.assets.landing import build_landing_assets
from pipelines.automation import build_automation
from pipelines.cockpit.asset import cockpit
from pipelines.dbt_project import dbt_resource
from pipelines.deliveries.checks import build_delivery_checks
from pipelines.ingestion.contracts import SourceContract, load_contracts
from pipelines.maintenance import warehouse_compaction_job, warehouse_compaction_schedule
from pipelines.publish.asset import publication
from pipelines.quality.asset_checks import build_gx_asset_checks
from pipelines.quality.full_table_tests import full_table_tests_schedule
from pipelines.quality.scorecard import ops_table_specs
from pipelines.sharing.asset import sharing_exports


def city_brain_definitions(contracts: Mapping[str, SourceContract]) -> Definitions:
    """The code location for these contracts (the repository's own, or a test's with fixture contracts added)."""
    landing_assets = build_landing_assets(contracts)
    # GX checks on partitioned assets validate only the run's partition window.
    partitions_by_asset = {
        key: assets_def.partitions_def
        for assets_def in [*landing_assets, governance_models]
        for key in assets_def.keys
        if assets_def.partitions_def
    }
    automation = build_automation(contracts)
    return Definitions(
        assets=[*landing_assets, city_standard_models, governance_models, publication, sharing_exports, cockpit,
                *ops_table_specs(dbt_manifest())],
        asset_checks=[*build_gx_asset_checks(partitions_by_asset), *build_delivery_checks(contracts)],
        jobs=[*automation.jobs, warehouse_compaction_job],
        schedules=[*automation.schedules, full_table_tests_schedule, warehouse_compaction_schedule],
        sensors=automation.sensors,
        resources={"dbt": dbt_resource()},
    )


defs = city_brain_definitions(load_contracts())
