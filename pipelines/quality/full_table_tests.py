"""Full-table data tests on a schedule. A daily run tests only its window (macros/test_window.sql), so a defect that
an earlier window left in a table, or one spanning windows, is found by the full build and by this weekly run: the
daily job for the last complete day (idempotent: it lands and rebuilds that day again) with every dbt data test
over whole tables."""

from __future__ import annotations

from dagster import DefaultScheduleStatus, RunRequest, ScheduleEvaluationContext, schedule

from pipelines import settings
from pipelines.automation import daily_governance_job
from pipelines.partitions import last_complete_day

FULL_TABLE_TESTS_CRON = "30 3 * * 0"  # Sunday night, before the week's first deliveries are due
FULL_TABLE_RUN_CONFIG = {"ops": {"governance_dbt": {"config": {"full_table_tests": True}}}}


@schedule(job=daily_governance_job, cron_schedule=FULL_TABLE_TESTS_CRON, execution_timezone=settings.TIMEZONE,
          default_status=DefaultScheduleStatus.RUNNING, name="full_table_tests_schedule",
          description="Weekly: the last complete day's governance run with every dbt data test over whole tables.")
def full_table_tests_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    return daily_governance_job.run_request_for_partition(last_complete_day().isoformat(),
                                                          run_config=FULL_TABLE_RUN_CONFIG)
