"""`make bench`: the issue 9 figures on this machine, each printed with its target (bench/config.yaml), then the
sharing service's load run (bench/sharing_load.py).

    python -m bench.run [--scale 0.1] [--skip peer,multiples,...]

- first / all departments: a year's full build (land, one dbt build, the GX suites), then the next days one by one
  (incremental), and the same calendar days after 30 days of history; the checks' share counts dbt's data tests and
  GX. A day lands what is due that day: a daily source's day, and a weekly or monthly source only when its period
  closes that day (the days after a year are a Friday, a Saturday and a Sunday, which closes an ISO week); its dbt
  build selects what the pipeline's run of that day selects (the models downstream of the sources whose partition
  ends that day). The next-day figure is the median of the three days (one machine hiccup does not make it), each
  day printed beside it; the days after 365 and after 30 days of history run alternating, day by day. Then the
  year's warehouse is compacted as the weekly job compacts it (the row-group merges the days' runs leave out).
- hotline ×N: the first departments' full build with N times the hotline rows (peak memory; the 3x build's time
  over the 1x build's, run just before it).
- peer: the project's hotline path (land + dbt models) against the bare DuckDB script of bench/peer.py on the same
  files, alternating, with its output compared row for row with the project's fact table.

Each stage runs in a child process; `os.wait4` gives that process tree's own peak RSS. The machine's speed is
probed before each scenario and at the end (bench/machine.py) and printed with the figures. The data lives in a
scratch folder (bench/results/, git-ignored), never in the demo warehouse. `--scale` multiplies every row count
(a quick run); the figures are only comparable with their targets at scale 1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

from bench import machine, peer, sharing_load
from demo.generate import GENERATORS
from pipelines.assets.dbt import GOVERNANCE_EXCLUDE, delivered_sources, governance_selection
from pipelines.ingestion.contracts import load_contracts
from pipelines.partitions import sources_due
from pipelines.warehouse import warehouse_connection

BENCH = Path(__file__).resolve().parent
CONFIG = yaml.safe_load((BENCH / "config.yaml").read_text(encoding="utf-8"))
RESULTS = BENCH / "results"
YEAR_START = date(2026, 1, 1)
YEAR_DAYS = 365
NEXT_DAY = YEAR_START + timedelta(days=YEAR_DAYS)  # every history ends the day before, whatever its length
NEXT_DAYS = 3  # consecutive days run after the history; the next-day figure is their median
SHORT_HISTORY_DAYS = 30
PERIODS_PER_YEAR = {"daily": 365, "weekly": 52, "monthly": 12}
PEER_ROUNDS = 2
SCENARIOS = ("first", "all", "multiples", "peer", "sharing")


@dataclass
class Timing:
    seconds: float
    peak_mib: float
    test_seconds: float = 0.0  # dbt data tests inside a dbt stage


@dataclass
class Build:
    """A full build's stages (land, dbt, checks) and the next days' (one dict of stages per day)."""

    stages: dict[str, Timing]
    next_days: list[dict[str, Timing]] | None = None

    def next_day_seconds(self) -> float:
        return statistics.median(Build.total(day) for day in self.next_days)

    @staticmethod
    def total(stages: dict[str, Timing]) -> float:
        return sum(t.seconds for t in stages.values())

    @staticmethod
    def peak_gib(stages: dict[str, Timing]) -> float:
        return max(t.peak_mib for t in stages.values()) / 1024

    @staticmethod
    def checks_share(stages: dict[str, Timing]) -> float:
        checks = stages["checks"].seconds + sum(t.test_seconds for t in stages.values())
        return checks / Build.total(stages)


def run_stage(env: dict[str, str], module: str, *args: str, report: Path | None = None) -> Timing:
    print(f"bench: {Path(env['CITYBRAIN_WAREHOUSE']).parent.name}: {module} {args[0]}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", module, *args, *(["--report", str(report)] if report else [])],
                               env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench stage {module} {' '.join(args[:1])} failed with exit code {os.waitstatus_to_exitcode(status)}")
    test_seconds = json.loads(report.read_text(encoding="utf-8"))["test_seconds"] if report else 0.0
    return Timing(seconds, usage.ru_maxrss / 1024, test_seconds)


def scenario_env(folder: Path) -> dict[str, str]:
    """A new, empty scenario folder and the environment of its stages."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return scenario_environment(folder)


