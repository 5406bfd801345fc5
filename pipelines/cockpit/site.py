"""Write the cockpit: index.html (the panels, charts embedded as Vega-Lite specs), checks.html (the checks the
snapshot passed and warned, GX suites and dbt tests alike), gx-results.html (each GX suite's expectation results
as the manifest recorded them), dbt-docs/index.html (dbt's static docs of the project)
and the vendored Vega JS, all from the published snapshot, which is opened read-only."""

from __future__ import annotations

import html
import json
import os
import tempfile
from pathlib import Path

import duckdb

from pipelines import settings
from pipelines.cockpit.dbt_docs import write_dbt_docs
from pipelines.cockpit.gx_results import gx_results_page
from pipelines.cockpit.panels import FONT, Panel, build_panels
from pipelines.cockpit.vendor import BUNDLE_NAME, vega_embed_bundle
from pipelines.publish.snapshot import current_snapshot, readable_folder

TEMPLATE = Path(__file__).with_name("index.html.template")
BUILT_FROM = "snapshot.json"  # the snapshot the cockpit shows, written last


def is_current(serving: Path | None = None, out_dir: Path | None = None) -> bool:
    """Whether the cockpit shows the snapshot served now (a rollback serves an older one again)."""
    built_from = (out_dir or settings.cockpit_dir()) / BUILT_FROM
    if not built_from.exists():
        return False
    with duckdb.connect(str(serving or settings.serving_path()), read_only=True) as connection:
        served = current_snapshot(connection)["snapshot_id"]
    return json.loads(built_from.read_text(encoding="utf-8"))["snapshot_id"] == served


def build_cockpit(serving: Path | None = None, out_dir: Path | None = None) -> dict:
    """Build the cockpit of the snapshot `serving` (default: the current one) into `out_dir`; return a summary."""
    serving = serving or settings.serving_path()
    out_dir = out_dir or settings.cockpit_dir()
    if not serving.exists():
        raise FileNotFoundError(f"Nothing is published yet: {serving} does not exist (run `make demo` first).")
    with duckdb.connect(str(serving), read_only=True) as connection:
        snapshot = current_snapshot(connection)
        panels = build_panels(connection)
    readable_folder(out_dir)  # for readers, like the rest of the serving folder
    _write(out_dir / BUNDLE_NAME, vega_embed_bundle())
    _write(out_dir / "checks.html", _checks_page(snapshot))
    _write(out_dir / "gx-results.html", gx_results_page(snapshot))
    write_dbt_docs(out_dir / "dbt-docs")
    _write(out_dir / "index.html", _index_page(snapshot, panels))
    _write(out_dir / BUILT_FROM, json.dumps({"snapshot_id": snapshot["snapshot_id"]}))
    return {"snapshot_id": snapshot["snapshot_id"], "index": out_dir / "index.html",
            "charts": sum(len(panel.charts) for panel in panels),
            "no_data": [panel.key for panel in panels if panel.no_data]}


def _write(path: Path, text: str) -> None:
    """Replace a file atomically, so a reader never sees half a page."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        tmp.write(text)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, path)


def _panel_html(panel: Panel, specs: dict) -> str:
    body = [f'<section class="panel" id="panel-{panel.key}"><h2>{html.escape(panel.title)}</h2>']
    if panel.note:
        body.append(f'<p class="note">{html.escape(panel.note)}</p>')
    if panel.no_data:
        body.append(f'<p class="no-data">{html.escape(panel.no_data)}</p>')
    for number, chart in enumerate(panel.charts):
        chart_id = f"chart-{panel.key}-{number}"
        specs[chart_id] = chart.configure(font=FONT).to_dict()
        body.append(f'<div class="chart" id="{chart_id}"></div>')
    body.append("</section>")
    return "\n".join(body)


def _index_page(snapshot: dict, panels: list[Panel]) -> str:
    specs: dict = {}
    sections = "\n".join(_panel_html(panel, specs) for panel in panels)
    return TEMPLATE.read_text(encoding="utf-8").format(
        snapshot_id=html.escape(snapshot["snapshot_id"]),
        published_at=html.escape(f"{snapshot['published_at']:%Y-%m-%d %H:%M %Z}"),
        partitions=html.escape(str(snapshot["partitions"])),
        bundle=BUNDLE_NAME,
        sections=sections,
        # "</" cannot end the script element early inside the JSON
        specs=json.dumps(specs, ensure_ascii=False, default=str).replace("</", "<\\/"),
    )


def _checks_page(snapshot: dict) -> str:
    checks = snapshot["manifest"].get("checks", {})
    rows = [(check, "passed") for check in checks.get("passed", [])]
    rows += [(check, "warned") for check in checks.get("warned", [])]
    table = "\n".join(f'<tr class="{status}"><td>{html.escape(check)}</td><td>{status}</td></tr>'
                      for check, status in sorted(rows))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>检查结果 · Checks of snapshot {html.escape(snapshot['snapshot_id'])}</title>
<style>body{{font-family:{FONT};margin:2em}} td{{padding:2px 8px}} .warned{{background:#fde8c8}}</style></head>
<body><p><a href="index.html">← 驾驶舱 cockpit</a></p>
<h1>检查结果 · Checks of snapshot {html.escape(snapshot['snapshot_id'])}</h1>
<p>Every Great Expectations suite and dbt test that ran as a Dagster asset check upstream of this publication, as
recorded in the snapshot's meta.publication manifest: {len(checks.get('passed', []))} passed,
{len(checks.get('warned', []))} failed with severity WARN (an ERROR failure would have held the publication).
Failing rows and samples are in the Dagster UI (<code>make dev</code>), on each check.</p>
<table><tr><th>asset:check</th><th>status</th></tr>
{table}
</table></body></html>
"""
