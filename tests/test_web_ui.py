"""End-to-end test of the web UI in real headless Chromium (Playwright, system /usr/bin/chromium).

CI needs: ``pip install -e '.[dev]'`` and ``apt-get install -y chromium`` (``playwright install`` is not
used: the test drives the distribution's Chromium through ``executable_path``).
"""

from __future__ import annotations

import base64
import io
import os

import numpy as np
import pytest

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("WAVEMIX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'wavemix-inpaint[serve]'")
pytest.importorskip("uvicorn", reason="needs the serve extra: pip install 'wavemix-inpaint[serve]'")
pytest.importorskip("playwright.sync_api", reason="needs playwright: pip install playwright (browsers not needed)")
if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from server_helpers import make_tiny_inpainter, photo, single_torch_thread, uvicorn_server  # noqa: E402

from wavemix_inpaint.server import create_app  # noqa: E402

WIDTH, HEIGHT = 96, 64

READ_CANVAS = """(id) => {
  const canvas = document.getElementById(id);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let binary = "";
  for (let i = 0; i < data.length; i += 8192) binary += String.fromCharCode(...data.subarray(i, i + 8192));
  return btoa(binary);
}"""


#: records the texture fields of the next inpainting request the page sends (Playwright does not expose
#: multipart bodies with files)
SPY_ON_FORM = """() => {
  const send = window.fetch;
  window.fetch = (url, init) => {
    if (init && init.body instanceof FormData) {
      document.body.dataset.sentTexture = init.body.get("texture");
      document.body.dataset.sentStrength = init.body.get("texture_strength");
    }
    return send(url, init);
  };
}"""


@pytest.fixture(scope="module")
def server_url():
    with (
        single_torch_thread(),
        uvicorn_server(create_app(make_tiny_inpainter(), max_concurrency=1, max_queue=4, request_timeout_s=60)) as url,
    ):
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def pixels(page, canvas_id: str) -> np.ndarray:
    raw = base64.b64decode(page.evaluate(READ_CANVAS, canvas_id))
    return np.frombuffer(raw, np.uint8).reshape(HEIGHT, WIDTH, 4)


def hole(page) -> np.ndarray:
    """What the page sends as the mask: mask-canvas alpha >= 128."""
    return pixels(page, "mask-canvas")[..., 3] >= 128


def to_page(page, x: float, y: float) -> tuple[float, float]:
    box = page.locator("#mask-canvas").bounding_box()
    return box["x"] + (x + 0.5) * box["width"] / WIDTH, box["y"] + (y + 0.5) * box["height"] / HEIGHT


def mouse_stroke(page, start, end) -> None:
    page.mouse.move(*to_page(page, *start))
    page.mouse.down()
    page.mouse.move(*to_page(page, *end), steps=12)
    page.mouse.up()


def touch_stroke(page, cdp, start, end, steps: int = 10) -> None:
    x0, y0 = to_page(page, *start)
    x1, y1 = to_page(page, *end)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for step in range(1, steps + 1):
        t = step / steps
        point = {"x": x0 + (x1 - x0) * t, "y": y0 + (y1 - y0) * t}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.any(a[..., :3] != b[..., :3], axis=-1)


