"""Snapshots, the atomic switch of the serving file, rollback, retention and the personal-column guard, on a tiny
build warehouse (no Dagster, no dbt)."""

from __future__ import annotations

import json
import stat

import duckdb
import pytest

from pipelines import settings
from pipelines.publish import SnapshotError, current_snapshot, publish, registry, rollback
from pipelines.publish.marts import Mart
from pipelines.publish.personal import PersonalColumnError, contract_personal_columns
from pipelines.publish.snapshot import snapshot_file
from pipelines.warehouse import warehouse_connection

MARTS = (Mart("mart_a", ()), Mart("mart_b", ()))
CHECKS = {"passed": ["marts/mart_a:check"], "warned": []}


def build_marts(rows: int) -> None:
    with warehouse_connection() as build:
        build.execute("create schema if not exists marts")
        build.execute(f"create or replace table marts.mart_a as select range as id, 'a' || range as label from range({rows})")
        build.execute(f"create or replace table marts.mart_b as select range as id from range({2 * rows})")


def publish_marts(marts=MARTS, partitions="2026-03-01") -> dict:
    with warehouse_connection() as build:
        return publish(build, run_id="run", partitions=partitions, checks=CHECKS, marts=marts)


def serving_counts() -> tuple[str, int, int]:
    with duckdb.connect(str(settings.serving_path()), read_only=True) as reader:
        snapshot = current_snapshot(reader)
        return (snapshot["snapshot_id"], reader.execute("select count(*) from marts.mart_a").fetchone()[0],
                reader.execute("select count(*) from marts.mart_b").fetchone()[0])


def statuses() -> dict[str, str]:
    with warehouse_connection() as build:
        return {row["snapshot_id"]: row["status"] for row in registry.publications(build)}


def test_a_snapshot_holds_the_marts_and_its_manifest_and_is_read_only(workdirs):
    build_marts(3)
    manifest = publish_marts()
    assert serving_counts() == (manifest["snapshot_id"], 3, 6)
    assert {name: table["rows"] for name, table in manifest["tables"].items()} == {"marts.mart_a": 3, "marts.mart_b": 6}
    with duckdb.connect(str(settings.serving_path()), read_only=True) as reader:
        snapshot = current_snapshot(reader)
        schemas = {row[0] for row in reader.execute("select distinct schema_name from duckdb_tables()").fetchall()}
    assert snapshot["manifest"] == manifest and snapshot["partitions"] == "2026-03-01"
    assert snapshot["run_id"] == "run" and snapshot["manifest"]["checks"] == CHECKS
    assert schemas == {"marts", "meta"}
    file = snapshot_file(manifest["snapshot_id"])
    assert stat.S_IMODE(file.stat().st_mode) == 0o444
    assert file.stat().st_ino == settings.serving_path().stat().st_ino  # the serving file is the snapshot
    assert statuses() == {manifest["snapshot_id"]: "current"}


def test_checksums_change_with_the_content_not_with_the_row_order(workdirs):
    build_marts(3)
    first = publish_marts()["tables"]
    with warehouse_connection() as build:
        build.execute("create or replace table marts.mart_a as select * from marts.mart_a order by id desc")
    same_rows = publish_marts()["tables"]
    with warehouse_connection() as build:
        build.execute("update marts.mart_a set label = 'changed' where id = 1")
    changed = publish_marts()["tables"]
    assert same_rows == first
    assert changed["marts.mart_a"]["rows"] == 3 and changed["marts.mart_a"]["checksum"] != first["marts.mart_a"]["checksum"]


def test_a_reader_keeps_its_snapshot_while_a_new_one_is_published(workdirs):
    build_marts(3)
    first = publish_marts()["snapshot_id"]
    reader = duckdb.connect(str(settings.serving_path()), read_only=True)
    try:
        build_marts(5)
        second = publish_marts()["snapshot_id"]
        assert current_snapshot(reader)["snapshot_id"] == first
        assert reader.execute("select count(*) from marts.mart_a").fetchone()[0] == 3
    finally:
        reader.close()
    assert serving_counts() == (second, 5, 10)
    assert statuses() == {first: "superseded", second: "current"}


