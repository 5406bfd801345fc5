"""`make bench`: time each stage of a year's full build and of one more day, with peak memory, on this machine;
then the sharing service's load run (bench/sharing_load.py).

Each stage runs in a child process; `os.wait4` gives that process tree's own peak RSS. The data lives in a
scratch folder (bench/results/, git-ignored), never in the demo warehouse.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bench import sharing_load

YEAR_START = date(2026, 1, 1)
YEAR_DAYS = 365
SHORT_HISTORY_DAYS = 30
ROWS = {"hotline": 1_000_000, "grid": 300_000, "mediation": 20_000}
RESULTS = Path(__file__).resolve().parent / "results"
TARGET_FULL_BUILD_SECONDS = 120
TARGET_PEAK_GIB = 2.0
TARGET_DAY_SECONDS = 20


@dataclass
class Timing:
    scenario: str
    stage: str
    seconds: float
    peak_mib: float


def run_stage(scenario: str, stage: str, env: dict[str, str], *args: str) -> Timing:
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bench.stages", stage, *args], env=env)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench stage '{stage}' ({scenario}) failed with exit code {os.waitstatus_to_exitcode(status)}")
    return Timing(scenario, stage, seconds, usage.ru_maxrss / 1024)


def scenario_env(name: str) -> dict[str, str]:
    folder = RESULTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return {**os.environ, "CITYBRAIN_WAREHOUSE": str(folder / "city.duckdb"),
            "CITYBRAIN_INBOX": str(folder / "inbox"), "CITYBRAIN_LANDING": str(folder / "landing")}


def history_then_one_day(name: str, days: int, rows_scale: float) -> list[Timing]:
    """Build `days` of history in full, then deliver and run the next day alone (incremental)."""
    env = scenario_env(name)
    rows = {source: max(1, int(count * rows_scale)) for source, count in ROWS.items()}
    end = YEAR_START + timedelta(days=days - 1)
    next_day = end + timedelta(days=1)
    window = ["--start", YEAR_START.isoformat(), "--end", end.isoformat()]
    day = ["--start", next_day.isoformat(), "--end", next_day.isoformat()]
    # one day's share of the daily sources; the monthly source's generator gives the day its share of a month
    next_day_rows = {"hotline": ROWS["hotline"] // YEAR_DAYS, "grid": ROWS["grid"] // YEAR_DAYS,
                     "mediation": ROWS["mediation"] // 12}
    timings = [
        run_stage(name, "generate", env, "--days", str(days), *window[:2],
                  *(f"--{source}={count}" for source, count in rows.items())),
        run_stage(name, "land", env, *window),
        run_stage(name, "dbt-build", env),
        run_stage(name, "checks", env),
    ]
    next_inbox = RESULTS / name / "next_day_inbox"
    run_stage(name, "generate", env, "--days", "1", *day[:2], "--inbox", str(next_inbox),
              *(f"--{source}={count}" for source, count in next_day_rows.items()))
    _move_deliveries(next_inbox, Path(env["CITYBRAIN_INBOX"]))
    timings += [
        run_stage(name, "land", env, *day),
        run_stage(name, "dbt-build", env, *day),
        run_stage(name, "checks", env, *day),
    ]
    for timing in timings[4:]:
        timing.stage = "next day: " + timing.stage
    return timings


def _move_deliveries(source_inbox: Path, inbox: Path) -> None:
    for path in source_inbox.glob("*/*"):
        target = inbox / path.parent.name / path.name
        if not target.exists():
            shutil.move(str(path), target)


def print_table(timings: list[Timing]) -> None:
    print(f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'scenario':<16} {'stage':<22} {'seconds':>9} {'peak MiB':>9}")
    for t in timings:
        print(f"{t.scenario:<16} {t.stage:<22} {t.seconds:>9.1f} {t.peak_mib:>9.0f}")
    for scenario in dict.fromkeys(t.scenario for t in timings):
        rows = [t for t in timings if t.scenario == scenario]
        build = [t for t in rows if t.stage in ("land", "dbt-build", "checks")]
        day = [t for t in rows if t.stage.startswith("next day")]
        build_seconds, day_seconds = sum(t.seconds for t in build), sum(t.seconds for t in day)
        peak = max(t.peak_mib for t in build) / 1024
        print(f"{scenario}: full build {build_seconds:.1f} s (target {TARGET_FULL_BUILD_SECONDS} s), "
              f"peak {peak:.2f} GiB (target {TARGET_PEAK_GIB}), next day {day_seconds:.1f} s "
              f"(target {TARGET_DAY_SECONDS} s)")


def main() -> None:
    timings = history_then_one_day(f"{SHORT_HISTORY_DAYS}_days", SHORT_HISTORY_DAYS, SHORT_HISTORY_DAYS / YEAR_DAYS)
    timings += history_then_one_day("365_days", YEAR_DAYS, 1.0)
    print_table(timings)
    if sharing_load.main([]) != 0:
        sys.exit("sharing load run failed (5xx, a failed build or a broken audit chain)")


if __name__ == "__main__":
    main()
