"""Sync API: review submissions with 20 concurrent clients, on SQLite and PostgreSQL, 1 and 2
workers. Each figure is a time against the floor measured on the same server in the same run:
`GET /healthz` (routing, one database round trip, JSON) under the same 20-client load.

    S1-<db>-w<N>-rate   wall time per stored review   / per healthz      (reviews/s in `what`)
    S1-<db>-w<N>-p50    median PUT latency            / median healthz latency
    S1-<db>-w<N>-p95    95th percentile PUT latency   / 95th percentile healthz latency

Runs standalone (`python -m benchmarks.sync_bench`) or from `python -m benchmarks sync_bench`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

from benchmarks.common import Figure, figure, print_table, write_results
from tests.sync_server import (
    postgres_database,
    project_with_reviewer,
    sample_review,
    sqlite_url,
    start_sync_server,
)

CLIENTS = 20
REVIEWS = 1000
HEALTH_CHECKS = 600
BOUND = 8.0  # a review (auth, membership, config check, insert, revision query) vs one SELECT 1


async def _load(base_url: str, requests: list[tuple[str, str, bytes | None]], token: str):
    """Send `requests` from CLIENTS concurrent clients; returns (wall s, latencies s)."""
    queue: asyncio.Queue = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:
            while not queue.empty():
                method, path, body = queue.get_nowait()
                start = time.perf_counter()
                response = await http.request(method, path, content=body)
                latencies.append(time.perf_counter() - start)
                if response.status_code not in (200, 201):
                    raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return time.perf_counter() - start, latencies


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def measure(database_url: str, workers: int, label: str) -> list[Figure]:
    with start_sync_server(database_url, workers=workers) as server:
        owner, reviewer, project = project_with_reviewer(server, case_count=REVIEWS)
        token = reviewer.client.token or ""
        puts = []
        for case in range(REVIEWS):
            review = sample_review(project.id, case, comment="looks fine")
            puts.append(("PUT", f"/reviews/{review.uuid}", msgspec.json.encode(review)))
        health = [("GET", "/healthz", None)] * HEALTH_CHECKS
        asyncio.run(_load(server.base_url, health[:100], token))  # warm up every worker
        floor_wall, floor_lat = asyncio.run(_load(server.base_url, health, token))
        wall, lat = asyncio.run(_load(server.base_url, puts, token))
        stored = owner.client.progress(project.id)[0].done
        if stored != REVIEWS:
            raise RuntimeError(f"{label}: {stored} of {REVIEWS} reviews stored")
    rate = REVIEWS / wall
    tag = f"S1-{label}"
    what = f"sync {label}: ms per review, 20 clients ({rate:.0f} reviews/s)"
    return [
        figure(
            f"{tag}-rate",
            what,
            wall / REVIEWS * 1000,
            floor_wall / HEALTH_CHECKS * 1000,
            BOUND,
            "ms",
        ),
        figure(
            f"{tag}-p50",
            f"sync {label}: PUT review p50 latency",
            statistics.median(lat) * 1000,
            statistics.median(floor_lat) * 1000,
            BOUND,
            "ms",
        ),
        figure(
            f"{tag}-p95",
            f"sync {label}: PUT review p95 latency",
            _p95(lat) * 1000,
            _p95(floor_lat) * 1000,
            BOUND,
            "ms",
        ),
    ]


def run() -> list[Figure]:
    figures: list[Figure] = []
    for workers in (1, 2):
        with tempfile.TemporaryDirectory(prefix="naesview-sync-bench-") as folder:
            figures += measure(sqlite_url(Path(folder)), workers, f"sqlite-w{workers}")
        with postgres_database() as url:
            figures += measure(url, workers, f"postgresql-w{workers}")
    return figures


if __name__ == "__main__":
    results = run()
    print_table(results)
    write_results(results)
    sys.exit(0 if all(f.ok for f in results) else 1)
