"""`civicdesk serve --workers 2`: workers forked from one loaded parent answer and store.

Runs the real command in a subprocess on a free loopback port, so the fork, the per-worker
database connections and a clean shutdown are all exercised.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from civicdesk.knowledge import sample_council_path

CIVICDESK = Path(sys.executable).parent / "civicdesk"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "CIVICDESK_DATA_DIR": str(tmp_path / "data"),
        "CIVICDESK_CONFIG": str(tmp_path / "none.toml"),
        "CIVICDESK_RATE_LIMIT_PER_MINUTE": "0",
        "CIVICDESK_LOG_LEVEL": "WARNING",
    }
    subprocess.run([CIVICDESK, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [CIVICDESK, "ingest", str(sample_council_path())], env=env, check=True, capture_output=True
    )
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [CIVICDESK, "serve", "--workers", "2", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        server.kill()
        raise AssertionError(
            f"server did not start: {server.stderr.read() if server.stderr else ''}"
        )
    try:
        yield url, tmp_path / "data" / "civicdesk.db", server
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)


def worker_pids(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


@pytest.mark.slow
def test_forked_workers_answer_store_and_stop_cleanly(
    served: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    url, database, server = served
    deadline = time.monotonic() + 30  # gunicorn forks its workers one after the other
    while len(worker_pids(server.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(worker_pids(server.pid)) == 2
    references = []
    with httpx.Client(timeout=30) as client:
        for number in range(12):
            reply = client.post(
                f"{url}/api/v1/inquiries",
                json={"text": f"When is my bin collected? ({number})"},
                headers={"Connection": "close"},  # a new connection may reach either worker
            )
            assert reply.status_code == 200, reply.text
            assert reply.json()["outcome"] == "answered"
            references.append(reply.json()["reference"])
    with sqlite3.connect(database) as db:
        stored = {
            row[0]: row[1]
            for row in db.execute("SELECT reference, status FROM inquiries").fetchall()
        }
    assert {stored[reference] for reference in references} == {"completed"}

    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0
