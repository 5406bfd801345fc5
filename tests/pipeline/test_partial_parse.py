"""The governance runs keep dbt's partial parse: the one make prepared (`python -m pipelines.dbt_project`, in the
runs' dbt environment) holds for a dbt invocation started as the governance asset starts it (dagster-dbt, which
copies it into the warehouse's target folder, with the run's window in the environment), and the target folder the
runs share keeps it from one window to the next. A re-parse of the whole project costs seconds per run."""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.dbt_environment import window_environment
from pipelines.dbt_project import dbt_environment, dbt_resource

REPARSE = "Unable to do partial parsing"
PARTIAL = "Partial parsing enabled"


def test_a_new_window_keeps_the_prepared_partial_parse(tmp_path):
    # the environment make prepared in (no test warehouse): the profile's warehouse path is part of the parse state
    target, logged = tmp_path / "dbt_target", 0
    for day in (date(2026, 3, 1), date(2026, 3, 1) + timedelta(days=1)):
        with dbt_environment(window_environment(day, day)):
            # the partial-parse messages are debug lines; the project keeps dbt.log at info
            dbt_resource().cli(["parse", "--log-level-file", "debug"], target_path=target).wait()
        log = (target / "dbt.log").read_text(encoding="utf-8")
        this_run, logged = log[logged:], len(log)
        assert PARTIAL in this_run and REPARSE not in this_run, f"{day}: see {target / 'dbt.log'}"
