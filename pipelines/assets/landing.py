"""Landing assets: one per source contract, partitioned by the source's delivery rhythm.

A run over a range of partitions (a backfill) lands them all in one step, under one warehouse lock.
"""


from collections import Counter
from collections.abc import Mapping

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from pipelines.departments import department_of
from pipelines.ingestion.contracts import SourceContract, load_contracts
from pipelines.ingestion.landing import LandingPathError, PartitionLoad, land_partitions
from pipelines.partitions import partitions_for
from pipelines.warehouse import WarehouseBusyError, warehouse_connection


class LandingConfig(Config):
    allow_empty_replace: bool = Field(
        default=False,
        description="Replace the partitions' landed data even when no file is delivered for them (an operator's "
                    "explicit choice; without it a partition with no readable file keeps its landed data).",
    )


def landing_asset_key(source: str) -> AssetKey:
    return AssetKey(["landing", source])


def build_landing_asset(contract: SourceContract) -> AssetsDefinition:
    department = department_of(contract)

    @asset(
        key=landing_asset_key(contract.source),
        group_name=department.group_name,
        description=f"{contract.title}, landed as delivered. {contract.description} "
                    f"Contract: contracts/{contract.path.name}.",
        partitions_def=partitions_for(contract),
        backfill_policy=BackfillPolicy.single_run(),
        owners=[department.owner],
        kinds={"parquet", "duckdb", contract.format},
        tags=department.tags("landing"),
        metadata={
            "contract": f"contracts/{contract.path.name}",
            "department": contract.department_name,
            "delivery_format": contract.format,
            "file_pattern": contract.file_pattern,
            "record_key": ", ".join(contract.record_key),
        },
    )
    def _landing(context: AssetExecutionContext, config: LandingConfig) -> MaterializeResult:
        try:
            with warehouse_connection() as connection:
                loads = land_partitions(contract, context.partition_keys, connection,
                                        allow_empty_replace=config.allow_empty_replace)
        except (LandingPathError, WarehouseBusyError) as error:  # an operator's problem: one line, no traceback
            raise Failure(description=str(error), allow_retries=False) from None
        for load in loads:
            for file in load.files:
                if file.status in ("no_delivery", "refused", "incomplete"):
                    context.log.warning(f"{contract.source} {load.partition_key}: {file.status} "
                                        f"{file.source_file}: {file.detail}".replace("  ", " "))
        return MaterializeResult(metadata=landing_metadata(loads))

    return _landing


def landing_metadata(loads: list[PartitionLoad]) -> dict:
    by_reason = sum((load.quarantined_by_reason for load in loads), Counter())
    files = [file for load in loads for file in load.files if file.source_file]
    return {
        "dagster/row_count": sum(load.rows_in_partition for load in loads),
        "partitions": len(loads),
        "files": len(files),
        "rows_read": sum(load.rows_read for load in loads),
        "rows_landed": sum(load.rows_landed for load in loads),
        "rows_quarantined": sum(load.rows_quarantined for load in loads),
        "quarantined_by_reason": MetadataValue.json(dict(sorted(by_reason.items()))),
        "files_not_landed_whole": MetadataValue.json(
            {file.source_file: file.status for file in files if file.status not in ("landed", "landed_with_quarantine")}
        ),
        "partitions_without_delivery": MetadataValue.json(
            [load.partition_key for load in loads if any(f.status == "no_delivery" for f in load.files)]
        ),
        "partitions_keeping_earlier_data": MetadataValue.json(
            [load.partition_key for load in loads if load.kept_landed_data]
        ),
    }


def build_landing_assets(contracts: Mapping[str, SourceContract] | None = None) -> list[AssetsDefinition]:
    return [build_landing_asset(contract) for contract in (contracts or load_contracts()).values()]
