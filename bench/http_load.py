"""Answers through HTTP under a steady load, against a bare FastAPI endpoint in the same run.

    .venv/bin/python bench/http_load.py [--rate 100] [--seconds 60] [--workers 2] [--unshared]

Starts `civicdesk serve` on a free loopback port with the GOV.UK pages ingested into a
temporary folder, sends POST /api/v1/inquiries at a fixed rate (questions from
questions-train.jsonl, in turn) for the given time, then checks that every inquiry was
stored. Then does the same against a bare FastAPI endpoint and prints both side by side,
with the server's memory: PSS, which counts a page shared by the forked workers once, split
between them (the memory the server really takes), and the sum of RSS, which counts it in every
process. `--unshared` adds a row for civicdesk under `uvicorn --workers`, where each worker
loads its own copy of everything (how `civicdesk serve` worked before ADR 0043). Traffic goes
only to 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from civicdesk.assistant.evaluation import percentile

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "govuk"
BIN = Path(sys.executable).parent


@dataclass
class Run:
    name: str
    sent: int
    ok: int
    errors: int
    latencies: list[float]
    seconds: float
    rss_mb: float
    pss_mb: float

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """(sum of RSS, sum of PSS) of a process and its children, from /proc/PID/smaps_rollup."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    totals = {"Rss:": 0, "Pss:": 0}
    for each in pids:
        rollup = Path(f"/proc/{each}/smaps_rollup")
        if rollup.exists():
            for line in rollup.read_text().splitlines():
                name, _, rest = line.partition(" ")
                if name in totals:
                    totals[name] += int(rest.split()[0])
    return totals["Rss:"] / 1024, totals["Pss:"] / 1024


async def load(
    url: str, questions: list[str], rate: float, seconds: float, connections: int = 64
) -> tuple[int, int, int, list[float], float]:
    """Send POSTs at a fixed rate over keep-alive connections; a small raw HTTP/1.1 client,
    because a general-purpose async client costs more CPU than the server under test."""
    host, port_path = url.removeprefix("http://").split(":", 1)
    port, path = port_path.split("/", 1)
    bodies = [json.dumps({"text": q}).encode() for q in questions]
    total = int(rate * seconds)
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    next_request = 0
    start = time.perf_counter()

    async def connection() -> None:
        nonlocal next_request
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while next_request < total:
                number = next_request
                next_request += 1
                delay = start + number / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                body = bodies[number % len(bodies)]
                sent_at = time.perf_counter()
                writer.write(
                    f"POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                status_line = await reader.readline()
                length = 0
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                if status_line.split()[1:2] == [b"200"]:
                    counts["ok"] += 1
                    latencies.append((time.perf_counter() - sent_at) * 1000)
                else:
                    counts["errors"] += 1
        except (OSError, asyncio.IncompleteReadError, IndexError):
            counts["errors"] += 1
        finally:
            writer.close()

    await asyncio.wait_for(
        asyncio.gather(*(connection() for _ in range(connections))), timeout=seconds + 120
    )
    elapsed = time.perf_counter() - start
    return total, counts["ok"], counts["errors"], latencies, elapsed


def measure(
    name: str,
    command: list[str],
    ready_path: str,
    env: dict[str, str],
    questions: list[str],
    args: argparse.Namespace,
) -> Run:
    """Start a server on a free port, warm every worker, load it, and stop it."""
    port = free_port()
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}{ready_path}")
        url = f"http://127.0.0.1:{port}/api/v1/inquiries"
        asyncio.run(load(url, questions[:10], 10, 2))  # warm every worker
        sent, ok, errors, latencies, elapsed = asyncio.run(
            load(url, questions, args.rate, args.seconds)
        )
        rss, pss = tree_memory_mb(server.pid)
        return Run(name, sent, ok, errors, latencies, elapsed, rss, pss)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--unshared", action="store_true", help="also run civicdesk under uvicorn --workers"
    )
    args = parser.parse_args()
    if not (DATA / "pages.json").exists():
        print(f"../shared/data is absent ({DATA}): nothing to measure.")
        return 0
    rows = [json.loads(line) for line in (DATA / "questions-train.jsonl").open()]
    questions = [f"{r['scenario']} {r['question']}".strip() for r in rows]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "CIVICDESK_DATA_DIR": folder,
            "CIVICDESK_CONFIG": str(Path(folder) / "none.toml"),
            "CIVICDESK_LOG_LEVEL": "WARNING",
            "CIVICDESK_RATE_LIMIT_PER_MINUTE": "0",  # one load generator, one address
        }
        subprocess.run(
            [BIN / "civicdesk", "db", "upgrade"], env=env, check=True, capture_output=True
        )
        subprocess.run(
            [BIN / "civicdesk", "ingest", str(DATA / "pages.json")],
            env=env,
            check=True,
            capture_output=True,
        )
        runs.append(
            measure(
                "civicdesk",
                [str(BIN / "civicdesk"), "serve", "--workers", str(args.workers)],
                "/healthz",
                env,
                questions,
                args,
            )
        )
        if args.unshared:
            unshared = [str(BIN / "uvicorn"), "civicdesk.web.app:create_app", "--factory"]
            unshared += ["--workers", str(args.workers), "--log-level", "warning"]
            runs.append(measure("civicdesk, unshared", unshared, "/healthz", env, questions, args))
        with sqlite3.connect(Path(folder) / "civicdesk.db") as db:
            stored = db.execute("SELECT count(*) FROM inquiries WHERE channel = 'api'").fetchone()[
                0
            ]
            unfinished = db.execute(
                "SELECT count(*) FROM inquiries WHERE status != 'completed'"
            ).fetchone()[0]
        bare_app = [str(BIN / "uvicorn"), "bare_app:app", "--workers", str(args.workers)]
        bare_app += ["--log-level", "warning", "--app-dir", str(ROOT / "bench")]
        runs.append(measure("bare FastAPI", bare_app, "/docs", env, questions, args))

    print(
        f"\n{args.rate:.0f} requests/s for {args.seconds:.0f} s, {args.workers} workers, loopback\n"
    )
    print(
        "| server | sent | 200 OK | errors | answered/s | p50 ms | p95 ms | p99 ms "
        "| PSS MB | sum of RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run.name} | {run.sent} | {run.ok} | {run.errors} | {run.ok / run.seconds:.1f} | "
            f"{statistics.median(run.latencies or [0]):.1f} | {run.p(0.95):.1f} | "
            f"{run.p(0.99):.1f} | {run.pss_mb:.0f} | {run.rss_mb:.0f} |"
        )
    bare = runs[-1]
    if bare.latencies:
        for run in runs[:-1]:
            ratio = run.p(0.95) / max(bare.p(0.95), 0.001)
            print(f"\np95 ratio {run.name} / bare FastAPI: {ratio:.1f}x")
    sent = sum(run.sent + 20 for run in runs[:-1])
    print(f"inquiries stored: {stored} (sent {sent}, with 20 a run to warm up); ", end="")
    print(f"not completed: {unfinished}")
    print(
        "targets: >= 100 answered/s, p95 < 200 ms, no errors, every inquiry stored, "
        "server memory (PSS) < 400 MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
