"""Laying records out into delivered files, byte for byte reproducibly."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from demo.standard import Contract

# The earliest time a zip entry can carry; fixed so that a rerun writes identical workbook bytes.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def reset_folder(folder: Path) -> Path:
    """An empty source folder: earlier deliveries would otherwise mix with this run's."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def daily_layout(day: np.ndarray, seq: np.ndarray, duplicate: np.ndarray, reexport: np.ndarray,
                 days: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the records [rows, copies of `duplicate`, re-exports of `reexport`] go in the daily files.

    A duplicate follows right after its original; a re-export comes at the end of the next day's file.
    Returns the record order and each day's [start, stop) bounds in that order.
    """
    partition = np.concatenate([day, day[duplicate], day[reexport] + 1])
    after_last = 2 * (int(seq.max(initial=0)) + 1)
    position = np.concatenate([2 * seq, 2 * seq[duplicate] + 1, after_last + np.arange(len(reexport))])
    order = np.lexsort((position, partition))
    return order, np.searchsorted(partition[order], np.arange(days + 1))


def write_daily_files(folder: Path, contract: Contract, start: date, contents: Iterator[bytes],
                      redelivered_day: int) -> list[str]:
    """Each day's file; the re-delivered day's file again, byte for byte, under its `_resend` name.
    Returns the names relative to the inbox."""
    files = []
    for day, data in enumerate(contents):
        for suffix in ("", "_resend") if day == redelivered_day else ("",):
            name = contract.file_name(start + timedelta(days=day), suffix)
            (folder / name).write_bytes(data)
            files.append(f"{folder.name}/{name}")
    return files


def reproducible_zip(data: bytes) -> bytes:
    """The same archive with fixed entry timestamps (zip writers stamp the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    target_buffer = io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(zipfile.ZipInfo(entry.filename, ZIP_TIMESTAMP), source.read(entry.filename),
                            compress_type=zipfile.ZIP_DEFLATED)
    return target_buffer.getvalue()


def monthly_workbook(contract: Contract, rows: list[list], month_start: date) -> bytes:
    """The month's XLSX delivery: the contract's sheet with its headers, then `rows`. Document and zip entry times
    are the delivery day, so a rerun writes identical bytes."""
    workbook = Workbook(write_only=True)
    delivered = datetime.combine((month_start + timedelta(days=32)).replace(day=1), datetime.min.time())
    workbook.properties.created = workbook.properties.modified = delivered
    sheet = workbook.create_sheet(contract.sheet)
    sheet.append(contract.headers())
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    # ExcelWriter directly: Workbook.save would stamp the current time as the modification time.
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return reproducible_zip(buffer.getvalue())
