"""Concurrency of the web app: a bounded queue in front of a fixed pool of inference threads."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# --------------------------------------------------------------------------------------------------
# Concurrency: bounded queue in front of a fixed pool of inference threads
# --------------------------------------------------------------------------------------------------


class InferenceQueue:
    """``concurrency`` worker threads plus at most ``max_queue`` waiting requests.

    A slot stays taken until its thread really finishes, even when the request that started it
    timed out (Python threads cannot be cancelled), so the pool is never oversubscribed.
    """

    def __init__(self, concurrency: int, max_queue: int) -> None:
        self.concurrency = concurrency
        self.max_queue = max_queue
        self.running = 0
        self.waiting = 0
        self._semaphore: asyncio.Semaphore | None = None
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix="wavemix-inpaint")
        self._mean_seconds = 2.0
        self._completed = 0

    @property
    def semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        return self._semaphore

    def full(self) -> bool:
        return self.running + self.waiting >= self.concurrency + self.max_queue

    @property
    def queued(self) -> int:
        """Requests that wait for a slot: ``waiting`` less the ones a free slot is about to take (a request
        that is still reading its upload counts as waiting), so it never exceeds ``max_queue``."""
        return max(0, self.waiting - max(0, self.concurrency - self.running))

    def retry_after(self) -> int:
        """Rough seconds until a slot frees: mean inference time x queue length / workers."""
        estimate = self._mean_seconds * (self.waiting + 1) / self.concurrency
        return int(min(300, max(1, math.ceil(estimate))))

    def record(self, seconds: float) -> None:
        self._completed += 1
        weight = 1.0 if self._completed == 1 else 0.2
        self._mean_seconds = (1 - weight) * self._mean_seconds + weight * seconds

    async def acquire(self, timeout: float | None) -> None:
        """Wait for a worker slot (the caller has already counted itself in ``waiting``)."""
        try:
            await asyncio.wait_for(self.semaphore.acquire(), timeout)
        finally:
            self.waiting -= 1
        self.running += 1

    def release(self) -> None:
        """Give back a slot taken by :meth:`acquire` without running anything (the client went away)."""
        self.running -= 1
        self.semaphore.release()

    def run(self, func: Callable[[], Any]) -> asyncio.Future:
        """Run ``func`` in a worker thread; the slot (taken by :meth:`acquire`) is released when it ends."""
        future = asyncio.get_running_loop().run_in_executor(self._executor, func)

        def release(done: asyncio.Future) -> None:
            self.release()
            if not done.cancelled():
                done.exception()  # mark retrieved: an abandoned (timed-out) failure is not "never retrieved"

        future.add_done_callback(release)
        return future

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
