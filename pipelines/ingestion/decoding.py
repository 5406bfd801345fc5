"""Decode a text delivery (CSV, JSON Lines) into one string, deciding line by line where a file mixes encodings.

Valid UTF-8 is read as UTF-8 whatever the contract declares: real GBK text is almost never valid UTF-8, while
UTF-8 text often decodes as GBK without an error, into mojibake. A file in the declared encoding is decoded in
one call, also when a few of its lines are undecodable (an error handler decodes each of them alone). In a file
that mixes both, each line is decided on its own: valid UTF-8, else the declared encoding;
only a line valid in neither is undecodable (its record is quarantined as `encoding_error`). Only failing lines
are decoded one by one. A file that is not text at all (NUL or control bytes) is `unreadable_file`; a UTF-16/32
file the contract does not declare, or a file mostly undecodable, is `unknown_encoding`, quarantined whole.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass

import numpy as np

from pipelines.ingestion.records import FileRejected, UnreadableFileError, line_records

UTF8_BOM = b"\xef\xbb\xbf"
_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
              (b"\xfe\xff", "utf-16"))
# More undecodable lines than this share of the lines with non-ASCII bytes means the declared encoding is wrong.
MOSTLY_UNDECODABLE = 0.5
# UTF-8 text in Chinese has characters of three bytes; GBK text that happens to be valid UTF-8 decodes to
# two-byte characters only (Latin, Greek, Cyrillic), so a line is taken as UTF-8 only when it has a longer one.
_BEYOND_TWO_BYTE_UTF8 = re.compile("[^\x00-\u07ff]")
BINARY_CONTROL_SHARE = 0.01
_NOT_CONTROL_BYTES = bytes(set(range(256)) - {*range(0, 9), *range(14, 32), 127})
_GUESS_SAMPLE_BYTES = 1 << 20


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    undecodable_lines: frozenset[int]  # 0-based physical line numbers, decoded with replacement characters
    note: str | None = None


def decode_delivery(raw: bytes, declared: str, header_lines: int = 0) -> DecodedText:
    """`header_lines` lines precede the records (1 for CSV): a file rejected whole counts the lines after them."""
    if codecs.lookup(declared).name.startswith(("utf-16", "utf-32")):
        return _decode_wide(raw, declared)
    _refuse_wide_or_binary(raw, declared, header_lines)
    declared_utf8 = codecs.lookup(declared).name == "utf-8"
    utf8 = "utf-8-sig" if raw.startswith(UTF8_BOM) else "utf-8"
    body = raw.removeprefix(UTF8_BOM)
    try:
        text = raw.decode(utf8)
        if declared_utf8 or text.isascii() or _BEYOND_TWO_BYTE_UTF8.search(text) or not _decodes(body, declared):
            found = declared if text.isascii() else utf8
            return DecodedText(text, found, frozenset(), _mismatch(declared, found))
    except UnicodeDecodeError:
        pass
    encoding, note = declared, None
    if declared_utf8:
        text, undecodable = _decode_marking_lines(body, "utf-8")
    elif _has_utf8_lines(body):
        text, undecodable = _decode_by_line(body, "utf-8", declared)
        encoding, note = f"utf-8,{declared}", f"mixed encodings: lines in UTF-8 and in {declared}"
    else:
        text, undecodable = _decode_marking_lines(body, declared)
        if not undecodable:
            return DecodedText(text, declared, frozenset())
    if len(undecodable) > MOSTLY_UNDECODABLE * _non_ascii_lines(body):
        raise FileRejected(
            "unknown_encoding",
            f"not text in the declared encoding {declared}{'' if declared_utf8 else ' (nor UTF-8)'}: "
            f"{len(undecodable)} of "
            f"{text.count(chr(10)) + 1} lines undecodable{_guess(raw)}",
            line_records(text, header_lines),
        )
    if undecodable:
        note = "; ".join(filter(None, [note, f"{len(undecodable)} line(s) not decodable as {declared} or UTF-8"]))
    return DecodedText(text, encoding, frozenset(undecodable), note)


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def _non_ascii_lines(raw: bytes) -> int:
    """Lines holding a byte beyond ASCII, told by each line's largest byte (an empty line's is its line break)."""
    data = np.frombuffer(raw, np.uint8)
    return int(np.count_nonzero(np.maximum.reduceat(data, _line_starts(data)) >= 0x80)) if len(data) else 0


def _mismatch(declared: str, found: str) -> str | None:
    names = {codecs.lookup(declared).name, codecs.lookup(found).name}
    return None if len(names) == 1 or names <= {"utf-8", "utf-8-sig"} else f"declared {declared}, delivered as {found}"


def _decode_wide(raw: bytes, declared: str) -> DecodedText:
    try:
        return DecodedText(raw.decode(declared), declared, frozenset())
    except UnicodeDecodeError as error:
        raise FileRejected("unknown_encoding", f"not text in the declared encoding {declared}: {error.reason} "
                                               f"at byte {error.start}") from None


def _refuse_wide_or_binary(raw: bytes, declared: str, header_lines: int) -> None:
    for bom, wide in _WIDE_BOMS:
        if raw.startswith(bom):
            _refuse_wide(raw, wide, "its byte-order mark", declared, header_lines)
    if b"\x00" in raw:
        wide = _utf16_without_bom(raw)
        if wide:
            _refuse_wide(raw, wide, "its NUL-byte pattern", declared, header_lines)
        raise UnreadableFileError("binary content (NUL bytes): not a text file")
    controls = len(raw.translate(None, delete=_NOT_CONTROL_BYTES))
    if controls > BINARY_CONTROL_SHARE * len(raw):
        raise UnreadableFileError(f"binary content ({controls} control bytes): not a text file")


def _refuse_wide(raw: bytes, wide: str, evidence: str, declared: str, header_lines: int) -> None:
    try:
        records = line_records(raw.decode(wide), header_lines)
    except UnicodeDecodeError:
        records = None
    raise FileRejected("unknown_encoding", f"the file is {wide.upper()} (by {evidence}); the contract declares "
                                           f"{declared}", records)


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 text of mostly ASCII characters has a NUL in every other byte."""
    pairs = np.frombuffer(raw[: len(raw) // 2 * 2], np.uint8).reshape(-1, 2)
    if not len(pairs):
        return None
    zeros = (pairs == 0).mean(axis=0)
    if zeros[1] > 0.3 and zeros[0] < 0.05:
        return "utf-16-le"
    if zeros[0] > 0.3 and zeros[1] < 0.05:
        return "utf-16-be"
    return None


def _has_utf8_lines(raw: bytes) -> bool:
    """Whether some line is valid UTF-8 with a character beyond two bytes (a byte from 0xE0 up).

    Only lines with such a byte and none of the bytes UTF-8 never uses (0xC0, 0xC1, 0xF5 and up) are tried: found
    in one pass over the file, they are a tiny share of GBK text, whose lines almost all hold one of those bytes.
    """
    data = np.frombuffer(raw, np.uint8)
    if not len(data):
        return False
    line_starts = _line_starts(data)
    never_utf8 = ((data & 0xFE) == 0xC0) | (data >= 0xF5)
    candidates = (np.maximum.reduceat(data, line_starts) >= 0xE0) & ~np.logical_or.reduceat(never_utf8, line_starts)
    line_ends = np.append(line_starts[1:] - 1, len(data))
    return any(_decodes(raw[line_starts[line]:line_ends[line]], "utf-8") for line in np.flatnonzero(candidates))


def _line_starts(data: np.ndarray) -> np.ndarray:
    """Where each line of a non-empty file starts (a line break at the very end starts no line)."""
    starts = np.concatenate(([0], np.flatnonzero(data == 0x0A) + 1))
    return starts[starts < len(data)]


def _decode_by_line(raw: bytes, primary: str, declared: str) -> tuple[str, set[int]]:
    """Decode in `primary`; only a line where that fails is decoded on its own (UTF-8, else `declared`).

    A failed decode copies all of its input into the error, so each call takes whole lines: one after a failing
    line, then twice as many bytes while decoding succeeds. Linear, however many lines fail.
    """
    view = memoryview(raw)
    parts: list[str] = []
    undecodable: set[int] = set()
    position, line_number, span = 0, 0, 1
    while position < len(raw):
        end = _line_end(raw, position + span)
        try:
            parts.append(codecs.decode(view[position:end], primary))
            line_number += raw.count(b"\n", position, end)
            position, span = end, span * 2
            continue
        except UnicodeDecodeError as error:
            failed = position + error.start
        start = raw.rfind(b"\n", 0, failed) + 1
        end = _line_end(raw, failed)
        parts.append(codecs.decode(view[position:start], primary))
        line_number += raw.count(b"\n", position, start)
        line = raw[start:end]
        text = _decode_line(line, declared)
        if text is None:
            undecodable.add(line_number)
            text = line.decode(declared, errors="replace")
        parts.append(text)
        position, span = end, 1
    return "".join(parts), undecodable


class _LineMarks(threading.local):
    """What the `_MARK_LINES` error handler found in the decode running on this thread."""

    encoding = "utf-8"
    lines: list[int]
    position = line_number = 0  # a line start already counted, and its line number
    utf8_line = False  # a failing line is valid UTF-8: `_decode_line` would take it as UTF-8


_MARK_LINES = "citybrain-mark-undecodable-lines"
_marks = _LineMarks()


def _decode_marking_lines(raw: bytes, encoding: str) -> tuple[str, set[int]]:
    """Decode in one call; the rest of a line where decoding fails is decoded on its own with replacement
    characters, which gives that line as `line.decode(encoding, errors="replace")` (the codecs here keep no state
    across a line break), and its number is returned. A failing line that is valid UTF-8 (two-byte characters
    only, so not seen by `_has_utf8_lines`) is taken as UTF-8 like `_decode_by_line` does, by decoding again."""
    _marks.encoding, _marks.lines, _marks.position, _marks.line_number, _marks.utf8_line = encoding, [], 0, 0, False
    text = raw.decode(encoding, errors=_MARK_LINES)
    if _marks.utf8_line:
        return _decode_by_line(raw, encoding, encoding)
    return text, set(_marks.lines)


def _mark_undecodable_line(error: UnicodeError) -> tuple[str, int]:
    raw = error.object  # the whole input: the codecs raise on the bytes given to the one decode call
    start, end = raw.rfind(b"\n", 0, error.start) + 1, _line_end(raw, error.start + 1)  # a break is not an error
    _marks.line_number += raw.count(b"\n", _marks.position, start)
    _marks.position = start
    _marks.lines.append(_marks.line_number)
    _marks.utf8_line = _marks.utf8_line or _decodes(raw[start:end], "utf-8")
    return raw[error.start:end].decode(_marks.encoding, errors="replace"), end


codecs.register_error(_MARK_LINES, _mark_undecodable_line)


def _line_end(raw: bytes, position: int) -> int:
    """The position of the line break ending the line at `position` (the end of `raw` if none)."""
    end = raw.find(b"\n", position)
    return len(raw) if end < 0 else end


def _decode_line(line: bytes, declared: str) -> str | None:
    for encoding in ("utf-8", declared):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _guess(raw: bytes) -> str:
    from charset_normalizer import from_bytes  # only for a file refused for its encoding: not at every start

    guess = from_bytes(raw[:_GUESS_SAMPLE_BYTES]).best()
    return f"; it looks like {guess.encoding}" if guess is not None and guess.encoding else ""
