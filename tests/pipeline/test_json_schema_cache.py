"""The JSON schemas dbt validates its settings with are kept for the next process (pipelines/dbt_launcher/
json_schema_cache.py): read back as built, built again when unreadable, under a new name for other packages."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.contracts.project import Project
from dbt_common.dataclass_schema import dbtClassMixin

sys.path.insert(0, str(Path(__file__).parents[2] / "pipelines" / "dbt_launcher"))  # as the launcher imports it
import json_schema_cache  # noqa: E402

BUILT = {cls: dbtClassMixin.__dict__["json_schema"].__func__(cls) for cls in (Project, DuckDBCredentials)}


@pytest.fixture
def kept_in(tmp_path, monkeypatch):
    monkeypatch.setattr(dbtClassMixin, "json_schema", dbtClassMixin.__dict__["json_schema"])  # restored after
    json_schema_cache.install(tmp_path)
    return tmp_path


def forget_in_process() -> None:
    dbtClassMixin.__dict__["json_schema"].__func__.cache_clear()


def test_a_kept_schema_is_read_back_as_built(kept_in):
    for cls, built in BUILT.items():
        assert cls.json_schema() == built
        assert json.loads(json_schema_cache.schema_file(kept_in, cls).read_bytes()) == built
    forget_in_process()
    json_schema_cache.schema_file(kept_in, Project).write_text('{"kept": true}')
    assert Project.json_schema() == {"kept": True}  # the next process reads the file


def test_an_unreadable_schema_is_built_again(kept_in):
    assert Project.json_schema() == BUILT[Project]
    forget_in_process()
    json_schema_cache.schema_file(kept_in, Project).write_text('{"cut sh')
    assert Project.json_schema() == BUILT[Project]
    assert json.loads(json_schema_cache.schema_file(kept_in, Project).read_bytes()) == BUILT[Project]


def test_other_packages_give_other_files(kept_in, monkeypatch):
    before = json_schema_cache.schema_file(kept_in, Project)
    monkeypatch.setattr(json_schema_cache, "_versions", lambda: ("3.11.7", (("dbt-core", "9.9.9"),)))
    assert json_schema_cache.schema_file(kept_in, Project) != before
    assert json_schema_cache.schema_file(kept_in, DuckDBCredentials) != json_schema_cache.schema_file(kept_in, Project)
