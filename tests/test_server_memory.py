"""A memory budget for the server: requests it cannot afford get 413 before any work, and it keeps serving."""

from __future__ import annotations

import resource
import time

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from server_helpers import SlowInpainter, box_mask, encode, make_tiny_inpainter, photo, serve_process, uvicorn_server  # noqa: E402

from wavemix_inpaint.imageio import read_image  # noqa: E402
from wavemix_inpaint.inference import InpaintOptions
from wavemix_inpaint.server.memory import (  # noqa: E402
    QUEUE_SHARE,
    WINDOW_BYTES_PER_PIXEL,
    QueuedInputs,
    decoded_inputs_bound,
    default_budget_bytes,
    estimate_request_bytes,
    input_bytes,
)


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


def test_estimate_counts_the_edge_pass_one_level_finer_within_its_budget():
    hole = np.zeros((200, 200), bool)
    hole[90:100, 20:180] = True  # a stroke: the edge pass sees it 3x finer, plus 48 px of that level around it
    finer, off = estimate_request_bytes(hole, InpaintOptions()), estimate_request_bytes(hole, InpaintOptions(edge_scale=1))
    assert finer - off == WINDOW_BYTES_PER_PIXEL * (9 * (10 + 32) * (160 + 32) - 200 * 200)
    large = np.zeros((3000, 4000), bool)
    large[1000:1400, 1000:1400] = True  # a 656 x 656 window: even 2x its pixels is over the pass's budget
    assert estimate_request_bytes(large, InpaintOptions()) == estimate_request_bytes(large, InpaintOptions(edge_scale=1))


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


def test_queued_inputs_are_held_within_their_share():
    queued = QueuedInputs(100)
    assert queued.hold(150)  # the first waiting request always gets in, whatever its size
    assert not queued.hold(1)
    queued.free(150)
    assert queued.hold(60) and queued.hold(40) and not queued.hold(1) and queued.held == 100


def test_no_queue_share_without_a_queue_and_a_request_that_runs_at_once_is_not_counted():
    from fastapi.testclient import TestClient

    from wavemix_inpaint.server import create_app

    app = create_app(make_tiny_inpainter(), max_queue=0, max_memory_bytes=100 << 20)
    assert app.state.queued_inputs.limit == 0  # nothing can wait: the inferences get the whole budget
    app = create_app(make_tiny_inpainter(), max_memory_bytes=100 << 20)
    with TestClient(app) as client:
        image, mask = encode(photo(64, 48)), encode(box_mask(64, 48, (10, 10, 30, 30)))
        assert client.post("/api/v1/inpaint", files={"image": ("a.png", image), "mask": ("m.png", mask)}).status_code == 200
        app.state.queued_inputs.held = app.state.queued_inputs.limit  # a full queue share ...
        served = client.post("/api/v1/inpaint", files={"image": ("a.png", image), "mask": ("m.png", mask)})
        assert served.status_code == 200  # ... does not refuse a request that finds a free worker


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "I;16", "P", "CMYK"])
def test_the_bound_counted_before_decoding_covers_what_the_decoded_inputs_hold(mode):
    rng = np.random.default_rng(0)
    rgba = Image.fromarray(rng.integers(0, 256, (40, 60, 4), dtype=np.uint8))
    source = Image.fromarray(rng.integers(0, 65536, (40, 60), dtype=np.uint16)) if mode == "I;16" else rgba.convert(mode)
    data = encode(source, "TIFF" if mode == "CMYK" else "PNG")
    mask = encode(box_mask(60, 40, (10, 10, 20, 20)))
    hole = np.zeros((40, 60), np.float32)
    held = input_bytes(read_image(data), hole, len(data))
    assert held <= decoded_inputs_bound(60 * 40, len(data) + len(mask)) <= 3 * held + len(mask)  # not absurdly loose either


def test_a_request_that_must_wait_is_refused_before_its_image_is_decoded(monkeypatch):
    """A burst of uploads while every worker is busy: counted from the file header, so the one that would
    overfill the queue's share is refused before it is decoded, not after."""
    import threading

    import httpx

    import wavemix_inpaint.server.app as server_app
    from wavemix_inpaint.server import create_app

    decoded = []
    monkeypatch.setattr(server_app, "read_image", lambda upload, **kw: decoded.append(upload.name) or read_image(upload, **kw))
    slow = SlowInpainter()
    app = create_app(slow, max_concurrency=1, max_queue=4, max_memory_bytes=200 << 20, request_timeout_s=60)
    small = {"image": ("s.png", encode(photo(64, 48))), "mask": ("m.png", encode(box_mask(64, 48, (10, 10, 20, 20))))}
    big = {"image": ("b.png", encode(photo(1000, 800))), "mask": ("m.png", encode(box_mask(1000, 800, (0, 0, 9, 9))))}
    with uvicorn_server(app) as url:
        results = {}
        running = threading.Thread(target=lambda: results.update(a=httpx.post(f"{url}api/v1/inpaint", files=small, timeout=60)))
        running.start()
        assert slow.started.wait(10)
        app.state.queued_inputs.held = app.state.queued_inputs.limit  # the queue's share is full
        refused = httpx.post(f"{url}api/v1/inpaint", files=big, timeout=60)
        assert refused.status_code == 503 and "waiting in the queue" in refused.json()["detail"]
        assert decoded == ["'s.png'"]  # the running request's image only
        app.state.queued_inputs.held = 0
        slow.release.set()
        running.join(30)
        assert results["a"].status_code == 200 and app.state.queued_inputs.held == 0


