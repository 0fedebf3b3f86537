"""One client cannot flood the service with questions; others are not affected."""

from __future__ import annotations

from pathlib import Path

from web_client import AppClient, web_settings_for

from civicdesk.store import migrate
from civicdesk.web.app import create_app
from civicdesk.web.rate_limit import TokenBuckets


def test_token_buckets() -> None:
    buckets = TokenBuckets(per_minute=60, burst=2)
    assert buckets.take("a", 0.0) == 0
    assert buckets.take("a", 0.0) == 0
    assert buckets.take("a", 0.0) == 1.0  # one a second: wait a second
    assert buckets.take("b", 0.0) == 0  # another client has its own bucket
    assert buckets.take("a", 1.0) == 0  # refilled


def test_questions_over_the_limit_get_429_with_retry_after(tmp_path: Path) -> None:
    app = create_app(web_settings_for(tmp_path, rate_limit_per_minute=6, rate_limit_burst=2))
    migrate.upgrade(app.state.engine)
    client = AppClient(app)
    statuses = [client.post("/api/v1/inquiries", json={"text": ""}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    limited = client.post("/api/v1/inquiries", json={"text": "bins"})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "E429"
    assert int(limited.headers["retry-after"]) >= 1
    page = client.post("/cy/ask", data={"text": "biniau"})
    assert page.status_code == 429 and '<html lang="cy"' in page.text
    assert "Rydych wedi anfon gormod o gwestiynau" in page.text
    assert client.get("/").status_code == 200  # pages are never limited
    app.state.engine.dispose()
