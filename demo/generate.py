"""Generate the demo deliveries and their ground truth.

    python -m demo.generate --inbox DIR --start 2026-01-01 --days 60 --size hotline_12345=400 --seed 20261127

`--size SOURCE=N` sets a source's records per delivery period (per day for a daily source, per week for a
weekly one, per month for a monthly one); without it a source gets its generator's `DEFAULT_SIZE`.

Without `--start`, the days end yesterday (Asia/Shanghai), the pipeline's latest complete partition.

Writes `<inbox>/<source>/` (emptied first) for every source of contracts/ that has a demo generator, and
`<inbox>/_ground_truth.json`: per source the files written, the defects injected and what the pipeline must find.
The same arguments always write the same bytes. A window under 3 days has no re-delivered or wrong-encoding
file, and a one-day window no re-exports (their injected count is 0).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from demo import credit, emergency, enterprises, grid, hotline, mediation, police, population, volunteers
from demo.scenarios import MEDIATION, Scenario
from demo.standard import CityStandard
from pipelines.ingestion.contracts import load_contracts
from pipelines.partitions import day_range
from pipelines.settings import TIMEZONE, inbox_dir

GROUND_TRUTH_FILE = "_ground_truth.json"
DEFAULT_SEED = 20261127
DELIVERY_TIME = clock(1, 0)  # departments deliver at 01:00 after the day (month) they export


# The demo generator of each source, in a fixed order: a generator's position numbers its random stream, so
# changing one source's size (or adding a generator at the end) leaves the other sources' files unchanged.
GENERATORS = (hotline, grid, mediation, police, emergency, credit, volunteers, enterprises, population)


def generate(inbox: Path, start: date, days: int, sizes: Mapping[str, int] | None = None,
             seed: int = DEFAULT_SEED) -> dict:
    """Write the deliveries of every contract's source that has a demo generator into `inbox` and return the
    ground truth (also written as JSON). Sources come from contracts/; one without a generator is listed under
    `sources_without_generator` and gets no deliveries (its staging model stays empty). `sizes` maps a source to
    its records per delivery period; a source not in it gets its generator's `DEFAULT_SIZE`."""
    std = CityStandard.load()
    sizes = sizes or {}
    unknown = set(sizes) - {module.SOURCE for module in GENERATORS}
    if unknown:
        raise ValueError(f"no demo generator for {', '.join(sorted(unknown))}")
    positions = {module.SOURCE: k for k, module in enumerate(GENERATORS)}
    inbox.mkdir(parents=True, exist_ok=True)
    contracts = load_contracts()
    without_generator = [source for source in contracts if source not in positions]
    modules = [GENERATORS[positions[source]] for source in contracts if source in positions]
    scenario = _scenario(std, seed, start, days, modules)
    sources = {}
    # mediation last: it writes the ids of the records that referred its disputes
    for module in sorted(modules, key=lambda module: getattr(module, "SCENARIO_ROLE", None) == MEDIATION):
        stream = np.random.default_rng([seed, positions[module.SOURCE]])
        sources[module.SOURCE] = module.deliver(inbox, std, stream, start, days,
                                                sizes.get(module.SOURCE, module.DEFAULT_SIZE), scenario=scenario)
        scenario.register(module.SOURCE, sources[module.SOURCE].get("scenario_records", {}))
    sources = {source: sources[source] for source in contracts if source in sources}
    _date_deliveries(inbox, sources)
    truth = {"seed": seed, "start_date": start.isoformat(), "days": days, "sources": sources,
             "sources_without_generator": without_generator, "scenario": scenario.truth()}
    (inbox / GROUND_TRUTH_FILE).write_text(json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return truth


def _scenario(std: CityStandard, seed: int, start: date, days: int, modules: list) -> Scenario:
    """The run's cross-department plan over the generators that take part (module constant SCENARIO_ROLE)."""
    roles = {module.SOURCE: module.SCENARIO_ROLE for module in modules if hasattr(module, "SCENARIO_ROLE")}
    disputes = {module.SOURCE for module in modules if getattr(module, "SCENARIO_REFERS_DISPUTES", False)}
    deliverable = {module.SOURCE: module.scenario_categories(std) for module in modules
                   if hasattr(module, "scenario_categories")}
    return Scenario(std, seed, start, days, roles, disputes, deliverable)


def scaled_sizes(fraction: float) -> dict[str, int]:
    """Every generator's default size times `fraction`: a smaller demo of every source, but never below the
    generator's `MIN_SIZE` (the fewest records that still carry every injected defect; 1 when it declares none)."""
    return {module.SOURCE: max(getattr(module, "MIN_SIZE", 1), round(module.DEFAULT_SIZE * fraction))
            for module in GENERATORS}


def _date_deliveries(inbox: Path, sources: dict) -> None:
    """Give each file the mtime of its delivery: 01:00 after its partition ends, and at the latest a day ago.

    Landing takes a file only once it has been unchanged for its contract's `complete_after_seconds`; a demo
    lands its files right after writing them, as if they had been delivered on time.
    """
    contracts = load_contracts()
    latest = time.time() - timedelta(days=1).total_seconds()
    for source, part in sources.items():
        contract = contracts[source]
        for relative in part["files"]:
            after = contract.period_end(date.fromisoformat(contract.partition_key_of(Path(relative).name)))
            delivered = datetime.combine(after, DELIVERY_TIME, tzinfo=ZoneInfo(TIMEZONE)).timestamp()
            moment = min(delivered, latest)
            os.utime(inbox / relative, (moment, moment))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--inbox", type=Path, default=None, help="default: CITYBRAIN_INBOX (warehouse/inbox)")
    parser.add_argument("--start", type=date.fromisoformat, default=None,
                        help="first day (default: the --days days ending yesterday)")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--size", type=_source_size, action="append", default=[], metavar="SOURCE=N",
                        help="records per delivery period of SOURCE (repeatable); default: the generator's own")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    return parser.parse_args(argv)


def _source_size(text: str) -> tuple[str, int]:
    source, _, count = text.partition("=")
    if not source or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected SOURCE=N, got {text!r}")
    return source, int(count)


def main(argv: list[str] | None = None) -> dict:
    args = _arguments(argv)
    inbox = args.inbox or inbox_dir()
    start, _ = day_range(args.start, None, args.days)
    began = time.perf_counter()
    truth = generate(inbox, start, args.days, dict(args.size), args.seed)
    for source, part in truth["sources"].items():
        print(f"{source}: {len(part['files'])} files, {part['expected']['rows_written']} records")
    for source in truth["sources_without_generator"]:
        print(f"{source}: no demo generator, no deliveries")
    print(f"wrote {inbox} in {time.perf_counter() - began:.1f} s")
    return truth


if __name__ == "__main__":
    main()