def test_a_burst_at_an_idle_server_counts_all_but_one_upload_before_decoding(monkeypatch):
    """With one worker free, the first request decodes within that worker's share; a second arriving while
    the first still decodes may have to wait, so its upload is counted (from its header) while it decodes."""
    import threading

    import httpx

    import wavemix_inpaint.server.app as server_app
    from wavemix_inpaint.server import create_app

    first_decoding, finish_first, held_while_decoding = threading.Event(), threading.Event(), {}

    def observed_decode(upload, **options):  # noqa: ANN001, ANN202
        held_while_decoding[upload.name] = app.state.queued_inputs.held
        if upload.name == "'first.png'":
            first_decoding.set()
            assert finish_first.wait(30)
        return read_image(upload, **options)

    monkeypatch.setattr(server_app, "read_image", observed_decode)
    app = create_app(make_tiny_inpainter(), max_concurrency=1, max_queue=4, max_memory_bytes=400 << 20, request_timeout_s=60)
    mask = encode(box_mask(200, 100, (10, 10, 20, 20)))
    with uvicorn_server(app) as url:
        results = {}

        def post(name: str) -> None:
            files = {"image": (name, encode(photo(200, 100))), "mask": ("m.png", mask)}
            results[name] = httpx.post(f"{url}api/v1/inpaint", files=files, timeout=60)

        first = threading.Thread(target=post, args=("first.png",))
        first.start()
        assert first_decoding.wait(10)
        second = threading.Thread(target=post, args=("second.png",))
        second.start()
        second.join(30)  # it decodes, takes the free worker and is served while the first still decodes
        finish_first.set()
        first.join(30)
    assert held_while_decoding["'first.png'"] == 0  # within the free worker's share
    assert held_while_decoding["'second.png'"] >= 24 * 200 * 100  # counted at the bound before it decoded
    assert results["first.png"].status_code == 200 and results["second.png"].status_code == 200
    assert app.state.queued_inputs.held == 0


def test_waiting_requests_count_their_decoded_images_and_the_one_that_overfills_the_queue_gets_503():
    """Each waiting request holds its decoded image: without a share for them, a full queue of large
    photos could hold far more than --max-memory."""
    import threading

    import httpx

    from wavemix_inpaint.server import create_app

    width, height = 1000, 800
    image = encode(photo(width, height))
    mask = encode(box_mask(width, height, (500, 400, 510, 410)))
    options = InpaintOptions(crop_margin=8)
    hole = np.zeros((height, width), np.float32)  # as the server holds it
    hole[400:410, 500:510] = 1
    need = estimate_request_bytes(hole > 0.5, options)
    budget = int(need / (1 - QUEUE_SHARE)) + (1 << 16)  # just enough to run one such request
    held = input_bytes(read_image(image), hole, len(image))
    assert 2 * held > QUEUE_SHARE * budget  # so a second waiting photo overfills the queue's share
    slow = SlowInpainter()
    app = create_app(slow, options=options, max_concurrency=1, max_queue=4, max_memory_bytes=budget, request_timeout_s=60)
    small = {"image": ("s.png", encode(photo(64, 48))), "mask": ("m.png", encode(box_mask(64, 48, (10, 10, 20, 20))))}
    big = {"image": ("b.png", image), "mask": ("m.png", mask)}
    with uvicorn_server(app) as url:
        results = {}
        running = threading.Thread(target=lambda: results.update(a=httpx.post(f"{url}api/v1/inpaint", files=small, timeout=60)))
        running.start()
        assert slow.started.wait(10)
        waiting = threading.Thread(target=lambda: results.update(b=httpx.post(f"{url}api/v1/inpaint", files=big, timeout=60)))
        waiting.start()
        deadline = time.monotonic() + 20
        while app.state.queued_inputs.held != held and time.monotonic() < deadline:  # the bound, then the exact size
            time.sleep(0.02)
        assert app.state.queued_inputs.held == held
        assert httpx.get(f"{url}healthz").json()["queued_input_mib"] == round(held / 2**20, 1)
        refused = httpx.post(f"{url}api/v1/inpaint", files=big, timeout=60)
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert "waiting in the queue" in refused.json()["detail"]
        slow.release.set()
        running.join(30)
        waiting.join(30)
        assert results["a"].status_code == 200 and results["b"].status_code == 200
        assert app.state.queued_inputs.held == 0


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
