"""Start and stop the polling reader process of `serving_reader.py`, and judge what it saw."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

READER = Path(__file__).with_name("serving_reader.py")


@dataclass
class ReaderProcess:
    process: subprocess.Popen
    log: Path
    stop_file: Path

    @classmethod
    def start(cls, serving: Path, folder: Path) -> "ReaderProcess":
        log, stop_file = folder / "reader.jsonl", folder / "reader.stop"
        process = subprocess.Popen([sys.executable, str(READER), str(serving), str(log), str(stop_file)])
        return cls(process, log, stop_file)

    def stop(self) -> list[dict]:
        """Stop the reader and return its reads."""
        self.stop_file.touch()
        self.process.wait(timeout=30)
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]


def judge(reads: list[dict], published: dict[str, dict]) -> dict:
    """`published`: snapshot id → manifest as recorded in ops.publications. Returns the counts of reads, errors,
    reads that saw a whole published snapshot, and the snapshots seen; raises AssertionError on a read that saw
    something else."""
    seen = [read for read in reads if "snapshot_id" in read]
    for read in seen:
        manifest = published.get(read["snapshot_id"])
        assert manifest is not None, f"read an unpublished snapshot: {read}"
        expected = {name: table["rows"] for name, table in manifest["tables"].items()}
        assert read["counts"] == read["manifest_rows"] == expected, read
    return {
        "reads": len(reads),
        "errors": [read["error"] for read in reads if "error" in read],
        "whole_snapshot_reads": len(seen),
        "snapshots_seen": list(dict.fromkeys(read["snapshot_id"] for read in seen)),
    }
