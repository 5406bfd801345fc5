"""The one owner of the dbt project: built once, cached. The manifest is prepared at build time (`make`
runs `dbt parse`); importing this module never parses the project, except under `dagster dev`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from pipelines import settings

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def dbt_resource() -> DbtCliResource:
    # The dbt executable of this interpreter's environment, whether or not the venv is on PATH.
    return DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt")))


def export_dbt_environment() -> None:
    """Give the dbt subprocess absolute warehouse and landing locations (it runs in the dbt project folder)."""
    os.environ.update(settings.dbt_environment())
