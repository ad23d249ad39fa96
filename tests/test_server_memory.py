"""A memory budget for the server: requests it cannot afford get 413 before any work, and it keeps serving."""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from server_helpers import box_mask, encode, make_tiny_inpainter, photo  # noqa: E402

from wavemix_inpaint.inference import InpaintOptions  # noqa: E402
from wavemix_inpaint.server.memory import WINDOW_BYTES_PER_PIXEL, default_budget_bytes, estimate_request_bytes  # noqa: E402


def big_request(side: int) -> tuple[bytes, bytes]:
    image = Image.fromarray(np.tile(np.linspace(0, 255, side, dtype=np.uint8), (side, 1)))
    return encode(image.convert("RGB")), encode(box_mask(side, side, (side // 4, side // 4, side // 2, side // 2)))


def test_estimate_counts_the_largest_window_the_pipeline_processes():
    hole = np.zeros((3000, 4000), bool)
    hole[1000:1400, 1000:1400] = True
    full = estimate_request_bytes(hole, InpaintOptions(strategy="full"))
    crop = estimate_request_bytes(hole, InpaintOptions())  # one 656x656 window
    assert full > 8 * crop
    assert crop >= WINDOW_BYTES_PER_PIXEL * 656 * 656
    assert default_budget_bytes() >= 64 << 20


def test_a_request_over_the_budget_is_413_and_the_next_one_is_served():
    from fastapi.testclient import TestClient

    from wavemix_inpaint.server import create_app

    with TestClient(create_app(make_tiny_inpainter(), max_memory_bytes=100 << 20)) as client:
        image, mask = big_request(1200)
        refused = client.post(
            "/api/v1/inpaint", files={"image": ("a.png", image), "mask": ("m.png", mask)}, data={"strategy": "full"}
        )
        assert refused.status_code == 413 and refused.json()["error"] == "too_much_memory"
        assert "MiB" in refused.json()["detail"] and "--max-memory" in refused.json()["detail"]
        small = photo(64, 48)
        served = client.post(
            "/api/v1/inpaint",
            files={"image": ("b.png", encode(small)), "mask": ("m.png", encode(box_mask(64, 48, (10, 10, 30, 30))))},
        )
        assert served.status_code == 200


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(port: int, image: bytes, mask: bytes, strategy: str = "crop") -> tuple[int, dict | None]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, filename, data in (("image", "a.png", image), ("mask", "m.png", mask)):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="strategy"\r\n\r\n{strategy}\r\n--{boundary}--\r\n'.encode()
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/inpaint",
        data=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
def test_server_under_ulimit_v_refuses_what_it_cannot_afford_and_is_never_killed(tmp_path):
    import torch

    from wavemix_inpaint.checkpoint import save_checkpoint
    from wavemix_inpaint.models import create_model

    torch.manual_seed(0)
    checkpoint = save_checkpoint(create_model("wavemix-tiny"), tmp_path / "tiny.safetensors")
    port = _free_port()
    limit = 1_800 << 20  # address space: the server and torch need about 1 GB of it before any request

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env_command = [
        sys.executable,
        "-m",
        "wavemix_inpaint.cli.main",
        "serve",
        "--checkpoint",
        str(checkpoint),
        "--port",
        str(port),
        "--device",
        "cpu",
    ]
    server = subprocess.Popen(
        env_command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=cap, env={"OMP_NUM_THREADS": "1", "PATH": ""}
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
        image, mask = big_request(2400)
        status, body = _post(port, image, mask, strategy="full")
        assert status in (413, 503) and "memory" in body["detail"], body
        small_image, small_mask = encode(photo(64, 48)), encode(box_mask(64, 48, (10, 10, 30, 30)))
        for _ in range(3):
            status, body = _post(port, small_image, small_mask)
            assert status == 200, body
        assert server.poll() is None  # never killed
    finally:
        server.terminate()
        server.wait(30)
