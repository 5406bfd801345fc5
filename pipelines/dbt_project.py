"""The one owner of the dbt project: built once, cached. The manifest is prepared at build time (`make` runs
`python -m pipelines.dbt_project`, a `dbt parse` in the runs' environment); importing this module never parses the
project, except under `dagster dev`.

The profile's warehouse path and DuckDB settings are part of dbt's parse state: only a partial parse prepared in the
environment the runs give dbt (run_environment) holds for them (dagster-dbt copies it into each invocation's target
folder), so it is prepared in that environment, by make and under `dagster dev` alike.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject

from pipelines import settings
from pipelines.dbt_environment import DBT_EXECUTABLE, run_environment


@contextmanager
def dbt_environment(window: Mapping[str, str] | None = None) -> Iterator[None]:
    """The dbt subprocess's variables (run_environment: locations, the run's window) set in this process while the
    block starts dbt (dagster-dbt passes this process's environment on), then restored: a run's window never
    leaks into a later dbt run of the same process."""
    saved = {name: os.environ.get(name) for name in run_environment(window)}
    os.environ.update(run_environment(window))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
with dbt_environment():
    dbt_project.prepare_if_dev()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


def run_dbt(dbt: DbtCliResource, args: list[str], context: AssetExecutionContext) -> DbtCliInvocation:
    """A run's dbt invocation, in the warehouse's target folder (settings.dbt_target_dir): dbt's parse state
    carries over from one run to the next."""
    return dbt.cli(args, context=context, target_path=settings.dbt_target_dir())


def prepare(target_path: Path | None = None) -> None:
    """`dbt parse` in the runs' dbt environment: the manifest and the partial parse the runs start from (make;
    the bench, in its scenario's target folder)."""
    subprocess.run([DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(dbt_project.project_dir),
                    "--profiles-dir", str(dbt_project.profiles_dir),
                    *(["--target-path", str(target_path)] if target_path else [])],
                   env={**os.environ, **run_environment()}, check=True)


if __name__ == "__main__":
    prepare()
