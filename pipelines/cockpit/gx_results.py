"""gx-results.html: the Great Expectations results behind a snapshot, per suite check and expectation, as the
publication recorded them in its manifest (`checks.gx_results`, GX's BASIC result format). The manifest keeps the
counts, never the unexpected samples: the landing suites validate raw rows, whose samples may be personal."""

from __future__ import annotations

import html

from pipelines.cockpit.panels import FONT

COUNTS = ("element_count", "missing_count", "unexpected_count", "unexpected_percent")


def _cell(value) -> str:
    if value is None:
        return ""
    return html.escape(f"{value:.4g}" if isinstance(value, float) else str(value))


def _suite_html(check: str, expectations: list[dict]) -> str:
    failed = sum(not expectation["success"] for expectation in expectations)
    rows = "\n".join(
        f'<tr class="{"passed" if expectation["success"] else "failed " + html.escape(expectation["severity"])}">'
        f'<td>{html.escape(expectation["type"])}</td><td>{html.escape(", ".join(expectation["columns"]))}</td>'
        f'<td>{html.escape(expectation["severity"])}</td><td>{"✓" if expectation["success"] else "✗"}</td>'
        + "".join(f"<td>{_cell(expectation['result'].get(count))}</td>" for count in COUNTS) + "</tr>"
        for expectation in expectations)
    header = "".join(f"<th>{name}</th>" for name in ("expectation", "columns", "severity", "success", *COUNTS))
    return (f'<section class="suite"><h2>{html.escape(check)}</h2>'
            f"<p>{len(expectations)} expectations, {failed} failed.</p>"
            f"<table><tr>{header}</tr>\n{rows}\n</table></section>")


def gx_results_page(snapshot: dict) -> str:
    results = snapshot["manifest"].get("checks", {}).get("gx_results", {})
    suites = "\n".join(_suite_html(check, expectations) for check, expectations in sorted(results.items()))
    snapshot_id = html.escape(snapshot["snapshot_id"])
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>GX 校验结果 · GX results of snapshot {snapshot_id}</title>
<style>body{{font-family:{FONT};margin:2em}} td,th{{padding:2px 8px;text-align:left}} .failed{{background:#fde8c8}}
.failed.error{{background:#f8c8c8}}</style></head>
<body><p><a href="index.html">← 驾驶舱 cockpit</a> · <a href="checks.html">all checks</a></p>
<h1>GX 校验结果 · Great Expectations results of snapshot {snapshot_id}</h1>
<p>The latest result of each Great Expectations suite upstream of this publication ({len(results)} suites), as the
publication recorded it. Unexpected samples are left out (they may be personal values of raw landed rows); they are
in the Dagster UI (<code>make dev</code>), on each check.</p>
{suites or '<p class="no-data">No GX results recorded with this snapshot.</p>'}
</body></html>
"""