def test_rollback_serves_the_previous_snapshot_and_records_it(workdirs):
    build_marts(3)
    first = publish_marts()["snapshot_id"]
    build_marts(4)
    second = publish_marts()["snapshot_id"]
    build_marts(5)
    third = publish_marts()["snapshot_id"]
    with warehouse_connection() as build:
        assert rollback(build) == (third, second)
    assert serving_counts() == (second, 4, 8)
    with warehouse_connection() as build:
        assert rollback(build) == (second, first)
    assert serving_counts() == (first, 3, 6)
    assert statuses() == {first: "current", second: "rolled_back", third: "rolled_back"}
    with warehouse_connection() as build, pytest.raises(SnapshotError, match="no earlier snapshot"):
        rollback(build)


def test_only_the_last_n_snapshot_files_are_kept(workdirs, monkeypatch):
    monkeypatch.setenv("CITYBRAIN_SERVING_KEEP", "2")
    build_marts(1)
    ids = [publish_marts()["snapshot_id"] for _ in range(4)]
    kept = sorted(path.stem for path in settings.snapshots_dir().glob("*.duckdb"))
    assert kept == ids[2:]
    with warehouse_connection() as build:
        removed = {row["snapshot_id"] for row in registry.publications(build) if row["file_removed_at"]}
    assert removed == set(ids[:2])
    assert not list(settings.serving_dir().glob(".*")) and not list(settings.snapshots_dir().glob(".*"))


def test_a_personal_column_fails_the_publish_and_leaves_the_serving_file(workdirs):
    build_marts(3)
    first = publish_marts()["snapshot_id"]
    personal = sorted(contract_personal_columns())[0]
    with warehouse_connection() as build:
        build.execute(f"alter table marts.mart_b add column {personal} varchar")
    with pytest.raises(PersonalColumnError, match=rf"marts\.mart_b\.{personal} is named after a personal column"):
        publish_marts()
    cleared = (Mart("mart_a", ()), Mart("mart_b", (), (personal,)))  # declared de-identified in its YAML
    second = publish_marts(cleared)["snapshot_id"]
    assert second != first
    tagged = (Mart("mart_a", ("label",)), Mart("mart_b", ()))
    with pytest.raises(PersonalColumnError, match=r"marts\.mart_a\.label is tagged personal in dbt"):
        publish_marts(tagged)
    assert serving_counts()[0] == second
    assert len(list(settings.snapshots_dir().iterdir())) == 2


def test_publishing_an_unbuilt_mart_is_a_clear_error(workdirs):
    build_marts(1)
    with pytest.raises(SnapshotError, match="marts not built in the warehouse: mart_c"):
        publish_marts((*MARTS, Mart("mart_c", ())))
    assert not settings.serving_path().exists()


def test_the_published_marts_are_every_marts_model_of_the_dbt_manifest():
    from pipelines.publish.marts import manifest_path, published_marts

    nodes = json.loads(manifest_path().read_text())["nodes"].values()
    models = {node["name"] for node in nodes if node["resource_type"] == "model" and node["schema"] == "marts"}
    assert {mart.name for mart in published_marts()} == models and len(models) >= 5


def test_the_duckdb_shell_of_the_setup_reads_the_serving_file_as_readme_shows(workdirs):
    import subprocess
    import sys
    from pathlib import Path

    build_marts(3)
    publish_marts()
    shell = Path(sys.executable).with_name("duckdb")
    result = subprocess.run([str(shell), "-readonly", "-csv", str(settings.serving_path()),
                             "select count(*) as n from marts.mart_b"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["n", "6"]


def test_the_serving_folders_are_readable_although_the_pipeline_is_owner_only(workdirs):
    build_marts(1)
    publish_marts()
    assert stat.S_IMODE(settings.serving_dir().stat().st_mode) == 0o755
    assert stat.S_IMODE(settings.snapshots_dir().stat().st_mode) == 0o755
    assert stat.S_IMODE(settings.serving_path().stat().st_mode) == 0o444
    assert stat.S_IMODE(settings.warehouse_path().stat().st_mode) == 0o600
