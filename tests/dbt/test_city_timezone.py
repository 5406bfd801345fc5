"""The city's time zone has one source, settings.TIMEZONE: dbt's profile and the models' SQL read it from the dbt
environment (macro city_timezone), never write it themselves."""

from __future__ import annotations

from pipelines import settings
from tests.dbt.inline_sql import compile_inline

DBT_PROJECT = settings.DBT_PROJECT_DIR


def test_no_sql_or_profile_of_the_dbt_project_writes_the_time_zone():
    sql_files = [path for folder in ("models", "macros", "tests", "derived")
                 for path in (DBT_PROJECT / folder).rglob("*.sql")]
    assert sql_files
    writing = [str(path.relative_to(DBT_PROJECT)) for path in sql_files
               if f"'{settings.TIMEZONE}'" in path.read_text(encoding="utf-8")]
    assert writing == []
    assert settings.TIMEZONE not in (DBT_PROJECT / "profiles.yml").read_text(encoding="utf-8")


def test_the_models_take_the_time_zone_of_the_settings():
    assert compile_inline("select {{ city_timezone() }} as zone") == f"select '{settings.TIMEZONE}' as zone"
