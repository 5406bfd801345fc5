"""The governance runs keep dbt's partial parse: the one make prepared (`python -m pipelines.dbt_project`, in the
runs' dbt environment) holds for a dbt invocation started as the governance asset starts it (dagster-dbt, which
copies it into the invocation's target folder, with the run's window in the environment), for one window and the
next. A re-parse of the whole project costs seconds per run."""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.dbt_environment import window_environment
from pipelines.dbt_project import dbt_environment, dbt_resource

REPARSE = "Unable to do partial parsing"
PARTIAL = "Partial parsing enabled"


def test_a_new_window_keeps_the_prepared_partial_parse(tmp_path):
    # the environment make prepared in (no test warehouse): the profile's warehouse path is part of the parse state
    for day in (date(2026, 3, 1), date(2026, 3, 1) + timedelta(days=1)):
        run_target = tmp_path / f"run_{day}"
        with dbt_environment(window_environment(day, day)):
            dbt_resource().cli(["parse"], target_path=run_target).wait()
        log = (run_target / "dbt.log").read_text(encoding="utf-8")
        assert PARTIAL in log and REPARSE not in log, f"{day}: see {run_target / 'dbt.log'}"
