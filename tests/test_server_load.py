"""The server under load: 200 requests from 8 concurrent clients on loopback against a real uvicorn process."""

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from server_helpers import box_mask, decode, encode, photo, serve_process

REQUESTS, CLIENTS = 200, 8
RSS_GROWTH_BOUND_MB = 64  # after warm-up; a leak of one 64x48 image per request would exceed it quickly


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.mark.slow
def test_200_requests_from_8_clients(tmp_path):
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("uvicorn")
    image, mask = photo(64, 48), box_mask(64, 48, (10, 8, 40, 30))
    files = {"image": ("p.png", encode(image), "image/png"), "mask": ("m.png", encode(mask), "image/png")}
    limits = ("--max-concurrency", "2", "--max-queue", "16", "--timeout", "60")
    with serve_process(tmp_path, *limits) as (base, process, _):

        def send(_: int) -> tuple[int, bytes]:
            with httpx.Client(timeout=60) as client:
                response = client.post(f"{base}/api/v1/inpaint", files=files)
                return response.status_code, response.content

        with ThreadPoolExecutor(CLIENTS) as pool:  # warm-up: allocator pools, model caches
            list(pool.map(send, range(2 * CLIENTS)))
        baseline = _rss_mb(process.pid)
        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(send, range(REQUESTS)))
        elapsed = time.monotonic() - started
        growth = _rss_mb(process.pid) - baseline
        statuses = [status for status, _ in results]
        assert statuses == [200] * REQUESTS, {s: statuses.count(s) for s in set(statuses)}
        known = np.asarray(mask) == 0
        for _, body in results[:: REQUESTS // 10]:
            assert np.array_equal(np.asarray(decode(body))[known], np.asarray(image)[known])
        assert growth < RSS_GROWTH_BOUND_MB, f"server RSS grew by {growth:.1f} MB over {REQUESTS} requests"
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        print(f"{REQUESTS} requests from {CLIENTS} clients in {elapsed:.1f}s, RSS growth {growth:.1f} MB")
