"""Open a cockpit page in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; never a browser
Playwright downloads) with every non-file request aborted, wait for the charts, and report what rendered."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

# Per chart: the rows its view holds in the spec's data sets (non-empty data, not just axes) and, per data mark
# container (Vega's g.role-mark, not axes, legends or titles), its drawn items and how many are painted (a fill or
# stroke that shows: a bar with no colour is drawn but invisible).
INSPECT = """async () => {
    await window.cockpitReady;
    const unpainted = new Set(["none", "transparent", "rgba(0, 0, 0, 0)", ""]);
    const painted = (item) => {
        const style = getComputedStyle(item);
        return style.opacity !== "0" && (!unpainted.has(style.fill) || !unpainted.has(style.stroke));
    };
    const charts = {};
    for (const div of document.querySelectorAll(".chart")) {
        const view = window.cockpitViews[div.id];
        const datasets = Object.keys(window.cockpitSpecs[div.id].datasets || {});
        const marks = [...div.querySelectorAll("svg g.role-mark")].map(group => {
            const items = [...group.children].filter(item => item.getAttribute("role") === "graphics-symbol");
            return {mark: group.getAttribute("class").split(" ")[0], items: items.length,
                    painted: items.filter(painted).length};
        }).filter(mark => mark.items > 0);
        charts[div.id] = {marks, rows: view ? datasets.reduce((rows, name) => rows + view.data(name).length, 0) : 0};
    }
    return {charts, noData: [...document.querySelectorAll(".no-data")].map(p => p.closest("section").id),
            links: [...document.querySelectorAll("header a")].map(a => a.getAttribute("href"))};
}"""


@contextmanager
def _offline_page(page_path: Path, errors: list[str], blocked: list[str]):
    """`page_path` loaded in headless Chromium with every non-file request aborted (recorded in `blocked`) and the
    console and page errors recorded in `errors`."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                       else (blocked.append(route.request.url), route.abort()))
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(page_path.as_uri(), wait_until="load")
            yield page
        finally:
            browser.close()


def render(page_path: Path, screenshot: Path) -> dict:
    """Render `page_path`; returns {charts: {id: {marks: [{mark, items, painted}], rows}}, noData: [section ids],
    links: [...], errors: [...], blocked: [...]}, errors being console and page errors, blocked the non-file
    requests aborted."""
    errors: list[str] = []
    blocked: list[str] = []
    with _offline_page(page_path, errors, blocked) as page:
        result = page.evaluate(INSPECT)
        page.screenshot(path=str(screenshot), full_page=True)
    return {**result, "errors": errors, "blocked": blocked}


def read_tables(page_path: Path) -> dict:
    """The tables of a static page as shown: {sections: {h2 text: [[cell text, ...] per data row]}, errors, blocked}."""
    errors: list[str] = []
    blocked: list[str] = []
    with _offline_page(page_path, errors, blocked) as page:
        sections = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll("section")].map(s => [
            s.querySelector("h2").innerText,
            [...s.querySelectorAll("tr")].slice(1).map(tr => [...tr.children].map(td => td.innerText))]))""")
    return {"sections": sections, "errors": errors, "blocked": blocked}
