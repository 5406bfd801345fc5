"""The sharing service through its real HTTP server: grants, refusals, formats, audit, no personal data out.
Departments, datasets, grants and district codes come from the sharing config, never from this file."""

from __future__ import annotations

import hashlib
import io
import json

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import requests

from pipelines.sharing import audit
from pipelines.sharing.auth import DEMO_TOKEN_PREFIX
from pipelines.sharing.catalog import city_today
from pipelines.sharing.config import CONDITIONAL, NOT_SHARED, UNCONDITIONAL
from pipelines.sharing.formats import MEDIA_TYPES, UTF8_BOM
from pipelines.sharing.query import SNAPSHOT_COLUMN
from tests.sharing.conftest import snapshot_query
from tests.sharing.pii import leaks, raw_names

BODIES: list[str] = []  # every answer's text, checked for personal data at the end


def call(base: str, department: str | None, path: str, token: str | None = None, **params) -> requests.Response:
    """One request with the department's (public, demo) token; checks that it is the audit log's last entry."""
    if department is not None:
        token = token or DEMO_TOKEN_PREFIX + department
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.get(base + path, headers=headers, params=params, timeout=60)
    BODIES.append(as_text(response))
    entry = audit.read_entries(_audit_path())[-1]
    assert entry["kind"] == "request" and entry["status"] == response.status_code
    assert entry["outcome"] == ("allowed" if response.ok else "refused")
    if response.status_code != 401:
        assert entry["department"] == department
    if response.ok and path.startswith("/datasets/"):
        assert entry["checksum_sha256"] == hashlib.sha256(response.content).hexdigest()
        assert entry["snapshot_id"] == response.headers["X-Snapshot-Id"]
    return response


def as_text(response: requests.Response) -> str:
    """The answer's data as text: a Parquet answer is read and written out as CSV (its bytes are compressed)."""
    if response.headers.get("content-type", "").startswith(MEDIA_TYPES["parquet"]):
        buffer = io.BytesIO()
        pa_csv.write_csv(pq.read_table(io.BytesIO(response.content)), buffer)
        return buffer.getvalue().decode("utf-8")
    return response.content.decode("utf-8")


def _audit_path():
    from pipelines import settings

    return settings.audit_log_path()


@pytest.fixture(autouse=True)
def _environment(sharing_env, monkeypatch):
    for name, value in sharing_env.items():
        monkeypatch.setenv(name, value)


def valid_grants(config):
    return [g for g in config.catalog.grants if g.expires >= city_today()]


def all_pages(base: str, department: str, dataset: str, limit: int) -> tuple[list[dict], dict]:
    rows, offset, first = [], 0, None
    while offset is not None:
        page = call(base, department, f"/datasets/{dataset}", limit=limit, offset=offset).json()
        first = first or page
        rows += page["rows"]
        offset = page["next_offset"]
    return rows, first


def test_a_department_gets_exactly_its_granted_columns_and_rows(service, published, sharing_config):
    grants = valid_grants(sharing_config)
    assert any(g.row_filter for g in grants), "the demo config should hold a district grant with a row filter"
    for grant in grants:
        dataset = sharing_config.catalog.dataset(grant.dataset)
        response = call(service, grant.department, f"/datasets/{grant.dataset}", format="parquet")
        assert response.status_code == 200, response.text
        served = pq.read_table(io.BytesIO(response.content))
        expected_columns = [c.name for c in dataset.columns if c.name in grant.columns]
        assert served.column_names == expected_columns + [SNAPSHOT_COLUMN]
        assert set(served[SNAPSHOT_COLUMN].to_pylist()) <= {response.headers["X-Snapshot-Id"]}
        filters = grant.row_filter or {}
        where = " and ".join(f'"{column}" = ?' for column in filters) or "true"
        expected = snapshot_query(published["serving"],
                                  f"select {', '.join(expected_columns)} from marts.{dataset.table} where {where} "
                                  f"order by all", list(filters.values()))
        assert expected.num_rows > 0, f"{grant.dataset} for {grant.department}: the test build has no rows"
        assert served.drop_columns([SNAPSHOT_COLUMN]).equals(expected), (grant.department, grant.dataset)
        for column, value in filters.items():
            if column in served.column_names:
                assert set(served[column].to_pylist()) == {value}


def test_json_pages_cover_every_granted_row_once(service, sharing_config):
    grant = next(g for g in valid_grants(sharing_config) if g.row_filter)
    rows, first = all_pages(service, grant.department, grant.dataset, limit=13)
    assert first["snapshot_id"] and first["total_rows"] == len(rows) > 13
    assert first["columns"] == list(rows[0])
    key = first["columns"][0]
    assert len({row[key] for row in rows}) == len(rows)