def scenario_environment(folder: Path) -> dict[str, str]:
    return {**os.environ, "CITYBRAIN_WAREHOUSE": str(folder / "city.duckdb"),
            "CITYBRAIN_INBOX": str(folder / "inbox"), "CITYBRAIN_LANDING": str(folder / "landing")}


def bench_sources() -> list[str]:
    """The configured sources that have a contract and a demo generator, in the contracts' order."""
    generated = {module.SOURCE for module in GENERATORS}
    return [source for source in load_contracts() if source in generated and source in CONFIG["year_rows"]]


def sizes(sources: list[str], scale: float, multiples: dict[str, int] | None = None) -> dict[str, int]:
    """Records per delivery period of each source: the year's rows over its contract's periods, and at least the
    generator's DEFAULT_SIZE (a generator needs some rows to carry its defects). The generator writes every source:
    one not benched gets its DEFAULT_SIZE and is not landed."""
    contracts = load_contracts()
    per_period = {}
    for module in GENERATORS:
        if module.SOURCE in contracts and module.SOURCE in sources:
            rows = CONFIG["year_rows"][module.SOURCE] * scale * (multiples or {}).get(module.SOURCE, 1)
            periods = PERIODS_PER_YEAR[contracts[module.SOURCE].partition_type]
            per_period[module.SOURCE] = max(module.DEFAULT_SIZE, round(rows / periods))
    return per_period


def dbt_vars(start: date | None, end: date | None, full_table_tests: bool) -> str:
    """The window and test scope of a governance run, as bench.stages dbt takes them (it passes them to dbt as the
    pipeline does: pipelines/dbt_project.py, window_environment)."""
    return json.dumps({"window_start": start.isoformat() if start else None,
                       "window_end": end.isoformat() if end else None,
                       "full_table_tests": full_table_tests},
                      ensure_ascii=False)


def build(folder: Path, sources: list[str], days: int, scale: float, multiples: dict[str, int] | None = None,
          next_day: bool = True) -> Build:
    """`days` of history built in full (one dbt invocation: the standard and every model and test), and the next
    days' deliveries put in its inbox (run_next_days runs them)."""
    env = scenario_env(folder)
    start, end = NEXT_DAY - timedelta(days=days), NEXT_DAY - timedelta(days=1)
    source_list = ",".join(sources)
    run_stage(env, "bench.stages", "generate", "--start", start.isoformat(), "--days", str(days),
              "--sizes", json.dumps(sizes(sources, scale, multiples)))
    window = ["--start", start.isoformat(), "--end", end.isoformat()]
    run_stage(env, "bench.stages", "prepare")
    result = Build({
        "land": run_stage(env, "bench.stages", "land", *window, "--sources", source_list),
        "dbt": run_stage(env, "bench.stages", "dbt", "--vars", dbt_vars(None, None, True),
                         report=folder / "dbt_full.json"),
        "checks": run_stage(env, "bench.stages", "checks"),
    })
    if next_day:
        next_inbox = folder / "next_day_inbox"
        run_stage(env, "bench.stages", "generate", "--start", NEXT_DAY.isoformat(), "--days", str(NEXT_DAYS),
                  "--inbox", str(next_inbox), "--sizes", json.dumps(sizes(sources, scale, multiples)))
        _move_deliveries(next_inbox, Path(env["CITYBRAIN_INBOX"]))
    return result


def run_next_days(year: Build, month: Build, year_folder: Path, month_folder: Path, sources: list[str]) -> None:
    """The next days one by one as the daily run does them (the governance models of each day's window, tests on the
    window), after the year's history and after the month's, alternating day by day: a machine slower for a minute
    weighs on both alike, and the flatness figure compares them."""
    year.next_days, month.next_days = [], []
    for n in range(NEXT_DAYS):
        day = NEXT_DAY + timedelta(days=n)
        for history, folder in ((year, year_folder), (month, month_folder)):
            history.next_days.append(run_day(scenario_environment(folder), folder, sources, day))


