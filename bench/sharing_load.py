"""Load run of the data-sharing service while a one-day build publishes (part of `make bench`; runnable alone):

    python -m bench.sharing_load [--days 14] [--requests 2000] [--clients 8]

Builds `--days` of generated demo data with the real jobs (so the publish step writes the serving snapshot),
starts the service on a free port of 127.0.0.1, then runs `python -m pipelines.cli build` for the next day and,
as soon as that run has built its models (checks, publication and exports follow), sends `--requests` requests
from `--clients` concurrent clients, so the snapshot switches under load. Bounded in count and in time
(`--max-seconds`). Reports status counts, 5xx, p50 / p99 latency, requests per second and the snapshots served;
exits 1 on any 5xx or a failed build. Everything lives in bench/results/sharing_load/.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import requests

from pipelines.sharing.auth import DEMO_TOKEN_PREFIX

RESULTS = Path(__file__).resolve().parent / "results" / "sharing_load"
START = date(2026, 1, 1)
REPO_ROOT = Path(__file__).resolve().parents[1]
MODELS_STEP = "governance_dbt"  # the dbt step of the daily job; its checks and the publication follow


def scenario_env() -> dict[str, str]:
    shutil.rmtree(RESULTS, ignore_errors=True)
    (RESULTS / "dagster_home").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", RESULTS / "dagster_home" / "dagster.yaml")
    return {**os.environ, "CITYBRAIN_WAREHOUSE": str(RESULTS / "city.duckdb"),
            "CITYBRAIN_INBOX": str(RESULTS / "inbox"), "CITYBRAIN_LANDING": str(RESULTS / "landing"),
            "CITYBRAIN_SERVING_DIR": str(RESULTS / "serving"), "CITYBRAIN_EXPORTS_DIR": str(RESULTS / "exports"),
            "CITYBRAIN_AUDIT_LOG": str(RESULTS / "audit" / "sharing_audit.jsonl"),
            "DAGSTER_HOME": str(RESULTS / "dagster_home"),
            "CITYBRAIN_PSEUDONYM_SALT": os.environ.get("CITYBRAIN_PSEUDONYM_SALT", "DEMO-bench-salt")}


def run(env: dict[str, str], *command: str) -> None:
    subprocess.run([sys.executable, *command], env=env, cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL)


def cli_build(day_from: date, day_to: date) -> list[str]:
    return ["-m", "pipelines.cli", "build", "--start", day_from.isoformat(), "--end", day_to.isoformat()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(RESULTS / "service.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "pipelines.sharing.app", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{base}/health", timeout=2).status_code == 200:
                return process, base
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    process.kill()
    sys.exit(f"the sharing service did not start; see {RESULTS / 'service.log'}")


def request_mix(env: dict[str, str]) -> list[tuple[str, str, dict]]:
    """(department, path, params) for every department: its list, each readable dataset as a JSON page, CSV and
    Parquet, and the refusals it meets (a dataset not shared, an expired grant)."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("CITYBRAIN_")})
    from pipelines.sharing.catalog import load_sharing_config

    config = load_sharing_config()
    mix = []
    for department in config.departments:
        mix.append((department, "/datasets", {}))
        for dataset in config.catalog.datasets:
            path = f"/datasets/{dataset.name}"
            mix += [(department, path, {"limit": 500}), (department, path, {"limit": 200, "offset": 300}),
                    (department, path, {"format": "csv", "limit": 2000}),
                    (department, path, {"format": "parquet"})]
    return mix


