"""The cockpit of a snapshot that has no mart yet: every panel says it has no data (instead of failing), the page
loads its vendored JS with the network blocked and logs no error, and the links to dbt docs and checks resolve."""

from __future__ import annotations

from pathlib import Path

from pipelines import settings
from pipelines.cockpit import build_cockpit
from pipelines.cockpit.panels import PANELS
from pipelines.publish.publisher import publish
from pipelines.warehouse import warehouse_connection
from tests.cockpit.browser import render


def test_a_snapshot_without_marts_shows_every_panel_as_no_data_yet(workdirs, tmp_path: Path):
    with warehouse_connection() as build:
        publish(build, run_id="run-1", partitions="2026-03-01", checks={"passed": ["a:b"], "warned": []}, marts=())
    summary = build_cockpit()
    assert summary["index"] == settings.cockpit_dir() / "index.html"
    assert summary["charts"] == 0 and len(summary["no_data"]) == len(PANELS)

    screenshot = tmp_path / "cockpit-empty.png"
    result = render(summary["index"], screenshot)
    assert result["errors"] == []
    assert result["blocked"] == []  # nothing on the page reaches for the network
    assert result["charts"] == {}
    assert sorted(result["noData"]) == sorted(f"panel-{panel.__name__}" for panel in PANELS)
    for link in result["links"]:
        assert (summary["index"].parent / link).is_file(), link
    assert screenshot.stat().st_size > 0