def run_day(env: dict[str, str], folder: Path, sources: list[str], day: date) -> dict[str, Timing]:
    """A day as the daily run runs it: land what is due, the governance models of its window, the checks."""
    one_day = ["--start", day.isoformat(), "--end", day.isoformat()]
    return {
        "land": run_stage(env, "bench.stages", "land", *one_day, "--sources", ",".join(due_sources(sources, day))),
        "dbt": run_stage(env, "bench.stages", "dbt", "--vars", dbt_vars(day, day, False),
                         "--select", next_day_selection(folder, day), "--exclude", GOVERNANCE_EXCLUDE,
                         report=folder / "dbt_day.json"),
        "checks": run_stage(env, "bench.stages", "checks", *one_day),
    }


def next_day_selection(folder: Path, day: date) -> str:
    """The governance run's dbt selection for the day, as the pipeline's runs select (pipelines/assets/dbt.py,
    window_models): what is downstream of the sources due that day that delivered something."""
    contracts = load_contracts()
    with warehouse_connection(folder / "city.duckdb") as connection:
        delivered = delivered_sources(connection, contracts, day, day)
    print(f"bench: the run of {day} selects what is downstream of {', '.join(delivered) or 'no source'} "
          f"(delivered, of the sources due: {', '.join(sources_due(contracts, day, day))})", file=sys.stderr,
          flush=True)
    return governance_selection(contracts, day, day, delivered)


def due_sources(sources: list[str], day: date) -> list[str]:
    """The sources whose delivery period closes with `day`: what an ordinary day's run lands."""
    contracts = load_contracts()
    return sources_due({source: contracts[source] for source in sources}, day, day)


def _move_deliveries(source_inbox: Path, inbox: Path) -> None:
    for path in source_inbox.glob("*/*"):
        target = inbox / path.parent.name / path.name
        if not target.exists():
            shutil.move(str(path), target)


@dataclass
class Compaction:
    """The weekly compaction job's work on a warehouse (pipelines/compaction.py): the cost the daily runs defer."""

    timing: Timing
    row_groups: tuple[int, int]  # before, after
    tables: int


def run_compaction(folder: Path) -> Compaction:
    report = folder / "compaction.json"
    timing = run_stage(scenario_environment(folder), "bench.stages", "compact", "--report", str(report))
    result = json.loads(report.read_text(encoding="utf-8"))
    return Compaction(timing, (result["before"]["row_groups"], result["after"]["row_groups"]),
                      len(result["compacted"]))


@dataclass
class PeerResult:
    project: list[Timing]
    peer: list[Timing]
    differing_rows: int


def peer_comparison(folder: Path, scale: float, year_inbox: Path | None = None) -> PeerResult:
    """The project's hotline path and the peer on the same files, alternating; the fact tables compared. The year's
    deliveries of the source are taken from `year_inbox` (a year generated with the same rows) when given."""
    source = CONFIG["peer_source"]
    env = scenario_env(folder)
    end = YEAR_START + timedelta(days=YEAR_DAYS - 1)
    if year_inbox:  # the year's files only: that inbox also holds the next day's delivery
        contract = load_contracts()[source]
        beyond = {path.name for path in (year_inbox / source).iterdir()
                  if (contract.partition_key_of(path.name) or "") > end.isoformat()}
        shutil.copytree(year_inbox / source, Path(env["CITYBRAIN_INBOX"]) / source, copy_function=os.link,
                        ignore=lambda folder, names: [name for name in names if name in beyond])
    else:
        run_stage(env, "bench.stages", "generate", "--start", YEAR_START.isoformat(), "--days", str(YEAR_DAYS),
                  "--sizes", json.dumps(sizes([source], scale)))
    full = dbt_vars(None, None, True)
    run_stage(env, "bench.stages", "prepare")
    project, bare = [], []
    for round_number in range(PEER_ROUNDS):
        for stale in ("city.duckdb", "city.duckdb.wal", "landing", "peer.duckdb", "peer.duckdb.wal"):
            path = folder / stale
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        land = run_stage(env, "bench.stages", "land", "--start", YEAR_START.isoformat(), "--end", end.isoformat(),
                         "--sources", source)
        models = run_stage(env, "bench.stages", "dbt", "--vars", full, "--select", peer.TARGETS,
                           "--resource-type", "seed", "--resource-type", "model")
        project.append(Timing(land.seconds + models.seconds, max(land.peak_mib, models.peak_mib)))
        if round_number == 0:
            # compiled against a scratch database of the peer's name: the SQL names its relations with the catalog
            (folder / "compile").mkdir()
            run_stage(env, "bench.peer", "prepare", "--folder", str(folder), "--warehouse",
                      str(folder / "compile" / "peer.duckdb"), "--landing", env["CITYBRAIN_LANDING"], "--vars", full)
        bare.append(run_stage(env, "bench.peer", "run", "--folder", str(folder), "--inbox", env["CITYBRAIN_INBOX"],
                              "--database", str(folder / "peer.duckdb")))
    return PeerResult(project, bare, peer.compare(folder / "peer.duckdb", folder / "city.duckdb"))


