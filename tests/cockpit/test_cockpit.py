"""The cockpit of a snapshot that has no mart yet: every panel says it has no data (instead of failing), the page
loads its vendored JS with the network blocked and logs no error, the links to dbt docs and checks resolve, and
the GX results page shows the manifest's expectation results offline."""

from __future__ import annotations

from pathlib import Path

from pipelines import settings
from pipelines.cli import main as cli
from pipelines.cockpit import build_cockpit
from pipelines.cockpit.__main__ import main
from pipelines.cockpit.panels import PANELS
from pipelines.cockpit.site import is_current
from pipelines.publish.publisher import publish
from pipelines.warehouse import warehouse_connection
from tests.cockpit.browser import read_tables, render

# a suite's results as the publish gate records them in the manifest (gate.gx_results_of: counts, no samples)
GX_RESULTS = {"landing/hotline_12345:landing_hotline_12345": [
    {"type": "expect_column_values_to_not_be_null", "columns": ["record_id"], "severity": "error", "success": True,
     "result": {"element_count": 40, "missing_count": 0, "unexpected_count": 0, "unexpected_percent": 0.0}},
    {"type": "expect_column_values_to_be_in_set", "columns": ["district"], "severity": "warn", "success": False,
     "result": {"element_count": 40, "missing_count": 2, "unexpected_count": 3, "unexpected_percent": 7.894736842}},
]}


def test_a_snapshot_without_marts_shows_every_panel_as_no_data_yet(workdirs, tmp_path: Path):
    with warehouse_connection() as build:
        publish(build, run_id="run-1", partitions="2026-03-01", marts=(),
                checks={"passed": ["a:b"], "warned": [], "gx_results": GX_RESULTS})
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

    gx_page = read_tables(summary["index"].parent / "gx-results.html")
    assert gx_page["errors"] == [] and gx_page["blocked"] == []
    assert gx_page["sections"] == {"landing/hotline_12345:landing_hotline_12345": [
        ["expect_column_values_to_not_be_null", "record_id", "error", "✓", "40", "0", "0", "0"],
        ["expect_column_values_to_be_in_set", "district", "warn", "✗", "40", "2", "3", "7.895"],
    ]}


def test_make_cockpit_rebuilds_only_when_another_snapshot_is_served(workdirs, capsys):
    assert main([]) == 1 and "Nothing is published yet" in capsys.readouterr().err
    with warehouse_connection() as build:
        first = publish(build, run_id="run-1", partitions="2026-03-01", checks={"passed": [], "warned": []}, marts=())
    assert main([]) == 0 and f"Built the cockpit of snapshot {first['snapshot_id']}" in capsys.readouterr().out
    assert is_current() and main([]) == 0 and "Built" not in capsys.readouterr().out
    with warehouse_connection() as build:
        second = publish(build, run_id="run-2", partitions="2026-03-02", checks={"passed": [], "warned": []}, marts=())
    assert not is_current()
    assert main([]) == 0 and f"Built the cockpit of snapshot {second['snapshot_id']}" in capsys.readouterr().out


def test_a_rollback_rebuilds_the_cockpit_for_the_snapshot_it_serves_again(workdirs, capsys):
    with warehouse_connection() as build:
        first, second = (publish(build, run_id=f"run-{day}", partitions=f"2026-03-0{day}", marts=(),
                                 checks={"passed": [], "warned": []}) for day in (1, 2))
    assert build_cockpit()["snapshot_id"] == second["snapshot_id"]
    assert cli(["rollback"]) == 0
    assert is_current()
    assert "2026-03-01" in (settings.cockpit_dir() / "index.html").read_text(encoding="utf-8")
    assert f"Cockpit of snapshot {first['snapshot_id']}" in capsys.readouterr().out
