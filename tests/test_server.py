"""REST API and static routes of ``wavemix_inpaint.server`` (FastAPI TestClient, tiny model, CPU)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
import time
import warnings

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi", reason="the server tests need: pip install 'wavemix-inpaint[serve]' httpx")
pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
pytest.importorskip("multipart", reason="form uploads need python-multipart")

with warnings.catch_warnings():  # starlette >= 1.x deprecates httpx in favour of httpx2
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    from fastapi.testclient import TestClient  # noqa: E402
from server_helpers import (  # noqa: E402
    SlowInpainter,
    box_mask,
    decode,
    encode,
    make_tiny_inpainter,
    photo,
    single_torch_thread,
    uvicorn_server,
)

from wavemix_inpaint.server import create_app  # noqa: E402

WIDTH, HEIGHT = 64, 48
BOX = (20, 12, 44, 30)
URL = "/api/v1/inpaint"


@pytest.fixture(scope="module")
def inpainter():
    with single_torch_thread():
        yield make_tiny_inpainter()


@pytest.fixture(scope="module")
def client(inpainter):
    with TestClient(create_app(inpainter)) as test_client:
        yield test_client


def files(image_bytes: bytes, mask_bytes: bytes, image_name: str = "photo.png") -> dict:
    return {
        "image": (image_name, image_bytes, "application/octet-stream"),
        "mask": ("mask.png", mask_bytes, "image/png"),
    }


def png_request(width: int = WIDTH, height: int = HEIGHT, box=BOX) -> tuple[np.ndarray, np.ndarray, dict]:
    image = photo(width, height)
    mask = box_mask(width, height, box)
    return np.asarray(image), np.asarray(mask) > 0, files(encode(image), encode(mask))


def assert_changed_only_inside(before: np.ndarray, after: np.ndarray, hole: np.ndarray) -> None:
    assert after.shape == before.shape
    changed = np.any(before != after, axis=-1) if before.ndim == 3 else before != after
    assert not np.any(changed & ~hole), "pixels outside the mask changed"
    assert np.any(changed & hole), "nothing changed inside the mask"


# ------------------------------------------------------------------------------------------------ inpaint


def test_inpaint_returns_png_changed_only_inside_mask(client):
    original, hole, upload = png_request()
    response = client.post(URL, files=upload)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert float(response.headers["x-elapsed-ms"]) >= 0
    result = decode(response.content)
    assert result.size == (WIDTH, HEIGHT) and result.mode == "RGB"
    assert_changed_only_inside(original, np.asarray(result), hole)


def test_inpaint_json_base64_when_accept_json(client):
    _, _, upload = png_request()
    raw = client.post(URL, files=upload)
    response = client.post(URL, files=upload, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"image", "media_type", "width", "height", "elapsed_ms"}
    assert (body["media_type"], body["width"], body["height"]) == ("image/png", WIDTH, HEIGHT)
    assert base64.b64decode(body["image"]) == raw.content  # same bytes as the raw response
    # image types preferred over JSON -> raw bytes
    ranked = client.post(URL, files=upload, headers={"Accept": "image/png, application/json;q=0.5"})
    assert ranked.headers["content-type"] == "image/png"


def test_jpeg_in_jpeg_out_and_format_override(client):
    image = photo(WIDTH, HEIGHT)
    upload = files(encode(image, "JPEG", quality=95), encode(box_mask(WIDTH, HEIGHT, BOX)), "photo.jpg")
    response = client.post(URL, files=upload)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert decode(response.content).format == "JPEG"
    as_png = client.post(URL, files=upload, data={"format": "png"})
    assert as_png.headers["content-type"] == "image/png" and decode(as_png.content).size == (WIDTH, HEIGHT)


def test_invert_mask_and_rgba(client):
    image = photo(WIDTH, HEIGHT, mode="RGBA")
    keep = box_mask(WIDTH, HEIGHT, BOX)  # with invert_mask the white box is kept, the rest is filled
    response = client.post(URL, files=files(encode(image), encode(keep)), data={"invert_mask": "true"})
    assert response.status_code == 200, response.text
    result = decode(response.content)
    assert result.mode == "RGBA"
    assert np.array_equal(np.asarray(result)[..., 3], np.asarray(image)[..., 3]), "alpha must be preserved"
    assert_changed_only_inside(np.asarray(image)[..., :3], np.asarray(result)[..., :3], np.asarray(keep) == 0)


def test_transparent_mask_counts_as_keep(client):
    image = photo(WIDTH, HEIGHT)
    mask = np.full((HEIGHT, WIDTH, 4), 255, np.uint8)
    mask[..., 3] = 0  # transparent white everywhere: must count as "keep"...
    mask[BOX[1] : BOX[3], BOX[0] : BOX[2], 3] = 255  # ...except the opaque white box
    from PIL import Image

    response = client.post(URL, files=files(encode(image), encode(Image.fromarray(mask, "RGBA"))))
    assert response.status_code == 200
    hole = np.asarray(box_mask(WIDTH, HEIGHT, BOX)) > 0
    assert_changed_only_inside(np.asarray(image), np.asarray(decode(response.content)), hole)


def test_exif_orientation(client):
    from PIL import Image, ImageOps

    image = photo(WIDTH, HEIGHT)  # stored 64x48, displayed 48x64 (orientation 6 = rotate 90 clockwise)
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(image, "JPEG", quality=95, exif=exif.tobytes())
    upright = files(data, encode(box_mask(HEIGHT, WIDTH, (10, 20, 30, 40))), "phone.jpg")
    response = client.post(URL, files=upright)
    assert response.status_code == 200, response.text
    result = decode(response.content)
    assert result.size == (HEIGHT, WIDTH)  # the pixels were rotated upright...
    assert result.getexif().get(0x0112, 1) == 1  # ...so the orientation tag is reset
    # a mask painted on the stored layout is turned upright with the image (PNG out: known pixels exact)
    stored_mask = box_mask(WIDTH, HEIGHT, BOX)
    stored = client.post(URL, files=files(data, encode(stored_mask), "phone.jpg"), data={"format": "png"})
    assert stored.status_code == 200, stored.text
    upright_source = np.asarray(ImageOps.exif_transpose(decode(data)))
    upright_hole = np.asarray(stored_mask.transpose(Image.Transpose.ROTATE_270)) > 0
    assert_changed_only_inside(upright_source, np.asarray(decode(stored.content)), upright_hole)


def test_metadata_is_kept(client):
    from PIL import ImageCms
    from PIL.PngImagePlugin import PngInfo

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    info = PngInfo()
    info.add_text("Comment", "made by a test")
    data = encode(photo(WIDTH, HEIGHT), "PNG", pnginfo=info, icc_profile=icc)
    response = client.post(URL, files=files(data, encode(box_mask(WIDTH, HEIGHT, BOX))))
    result = decode(response.content)
    assert result.info.get("icc_profile") == icc
    assert result.info.get("Comment") == "made by a test"


def test_16_bit_image_and_0_1_mask_use_the_library_rules(client):
    """The server reads and writes images like the CLI (imageio): 16-bit stays 16-bit, 0/1 masks work."""
    from PIL import Image

    grey16 = np.asarray(photo(WIDTH, HEIGHT).convert("L"), dtype=np.uint16) * 257
    zero_one = (np.asarray(box_mask(WIDTH, HEIGHT, BOX)) > 0).astype(np.uint8)  # 0/1, not 0/255
    response = client.post(URL, files=files(encode(Image.fromarray(grey16)), encode(Image.fromarray(zero_one))))
    assert response.status_code == 200, response.text
    result = decode(response.content)
    assert result.mode.startswith("I")  # 16-bit grey PNG out
    assert_changed_only_inside(grey16, np.asarray(result).astype(np.uint16), zero_one > 0)


def test_ui_strategies_are_the_ones_the_api_accepts(client):
    import re

    offered = re.findall(r'<option value="([a-z]+)"', client.get("/").text)
    schema = json.dumps(client.get("/openapi.json").json())
    assert offered and all(f'"{value}"' in schema for value in offered)
    from wavemix_inpaint.inference import STRATEGIES

    assert sorted(offered) == sorted(STRATEGIES)
    _, hole, upload = png_request()
    for value in offered:
        assert client.post(URL, files=upload, data={"strategy": value}).status_code == 200, value


# ------------------------------------------------------------------------------------------------ info routes


def test_models_endpoint(client, inpainter):
    response = client.get("/api/v1/models")
    assert response.status_code == 200
    body = response.json()
    names = [entry["name"] for entry in body["architectures"]]
    assert "wavemix-tiny" in names and all(entry["description"] for entry in body["architectures"])
    assert body["loaded"]["architecture"] == "wavemix-tiny"
    assert body["loaded"]["device"] == "cpu"
    from wavemix_inpaint.models import count_parameters, create_model

    trained = count_parameters(create_model("wavemix-tiny"))  # before its BatchNorms are folded for inference
    assert body["loaded"]["parameters"] == trained > count_parameters(inpainter.model)
    assert isinstance(body["pretrained"], list)
    assert all("path" not in entry for entry in body["pretrained"])
    assert body["limits"]["max_upload_bytes"] > 0


def test_healthz(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["running"] == 0 and body["queued"] == 0


def test_openapi_and_docs(client):
    docs = client.get("/docs")  # our own page: no script, nothing loaded from a CDN, works offline
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    for text in ("/api/v1/inpaint", "invert_mask", "<code>crop</code>", "503", "/openapi.json", "/healthz"):
        assert text in docs.text, text
    assert "<script" not in docs.text and "https://" not in docs.text
    assert "default-src 'none'" in docs.headers["content-security-policy"]
    assert client.get("/redoc").status_code == 404
    schema = client.get("/openapi.json").json()
    assert "/api/v1/inpaint" in schema["paths"] and "/api/v1/models" in schema["paths"]
    assert not any("{" in path for path in schema["paths"]), "no path parameters anywhere"


def test_static_ui_routes(client):
    index = client.get("/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in index.headers and "static/app.js" in index.text
    assert "http://" not in index.text and "https://" not in index.text, "no external resources"
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    style = client.get("/static/style.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert client.get("/static/index.html").status_code == 404


# ------------------------------------------------------------------------------------------------ errors


def test_corrupt_image_and_mask_give_400(client):
    _, _, upload = png_request()
    good_image, good_mask = upload["image"][1], upload["mask"][1]
    truncated = good_image[: len(good_image) // 2]
    for image_bytes, mask_bytes, code in [
        (b"this is not an image", good_mask, "invalid_image"),
        (truncated, good_mask, "invalid_image"),
        (b"", good_mask, "invalid_image"),
        (good_image, b"\x89PNG\r\n\x1a\n garbage", "invalid_mask"),
    ]:
        response = client.post(URL, files=files(image_bytes, mask_bytes))
        assert response.status_code == 400, (code, response.text)
        assert response.json()["error"] == code and response.json()["detail"]


def test_size_mismatch_gives_400(client):
    upload = files(encode(photo(WIDTH, HEIGHT)), encode(box_mask(WIDTH + 1, HEIGHT, BOX)))
    response = client.post(URL, files=upload)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "size_mismatch" and f"{WIDTH + 1}x{HEIGHT}" in body["detail"]


def test_invalid_form_gives_json_422(client):
    _, _, upload = png_request()
    missing = client.post(URL, files={"image": upload["image"]})
    assert missing.status_code == 422 and missing.json()["error"] == "invalid_request"
    assert "mask" in missing.json()["detail"]
    bad = client.post(URL, files=upload, data={"strategy": "magic"})
    assert bad.status_code == 422 and "strategy" in bad.json()["detail"]


def test_unknown_route_is_json_404(client):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_oversize_upload_gives_413(inpainter):
    noise = np.random.default_rng(0).integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    from PIL import Image

    upload = files(encode(Image.fromarray(noise)), encode(box_mask(WIDTH, HEIGHT, BOX)))
    with TestClient(create_app(inpainter, max_upload_bytes=4000)) as small:
        response = small.post(URL, files=upload)  # Content-Length is checked before reading
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        # without Content-Length (chunked): the limit is enforced while reading the stream
        body, content_type = _multipart(upload)
        chunks = (body[i : i + 1024] for i in range(0, len(body), 1024))
        streamed = small.post(URL, content=chunks, headers={"Content-Type": content_type})
        assert streamed.status_code == 413 and streamed.json()["error"] == "payload_too_large"
        assert small.get("/healthz").status_code == 200


def test_too_many_pixels_gives_413(inpainter):
    _, _, upload = png_request()
    with TestClient(create_app(inpainter, max_image_pixels=1000)) as small:
        response = small.post(URL, files=upload)
        assert response.status_code == 413 and response.json()["error"] == "image_too_large"


def test_full_queue_gives_503_with_retry_after():
    slow = SlowInpainter()
    _, _, upload = png_request()
    app = create_app(slow, max_concurrency=1, max_queue=1, request_timeout_s=30)
    with TestClient(app) as client:
        responses = []

        def post() -> None:
            responses.append(client.post(URL, files=upload))

        first = threading.Thread(target=post)
        first.start()
        assert slow.started.wait(10), "first request never reached the model"
        second = threading.Thread(target=post)
        second.start()
        deadline = time.monotonic() + 10
        while client.get("/healthz").json()["queued"] < 1:
            assert time.monotonic() < deadline, "second request never queued"
            time.sleep(0.02)
        rejected = client.post(URL, files=upload)
        assert rejected.status_code == 503
        assert rejected.json()["error"] == "busy"
        assert int(rejected.headers["retry-after"]) >= 1
        slow.release.set()
        first.join(10)
        second.join(10)
        assert [r.status_code for r in responses] == [200, 200]
        assert slow.calls == 2
        assert client.get("/healthz").json()["running"] == 0


def test_timeout_gives_504_and_frees_the_slot():
    slow = SlowInpainter()
    _, _, upload = png_request()
    with TestClient(create_app(slow, request_timeout_s=0.3)) as client:
        response = client.post(URL, files=upload)
        assert response.status_code == 504 and response.json()["error"] == "timeout"
        assert client.get("/healthz").json()["running"] == 1  # the thread is still busy...
        slow.release.set()
        deadline = time.monotonic() + 10
        while client.get("/healthz").json()["running"]:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert client.post(URL, files=upload).status_code == 200  # ...and the slot comes back


# ------------------------------------------------------------------------------------------------ traversal

TRAVERSALS = [
    "/static/../../etc/passwd",
    "/static/../app.py",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e%5capp.py",
    "/static//etc/passwd",
    "/static/app.js/../../../../etc/passwd",
    "/..;/etc/passwd",
    "/static/style.css%00.js",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_404(inpainter, path):
    app = create_app(inpainter)
    status, body = asyncio.run(_raw_get(app, path))  # raw ASGI: the path reaches the app un-normalised
    assert status == 404, (path, status)
    assert b"root:" not in body and b"import " not in body and b"def " not in body
    assert json.loads(body)["error"] == "not_found"


def test_raw_asgi_control_serves_the_ui(inpainter):
    status, body = asyncio.run(_raw_get(create_app(inpainter), "/static/app.js"))
    assert status == 200 and b"use strict" in body


def test_path_traversal_via_http_client(client):
    for path in TRAVERSALS:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "root:" not in response.text


# ------------------------------------------------------------------------------------------------ CLI


def test_cli_serve_help_and_missing_dependency(monkeypatch, capsys):
    from wavemix_inpaint.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--host" in out and "127.0.0.1" in out and "--max-queue" in out
    monkeypatch.setitem(__import__("sys").modules, "uvicorn", None)  # makes "import uvicorn" fail
    assert main(["serve"]) == 2
    assert "pip install 'wavemix-inpaint[serve]'" in capsys.readouterr().err


def test_cli_serve_rejects_bad_limits(capsys):
    from wavemix_inpaint.cli.main import main

    assert main(["serve", "--max-concurrency", "0"]) == 2
    assert "--max-concurrency" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ helpers


def _multipart(upload: dict) -> tuple[bytes, str]:
    boundary = "wavemixtestboundary"
    parts = []
    for field, (name, data, media_type) in upload.items():
        header = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            f"Content-Type: {media_type}\r\n\r\n"
        ).encode()
        parts.append(header + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


async def _raw_get(app, path: str) -> tuple[int, bytes]:
    raw_path = path.encode()
    from urllib.parse import unquote

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(path),
        "raw_path": raw_path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 12345),
        "server": ("testserver", 80),
    }
    messages = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        messages.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, body


@pytest.mark.slow
def test_cli_serve_starts_a_working_server(tmp_path):
    """``wavemix-inpaint serve --checkpoint`` in a subprocess: prints the URL, answers, inpaints."""
    import httpx
    from server_helpers import serve_process

    with serve_process(tmp_path) as (base, _, output):
        models = httpx.get(f"{base}/api/v1/models").json()
        assert models["loaded"]["file"] == "tiny.safetensors" and models["loaded"]["source"] == "checkpoint"
        _, hole, upload = png_request()
        response = httpx.post(f"{base}/api/v1/inpaint", files=upload, headers={"Accept": "application/json"}, timeout=60)
        assert response.status_code == 200 and response.json()["width"] == WIDTH
    assert any(f"{base}/" in line for line in output)


def test_api_reference_escapes_schema_text():
    from wavemix_inpaint.server.api_docs import render_api_reference

    spec = {
        "info": {"title": "t<i>", "description": "use `a<b>`"},
        "paths": {"/x": {"get": {"summary": "<script>alert(1)</script>", "responses": {"200": {"description": "ok"}}}}},
    }
    page = render_api_reference(spec)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<code>a&lt;b&gt;</code>" in page and "t&lt;i&gt;" in page


# ------------------------------------------------------------------------------------------- pipeline options


def test_all_white_mask_is_400_nothing_known(client):
    image = photo(WIDTH, HEIGHT)
    everything = box_mask(WIDTH, HEIGHT, (0, 0, WIDTH, HEIGHT))
    response = client.post(URL, files=files(encode(image), encode(everything)))
    assert response.status_code == 400 and response.json()["error"] == "nothing_known"
    assert "nothing is known" in response.json()["detail"]


def test_empty_mask_gives_back_the_jpeg_bytes_unchanged_with_a_notice(client):
    jpeg = encode(photo(WIDTH, HEIGHT), "JPEG", quality=80)
    empty = encode(box_mask(WIDTH, HEIGHT, (0, 0, 0, 0)))
    response = client.post(URL, files=files(jpeg, empty, "photo.jpg"))
    assert response.status_code == 200 and response.content == jpeg
    assert "unchanged" in response.headers["x-notices"]
    as_json = client.post(URL, files=files(jpeg, empty, "photo.jpg"), headers={"Accept": "application/json"})
    assert base64.b64decode(as_json.json()["image"]) == jpeg and as_json.json()["notices"]


def test_texture_field_adds_detail_inside_only_and_is_seeded(client):
    textured_photo = photo(WIDTH, HEIGHT)
    grain = np.random.default_rng(3).integers(-25, 26, (HEIGHT, WIDTH, 1))
    textured_photo = Image.fromarray(np.clip(np.asarray(textured_photo).astype(int) + grain, 0, 255).astype(np.uint8))
    hole = np.asarray(box_mask(WIDTH, HEIGHT, BOX)) > 0
    upload = files(encode(textured_photo), encode(box_mask(WIDTH, HEIGHT, BOX)))
    results = {}
    for texture, seed in (("false", 0), ("true", 0), ("true", 0), ("true", 1)):
        response = client.post(URL, files=upload, data={"texture": texture, "seed": str(seed)})
        assert response.status_code == 200, response.text
        results.setdefault((texture, seed), []).append(np.asarray(decode(response.content)).astype(int))
    smooth, textured = results[("false", 0)][0], results[("true", 0)]
    assert np.array_equal(textured[0], textured[1])  # same seed, same output
    assert not np.array_equal(textured[0], results[("true", 1)][0])  # another seed, another texture
    assert np.array_equal(textured[0][~hole], np.asarray(textured_photo)[~hole])  # known pixels untouched
    left, top, right, bottom = BOX

    def roughness(pixels: np.ndarray) -> float:  # mean |second difference| well inside the hole
        inner = pixels[top + 3 : bottom - 3, left + 3 : right - 3]
        return float(np.abs(np.diff(inner, 2, axis=0)).mean() + np.abs(np.diff(inner, 2, axis=1)).mean())

    assert roughness(textured[0]) > 2 * roughness(smooth)
    light = client.post(URL, files=upload, data={"texture": "true", "texture_strength": "0.3"})
    assert light.status_code == 200, light.text
    light_pixels = np.asarray(decode(light.content)).astype(int)
    assert 0 < np.abs(light_pixels - smooth)[hole].mean() < 0.6 * np.abs(textured[0] - smooth)[hole].mean()
    for bad in ("0", "1.5", "lots"):
        refused = client.post(URL, files=upload, data={"texture": "true", "texture_strength": bad})
        assert refused.status_code == 422 and "texture_strength" in refused.text


def test_the_servers_default_options_apply_unless_a_request_overrides_them(inpainter):
    from wavemix_inpaint.inference import InpaintOptions

    class Recording:
        """The tiny inpainter, recording the hole and options of every call."""

        def __init__(self) -> None:
            self.calls: list[tuple[np.ndarray, InpaintOptions]] = []

        def run(self, image, mask, options):  # noqa: ANN001, ANN202
            self.calls.append((np.asarray(mask) > 0.5, options))
            return inpainter.run(image, mask, options)

    recording = Recording()
    defaults = InpaintOptions(strategy="full", seed=7, invert_mask=True, dilate=2)
    keep = box_mask(WIDTH, HEIGHT, (0, 0, WIDTH, HEIGHT)).copy()  # white = keep, with invert_mask
    keep.paste(0, BOX)  # black box = the hole
    upload = files(encode(photo(WIDTH, HEIGHT)), encode(keep))
    with TestClient(create_app(recording, options=defaults)) as server:
        response = server.post(URL, files=upload)
        assert response.status_code == 200, response.text
        hole, options = recording.calls[-1]
        assert (options.strategy, options.seed) == ("full", 7)  # the server's, not the form's own defaults
        left, top, right, bottom = BOX
        assert hole[top - 2 : bottom + 2, left:right].all() and hole.sum() < (right - left + 4) * (bottom - top + 4)
        assert (options.invert_mask, options.dilate) == (False, 0)  # applied once above, not again in the pipeline
        changed = np.any(np.asarray(decode(response.content)) != np.asarray(photo(WIDTH, HEIGHT)), axis=-1)
        assert not changed[~hole].any()  # known pixels: the ones outside the dilated, inverted hole
        override = server.post(URL, files=upload, data={"strategy": "crop", "seed": "3", "invert_mask": "false"})
        assert override.status_code == 200, override.text
        hole, options = recording.calls[-1]
        assert (options.strategy, options.seed) == ("crop", 3) and hole.mean() > 0.8  # white = hole now, dilated


def test_notices_headers_jpeg_quality_and_head_requests(inpainter, client):
    class Noting:
        def run(self, image, mask, options):  # noqa: ANN001, ANN202
            result, notices = inpainter.run(image, mask, options)
            return result, [*notices, "filled \u2014 with care\r\nX-Injected: 1"]

    upload = files(encode(photo(WIDTH, HEIGHT)), encode(box_mask(WIDTH, HEIGHT, BOX)))
    with TestClient(create_app(Noting())) as server:
        response = server.post(URL, files=upload)
        assert response.status_code == 200 and "x-injected" not in response.headers
        assert response.headers["x-notices"] == "filled \\u2014 with care  X-Injected: 1"
        as_json = server.post(URL, files=upload, headers={"Accept": "application/json"})
        assert as_json.json()["notices"] == ["filled \u2014 with care\r\nX-Injected: 1"]  # the exact text
    jpeg = encode(photo(WIDTH, HEIGHT), "JPEG", quality=40)
    response = client.post(URL, files=files(jpeg, encode(box_mask(WIDTH, HEIGHT, BOX)), "photo.jpg"))
    assert response.status_code == 200
    assert decode(response.content).quantization == Image.open(io.BytesIO(jpeg)).quantization  # as the CLI
    assert client.head("/healthz").status_code == 200 and client.head("/").status_code == 200


def test_offers_with_the_same_file_name_are_told_apart_by_their_folder(tmp_path):
    from wavemix_inpaint.server.catalog import ModelCatalog, parse_offer

    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        (tmp_path / run / "best.safetensors").write_bytes(b"")
    offers = [parse_offer(str(tmp_path / run / "best.safetensors")) for run in ("a", "b")]
    catalog = ModelCatalog(offers, lambda offer: None)
    assert list(catalog.offers) == ["a/best", "b/best"] and catalog.default == "a/best"


def test_a_client_that_gives_up_while_queued_is_not_run():
    httpx = pytest.importorskip("httpx")
    slow = SlowInpainter()
    upload = files(encode(photo(WIDTH, HEIGHT)), encode(box_mask(WIDTH, HEIGHT, BOX)))
    with uvicorn_server(create_app(slow, max_concurrency=1, max_queue=4, request_timeout_s=60)) as url:
        first = threading.Thread(target=lambda: httpx.post(f"{url}api/v1/inpaint", files=upload, timeout=30))
        first.start()
        assert slow.started.wait(10)
        with pytest.raises(httpx.TimeoutException):  # waits behind the first, then gives up
            httpx.post(f"{url}api/v1/inpaint", files=upload, timeout=0.5)
        slow.release.set()
        first.join(30)
        deadline = time.monotonic() + 10
        while httpx.get(f"{url}healthz").json()["running"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slow.calls == 1 and httpx.get(f"{url}healthz").json()["running"] == 0


def test_healthz_never_reports_more_queued_than_the_queue_limit():
    from wavemix_inpaint.server.queue import InferenceQueue

    queue = InferenceQueue(concurrency=1, max_queue=8)
    queue.running, queue.waiting = 1, 8  # full: the 9th waiting request is refused
    assert queue.full() and queue.queued == 8
    queue.running = 0  # the running request ended; 8 still wait and one more may come in
    assert not queue.full()
    queue.waiting = 9
    assert queue.full() and queue.queued == 8  # one of the nine is about to take the free slot
    queue.shutdown()


def test_image_too_large_message_names_a_flag_serve_has(inpainter):
    _, _, upload = png_request()
    with TestClient(create_app(inpainter, max_image_pixels=1000)) as small:
        detail = small.post(URL, files=upload).json()["detail"]
    assert "--max-pixels" in detail


# ------------------------------------------------------------------------------------------ model choice


def test_several_offered_models_are_chosen_per_request_and_loaded_lazily_within_a_budget():
    from wavemix_inpaint.models import create_model
    from wavemix_inpaint.server.catalog import ModelCatalog, Offer, parse_offer

    loads = []

    def load(offer):
        loads.append(offer.id)
        return make_tiny_inpainter() if offer.id == "tiny" else Inpainter(create_model(offer.source), device="cpu")

    from wavemix_inpaint.inpainter import Inpainter

    offers = [Offer("tiny", "checkpoint", "tiny", "a tiny WaveMix"), parse_offer("telea"), parse_offer("navier-stokes")]
    budget = 40 << 20  # room for the tiny model and one classical method (32 MiB overhead each... so one at a time)
    catalog = ModelCatalog(offers, load, budget_bytes=budget)
    with single_torch_thread(), TestClient(create_app(catalog)) as client:
        listed = client.get("/api/v1/models").json()["offered"]
        assert [entry["id"] for entry in listed] == ["tiny", "telea", "navier-stokes"]
        assert listed[0]["default"] and listed[0]["loaded"] and not listed[1]["loaded"]
        _, hole, upload = png_request()
        results = {}
        for name in (None, "telea", "navier-stokes", "telea"):
            response = client.post(URL, files=upload, data={} if name is None else {"model": name})
            assert response.status_code == 200, response.text
            results[name] = np.asarray(decode(response.content)).astype(int)
        assert not np.array_equal(results[None], results["telea"])  # another model, another fill
        assert loads == ["tiny", "telea", "navier-stokes", "telea"]  # lazily, and re-loaded after eviction
        assert sum(entry["loaded"] for entry in client.get("/api/v1/models").json()["offered"]) == 1
        unknown = client.post(URL, files=upload, data={"model": "nope"})
        assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_model"
        assert "telea" in unknown.json()["detail"]


def test_a_model_that_fails_to_load_is_named_and_the_others_keep_working(tmp_path):
    from wavemix_inpaint.server.catalog import ModelCatalog, load_offer, parse_offer

    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"not a safetensors file")
    offers = [parse_offer("telea"), parse_offer(str(broken)), parse_offer("navier-stokes")]
    catalog = ModelCatalog(offers, load_offer)
    with single_torch_thread(), TestClient(create_app(catalog)) as client:
        _, hole, upload = png_request()
        failed = client.post(URL, files=upload, data={"model": offers[1].id})
        assert failed.status_code == 503 and failed.json()["error"] == "model_unavailable", failed.text
        assert offers[1].id in failed.json()["detail"]
        for name in ("telea", "navier-stokes", None):
            response = client.post(URL, files=upload, data={} if name is None else {"model": name})
            assert response.status_code == 200, response.text
        again = client.post(URL, files=upload, data={"model": offers[1].id})
        assert again.status_code == 503  # still named, still not taking the server down
        assert client.get("/healthz").status_code == 200


def test_offers_are_checked_before_anything_is_loaded():
    from wavemix_inpaint.errors import InputError
    from wavemix_inpaint.server.catalog import parse_offer

    assert parse_offer("default").kind == "pretrained" and parse_offer("patchmatch").kind == "classical"
    with pytest.raises(InputError, match="cannot offer 'wavemix-small'"):
        parse_offer("wavemix-small")  # an untrained architecture is not something to offer
