"""dbt's event manager and loggers in the pipeline's dbt processes (pipelines/dbt_launcher/log_level_first.py) skip
the events and lines their level drops without building them, and write every other line exactly as dbt builds
it."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from dbt.adapters.events.types import SQLQuery
from dbt.tracking import track_behavior_change_warn
from dbt_common.events import event_manager as event_manager_module
from dbt_common.events.base_types import EventLevel, msg_from_base_event
from dbt_common.events.event_manager import EventManager
from dbt_common.events.logger import LineFormat, LoggerConfig, _JsonLogger, _TextLogger
from dbt_common.events.types import Note, PrintEvent
from dbt_common.exceptions.events import EventCompilationError

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


@pytest.fixture
def quiet_manager(monkeypatch):
    """dbt's event manager with one logger at info and dbt's own callback, counting the messages it builds."""
    manager = EventManager()
    manager.callbacks = [track_behavior_change_warn]
    logger, stream, _ = logger_at(EventLevel.INFO, monkeypatch=monkeypatch)
    manager.loggers = [logger]
    built = []
    monkeypatch.setattr(event_manager_module, "msg_from_base_event",
                        lambda event, level=None: built.append(type(event).__name__) or msg_from_base_event(event, level))
    return manager, stream, built


def test_the_manager_builds_no_message_for_an_event_no_one_hears(quiet_manager):
    manager, stream, built = quiet_manager
    manager.fire_event(SQLQuery(conn_name="model.citybrain.a_model", sql="select 1", node_info={}))
    assert built == [] and stream.getvalue() == ""
    manager.fire_event(Note(msg="1 of 1 OK created sql table model"))
    assert built == ["Note"] and "1 of 1 OK" in stream.getvalue()


def test_an_event_fired_at_a_level_the_logger_takes_is_written(quiet_manager):
    manager, stream, built = quiet_manager
    manager.fire_event(SQLQuery(conn_name="model.citybrain.a_model", sql="select 1", node_info={}),
                       level=EventLevel.INFO)
    assert built == ["SQLQuery"] and "select 1" in stream.getvalue()


def test_another_listener_hears_every_event(quiet_manager):
    manager, _, built = quiet_manager
    heard = []
    manager.callbacks.append(lambda msg: heard.append(msg.info.name))
    manager.fire_event(SQLQuery(conn_name="model.citybrain.a_model", sql="select 1", node_info={}))
    assert built == ["SQLQuery"] and heard == ["SQLQuery"]


def test_warnings_always_reach_warn_error_handling(quiet_manager):
    manager, _, built = quiet_manager
    manager.loggers = []  # no logger hears it, yet --warn-error makes the warning an error
    manager.warn_error = manager.require_warn_or_error_handling = True
    with pytest.raises(EventCompilationError):
        manager.fire_event(Note(msg="a deprecation"), level=EventLevel.WARN)
    assert built == ["Note"]
