"""The warehouse's weekly maintenance: `warehouse_compaction_job` merges the row groups that the daily runs leave
(pipelines/compaction.py), on a schedule at a quiet hour."""

from dagster import DefaultScheduleStatus, OpExecutionContext, ScheduleDefinition, job, op

from pipelines import settings
from pipelines.compaction import compact
from pipelines.warehouse import warehouse_connection

# Sunday night, before the weekly full-table test run (03:30) and before the week's first deliveries are due
COMPACTION_CRON = "30 2 * * 0"


@op(description="Merge the warehouse's row groups that deletes and small appends left (DuckDB's vacuum, which the "
                "daily runs leave out), logging row groups and file size before and after.")
def compact_warehouse(context: OpExecutionContext) -> None:
    database = settings.warehouse_path()
    with warehouse_connection(database) as connection:
        result = compact(connection, database)
    context.log.info(result.describe())


@job(description="Compact the warehouse: the row-group merges the daily runs leave out (pipelines/compaction.py).")
def warehouse_compaction_job() -> None:
    compact_warehouse()


warehouse_compaction_schedule = ScheduleDefinition(
    name="warehouse_compaction_schedule", job=warehouse_compaction_job, cron_schedule=COMPACTION_CRON,
    execution_timezone=settings.TIMEZONE, default_status=DefaultScheduleStatus.RUNNING,
    description="Weekly: compacts the warehouse while nothing else runs (runs that start meanwhile wait for the "
                "warehouse lock).")
