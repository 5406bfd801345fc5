"""dbt-duckdb plugin: the pseudonym salt reaches DuckDB as a session variable, never as SQL text.

Every connection and cursor dbt opens runs `SET VARIABLE pseudonym_salt = ?` with the value of
CITYBRAIN_PSEUDONYM_SALT bound as a parameter, and the models read it with `getvariable('pseudonym_salt')`
(macro pseudonym in macros/privacy.sql). So the salt is in no compiled SQL, log, artifact or parse cache.
Without the variable the salt is unset and the first pseudonym fails with the message of privacy.sql.
"""

from __future__ import annotations

import os

from dbt.adapters.duckdb.plugins import BasePlugin

SALT_VARIABLE = "CITYBRAIN_PSEUDONYM_SALT"


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        _set_salt(conn)

    def configure_cursor(self, cursor) -> None:
        # a DuckDB cursor is a new client context: session variables do not carry over from the connection
        _set_salt(cursor)


def _set_salt(conn) -> None:
    salt = os.environ.get(SALT_VARIABLE, "")
    if salt.strip():
        conn.execute("SET VARIABLE pseudonym_salt = ?", [salt])