def test_paint_run_compare_undo_in_chromium(server_url, browser, tmp_path):
    source = photo(WIDTH, HEIGHT, seed=3)
    image_path = tmp_path / "photo.png"
    source.save(image_path)
    original = np.asarray(source)

    context = browser.new_context(viewport={"width": 1000, "height": 760}, has_touch=True)
    page = context.new_page()
    # decoding as slow as on a loaded machine: Undo must not depend on a decode finishing in time
    page.add_init_script(
        "const decode = window.createImageBitmap.bind(window);"
        "window.createImageBitmap = (...args) => new Promise((done) => setTimeout(done, 400)).then(() => decode(...args));"
    )
    page.set_default_timeout(20_000)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        page.goto(server_url)
        page.wait_for_selector("body[data-ready='true']")
        page.wait_for_function("() => !document.getElementById('model-info').textContent.includes('connecting')")
        assert "wavemix-tiny" in page.text_content("#model-info")

        # ---- open via the file picker
        page.set_input_files("#file-input", str(image_path))
        page.wait_for_selector("#canvas-wrap:not([hidden])")
        page.wait_for_function(f"() => document.getElementById('image-canvas').width === {WIDTH}")
        assert np.array_equal(pixels(page, "image-canvas")[..., :3], original), "canvas shows the exact pixels"
        assert page.is_disabled("#run-btn")  # nothing painted yet

        # ---- brush stroke with the mouse, in image coordinates
        page.evaluate("document.body.dataset.pointerTypes = ''")
        page.evaluate(
            "document.getElementById('mask-canvas').addEventListener('pointerdown', "
            "e => document.body.dataset.pointerTypes += e.pointerType + ' ')"
        )
        mouse_stroke(page, (15, 20), (60, 20))
        painted = hole(page)
        assert painted[20, 15:61].all() and not painted[45:].any() and not painted[:, 75:].any()

        # ---- undo / redo: keyboard and buttons
        page.keyboard.press("Control+z")
        assert not hole(page).any()
        page.keyboard.press("Control+Shift+z")
        assert np.array_equal(hole(page), painted)
        page.click("#undo-btn")
        assert not hole(page).any()
        page.click("#redo-btn")
        assert np.array_equal(hole(page), painted)

        # ---- eraser cuts the stroke; undo brings it back; redo erases again
        page.click("#tool-eraser")
        assert page.get_attribute("#tool-eraser", "aria-pressed") == "true"
        mouse_stroke(page, (37, 8), (37, 32))
        erased = hole(page)
        assert not erased[20, 36:39].any() and erased[20, 15:30].all() and erased[20, 45:60].all()
        page.keyboard.press("Control+z")
        assert np.array_equal(hole(page), painted)
        page.keyboard.press("Control+Shift+z")
        assert np.array_equal(hole(page), erased)
        page.click("#tool-brush")

        # ---- a touch stroke (real touch events -> pointer events with pointerType "touch")
        cdp = context.new_cdp_session(page)
        touch_stroke(page, cdp, (20, 48), (70, 50))
        mask = hole(page)
        assert mask[49, 30:60].any(), "the touch stroke painted nothing"
        assert "touch" in page.evaluate("document.body.dataset.pointerTypes")
        assert "mouse" in page.evaluate("document.body.dataset.pointerTypes")
        page.screenshot(path=str(tmp_path / "web_ui_mask.png"))

        # ---- run: the API result changes only the painted pixels, and the canvas shows it
        with page.expect_response(lambda response: response.url.endswith("/api/v1/inpaint")) as info:
            page.click("#run-btn")
        response = info.value
        assert response.status == 200 and response.headers["content-type"] == "image/png"
        page.wait_for_function("() => document.body.dataset.runs === '1' && document.body.dataset.busy === 'false'")
        # the API's bytes, as the page holds them (Download saves the response blob unchanged)
        with page.expect_download() as download_info:
            page.click("#download-btn")
        assert download_info.value.suggested_filename == "photo-inpainted.png"
        downloaded = Image.open(download_info.value.path())
        assert downloaded.format == "PNG" and downloaded.size == (WIDTH, HEIGHT)
        result = np.asarray(downloaded.convert("RGB"))
        diff = changed(original, result)
        assert diff.any() and not (diff & ~mask).any(), "the result changed pixels outside the painted mask"
        shown = pixels(page, "image-canvas")
        assert np.array_equal(shown[..., :3], result)
        assert not hole(page).any(), "the mask is cleared after a run"
        page.screenshot(path=str(tmp_path / "web_ui.png"))

        # ---- compare: hold the button to see the image before
        assert page.is_enabled("#compare-btn")
        page.hover("#compare-btn")
        page.mouse.down()
        assert np.array_equal(pixels(page, "image-canvas")[..., :3], original)
        assert page.is_visible("#compare-badge")
        page.mouse.up()
        assert np.array_equal(pixels(page, "image-canvas")[..., :3], result)

        # ---- keep editing the result: it is the input of the next run
        mouse_stroke(page, (80, 10), (80, 40))
        second_mask = hole(page)
        # ... with texture at a chosen strength: the slider is live only with Texture, and its value is sent
        assert page.is_disabled("#texture-strength")
        page.check("#texture")
        assert page.is_enabled("#texture-strength")
        page.evaluate(
            "() => { const s = document.getElementById('texture-strength'); s.value = '0.4'; s.dispatchEvent(new Event('input')); }"
        )
        page.evaluate(SPY_ON_FORM)
        page.click("#run-btn")
        page.wait_for_function("() => document.body.dataset.sentTexture !== undefined")
        assert page.evaluate("[document.body.dataset.sentTexture, document.body.dataset.sentStrength]") == ["true", "0.4"]
        page.wait_for_function("() => document.body.dataset.runs === '2' && document.body.dataset.busy === 'false'")
        second = pixels(page, "image-canvas")[..., :3]
        diff2 = changed(result, second)
        assert diff2.any() and not (diff2 & ~second_mask).any()

        # ---- undo the run: previous image and its mask come back; then all the way to the original
        page.keyboard.press("Control+z")  # read at once: the page must show the restored image immediately
        assert np.array_equal(pixels(page, "image-canvas")[..., :3], result)
        assert np.array_equal(hole(page), second_mask)
        page.keyboard.press("Control+z")  # the second stroke
        page.keyboard.press("Control+z")  # the first run
        page.wait_for_function("() => document.getElementById('compare-btn').disabled")
        assert np.array_equal(pixels(page, "image-canvas")[..., :3], original)
        restored = hole(page)
        overlap = (restored & mask).sum() / max(1, (restored | mask).sum())
        assert overlap > 0.9, f"mask after undo differs from the one used (IoU {overlap:.2f})"

        # ---- API errors are shown in the page
        page.route(
            "**/api/v1/inpaint",
            lambda route: route.fulfill(
                status=503,
                headers={"Retry-After": "7", "Content-Type": "application/json"},
                body='{"error": "busy", "detail": "the server is busy (1 running, 8 waiting)"}',
            ),
        )
        page.click("#run-btn")
        page.wait_for_selector("#error:not([hidden])")
        message = page.text_content("#error-text")
        assert "busy" in message and "7 s" in message
        page.unroute("**/api/v1/inpaint")
        page.click("#error-close")
        assert page.is_hidden("#error")

        # ---- drag and drop opens another image (undoable)
        dropped = photo(WIDTH, HEIGHT, seed=9)
        buffer = io.BytesIO()
        dropped.save(buffer, format="PNG")
        page.evaluate(
            """(b64) => {
              const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
              const transfer = new DataTransfer();
              transfer.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
              document.getElementById("stage").dispatchEvent(
                new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            }""",
            base64.b64encode(buffer.getvalue()).decode(),
        )
        page.wait_for_function("() => document.getElementById('image-meta').textContent.includes('dropped.png')")
        assert np.array_equal(pixels(page, "image-canvas")[..., :3], np.asarray(dropped))
        page.keyboard.press("Control+z")
        page.wait_for_function("() => document.getElementById('image-meta').textContent.includes('photo.png')")

        assert not page_errors, page_errors
    finally:
        context.close()