# ------------------------------------------------------------------------------------------------ report


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report_line(figure: str, value: str, target: str, ok: bool | None) -> None:
    print(f"{figure:<58} {value:>16}   target {target:<14} {'' if ok is None else _verdict(ok)}")


def report_builds(label: str, sources: list[str], year: Build, month: Build, build_target: float,
                  compaction: Compaction) -> None:
    targets = CONFIG["targets"]
    for n in range(NEXT_DAYS):
        day = NEXT_DAY + timedelta(days=n)
        print(f"  {label}: next day {n + 1}, {day} ({day:%A}), lands {', '.join(due_sources(sources, day))}")
    total = Build.total(year.stages)
    print(f"  {label}: land {year.stages['land'].seconds:.1f} s, dbt {year.stages['dbt'].seconds:.1f} s "
          f"(of which tests {year.stages['dbt'].test_seconds:.1f} s), GX {year.stages['checks'].seconds:.1f} s")
    report_line(f"{label}: full build, 365 days", f"{total:.1f} s", f"<= {build_target} s", total <= build_target)
    share = Build.checks_share(year.stages)
    report_line(f"{label}: checks' share of the full build", f"{share:.0%}", f"<= {targets['checks_share']:.0%}",
                share <= targets["checks_share"])
    peak = Build.peak_gib(year.stages)
    report_line(f"{label}: peak memory of the full build", f"{peak:.2f} GiB", f"<= {targets['peak_gib']} GiB",
                peak <= targets["peak_gib"])
    day_year, day_month = year.next_day_seconds(), month.next_day_seconds()
    report_line(f"{label}: next day after 365 days (median of {NEXT_DAYS})", f"{day_year:.1f} s",
                f"<= {targets['next_day_seconds']} s", day_year <= targets["next_day_seconds"])
    spread = abs(day_year - day_month) / day_month
    report_line(f"{label}: next day after 30 days ({day_month:.1f} s), difference", f"{spread:.0%}",
                f"<= {targets['next_day_30_vs_365']:.0%}", spread <= targets["next_day_30_vs_365"])
    before, after = compaction.row_groups
    report_line(f"{label}: weekly compaction, row groups {before} -> {after}", f"{compaction.timing.seconds:.1f} s",
                "(reported)", None)
    print(f"    compaction of the 365 days' warehouse after its next days: {compaction.tables} table(s) compacted, "
          f"peak {compaction.timing.peak_mib / 1024:.2f} GiB (the row-group merges the days' runs leave out)")
    for name, build in (("365", year), ("30", month)):
        for n, day in enumerate(build.next_days, start=1):
            print(f"    next day {n} after {name} days: {Build.total(day):.1f} s: "
                  + ", ".join(f"{stage} {t.seconds:.1f} s" for stage, t in day.items())
                  + f"; peak {Build.peak_gib(day):.2f} GiB")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every row count (quick runs)")
    parser.add_argument("--skip", type=lambda text: [s for s in text.split(",") if s], default=[],
                        help=f"scenarios to leave out, of {', '.join(SCENARIOS)}")
    args = parser.parse_args(argv)
    targets, scale = CONFIG["targets"], args.scale
    first = [source for source in bench_sources() if source in CONFIG["first_departments"]]
    every = bench_sources()
    results: dict[str, object] = {}
    probes = []
    if "first" not in args.skip:
        probes.append(machine.probe(f"before {len(first)} departments"))
        results["first"] = (build(RESULTS / "first_365", first, YEAR_DAYS, scale),
                            build(RESULTS / "first_30", first, SHORT_HISTORY_DAYS, scale))
        run_next_days(*results["first"], RESULTS / "first_365", RESULTS / "first_30", first)
        results["first_compaction"] = run_compaction(RESULTS / "first_365")
    if "all" not in args.skip and every != first:
        probes.append(machine.probe(f"before {len(every)} departments"))
        results["all"] = (build(RESULTS / "all_365", every, YEAR_DAYS, scale),
                          build(RESULTS / "all_30", every, SHORT_HISTORY_DAYS, scale))
        run_next_days(*results["all"], RESULTS / "all_365", RESULTS / "all_30", every)
        results["all_compaction"] = run_compaction(RESULTS / "all_365")
    if "multiples" not in args.skip:
        probes.append(machine.probe("before the hotline multiples"))
        results["multiples"] = {
            multiple: build(RESULTS / f"hotline_x{multiple}", first, YEAR_DAYS, scale,
                            {CONFIG["peer_source"]: multiple}, next_day=False)
            for multiple in CONFIG["hotline_multiples"]}
    if "peer" not in args.skip:
        # the first departments' year holds the same deliveries of the source: no second generation
        year_inbox = RESULTS / "first_365" / "inbox" if "first" in results else None
        probes.append(machine.probe("before the peer"))
        results["peer"] = peer_comparison(RESULTS / "peer", scale, year_inbox)
    probes.append(machine.probe("at the end"))

    print(f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; rows scale {scale:g}; sources: {', '.join(every)}")
    print(f"machine speed (a {machine.PYTHON_STEPS:,}-step Python loop, a DuckDB hash aggregate over "
          f"{machine.DUCKDB_ROWS:,} rows; the figures move with it):")
    for speed in probes:
        print(f"  {speed.describe()}")
    if "first" in results:
        report_builds(f"{len(first)} departments", first, *results["first"],
                      targets["first_departments_full_build_seconds"], results["first_compaction"])
    if "all" in results:
        report_builds(f"{len(every)} departments", every, *results["all"],
                      targets["all_departments_full_build_seconds"], results["all_compaction"])
    if "multiples" in results:
        base = results["multiples"].get(1)
        for multiple, result in results["multiples"].items():
            total, peak = Build.total(result.stages), Build.peak_gib(result.stages)
            label = f"hotline x{multiple} ({CONFIG['year_rows'][CONFIG['peer_source']] * multiple * scale:,.0f} rows)"
            if multiple == 3 and base:
                base_total = Build.total(base.stages)
                ratio = total / base_total
                report_line(f"{label}: full build / 1x ({total:.1f} / {base_total:.1f} s)", f"{ratio:.2f}x",
                            f"<= {targets['three_times_rows_build_ratio']}x",
                            ratio <= targets["three_times_rows_build_ratio"])
            else:
                report_line(f"{label}: full build completes", f"{total:.1f} s", "(reported)", None)
            report_line(f"{label}: peak memory", f"{peak:.2f} GiB", f"<= {targets['peak_gib']} GiB",
                        peak <= targets["peak_gib"])
    if "peer" in results:
        result = results["peer"]
        project_s = statistics.median(t.seconds for t in result.project)
        peer_s = statistics.median(t.seconds for t in result.peer)
        project_m = max(t.peak_mib for t in result.project)
        peer_m = max(t.peak_mib for t in result.peer)
        print(f"  hotline path: project {project_s:.1f} s, {project_m:.0f} MiB; bare DuckDB peer {peer_s:.1f} s, "
              f"{peer_m:.0f} MiB (median of {PEER_ROUNDS} alternating rounds)")
        report_line("peer: fact table rows that differ", str(result.differing_rows), "0", result.differing_rows == 0)
        report_line("peer: hotline path wall time / peer", f"{project_s / peer_s:.2f}x",
                    f"<= {targets['peer_wall_ratio']}x", project_s / peer_s <= targets["peer_wall_ratio"])
        report_line("peer: hotline path peak memory / peer", f"{project_m / peer_m:.2f}x",
                    f"<= {targets['peer_memory_ratio']}x", project_m / peer_m <= targets["peer_memory_ratio"])
    if "sharing" not in args.skip and sharing_load.main([]) != 0:
        sys.exit("sharing load run failed (5xx, a failed build or a broken audit chain)")


if __name__ == "__main__":
    main()
