"""A memory budget for the server: requests it cannot afford get 413 before any work, and it keeps serving."""

from __future__ import annotations

import resource

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from server_helpers import box_mask, encode, make_tiny_inpainter, photo, serve_process  # noqa: E402

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


def test_estimate_is_zero_for_an_empty_mask_and_full_size_where_resize_works_at_full_size():
    assert estimate_request_bytes(np.zeros((900, 1200), bool), InpaintOptions(strategy="full")) == 0
    hole = np.zeros((256, 256), bool)
    hole[:, 1::2] = True  # known columns vanish at 64 px: the pipeline falls back to full resolution
    resize, full = InpaintOptions(strategy="resize", resize_limit=64), InpaintOptions(strategy="full")
    assert estimate_request_bytes(hole, resize) == estimate_request_bytes(hole, full)
    box = np.zeros((256, 256), bool)
    box[100:140, 100:140] = True
    assert estimate_request_bytes(box, resize) < estimate_request_bytes(box, full)
    assert estimate_request_bytes(box, resize.replace(texture=True)) == estimate_request_bytes(box, full)  # texture: full size


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


@pytest.mark.slow
def test_server_under_ulimit_v_refuses_what_it_cannot_afford_and_is_never_killed(tmp_path):
    import httpx

    limit = 1_800 << 20  # address space: the server and torch need about 1 GB of it before any request

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with serve_process(tmp_path, preexec_fn=cap) as (base, process, _):
        image, mask = big_request(2400)
        refused = httpx.post(
            f"{base}/api/v1/inpaint",
            files={"image": ("a.png", image), "mask": ("m.png", mask)},
            data={"strategy": "full"},
            timeout=120,
        )
        assert refused.status_code in (413, 503) and "memory" in refused.json()["detail"], refused.text
        small = {"image": ("b.png", encode(photo(64, 48))), "mask": ("m.png", encode(box_mask(64, 48, (10, 10, 30, 30))))}
        for _ in range(3):
            assert httpx.post(f"{base}/api/v1/inpaint", files=small, timeout=120).status_code == 200
        assert process.poll() is None  # never killed
