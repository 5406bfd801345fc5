"""The Dagster code location: every asset, check, job, schedule, sensor and resource of the city brain."""

from dagster import Definitions

from pipelines.assets.dbt import city_standard_models, dbt_manifest, governance_models
from pipelines.assets.landing import build_landing_assets
from pipelines.automation import jobs, schedules, sensors
from pipelines.cockpit.asset import cockpit
from pipelines.dbt_project import dbt_resource
from pipelines.deliveries.checks import build_delivery_checks
from pipelines.publish.asset import publication
from pipelines.quality.asset_checks import build_gx_asset_checks
from pipelines.quality.scorecard import ops_table_specs
from pipelines.sharing.asset import sharing_exports

landing_assets = build_landing_assets()
# GX checks on partitioned assets validate only the run's partition window.
partitions_by_asset = {
    key: assets_def.partitions_def
    for assets_def in [*landing_assets, governance_models]
    for key in assets_def.keys
    if assets_def.partitions_def
}

defs = Definitions(
    assets=[*landing_assets, city_standard_models, governance_models, publication, sharing_exports, cockpit,
            *ops_table_specs(dbt_manifest())],
    asset_checks=[*build_gx_asset_checks(partitions_by_asset), *build_delivery_checks()],
    jobs=jobs,
    schedules=schedules,
    sensors=sensors,
    resources={"dbt": dbt_resource()},
)
