"""The exports asset: every department's package of the published snapshot, with checksums, audited, and
nothing in it that may not leave."""

from __future__ import annotations

import hashlib
import io
import json

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from dagster import materialize
from openpyxl import load_workbook

from pipelines import settings
from pipelines.sharing import audit
from pipelines.sharing.asset import sharing_exports
from pipelines.sharing.catalog import city_today
from pipelines.sharing.config import NOT_SHARED
from pipelines.sharing.formats import UTF8_BOM
from pipelines.sharing.query import SNAPSHOT_COLUMN
from tests.reference_build import START
from tests.sharing.pii import leaks, raw_names


@pytest.fixture(scope="module")
def exported(sharing_env, published):
    with pytest.MonkeyPatch.context() as env:
        for name, value in sharing_env.items():
            env.setenv(name, value)
        audit_before = len(audit.read_entries())
        result = materialize([sharing_exports], partition_key=START.isoformat())
        assert result.success
        snapshot_id = result.asset_materializations_for_node("sharing__exports")[0].metadata["snapshot_id"].value
        yield {"root": settings.exports_dir(), "snapshot_id": snapshot_id,
               "audit": audit.read_entries()[audit_before:]}


def packages(exported) -> dict[str, dict]:
    return {folder.parent.name: json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            for folder in exported["root"].glob(f"*/{exported['snapshot_id']}")}


def test_every_department_gets_a_package_with_true_checksums(exported, sharing_config):
    found = packages(exported)
    assert set(found) == set(sharing_config.departments)
    for department, manifest in found.items():
        folder = exported["root"] / department / exported["snapshot_id"]
        expected = {access.dataset.name for access in sharing_config.readable(department)}
        assert {d["name"] for d in manifest["datasets"]} == expected
        for entry in manifest["files"]:
            path = folder / entry["file"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
            if entry["format"] == "parquet":
                table = pq.read_table(path)
                assert table.num_rows == entry["rows"]
                assert set(table[SNAPSHOT_COLUMN].to_pylist()) <= {exported["snapshot_id"]}
            elif entry["format"] == "csv":
                assert path.read_bytes().startswith(UTF8_BOM)
            else:
                sheet = load_workbook(path, read_only=True).worksheets[0]
                assert sum(1 for _ in sheet.iter_rows(values_only=True)) == entry["rows"] + 1


def test_nothing_not_shared_or_expired_is_exported(exported, sharing_config):
    not_shared = {d.name for d in sharing_config.catalog.datasets if d.sharing_class == NOT_SHARED}
    expired = [g for g in sharing_config.catalog.grants if g.expires < city_today()]
    assert not_shared and expired
    found = packages(exported)
    for manifest in found.values():
        assert not not_shared & {f["dataset"] for f in manifest["files"]}
    for grant in expired:
        manifest = found[grant.department]
        assert grant.dataset not in {f["dataset"] for f in manifest["files"]}
        assert grant.dataset in {r["dataset"] for r in manifest["refused"]}


def test_every_export_and_refusal_is_audited(exported):
    entries = exported["audit"]
    assert entries and all(e["kind"] == "export" for e in entries)
    exported_datasets = {(m["department"], d["name"]) for m in packages(exported).values() for d in m["datasets"]}
    assert {(e["department"], e["dataset"]) for e in entries if e["outcome"] == "allowed"} == exported_datasets
    assert any(e["outcome"] == "refused" and e["status"] == 403 for e in entries)
    assert audit.verify().ok


def test_no_export_holds_a_citizen_id_a_mobile_or_a_raw_name(exported, published):
    names = raw_names(published["landing"])
    checked = 0
    for path in exported["root"].rglob("*"):
        if path.suffix == ".csv":
            text = path.read_text(encoding="utf-8-sig")
        elif path.suffix == ".parquet":
            buffer = io.BytesIO()
            pa_csv.write_csv(pq.read_table(path), buffer)
            text = buffer.getvalue().decode("utf-8")
        elif path.suffix == ".xlsx":
            sheet = load_workbook(path, read_only=True).worksheets[0]
            text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True))
        else:
            continue
        checked += 1
        assert not leaks(text, names), path
    assert checked >= 3 * len(packages(exported))


def test_the_leak_detector_finds_what_the_landed_data_holds(published):
    """The check above can fail: on the raw landed data it finds IDs, mobiles and names."""
    names = raw_names(published["landing"])
    text = ""
    for landed in published["landing"].glob("*/*/*.parquet"):
        buffer = io.BytesIO()
        pa_csv.write_csv(pq.read_table(landed), buffer)
        text += buffer.getvalue().decode("utf-8")
    assert set(leaks(text, names)) == {"citizen_ids", "mobiles", "names"}


def test_the_daily_job_wrote_the_packages_of_the_snapshot_it_published(published, sharing_config):
    from tests.sharing.conftest import snapshot_query

    snapshot_id = snapshot_query(published["serving"], "select snapshot_id from meta.publication")[0][0].as_py()
    for department in sharing_config.departments:
        assert (settings.exports_dir() / department / snapshot_id / "manifest.json").exists(), department
