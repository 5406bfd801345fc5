"""The audit log only grows, and any rewrite of it is detected by the hash chain."""

from __future__ import annotations

import json
import multiprocessing
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.sharing import audit


def entry(n: int) -> dict:
    return {"kind": "request", "department": f"department_{n % 3}", "dataset": "d", "rows": n,
            "outcome": "allowed", "status": 200}


def test_entries_chain_and_the_file_is_owner_only(tmp_path: Path):
    log = tmp_path / "audit" / "log.jsonl"
    for n in range(5):
        audit.append(entry(n), log)
    lines = log.read_bytes().splitlines()
    assert [json.loads(line)["rows"] for line in lines] == list(range(5))
    assert json.loads(lines[0])["prev_sha256"] == audit.GENESIS
    assert audit.verify(log).ok and audit.verify(log).entries == 5
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


@pytest.mark.parametrize("tamper", ["change a value", "delete a line", "insert a line", "reorder", "truncate"])
def test_any_rewrite_breaks_the_chain(tmp_path: Path, tamper: str):
    log = tmp_path / "log.jsonl"
    for n in range(6):
        audit.append(entry(n), log)
    lines = log.read_bytes().splitlines(keepends=True)
    if tamper == "change a value":
        lines[2] = lines[2].replace(b'"rows": 2', b'"rows": 0')
    elif tamper == "delete a line":
        del lines[3]
    elif tamper == "insert a line":
        lines.insert(1, lines[4])
    elif tamper == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    else:
        lines[-1] = lines[-1][:20]
    log.write_bytes(b"".join(lines))
    result = audit.verify(log)
    assert not result.ok and result.broken_at is not None and result.broken_at <= 6


def test_the_verify_command_exits_non_zero_on_a_broken_chain(tmp_path: Path):
    log = tmp_path / "log.jsonl"
    for n in range(3):
        audit.append(entry(n), log)
    command = [sys.executable, "-m", "pipelines.sharing.audit", "verify", str(log)]
    ok = subprocess.run(command, capture_output=True, text=True, cwd=settings.REPO_ROOT)
    assert ok.returncode == 0 and "3 entries, hash chain intact" in ok.stdout
    assert audit.verify(log).head_sha256 in ok.stdout
    log.write_bytes(log.read_bytes().replace(b"department_1", b"department_2"))
    broken = subprocess.run(command, capture_output=True, text=True, cwd=settings.REPO_ROOT)
    assert broken.returncode == 1 and "broken at line 3" in broken.stdout  # line 2 changed: line 3 says so


def _append_many(log: str, start: int) -> None:
    for n in range(start, start + 40):
        audit.append(entry(n), Path(log))


def test_concurrent_writers_in_several_processes_keep_the_chain(tmp_path: Path):
    log = tmp_path / "log.jsonl"
    processes = [multiprocessing.get_context("fork").Process(target=_append_many, args=(str(log), 100 * k))
                 for k in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    result = audit.verify(log)
    assert result.ok and result.entries == 160


def test_unknown_fields_are_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="token"):
        audit.append({**entry(0), "token": "x"}, tmp_path / "log.jsonl")
