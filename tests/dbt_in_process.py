"""dbt run in the test's process on a scratch warehouse, with the environment the pipeline gives every dbt process
(settings.dbt_environment) for that warehouse and landing folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from pipelines import settings


def run_dbt(args: list[str], folder: Path, warehouse: Path, landing: Path, project: Path = settings.DBT_PROJECT_DIR,
            environment: dict[str, str] | None = None, without: str | None = None) -> dbtRunnerResult:
    """`dbt <args>` on `warehouse` and `landing`, its target and logs in `folder`; `environment` adds variables,
    `without` removes one. No tracking cookie (.user.yml) is written in the project."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CITYBRAIN_WAREHOUSE", str(warehouse))
        env.setenv("CITYBRAIN_LANDING", str(landing))
        for name, value in {**settings.dbt_environment(), **(environment or {})}.items():
            env.setenv(name, value)
        if without:
            env.delenv(without)
        return dbtRunner().invoke([
            *args, "--project-dir", str(project), "--profiles-dir", str(project),
            "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"),
            "--no-send-anonymous-usage-stats", "--quiet",
        ])
