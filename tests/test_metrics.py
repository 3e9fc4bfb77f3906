"""GET /metrics: Prometheus metrics for holders of LOA_METRICS_TOKEN, nothing for anyone else."""
import os
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.core.config import get_settings
from tests.activities_helpers import broadcast, commune_pair
from tests.factories import make_activity, make_user, token

METRICS_TOKEN = "metrics-secret-for-tests"
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def metrics_token(monkeypatch):
    monkeypatch.setattr(get_settings(), "metrics_token", METRICS_TOKEN)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(client, name: str, **labels) -> float:
    response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200
    return samples(response.text).get((name, tuple(sorted(labels.items()))), 0.0)


def test_it_answers_404_when_no_token_is_configured(client):
    assert get_settings().metrics_token == ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


def test_it_answers_401_without_the_right_token(client, metrics_token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_requests_are_counted_and_timed_by_route_template(client, metrics_token):
    client.get("/api/v1/units/999")  # 401: no token
    for unit_id in (1, 2, 3):
        client.get(f"/api/v1/units/{unit_id}", headers={"Authorization": "Bearer nobody"})
    response = client.get("/metrics", headers=SCRAPER)
    found = samples(response.text)
    assert response.headers["content-type"].startswith("text/plain")
    counted = found[("loa_http_requests_total", (("method", "GET"), ("route", "/api/v1/units/{unit_id}"),
                                                 ("status", "401")))]
    assert counted >= 4
    assert not any("/api/v1/units/1" in str(key) for key in found)
    assert found[("loa_http_request_duration_seconds_count", (("method", "GET"),
                                                             ("route", "/api/v1/units/{unit_id}")))] >= 4
    assert ("loa_db_pool_connections_in_use", ()) in found
    assert ("loa_db_pool_connections_open", ()) in found


def test_activities_reviews_and_the_pending_queue_are_counted(client, session, metrics_token):
    _, current = commune_pair(session)
    reporter = make_user(session, "reporter", current.id, username="dem_so")
    reviewer = make_user(session, "reviewer", current.parent_id, username="duyet_so")
    logged = value(client, "loa_activities_logged_total")
    approved = value(client, "loa_reviews_total", decision="approve")

    client.post("/api/v1/activities", json=broadcast(current.id), headers=token(client, reporter))
    waiting = [make_activity(session, current.id, user=reporter, status="submitted") for _ in range(3)]
    assert value(client, "loa_activities_logged_total") == logged + 1
    assert value(client, "loa_pending_submissions") == 3

    client.post(f"/api/v1/activities/{waiting[0].id}/approve", headers=token(client, reviewer))
    assert value(client, "loa_reviews_total", decision="approve") == approved + 1
    assert value(client, "loa_pending_submissions") == 2


def test_export_durations_are_observed(client, session, metrics_token):
    _, current = commune_pair(session)
    reviewer = make_user(session, "reviewer", current.parent_id, username="xuat_file")
    before = value(client, "loa_export_duration_seconds_count", format="csv")
    response = client.get("/api/v1/reports/activities.csv", headers=token(client, reviewer))
    assert response.status_code == 200
    assert value(client, "loa_export_duration_seconds_count", format="csv") == before + 1


def test_several_worker_processes_add_up_in_multiprocess_mode(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = "from app.core import metrics; metrics.ACTIVITIES_LOGGED.inc(%d)"
    for n in (2, 5):
        subprocess.run([sys.executable, "-c", count % n], env=env, check=True, timeout=60)
    scrape = "import sys; from app.core import metrics; sys.stdout.write(metrics.exposition().decode())"
    text = subprocess.run([sys.executable, "-c", scrape], env=env, check=True, timeout=60, capture_output=True,
                          text=True).stdout
    assert samples(text)[("loa_activities_logged_total", ())] == 7
