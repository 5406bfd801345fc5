"""The deliveries of one partition in the inbox: which may be read, which are refused, which are not complete.

- A symbolic link, a path resolving outside the inbox, or anything but a regular file is refused: it is
  reported, and nothing of it is read.
- A file is complete when the contract's done marker exists beside it (`delivery.done_marker`), or, without a
  marker, when its size and mtime have not changed for `delivery.complete_after_seconds`. A file that changes
  while it is read is not complete either. An incomplete file is reported and left for a later run.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from pipelines.ingestion.contracts import SourceContract

READY, REFUSED, INCOMPLETE = "ready", "refused", "incomplete"


@dataclass(frozen=True)
class Delivery:
    path: Path
    relative: str  # path relative to the inbox: the ledger's source_file
    state: str  # READY, REFUSED or INCOMPLETE
    detail: str = ""
    delivered_at: datetime | None = None  # the file's mtime: when the department delivered it


class DeliveryChanged(Exception):
    """The file changed while it was read."""


def partition_deliveries(contract: SourceContract, partition_key: str, inbox: Path,
                         now: float | None = None) -> list[Delivery]:
    """Every inbox entry matching the partition's file pattern (done markers aside), in name order, with its
    state."""
    pattern = contract.file_glob(date.fromisoformat(partition_key))
    paths = sorted((inbox / contract.source).glob(pattern))
    markers = {contract.done_marker.format(name=path.name) for path in paths} if contract.done_marker else set()
    return [inspect_delivery(path, inbox, contract, now) for path in paths if path.name not in markers]


def inspect_delivery(path: Path, inbox: Path, contract: SourceContract, now: float | None = None) -> Delivery:
    """The state of one inbox entry, from its metadata only (nothing of it is opened)."""
    now = time.time() if now is None else now
    relative = str(path.relative_to(inbox))
    status = path.lstat()
    if stat.S_ISLNK(status.st_mode):
        return Delivery(path, relative, REFUSED, "a symbolic link: links are not followed, nothing of it was read")
    if not path.resolve().is_relative_to(inbox.resolve()):
        return Delivery(path, relative, REFUSED, "resolves outside the inbox: nothing of it was read")
    if not stat.S_ISREG(status.st_mode):
        return Delivery(path, relative, REFUSED, "not a regular file: nothing of it was read")
    if contract.done_marker:
        marker = path.with_name(contract.done_marker.format(name=path.name))
        if not (marker.is_file() and not marker.is_symlink()):
            return Delivery(path, relative, INCOMPLETE, f"waiting for its done marker {marker.name}")
    else:
        age = now - status.st_mtime
        if age < contract.complete_after_seconds:
            return Delivery(path, relative, INCOMPLETE,
                            f"modified {max(age, 0):.0f} s ago; lands once unchanged for "
                            f"{contract.complete_after_seconds} s (delivery.complete_after_seconds)")
    return Delivery(path, relative, READY, delivered_at=datetime.fromtimestamp(status.st_mtime, timezone.utc))


def read_delivery_bytes(delivery: Delivery) -> bytes:
    """The file's bytes, never through a link; raises DeliveryChanged when it changed while being read."""
    descriptor = os.open(delivery.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as file:
        before = os.fstat(file.fileno())
        if not stat.S_ISREG(before.st_mode):
            raise DeliveryChanged("it is no longer a regular file")
        raw = file.read()
    after = os.lstat(delivery.path)
    if (len(raw), before.st_size, before.st_mtime_ns, before.st_ino) != (
            after.st_size, after.st_size, after.st_mtime_ns, after.st_ino):
        raise DeliveryChanged("it changed while it was read; it lands once it stays unchanged")
    return raw