def load(base: str, mix: list, total: int, clients: int, max_seconds: float) -> dict:
    jobs = itertools.islice(itertools.cycle(mix), total)
    lock = threading.Lock()
    latencies, statuses, snapshots, errors = [], Counter(), Counter(), Counter()
    deadline = time.monotonic() + max_seconds

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            with lock:
                job = next(jobs, None)
            if job is None:
                return
            department, path, params = job
            started = time.perf_counter()
            try:
                response = session.get(base + path, params=params, timeout=60,
                                       headers={"Authorization": f"Bearer {DEMO_TOKEN_PREFIX}{department}"})
                status, snapshot = response.status_code, response.headers.get("X-Snapshot-Id")
            except requests.RequestException as error:
                status, snapshot = f"error: {type(error).__name__}", None
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1
                if snapshot:
                    snapshots[snapshot] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    quantiles = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "seconds": seconds, "statuses": statuses, "snapshots": snapshots,
            "p50_ms": quantiles[49] * 1000, "p99_ms": quantiles[98] * 1000, "rps": len(latencies) / seconds}


def wait_for_models_built(build: subprocess.Popen, max_seconds: float) -> bool:
    """Hold the load until the one-day run has built its models: its checks, the publication (the switch) and
    the exports then run under load. False when the run ended (or the wait timed out) before that."""
    from dagster import DagsterEventType, DagsterInstance

    instance = DagsterInstance.from_config(str(RESULTS / "dagster_home"))
    known = {run.run_id for run in instance.get_runs()}
    deadline = time.monotonic() + max_seconds
    while build.poll() is None and time.monotonic() < deadline:
        for run in instance.get_runs(limit=3):
            if run.run_id in known:
                continue
            done = {event.step_key for event in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS)}
            if MODELS_STEP in done:
                return True
        time.sleep(0.5)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sharing_load", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14, help="days of history built before the load")
    parser.add_argument("--hotline-per-day", type=int, default=400)
    parser.add_argument("--grid-per-day", type=int, default=150)
    parser.add_argument("--mediation-per-month", type=int, default=300)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=300.0, help="stop sending after this long")
    args = parser.parse_args(argv)

    env = scenario_env()
    history_end = START + timedelta(days=args.days - 1)
    next_day = history_end + timedelta(days=1)
    print(f"sharing load: building {args.days} days of demo data ({args.hotline_per_day} work orders/day) ...",
          flush=True)
    run(env, "-m", "demo.generate", "--start", START.isoformat(), "--days", str(args.days + 1),
        "--size", f"hotline_12345={args.hotline_per_day}", "--size", f"grid_events={args.grid_per_day}",
        "--size", f"mediation_cases={args.mediation_per_month}")
    run(env, *cli_build(START, history_end))
    service, base = start_service(env)
    try:
        before = requests.get(f"{base}/health", timeout=10).json()["snapshot_id"]
        build = subprocess.Popen([sys.executable, *cli_build(next_day, next_day)], env=env, cwd=REPO_ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        models_built = wait_for_models_built(build, args.max_seconds)
        result = load(base, request_mix(env), args.requests, args.clients, args.max_seconds)
        build_ok = build.wait(timeout=args.max_seconds + 600) == 0
        after = requests.get(f"{base}/health", timeout=10).json()["snapshot_id"]
    finally:
        service.terminate()
        service.wait(timeout=30)
    from pipelines.sharing import audit

    verification = audit.verify(Path(env["CITYBRAIN_AUDIT_LOG"]))
    server_errors = sum(n for status, n in result["statuses"].items() if not isinstance(status, int) or status >= 500)
    print(f"sharing load: {result['requests']} requests from {args.clients} clients on 127.0.0.1, started when the "
          f"build of {next_day} {'had built its models' if models_built else 'had ended (no model step seen)'}; "
          f"the build {'succeeded' if build_ok else 'FAILED'}")
    print(f"  statuses: {dict(sorted(result['statuses'].items(), key=str))}; 5xx or errors: {server_errors}")
    print(f"  latency p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
          f"{result['rps']:.1f} requests/s over {result['seconds']:.1f} s")
    print(f"  snapshot before {before}, after {after}; answers per snapshot: {dict(result['snapshots'])}")
    print(f"  audit log: {verification.entries} entries, hash chain {'intact' if verification.ok else 'BROKEN'}")
    return 0 if server_errors == 0 and build_ok and verification.ok else 1


if __name__ == "__main__":
    sys.exit(main())
