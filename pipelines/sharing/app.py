"""The data-sharing HTTP service (FastAPI on uvicorn): each department reads its granted data from the current
published snapshot, as JSON pages, CSV or Parquet, and every answer or refusal is audited.

    python -m pipelines.sharing.app [--host 127.0.0.1] [--port 8000]        (`make serve`)

    GET /health                                  the snapshot being served
    GET /datasets                                the datasets the department may read (bearer token)
    GET /datasets/{name}?format=json|csv|parquet&limit=&offset=&columns=a,b
"""

from __future__ import annotations

import argparse
import hashlib
import json
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from pipelines.sharing import audit
from pipelines.sharing.auth import authenticate, departments_with_demo_tokens
from pipelines.sharing.catalog import Refusal, SharingConfig, load_sharing_config
from pipelines.sharing.formats import MEDIA_TYPES, csv_bytes, parquet_bytes
from pipelines.sharing.query import (
    SnapshotUnavailable, chosen_columns, count_rows, fetch_json_rows, fetch_table, open_snapshot,
)

DEFAULT_PAGE_ROWS = 1_000
MAX_PAGE_ROWS = 10_000
FORMATS = ("json", "csv", "parquet")


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.config = load_sharing_config()
    demo = departments_with_demo_tokens(app.state.config)
    if demo:
        print(f"WARNING: the PUBLIC demo tokens (DEMO-token-<department>) are configured for {', '.join(demo)}; "
              f"set your own token hashes in sharing/departments.yaml for real data (docs/sharing.md).", flush=True)
    yield


app = FastAPI(title="City brain data sharing (数据共享服务)", lifespan=lifespan)


def _config(request: Request) -> SharingConfig:
    return request.app.state.config


def _refused(status: int, reason: str, entry: dict, headers: dict | None = None) -> JSONResponse:
    audit.append({**entry, "outcome": "refused", "status": status, "reason": reason, "rows": 0})
    return JSONResponse({"detail": reason}, status_code=status, headers=headers)


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    entry = {"kind": "request", "dataset": request.path_params.get("name"), "detail": dict(request.query_params)}
    return _refused(422, f"invalid request: {error.errors()[0]['msg']}", entry)


@app.get("/health")
def health() -> JSONResponse:
    try:
        with open_snapshot() as (_, snapshot):
            return JSONResponse({"status": "ok", "snapshot_id": snapshot.snapshot_id,
                                 "published_at": snapshot.published_at},
                                headers={"X-Snapshot-Id": snapshot.snapshot_id})
    except SnapshotUnavailable as error:
        return JSONResponse({"status": "no snapshot", "detail": str(error)}, status_code=503)


@app.get("/datasets")
def list_datasets(request: Request) -> JSONResponse:
    config = _config(request)
    department = authenticate(config, request.headers.get("authorization"))
    entry = {"kind": "request", "department": department and department.code, "detail": {"path": "/datasets"}}
    if department is None:
        return _refused(401, "missing or unknown bearer token", entry, {"WWW-Authenticate": "Bearer"})
    datasets = [{
        "name": access.dataset.name, "title": access.dataset.title, "owner": access.dataset.owner,
        "class": access.dataset.sharing_class, "columns": [c.name for c in access.columns],
        "masking": {c.name: c.masking for c in access.columns if c.masking != "none"},
        "row_filter": dict(access.row_filter),
        "expires": access.grant.expires.isoformat() if access.grant else None,
    } for access in config.readable(department.code)]
    audit.append({**entry, "outcome": "allowed", "status": 200, "rows": len(datasets)})
    return JSONResponse({"department": department.code, "datasets": datasets})


@app.get("/datasets/{name}")
def read_dataset(request: Request, name: str, format: str = "json", limit: int | None = None, offset: int = 0,
                 columns: str | None = None) -> Response:
    config = _config(request)
    department = authenticate(config, request.headers.get("authorization"))
    entry = {"kind": "request", "department": department and department.code, "dataset": name, "format": format,
             "detail": {"offset": offset, "limit": limit}}
    if department is None:
        return _refused(401, "missing or unknown bearer token", entry, {"WWW-Authenticate": "Bearer"})
    try:
        if format not in FORMATS:
            raise Refusal(400, f"format must be one of {', '.join(FORMATS)}")
        if offset < 0 or (limit is not None and not 1 <= limit <= MAX_PAGE_ROWS):
            raise Refusal(400, f"offset must be >= 0 and limit between 1 and {MAX_PAGE_ROWS}")
        access = config.access(department.code, name)
        chosen = chosen_columns(access, [c for c in (columns or "").split(",") if c])
        entry.update(columns=[c.name for c in chosen], filter=dict(access.row_filter))
        with open_snapshot() as (connection, snapshot):
            entry["snapshot_id"] = snapshot.snapshot_id
            if format == "json":
                limit = limit or DEFAULT_PAGE_ROWS
                rows_json, rows = fetch_json_rows(connection, access, chosen, limit, offset)
                total = count_rows(connection, access)
                body = _json_page(snapshot.snapshot_id, department.code, name, chosen, offset, limit, rows, total,
                                  rows_json)
                media_type = "application/json"
            else:
                table = fetch_table(connection, access, chosen, snapshot, limit, offset)
                rows = table.num_rows
                body = (csv_bytes(table) if format == "csv" else
                        parquet_bytes(table, {"citybrain.snapshot_id": snapshot.snapshot_id,
                                              "citybrain.dataset": name, "citybrain.department": department.code}))
                media_type = MEDIA_TYPES[format]
    except Refusal as refusal:
        return _refused(refusal.status, refusal.reason, entry)
    except SnapshotUnavailable as error:
        return _refused(503, str(error), entry)
    checksum = hashlib.sha256(body).hexdigest()
    audit.append({**entry, "outcome": "allowed", "status": 200, "rows": rows, "checksum_sha256": checksum})
    headers = {"X-Snapshot-Id": snapshot.snapshot_id, "X-Content-SHA256": checksum}
    if format != "json":
        headers["Content-Disposition"] = f'attachment; filename="{name}_{snapshot.snapshot_id}.{format}"'
    return Response(body, media_type=media_type, headers=headers)


def _json_page(snapshot_id: str, department: str, dataset: str, columns: list, offset: int, limit: int, rows: int,
               total: int, rows_json: str) -> bytes:
    """The page's metadata by json.dumps, its rows as DuckDB serialized them (no row-by-row Python)."""
    head = json.dumps({
        "snapshot_id": snapshot_id, "department": department, "dataset": dataset,
        "columns": [column.name for column in columns], "offset": offset, "limit": limit, "rows_in_page": rows,
        "total_rows": total, "next_offset": offset + rows if offset + rows < total else None,
    }, ensure_ascii=False)
    return (head[:-1] + ', "rows": ' + rows_json + "}").encode("utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipelines.sharing.app", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
