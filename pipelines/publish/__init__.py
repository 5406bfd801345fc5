"""Publishing: immutable snapshots of the marts behind the serving entry point `warehouse/serving/city.duckdb`.

- `settings.serving_path()` is the entry point BI tools and the sharing service open `read_only=True`;
- `current_snapshot(connection)` reads `meta.publication` of the snapshot a connection is on;
- `publish` / `rollback` run in the process that holds the build warehouse (under the warehouse lock).
"""

from pipelines.publish import registry
from pipelines.publish.publisher import prune, publish, rollback
from pipelines.publish.snapshot import SnapshotError, current_snapshot, open_serving
from pipelines.settings import serving_path

__all__ = ["SnapshotError", "registry", "current_snapshot", "open_serving", "prune", "publish", "rollback", "serving_path"]
