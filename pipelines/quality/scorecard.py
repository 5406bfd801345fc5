"""The data-quality scorecard (数据质量考核) in and out of dbt.

In: the sources to score and what the contracts say about them come from the derived macro `source_contracts()`
(macro data_quality_sources reads it), so dbt alone builds the marts the same way the pipeline does.
Out: after the governance models are built, each landing asset gets an observation whose metadata holds its
source's latest scores (latest partition and latest month, with the department's rank), so the Dagster UI shows
them on the asset.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetKey, AssetObservation, AssetSpec, MetadataValue

from pipelines.assets.landing import landing_asset_key
from pipelines.ingestion.contracts import load_contracts
from pipelines.warehouse import open_warehouse

OPS_SOURCE = "ops"  # the dbt source of the landing's ledger and quarantine tables

DAILY_MART = "mart_data_quality_daily"
MONTHLY_MART = "mart_data_quality_scorecard"
SCORECARD_ASSET_KEY = AssetKey(["marts", MONTHLY_MART])


def ops_table_specs(manifest: dict[str, Any]) -> list[AssetSpec]:
    """The ledger and quarantine tables the marts read (dbt source `ops`), as assets the landing assets write."""
    landing_keys = [landing_asset_key(source) for source in load_contracts()]
    return [
        AssetSpec(
            key=AssetKey([OPS_SOURCE, node["name"]]),
            description=node["description"].strip(),
            deps=landing_keys,
            group_name=OPS_SOURCE,
            kinds={"duckdb"},
            metadata={"written_by": "pipelines/ingestion/ops_tables.py (every landing asset)"},
        )
        for node in manifest["sources"].values()
        if node["source_name"] == OPS_SOURCE
    ]


def latest_scores(connection: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per source: its latest partition's scores and its latest month's composite score and rank."""
    daily = connection.execute(f"""
        select source, partition_key, columns('_score$')
        from marts.{DAILY_MART}
        qualify row_number() over (partition by source order by partition_key desc) = 1
    """)
    score_columns = [description[0] for description in daily.description][2:]
    daily = daily.fetchall()
    monthly = connection.execute(f"""
        select source, month_start, composite_score, department_score, department_rank, departments_ranked
        from marts.{MONTHLY_MART}
        qualify row_number() over (partition by source order by month_start desc) = 1
    """).fetchall()
    scores: dict[str, dict[str, Any]] = {}
    for source, partition_key, *values in daily:
        scores.setdefault(source, {})["latest_partition"] = str(partition_key)
        scores[source].update(dict(zip(score_columns, values)))
    for source, month, composite, department_score, rank, ranked in monthly:
        scores.setdefault(source, {}).update({
            "month": str(month), "composite_score": composite, "department_score": department_score,
            "department_rank": rank, "departments_ranked": ranked,
        })
    return scores


def scorecard_observations(database: Path | None = None) -> Iterator[AssetObservation]:
    """One observation per landing asset with its source's latest scores (none when the marts are not built)."""
    with open_warehouse(database) as connection:  # the governance run holds the warehouse lock
        built = connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name in (?, ?)",
            [DAILY_MART, MONTHLY_MART],
        ).fetchone()[0]
        scores = latest_scores(connection) if built == 2 else {}
    for source, values in sorted(scores.items()):
        metadata = {f"dq/{name}": _metadata_value(value) for name, value in values.items() if value is not None}
        yield AssetObservation(
            asset_key=landing_asset_key(source),
            description=f"Data-quality scores (数据质量评分) from marts.{MONTHLY_MART}, see docs/data_quality.md.",
            metadata=metadata,
        )


def _metadata_value(value: Any) -> MetadataValue:
    if isinstance(value, int):
        return MetadataValue.int(value)
    if isinstance(value, float):
        return MetadataValue.float(round(value, 4))
    return MetadataValue.text(str(value))
