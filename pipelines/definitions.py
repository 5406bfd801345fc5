"""The Dagster code location: every asset, check, job, schedule, sensor and resource of the city brain."""

from dagster import Definitions

from pipelines.assets.dbt import city_standard_models, governance_models
from pipelines.assets.landing import build_landing_assets
from pipelines.automation import jobs, schedules, sensors
from pipelines.dbt_project import dbt_resource
from pipelines.quality.asset_checks import build_gx_asset_checks

defs = Definitions(
    assets=[*build_landing_assets(), city_standard_models, governance_models],
    asset_checks=build_gx_asset_checks(),
    jobs=jobs,
    schedules=schedules,
    sensors=sensors,
    resources={"dbt": dbt_resource()},
)
