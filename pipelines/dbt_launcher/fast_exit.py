"""dbt's command line, leaving without Python's teardown.

After its last node a dbt process spent ~0.55 s tearing Python down: deallocating the manifest, the macros' compiled
Jinja and some thousand modules. Every invocation pays it, a day's run included. This runs dbt's own CLI, then does
what the teardown has to do and nothing else:
- closes dbt-duckdb's database, so DuckDB checkpoints the warehouse as it does on a normal exit;
- runs multiprocessing's exit hooks: dbt's adapter lock is a spawn-context semaphore, which multiprocessing's
  resource tracker would otherwise report as leaked;
- flushes the output and leaves with dbt's exit code.
An exception other than dbt's own exit takes the normal path (traceback, teardown).
Before dbt is imported, it installs the cache of Jinja's generated code (jinja_code_cache.py), when the
environment names its folder; before dbt runs, it makes dbt's loggers ask their level before they build a line
(log_level_first.py), its agate tables reuse their type testers (agate_type_testers.py) and the JSON schemas
of its settings are read from the cache's folder (json_schema_cache.py).
"""

import logging
import os
import sys
from multiprocessing import util

import jinja_code_cache  # beside this file, which Python runs as a script

jinja_code_cache.install_from_environment(sys.argv[1:])

from dbt.cli.main import cli  # noqa: E402 (after the cache is installed)

import agate_type_testers  # noqa: E402 (beside this file)
import json_schema_cache  # noqa: E402 (beside this file)
import log_level_first  # noqa: E402 (beside this file; it imports dbt's event logger)

log_level_first.install()
agate_type_testers.install()
json_schema_cache.install_from_environment()


def close_warehouse() -> None:
    """dbt-duckdb keeps its database open until the process ends; other adapters close theirs at the task's end."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    DuckDBConnectionManager.close_all_connections()


def main() -> None:
    try:
        cli()
        code = 0
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code or 0
        else:  # sys.exit("message"): Python prints the message and exits 1
            print(stop.code, file=sys.stderr)
            code = 1
    close_warehouse()
    util._exit_function()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
