"""The sharing audit log: one JSON line per request or export, allowed or refused, hash-chained.

Writers only append: the file is opened with O_APPEND (and created owner-only), and an exclusive flock
serializes writers across threads and processes (the service and the exports asset). Each entry carries
`prev_sha256`, the sha256 of the previous line's bytes (64 zeros for the first), so a changed, removed or
inserted line breaks the chain at the line after it; the newest line is protected by the head hash that
`verify` prints, kept elsewhere (docs/sharing.md):

    python -m pipelines.sharing.audit verify [path]     # exit 1 and the first broken line when the chain breaks
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines import settings

GENESIS = "0" * 64
FIELDS = ("time", "kind", "department", "dataset", "columns", "filter", "format", "rows", "snapshot_id",
          "checksum_sha256", "outcome", "status", "reason", "detail")


def append(entry: dict, path: Path | None = None) -> dict:
    """Append one entry (keys from FIELDS; `time` is set here) and return it as written."""
    unknown = set(entry) - set(FIELDS)
    if unknown:
        raise ValueError(f"audit entry has unknown keys {sorted(unknown)}")
    path = path or settings.audit_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        record = {key: entry.get(key) for key in FIELDS}
        record["time"] = datetime.now(ZoneInfo(settings.TIMEZONE)).isoformat(timespec="milliseconds")
        record["prev_sha256"] = _sha256(_last_line(path))
        os.write(descriptor, json.dumps(record, ensure_ascii=False, default=str).encode("utf-8") + b"\n")
        return record
    finally:
        os.close(descriptor)  # closing releases the lock


def _sha256(line: bytes | None) -> str:
    return GENESIS if line is None else hashlib.sha256(line).hexdigest()


def _last_line(path: Path) -> bytes | None:
    """The last complete line (without its newline), read from the end of the file."""
    with open(path, "rb") as log:
        end = log.seek(0, os.SEEK_END)
        position, tail = end, b""
        while position > 0 and tail.count(b"\n") < 2:
            step = min(4096, position)
            position -= step
            log.seek(position)
            tail = log.read(step) + tail
    lines = tail.rstrip(b"\n").split(b"\n")
    return lines[-1] if lines[-1] else None


@dataclass(frozen=True)
class Verification:
    entries: int
    broken_at: int | None  # 1-based line number of the first entry whose chain does not hold
    reason: str | None
    head_sha256: str = GENESIS  # hash of the last line: record it elsewhere to protect the newest entry too

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def read_entries(path: Path | None = None) -> list[dict]:
    path = path or settings.audit_log_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes().splitlines() if line]


def verify(path: Path | None = None) -> Verification:
    """Check every line parses and carries the hash of the line before it."""
    path = path or settings.audit_log_path()
    if not path.exists():
        return Verification(0, None, None)
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        return Verification(data.count(b"\n"), data.count(b"\n") + 1, "the last line is incomplete")
    previous = None
    for number, line in enumerate(data.splitlines(), start=1):
        try:
            claimed = json.loads(line)["prev_sha256"]
        except (ValueError, KeyError, TypeError):
            return Verification(number - 1, number, "not an audit entry")
        if claimed != _sha256(previous):
            return Verification(number - 1, number, f"prev_sha256 is not the hash of line {number - 1}: "
                                                    f"that line, or one before it, was changed, removed or inserted")
        previous = line
    return Verification(len(data.splitlines()), None, None, _sha256(previous))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.sharing.audit", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="check the hash chain of the audit log")
    check.add_argument("path", nargs="?", type=Path, default=None)
    args = parser.parse_args(argv)
    path = args.path or settings.audit_log_path()
    result = verify(path)
    if result.ok:
        print(f"{path}: {result.entries} entries, hash chain intact; head sha256 {result.head_sha256}")
        return 0
    print(f"{path}: chain broken at line {result.broken_at} ({result.reason}); "
          f"{result.entries} entries before it are intact")
    return 1


if __name__ == "__main__":
    sys.exit(main())
