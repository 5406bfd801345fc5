"""dbt's loggers in the pipeline's dbt processes (pipelines/dbt_launcher/log_level_first.py) skip the lines their
level drops without building them, and write every other line exactly as dbt builds it."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from dbt.adapters.events.types import SQLQuery
from dbt_common.events.base_types import EventLevel, msg_from_base_event
from dbt_common.events.logger import LineFormat, LoggerConfig, _JsonLogger, _TextLogger
from dbt_common.events.types import Note, PrintEvent

sys.path.insert(0, str(Path(__file__).parents[2] / "pipelines" / "dbt_launcher"))  # as the launcher imports it
import log_level_first  # noqa: E402

DEBUG_EVENT = msg_from_base_event(SQLQuery(conn_name="model.citybrain.a_model", sql="select 1", node_info={}))
INFO_EVENT = msg_from_base_event(Note(msg="1 of 1 OK created sql table model"))
PRINT_EVENT = msg_from_base_event(PrintEvent(msg="compiled SQL"))


def logger_at(level: EventLevel, logger_class=_JsonLogger, monkeypatch=None):
    """A dbt logger writing to a string, with a count of the lines it built."""
    stream = io.StringIO()
    logger = logger_class(LoggerConfig(name=f"test_{level.value}_{logger_class.__name__}", level=level,
                                       line_format=LineFormat.Json, output_stream=stream))
    built = []
    create_line = logger.create_line
    monkeypatch.setattr(logger, "create_line", lambda msg: built.append(msg.info.name) or create_line(msg))
    return logger, stream, built


@pytest.fixture(autouse=True)
def installed():
    log_level_first.install()
    log_level_first.install()  # twice is once


@pytest.mark.parametrize("logger_class", [_JsonLogger, _TextLogger])
def test_a_line_the_level_drops_is_never_built(monkeypatch, logger_class):
    logger, stream, built = logger_at(EventLevel.INFO, logger_class, monkeypatch)
    logger.write_line(DEBUG_EVENT)
    assert built == [] and stream.getvalue() == ""
    logger.write_line(INFO_EVENT)
    assert built == ["Note"] and stream.getvalue() == logger.create_line(INFO_EVENT) + "\n"


def test_a_logger_at_debug_still_writes_the_debug_lines(monkeypatch):
    logger, stream, built = logger_at(EventLevel.DEBUG, monkeypatch=monkeypatch)
    logger.write_line(DEBUG_EVENT)
    assert built == ["SQLQuery"] and "select 1" in stream.getvalue()


def test_print_events_pass_a_quiet_logger_as_dbt_sends_them(monkeypatch):
    logger, stream, built = logger_at(EventLevel.ERROR, monkeypatch=monkeypatch)
    logger.write_line(INFO_EVENT)
    logger.write_line(PRINT_EVENT)
    assert built == ["PrintEvent"] and "compiled SQL" in stream.getvalue()