def test_unconditional_datasets_reach_every_department_and_masks_apply(service, sharing_config):
    unconditional = [d for d in sharing_config.catalog.datasets if d.sharing_class == UNCONDITIONAL]
    for department in sharing_config.departments:
        listed = call(service, department, "/datasets").json()
        names = {d["name"] for d in listed["datasets"]}
        assert {d.name for d in unconditional} <= names
        assert not {d.name for d in sharing_config.catalog.datasets if d.sharing_class == NOT_SHARED} & names
    monthly = [(d, c.name) for d in unconditional for c in d.columns if c.masking == "generalize_date_to_month"]
    assert monthly, "the demo config should generalize a date"
    for dataset, column in monthly:
        page = call(service, sharing_config.catalog.datasets[0].owner, f"/datasets/{dataset.name}",
                    limit=5000).json()
        assert page["rows"] and all(row[column] is None or row[column].endswith("-01") for row in page["rows"])
        dropped = [c.name for c in dataset.columns if c.masking == "drop"]
        assert not set(dropped) & set(page["columns"])


def test_csv_has_a_bom_and_opens_with_the_same_rows(service, sharing_config):
    grant = valid_grants(sharing_config)[0]
    response = call(service, grant.department, f"/datasets/{grant.dataset}", format="csv")
    assert response.content.startswith(UTF8_BOM)
    assert response.headers["content-type"].startswith("text/csv")
    table = pa_csv.read_csv(io.BytesIO(response.content[len(UTF8_BOM):]))
    total = call(service, grant.department, f"/datasets/{grant.dataset}", limit=1).json()["total_rows"]
    assert table.num_rows == total
    assert table.column_names[-1] == SNAPSHOT_COLUMN


def test_refusals(service, sharing_config):
    today = city_today()
    conditional = [d for d in sharing_config.catalog.datasets if d.sharing_class == CONDITIONAL]
    # another department's dataset: a conditional dataset the department holds no grant for
    dataset = conditional[0]
    holders = {g.department for g in sharing_config.catalog.grants if g.dataset == dataset.name}
    outsider = next(code for code in sharing_config.departments if code not in holders)
    response = call(service, outsider, f"/datasets/{dataset.name}")
    assert response.status_code == 403 and "no grant" in response.json()["detail"]
    # a dataset that is not shared at all
    for dataset in (d for d in sharing_config.catalog.datasets if d.sharing_class == NOT_SHARED):
        for department in sharing_config.departments:
            response = call(service, department, f"/datasets/{dataset.name}", format="csv")
            assert response.status_code == 403 and NOT_SHARED in response.json()["detail"]
    # an expired grant
    expired = [g for g in sharing_config.catalog.grants if g.expires < today]
    assert expired, "the demo config should hold an expired grant"
    for grant in expired:
        response = call(service, grant.department, f"/datasets/{grant.dataset}")
        assert response.status_code == 403 and "expired" in response.json()["detail"]
    # a column outside the grant
    grant = valid_grants(sharing_config)[0]
    hidden = next(c.name for c in sharing_config.catalog.dataset(grant.dataset).columns if c.name not in grant.columns)
    response = call(service, grant.department, f"/datasets/{grant.dataset}", columns=hidden)
    assert response.status_code == 403 and hidden in response.json()["detail"]


def test_wrong_or_missing_token_is_401(service, sharing_config):
    dataset = sharing_config.catalog.datasets[0].name
    assert call(service, None, f"/datasets/{dataset}").status_code == 401
    assert call(service, None, f"/datasets/{dataset}", token="DEMO-token-nobody").status_code == 401
    department = next(iter(sharing_config.departments))
    assert call(service, None, "/datasets", token=DEMO_TOKEN_PREFIX + department + "x").status_code == 401
    assert call(service, None, "/datasets", token="").status_code == 401


def test_injection_attempts_are_refused_not_run(service, sharing_config):
    department = next(iter(sharing_config.departments))
    for name in ["governance_scorecard; drop table x", "x\" or 1=1 --"]:
        assert call(service, department, f"/datasets/{name}").status_code == 404
    grant = valid_grants(sharing_config)[0]
    response = call(service, grant.department, f"/datasets/{grant.dataset}", columns="1 as x")
    assert response.status_code == 403


def test_every_answer_and_refusal_is_in_the_audit_log_and_the_chain_holds(service):
    entries = [e for e in audit.read_entries(_audit_path()) if e["kind"] == "request"]
    assert len(entries) >= len(BODIES) > 20
    assert {e["status"] for e in entries} >= {200, 401, 403, 404}
    assert all(e["time"] and e["outcome"] in ("allowed", "refused") for e in entries)
    assert audit.verify(_audit_path()).ok


def test_no_answer_holds_a_citizen_id_a_mobile_or_a_raw_name(service, published):
    names = raw_names(published["landing"])
    assert len(names) > 50, "the test build should have landed raw names to compare with"
    assert BODIES
    for body in BODIES:
        assert not leaks(body, names)


def test_the_service_serves_a_new_publication_without_restart(service, published):
    from pipelines.publish.publisher import publish
    from pipelines.warehouse import warehouse_connection

    before = requests.get(f"{service}/health", timeout=10).json()["snapshot_id"]
    with warehouse_connection() as build:
        manifest = publish(build, run_id="sharing-test", partitions="", checks={"passed": [], "warned": []})
    assert manifest["snapshot_id"] != before
    assert requests.get(f"{service}/health", timeout=10).json()["snapshot_id"] == manifest["snapshot_id"]
