"""Helpers shared by the server and web-UI tests: a tiny real model behind the Inpainter call signature,
a slow fake for queue tests, and synthetic images encoded in memory."""

from __future__ import annotations

import io
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from conftest import smooth_image
from PIL import Image


@contextmanager
def single_torch_thread() -> Iterator[None]:
    """Run torch on one intra-op thread (restored afterwards): on a busy shared CPU, OpenMP spin-waiting
    makes a tiny model ~50x slower with 2+ threads."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def make_tiny_inpainter():
    """``Inpainter(create_model("wavemix-tiny"), device="cpu")`` with fixed random weights."""
    import torch

    from wavemix_inpaint.inpainter import Inpainter
    from wavemix_inpaint.models import create_model

    torch.manual_seed(0)
    return Inpainter(create_model("wavemix-tiny").eval(), device="cpu")


class SlowInpainter:
    """Blocks until ``release`` is set; returns the input unchanged."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def run(self, image, mask, options):
        self.calls += 1
        self.started.set()
        self.release.wait(20)
        return image.copy(), []


def photo(width: int = 64, height: int = 48, seed: int = 0, mode: str = "RGB") -> Image.Image:
    """:func:`conftest.smooth_image` as a PIL image; ``mode="RGBA"`` adds a horizontal alpha ramp."""
    image = Image.fromarray(smooth_image(np.random.default_rng(seed), height, width), "RGB")
    if mode == "RGBA":
        alpha = Image.fromarray(np.tile(np.linspace(40, 255, width, dtype=np.uint8), (height, 1)), "L")
        image.putalpha(alpha)
    return image


def box_mask(width: int, height: int, box: tuple[int, int, int, int]) -> Image.Image:
    """White (hole) rectangle ``box = (left, top, right, bottom)`` on black."""
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, box)
    return mask


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@contextmanager
def serve_process(tmp_path, *extra_args: str, preexec_fn=None) -> Iterator[tuple[str, subprocess.Popen[str], list[str]]]:
    """Run ``wavemix-inpaint serve`` with a tiny checkpoint on a free loopback port until it answers
    ``/healthz``; yields ``(base_url, process, output_lines)`` and stops it afterwards (``output_lines``
    is filled with the server's output once it has stopped). ``preexec_fn`` runs in the child before
    the server starts (e.g. to set a resource limit)."""
    import os
    import socket
    import sys
    import time

    import httpx

    from wavemix_inpaint.checkpoint import save_checkpoint
    from wavemix_inpaint.models import create_model

    checkpoint = save_checkpoint(create_model("wavemix-tiny"), tmp_path / "tiny.safetensors")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "wavemix_inpaint.cli.main",
        "serve",
        "--checkpoint",
        str(checkpoint),
        "--device",
        "cpu",
        "--port",
        str(port),
        "--log-level",
        "warning",
        *extra_args,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        preexec_fn=preexec_fn,
    )
    base = f"http://127.0.0.1:{port}"
    output: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.2)
        yield base, process, output
    finally:
        process.terminate()
        try:
            text, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            text, _ = process.communicate()
        output.extend(text.splitlines())


@contextmanager
def uvicorn_server(app) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a thread; yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