def open_page(browser, url: str, image_path, viewport=(1000, 760)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector("body[data-ready='true']")
    page.set_input_files("#file-input", str(image_path))
    page.wait_for_function("() => !document.getElementById('canvas-wrap').hidden")
    return context, page, errors


def test_zoom_pan_shapes_mask_files_and_auto_run(server_url, browser, tmp_path):
    source = photo(WIDTH, HEIGHT, seed=5)
    source.save(tmp_path / "photo.png")
    context, page, errors = open_page(browser, server_url, tmp_path / "photo.png")
    try:
        # ---- zoom 4 wheel notches around a point: that image point stays under the pointer
        box = page.locator("#mask-canvas").bounding_box()
        x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6
        image_point = ((x - box["x"]) / box["width"] * WIDTH, (y - box["y"]) / box["height"] * HEIGHT)
        page.mouse.move(x, y)
        for _ in range(4):
            page.mouse.wheel(0, -200)
        page.wait_for_function(
            f"() => document.getElementById('mask-canvas').getBoundingClientRect().width > {box['width'] * 1.5}"
        )
        zoomed = page.locator("#mask-canvas").bounding_box()
        assert abs((x - zoomed["x"]) / zoomed["width"] * WIDTH - image_point[0]) < 0.5
        assert abs((y - zoomed["y"]) / zoomed["height"] * HEIGHT - image_point[1]) < 0.5
        # ---- a click at 4x lands on the right image pixel, with the brush size in image pixels
        page.fill("#brush-size", "3")
        page.dispatch_event("#brush-size", "input")
        target = (40, 30)
        page.mouse.click(*to_page(page, *target))
        painted = hole(page)
        ys, xs = np.nonzero(painted)
        assert painted.sum() <= 16 and abs(xs.mean() - target[0]) <= 0.6 and abs(ys.mean() - target[1]) <= 0.6
        page.keyboard.press("Control+z")
        # ---- pan: Space + drag moves the image by the drag
        before = page.locator("#mask-canvas").bounding_box()
        page.keyboard.down(" ")
        page.mouse.move(500, 400)
        page.mouse.down()
        page.mouse.move(440, 370, steps=5)
        page.mouse.up()
        page.keyboard.up(" ")
        after = page.locator("#mask-canvas").bounding_box()
        assert abs(after["x"] - before["x"] + 60) < 1 and abs(after["y"] - before["y"] + 30) < 1
        assert not hole(page).any(), "panning must not paint"
        page.click("#zoom-fit")
        # ---- rectangle: exactly the dragged box
        page.click("#tool-rect")
        mouse_stroke(page, (10, 8), (30, 20))
        expected = np.zeros((HEIGHT, WIDTH), bool)
        expected[8:20, 10:30] = True
        assert (hole(page) ^ expected).sum() <= 2 * (20 + 12)  # at most a one-pixel border off
        # ---- lasso: a triangle; inside filled, outside empty
        page.click("#tool-lasso")
        points = [(60, 10), (90, 10), (75, 40)]
        page.mouse.move(*to_page(page, *points[0]))
        page.mouse.down()
        for point in points[1:] + points[:1]:
            page.mouse.move(*to_page(page, *point), steps=8)
        page.mouse.up()
        mask = hole(page)
        assert mask[15, 75] and mask[25, 75] and not mask[35, 62] and not mask[12, 50]
        # ---- grow / shrink / invert act on the whole mask (undoable)
        area = hole(page).sum()
        page.click("#grow-btn")
        assert hole(page).sum() > area
        page.click("#shrink-btn")
        page.click("#invert-btn")
        inverted = hole(page)
        assert inverted[0, 0] and not inverted[15, 75]
        page.keyboard.press("Control+z")
        page.keyboard.press("Control+z")
        page.keyboard.press("Control+z")
        assert hole(page).sum() == area
        # ---- download the mask, then load it back: the same mask
        with page.expect_download() as download_info:
            page.click("#mask-download-btn")
        saved = np.asarray(Image.open(download_info.value.path()).convert("L")) > 127
        assert np.array_equal(saved, hole(page))
        page.click("#clear-btn")
        assert not hole(page).any()
        page.set_input_files("#mask-input", download_info.value.path())
        page.wait_for_function("() => document.getElementById('status').textContent.includes('loaded')")
        assert np.array_equal(hole(page), saved)
        # ---- a mask of another aspect ratio: refused, no resizing offered (it would stretch the holes)
        page.click("#clear-btn")
        squeezed = tmp_path / "squeezed-mask.png"
        Image.fromarray(saved[::2].astype(np.uint8) * 255).save(squeezed)  # half the height only
        page.set_input_files("#mask-input", str(squeezed))
        page.wait_for_selector("#error:not([hidden])")
        assert "aspect ratios differ" in page.text_content("#error-text") and page.is_hidden("#error-action")
        assert not hole(page).any()
        # ---- a mask of another size: the CLI's error, and resizing offered (nothing changes until accepted)
        half = tmp_path / "half-mask.png"
        Image.fromarray(saved[::2, ::2].astype(np.uint8) * 255).save(half)  # half the size
        page.set_input_files("#mask-input", str(half))
        page.wait_for_function("() => document.getElementById('error-text').textContent.includes('half-mask.png')")
        message = page.text_content("#error-text")
        assert "half-mask.png" in message and "resize it" in message and "(width x height)" in message
        assert not hole(page).any()
        page.click("#error-action")
        page.wait_for_function("() => document.getElementById('status').textContent.includes('resized from')")
        assert page.is_hidden("#error") and hole(page).sum() > 0
        page.keyboard.press("Control+z")
        page.set_input_files("#mask-input", download_info.value.path())
        page.wait_for_function(
            "() => document.getElementById('status').textContent.includes('loaded') && !document.getElementById('status').textContent.includes('resized')"
        )
        # ---- auto-run: a finished stroke runs the model by itself
        page.click("#tool-brush")
        page.check("#auto-run")
        runs = int(page.evaluate("() => document.body.dataset.runs || '0'"))
        mouse_stroke(page, (5, 50), (20, 55))
        page.wait_for_function(f"() => document.body.dataset.runs === '{runs + 1}' && document.body.dataset.busy === 'false'")
        assert not errors, errors
    finally:
        context.close()


@pytest.fixture(scope="module")
def catalog_url():
    from wavemix_inpaint.inference import InpaintOptions
    from wavemix_inpaint.inpainter import Inpainter
    from wavemix_inpaint.models import create_model
    from wavemix_inpaint.server.catalog import ModelCatalog, Offer, parse_offer

    with single_torch_thread():
        tiny = make_tiny_inpainter()
        offers = [Offer("tiny", "checkpoint", "tiny", "a tiny WaveMix"), parse_offer("telea")]
        catalog = ModelCatalog(
            offers, lambda offer: tiny if offer.id == "tiny" else Inpainter(create_model("telea"), device="cpu")
        )
        with uvicorn_server(create_app(catalog, request_timeout_s=60, options=InpaintOptions(strategy="full"))) as url:
            yield url


def test_model_dropdown_switches_the_model(catalog_url, browser, tmp_path):
    # (and the page starts from the server's default options: its --strategy here)
    photo(WIDTH, HEIGHT, seed=9).save(tmp_path / "photo.png")
    results = {}
    for model in ("tiny", "telea"):
        context, page, errors = open_page(browser, catalog_url, tmp_path / "photo.png")
        try:
            page.wait_for_function("() => document.getElementById('model').options.length === 2")
            assert page.input_value("#strategy") == "full"
            page.select_option("#model", model)
            mouse_stroke(page, (20, 20), (60, 40))
            with page.expect_response("**/api/v1/inpaint") as info:
                page.click("#run-btn")
            assert info.value.status == 200
            page.wait_for_function("() => document.body.dataset.runs === '1' && document.body.dataset.busy === 'false'")
            results[model] = pixels(page, "image-canvas")[..., :3].copy()
            assert not errors, errors
        finally:
            context.close()
    assert not np.array_equal(results["tiny"], results["telea"])


#: holds every inpainting request in the page until ``window.releaseInpaint()`` is called, and counts them
#: in ``document.body.dataset.inpaintRequests`` (so a test can act while a run is in flight)
HOLD_INPAINT = """() => {
  const send = window.fetch;
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  window.releaseInpaint = () => release();
  document.body.dataset.inpaintRequests = "0";
  window.fetch = (url, init) => {
    if (!String(url).endsWith("/inpaint")) return send(url, init);
    document.body.dataset.inpaintRequests = String(Number(document.body.dataset.inpaintRequests) + 1);
    return gate.then(() => send(url, init));
  };
}"""

#: picks a PNG (base64) in #mask-input the way the file dialog does, without Playwright's checks on the input
PICK_MASK = """(b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], "loaded-mask.png", { type: "image/png" }));
  const input = document.getElementById("mask-input");
  input.files = transfer.files;
  input.dispatchEvent(new Event("change", { bubbles: true }));
}"""

IDLE = "() => document.body.dataset.busy !== 'true'"


def test_undo_after_redo_keeps_the_mask_each_run_used(server_url, browser, tmp_path):
    photo(WIDTH, HEIGHT, seed=11).save(tmp_path / "photo.png")
    context, page, errors = open_page(browser, server_url, tmp_path / "photo.png")
    try:
        page.fill("#brush-size", "6")
        page.dispatch_event("#brush-size", "input")
        mouse_stroke(page, (10, 20), (30, 20))
        page.click("#run-btn")
        page.wait_for_function("() => document.body.dataset.runs === '1' && document.body.dataset.busy === 'false'")
        mouse_stroke(page, (60, 40), (85, 40))
        second = hole(page)
        assert second.any()
        page.click("#run-btn")
        page.wait_for_function("() => document.body.dataset.runs === '2' && document.body.dataset.busy === 'false'")
        for key in ["Control+z"] * 3 + ["Control+Shift+z"] * 3 + ["Control+z"]:
            page.keyboard.press(key)
            page.wait_for_function(IDLE)
        assert np.array_equal(hole(page), second), "undoing the second run again must bring back the mask it used"
        assert not errors, errors
    finally:
        context.close()


def wait_for_runs(page, count: int) -> None:
    """Until the page has finished ``count`` inpainting runs and is idle."""
    page.wait_for_function(f"() => document.body.dataset.runs === '{count}' && document.body.dataset.busy === 'false'")


def undo_the_run(page) -> None:
    """Undo an inpainting run: the image before it is back (nothing left to compare with)."""
    page.keyboard.press("Control+z")
    page.wait_for_function("() => document.getElementById('compare-btn').disabled")


def test_double_click_on_inpaint_sends_one_request(server_url, browser, tmp_path):
    photo(WIDTH, HEIGHT, seed=12).save(tmp_path / "photo.png")
    context, page, errors = open_page(browser, server_url, tmp_path / "photo.png")
    try:
        mouse_stroke(page, (10, 20), (40, 30))
        painted = hole(page)
        page.evaluate(HOLD_INPAINT)
        # two clicks in the same task: the second one comes before the mask is encoded
        page.evaluate("() => { const run = document.getElementById('run-btn'); run.click(); run.click(); }")
        page.wait_for_function("() => document.body.dataset.inpaintRequests !== '0'")
        page.wait_for_timeout(300)
        assert page.evaluate("document.body.dataset.inpaintRequests") == "1"
        page.evaluate("window.releaseInpaint()")
        wait_for_runs(page, 1)
        page.wait_for_timeout(300)
        assert page.evaluate("document.body.dataset.runs") == "1"
        assert page.evaluate("document.body.dataset.inpaintRequests") == "1"
        undo_the_run(page)
        assert np.array_equal(hole(page), painted), "one Undo must bring back the original and its mask"
        assert not errors, errors
    finally:
        context.close()


def test_mask_loaded_during_a_run_is_refused(server_url, browser, tmp_path):
    photo(WIDTH, HEIGHT, seed=13).save(tmp_path / "photo.png")
    loaded = np.zeros((HEIGHT, WIDTH), np.uint8)
    loaded[40:60, 60:90] = 255
    buffer = io.BytesIO()
    Image.fromarray(loaded).save(buffer, format="PNG")
    context, page, errors = open_page(browser, server_url, tmp_path / "photo.png")
    try:
        assert page.is_enabled("#mask-input")
        mouse_stroke(page, (10, 20), (30, 20))
        used = hole(page)
        page.evaluate(HOLD_INPAINT)
        page.click("#run-btn")
        page.wait_for_function("() => document.body.dataset.inpaintRequests === '1'")
        assert page.is_disabled("#mask-input"), "Load mask must be inert while a run is in flight"
        page.evaluate(PICK_MASK, base64.b64encode(buffer.getvalue()).decode())
        page.wait_for_selector("#error:not([hidden])")
        assert "wait" in page.text_content("#error-text")
        assert np.array_equal(hole(page), used), "the mask must not change while a run is in flight"
        page.evaluate("window.releaseInpaint()")
        wait_for_runs(page, 1)
        assert page.is_enabled("#mask-input")
        undo_the_run(page)
        assert np.array_equal(hole(page), used), "Undo must bring back the mask the run used"
        assert not errors, errors
    finally:
        context.close()


def test_space_released_while_the_window_is_blurred_does_not_stick(server_url, browser, tmp_path):
    photo(WIDTH, HEIGHT, seed=14).save(tmp_path / "photo.png")
    context, page, errors = open_page(browser, server_url, tmp_path / "photo.png")
    try:
        page.keyboard.down(" ")
        page.evaluate("window.dispatchEvent(new Event('blur'))")  # the key-up goes to another window
        mouse_stroke(page, (10, 20), (40, 20))
        assert hole(page)[20, 15:35].all(), "a drag after the window lost focus must paint, not pan"
        assert not errors, errors
    finally:
        context.close()
