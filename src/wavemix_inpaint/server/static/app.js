// WaveMix Inpaint web UI: vanilla JS, no build step, no external resources.
//
// Model of the page:
//   * `state.image` is the current image entry {blob, name, type, width, height, bitmap, before}.
//     `before` is the entry the image was inpainted from (what "compare" shows).
//   * The mask lives on #mask-canvas at the image's own pixel size (CSS scales it to fit), as a list of
//     operations `state.ops` (brush / eraser strokes in image pixels) that can be replayed. History
//     entries keep references to such lists, so a list is never changed in place: every edit makes a new
//     one (`state.ops = [...state.ops, op]`), and an entry's list stays what it was.
//   * One undo stack covers strokes, "clear mask", inpainting runs and opening images, so undoing a run
//     brings back the previous image *and* the mask that was used.
"use strict";

(() => {
  const API = "api/v1";
  const MASK_COLOR = "rgb(255, 196, 0)";
  const MAX_HISTORY = 100;

  const $ = (id) => document.getElementById(id);
  const el = {
    fileInput: $("file-input"),
    download: $("download-btn"),
    modelInfo: $("model-info"),
    brush: $("tool-brush"),
    eraser: $("tool-eraser"),
    rect: $("tool-rect"),
    lasso: $("tool-lasso"),
    grow: $("grow-btn"),
    shrink: $("shrink-btn"),
    invert: $("invert-btn"),
    morphSize: $("morph-size"),
    maskInput: $("mask-input"),
    maskLoad: $("mask-load-btn"),
    maskDownload: $("mask-download-btn"),
    zoomFit: $("zoom-fit"),
    zoom100: $("zoom-100"),
    zoomLevel: $("zoom-level"),
    autoRun: $("auto-run"),
    size: $("brush-size"),
    sizeValue: $("brush-size-value"),
    undo: $("undo-btn"),
    redo: $("redo-btn"),
    clear: $("clear-btn"),
    compare: $("compare-btn"),
    strategy: $("strategy"),
    texture: $("texture"),
    textureStrength: $("texture-strength"),
    model: $("model"),
    run: $("run-btn"),
    stage: $("stage"),
    empty: $("empty-state"),
    wrap: $("canvas-wrap"),
    imageCanvas: $("image-canvas"),
    maskCanvas: $("mask-canvas"),
    cursor: $("brush-cursor"),
    badge: $("compare-badge"),
    busy: $("busy-overlay"),
    busyText: $("busy-text"),
    dropOverlay: $("drop-overlay"),
    error: $("error"),
    errorText: $("error-text"),
    errorClose: $("error-close"),
    errorAction: $("error-action"),
    status: $("status"),
    meta: $("image-meta"),
  };
  const imageCtx = el.imageCanvas.getContext("2d");
  const maskCtx = el.maskCanvas.getContext("2d", { willReadFrequently: true });

  const state = {
    image: null,
    ops: [],
    undo: [],
    redo: [],
    tool: "brush",
    busy: false,
    comparing: false,
    stroke: null,
    pointerId: null,
    downloadUrl: null,
    maxUploadBytes: null,
    runs: 0,
    fit: 1, // scale that fits the image in the stage
    zoom: 1, // on top of fit: 1 = fit
    pan: { x: 0, y: 0 }, // screen pixels
    panning: null,
    spaceDown: false,
    touches: new Map(), // pointerId -> {x, y}, for two-finger pinch / pan
    brushTouched: false,
  };

  // ------------------------------------------------------------------------------------------------
  // Messages
  // ------------------------------------------------------------------------------------------------

  function setStatus(text) {
    el.status.textContent = text;
  }

  // An error, optionally with one way out (a button that runs `action.run` and closes the message).
  let errorAction = null;

  function showError(message, action = null) {
    el.errorText.textContent = message;
    errorAction = action;
    el.errorAction.hidden = !action;
    el.errorAction.textContent = action ? action.label : "";
    el.error.hidden = false;
  }

  function hideError() {
    el.error.hidden = true;
    errorAction = null;
    el.errorAction.hidden = true;
  }

  el.errorAction.addEventListener("click", () => {
    const action = errorAction;
    hideError();
    if (action) action.run();
  });

  el.errorClose.addEventListener("click", hideError);

  function formatBytes(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  }

  // ------------------------------------------------------------------------------------------------
  // Images
  // ------------------------------------------------------------------------------------------------

  async function makeEntry(blob, name) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob, { imageOrientation: "from-image" });
    } catch (error) {
      throw new Error(`This file could not be opened as an image (${blob.type || "unknown type"}).`);
    }
    return { blob, name, type: blob.type, width: bitmap.width, height: bitmap.height, bitmap, before: null };
  }

  async function ensureBitmap(entry) {
    if (!entry.bitmap) entry.bitmap = await createImageBitmap(entry.blob, { imageOrientation: "from-image" });
    return entry.bitmap;
  }

  // Keep decoded pixels only for what can be shown right now or by the next Undo / Redo (decoding
  // those ahead, so Undo / Redo are instant); other history entries keep just their blob.
  function releaseBitmaps() {
    const nextUndo = state.undo[state.undo.length - 1];
    const nextRedo = state.redo[state.redo.length - 1];
    const shown = [state.image, nextUndo && nextUndo.from, nextRedo && nextRedo.to];
    const keep = new Set(shown.flatMap((entry) => (entry ? [entry, entry.before] : [])));
    for (const action of state.undo.concat(state.redo)) {
      for (const entry of [action.from, action.to]) {
        if (entry && entry.bitmap && !keep.has(entry)) {
          entry.bitmap.close();
          entry.bitmap = null;
        }
      }
    }
    for (const entry of keep) {
      if (entry && !entry.bitmap) ensureBitmap(entry).catch(() => {});
    }
  }

  async function setImage(entry) {
    await ensureBitmap(entry);
    if (entry.before) await ensureBitmap(entry.before);
    showImage(entry);
  }

  // Undo / redo must be atomic for the user: the image and its mask change together, at once, and no
  // stroke can land in between. The entries they go to keep their pixels decoded (releaseBitmaps), so
  // this normally runs synchronously; if pixels must be decoded first, the page is busy meanwhile.
  async function restore(entry, ops) {
    if (!entry.bitmap || (entry.before && !entry.before.bitmap)) {
      setBusy(true);
      try {
        await ensureBitmap(entry);
        if (entry.before) await ensureBitmap(entry.before);
      } finally {
        setBusy(false);
      }
    }
    state.ops = ops;
    showImage(entry);
  }

  function showImage(entry) {
    const sizeChanged = !state.image || state.image.width !== entry.width || state.image.height !== entry.height;
    state.image = entry;
    if (sizeChanged) {
      el.imageCanvas.width = el.maskCanvas.width = entry.width;
      el.imageCanvas.height = el.maskCanvas.height = entry.height;
      state.zoom = 1;
      state.pan = { x: 0, y: 0 };
    }
    el.empty.hidden = true;
    el.wrap.hidden = false;
    el.meta.textContent = `${entry.name} · ${entry.width}×${entry.height} · ${formatBytes(entry.blob.size)}`;
    if (state.downloadUrl) URL.revokeObjectURL(state.downloadUrl);
    state.downloadUrl = URL.createObjectURL(entry.blob);
    layout();
    if (sizeChanged && !state.brushTouched) setSize(40 / state.fit); // about 40 screen pixels at first
    drawImage();
    drawMask();
    el.wrap.dataset.version = String((Number(el.wrap.dataset.version) || 0) + 1);
  }

  function drawImage() {
    const entry = state.comparing && state.image.before ? state.image.before : state.image;
    imageCtx.clearRect(0, 0, el.imageCanvas.width, el.imageCanvas.height);
    imageCtx.drawImage(entry.bitmap, 0, 0, el.imageCanvas.width, el.imageCanvas.height);
  }

  async function openFile(file) {
    if (!file) return;
    if (state.busy) {
      showError(WAIT_FOR_RUN);
      return;
    }
    hideError();
    if (file.type && !file.type.startsWith("image/")) {
      showError(`${file.name} is not an image (${file.type}).`);
      return;
    }
    if (state.maxUploadBytes && file.size > state.maxUploadBytes * 0.95) {
      showError(`${file.name} is ${formatBytes(file.size)}; the server accepts uploads up to ${formatBytes(state.maxUploadBytes)}.`);
      return;
    }
    try {
      const entry = await makeEntry(file, file.name || "pasted.png");
      const action = { type: "open", from: state.image, fromOps: state.ops, to: entry };
      state.ops = [];
      await setImage(entry);
      pushAction(action);
      setStatus("Paint over the area to remove, then press Inpaint.");
    } catch (error) {
      showError(error.message);
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Layout: the canvases keep the image's pixel size; CSS scales them to fit the stage.
  // ------------------------------------------------------------------------------------------------

  function currentScale() {
    const rect = el.maskCanvas.getBoundingClientRect();
    return rect.width > 0 ? rect.width / el.maskCanvas.width : 1;
  }

  function layout() {
    if (!state.image) return;
    const style = getComputedStyle(el.stage);
    const availWidth = el.stage.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const availHeight = el.stage.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    state.fit = Math.max(0.01, Math.min(availWidth / state.image.width, availHeight / state.image.height, 8));
    const scale = state.fit * state.zoom;
    el.wrap.style.width = `${state.image.width * scale}px`;
    el.wrap.style.height = `${state.image.height * scale}px`;
    el.wrap.style.transform = `translate(${state.pan.x}px, ${state.pan.y}px)`;
    el.wrap.classList.toggle("pixelated", scale >= 2);
    el.zoomLevel.textContent = `${Math.round(scale * 100)}%`;
    updateCursorSize();
  }

  // Zoom keeps the image point under the pointer where it is; pan moves the image in screen pixels.
  function zoomAt(clientX, clientY, factor) {
    if (!state.image) return;
    const rect = el.wrap.getBoundingClientRect();
    const before = state.fit * state.zoom;
    state.zoom = Math.min(64 / state.fit, Math.max(0.05 / state.fit, state.zoom * factor));
    const k = (state.fit * state.zoom) / before;
    const left = clientX - (clientX - rect.left) * k;
    const top = clientY - (clientY - rect.top) * k;
    state.pan.x += left + (rect.width * k) / 2 - (rect.left + rect.width / 2);
    state.pan.y += top + (rect.height * k) / 2 - (rect.top + rect.height / 2);
    layout();
  }

  function setView(zoom) {
    state.zoom = zoom;
    state.pan = { x: 0, y: 0 };
    layout();
  }

  el.stage.addEventListener(
    "wheel",
    (event) => {
      if (!state.image) return;
      event.preventDefault();
      zoomAt(event.clientX, event.clientY, Math.exp(-event.deltaY * 0.0015));
    },
    { passive: false },
  );
  el.zoomFit.addEventListener("click", () => setView(1));
  el.zoom100.addEventListener("click", () => setView(1 / state.fit));

  new ResizeObserver(layout).observe(el.stage);

  // ------------------------------------------------------------------------------------------------
  // Mask painting
  // ------------------------------------------------------------------------------------------------

  // The brush size is in image pixels (a stroke covers the same pixels at every zoom).
  function brushImageSize() {
    return Number(el.size.value);
  }

  function toImageCoords(event) {
    const rect = el.maskCanvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) * el.maskCanvas.width) / rect.width,
      ((event.clientY - rect.top) * el.maskCanvas.height) / rect.height,
    ];
  }

  // An op is one mask edit, replayed in order by drawMask(): a brush / eraser stroke, a rectangle or a
  // lasso (filled polygon), or a raster (the whole mask replaced: grow, shrink, invert, an uploaded mask).
  function startOp(point) {
    if (state.tool === "rect") return { kind: "rect", mode: "brush", points: [point, point] };
    if (state.tool === "lasso") return { kind: "lasso", mode: "brush", points: [point] };
    return { kind: "stroke", mode: state.tool, size: Math.max(1, brushImageSize()), points: [point] };
  }

  function applyOp(op, from = 0) {
    maskCtx.save();
    maskCtx.globalCompositeOperation = op.mode === "eraser" ? "destination-out" : "source-over";
    maskCtx.strokeStyle = maskCtx.fillStyle = MASK_COLOR;
    const points = op.points;
    if (op.kind === "raster") {
      maskCtx.clearRect(0, 0, el.maskCanvas.width, el.maskCanvas.height);
      maskCtx.drawImage(op.canvas, 0, 0);
    } else if (op.kind === "rect") {
      const [[x0, y0], [x1, y1]] = points;
      maskCtx.fillRect(Math.round(Math.min(x0, x1)), Math.round(Math.min(y0, y1)), Math.round(Math.abs(x1 - x0)), Math.round(Math.abs(y1 - y0)));
    } else if (op.kind === "lasso") {
      maskCtx.beginPath();
      maskCtx.moveTo(points[0][0], points[0][1]);
      for (const [x, y] of points.slice(1)) maskCtx.lineTo(x, y);
      maskCtx.closePath();
      maskCtx.fill();
    } else {
      maskCtx.lineWidth = op.size;
      maskCtx.lineCap = maskCtx.lineJoin = "round";
      if (from === 0) {
        maskCtx.beginPath();
        maskCtx.arc(points[0][0], points[0][1], op.size / 2, 0, Math.PI * 2);
        maskCtx.fill();
      }
      if (points.length > 1) {
        maskCtx.beginPath();
        const start = Math.max(0, from - 1);
        maskCtx.moveTo(points[start][0], points[start][1]);
        for (let i = start + 1; i < points.length; i++) maskCtx.lineTo(points[i][0], points[i][1]);
        maskCtx.stroke();
      }
    }
    maskCtx.restore();
  }

  function drawMask() {
    maskCtx.clearRect(0, 0, el.maskCanvas.width, el.maskCanvas.height);
    for (const op of state.ops) applyOp(op);
    if (state.stroke) applyOp(state.stroke);
    updateButtons();
  }

  function canPaint() {
    return state.image && !state.busy && !state.comparing;
  }

  function commitOp(op) {
    state.ops = [...state.ops, op]; // a new list: history entries may hold the old one
    pushAction({ type: "stroke", op });
    drawMask();
    if (el.autoRun.checked) runInpainting();
  }

  // Pointers: one finger / the left button paints with the current tool; Space + drag, the middle button
  // or two fingers pan (two fingers also pinch-zoom); the wheel zooms around the pointer.
  el.maskCanvas.addEventListener("pointerdown", (event) => {
    if (!state.image) return;
    if (event.pointerType === "touch") {
      state.touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (state.touches.size > 1) {
        cancelStroke(); // a second finger: a gesture, not painting
        return;
      }
    }
    if (state.spaceDown || (event.pointerType === "mouse" && event.button === 1)) {
      event.preventDefault();
      el.maskCanvas.setPointerCapture(event.pointerId);
      state.panning = { id: event.pointerId, x: event.clientX, y: event.clientY };
      return;
    }
    if (!canPaint() || (event.pointerType === "mouse" && event.button !== 0) || state.pointerId !== null) return;
    event.preventDefault();
    hideError();
    el.maskCanvas.setPointerCapture(event.pointerId);
    state.pointerId = event.pointerId;
    state.stroke = startOp(toImageCoords(event));
    applyOp(state.stroke);
  });

  function pinch(event) {
    const previous = [...state.touches.values()];
    state.touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
    const current = [...state.touches.values()];
    const mid = (points) => [(points[0].x + points[1].x) / 2, (points[0].y + points[1].y) / 2];
    const span = (points) => Math.hypot(points[0].x - points[1].x, points[0].y - points[1].y) || 1;
    const [mx0, my0] = mid(previous);
    const [mx1, my1] = mid(current);
    zoomAt(mx0, my0, span(current) / span(previous));
    state.pan.x += mx1 - mx0;
    state.pan.y += my1 - my0;
    layout();
  }

  el.maskCanvas.addEventListener("pointermove", (event) => {
    moveCursor(event);
    if (state.touches.has(event.pointerId) && state.touches.size === 2) {
      event.preventDefault();
      pinch(event);
      return;
    }
    if (state.touches.has(event.pointerId)) state.touches.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (state.panning && state.panning.id === event.pointerId) {
      state.pan.x += event.clientX - state.panning.x;
      state.pan.y += event.clientY - state.panning.y;
      state.panning.x = event.clientX;
      state.panning.y = event.clientY;
      layout();
      return;
    }
    if (event.pointerId !== state.pointerId || !state.stroke) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    const points = (events.length ? events : [event]).map(toImageCoords);
    if (state.stroke.kind === "rect") {
      state.stroke.points[1] = points[points.length - 1];
      drawMask();
    } else if (state.stroke.kind === "lasso") {
      state.stroke.points.push(...points);
      drawMask();
    } else {
      const from = state.stroke.points.length;
      state.stroke.points.push(...points);
      applyOp(state.stroke, from);
    }
  });

  function finishStroke(event) {
    state.touches.delete(event.pointerId);
    if (state.panning && state.panning.id === event.pointerId) {
      state.panning = null;
      return;
    }
    if (event.pointerId !== state.pointerId) return;
    const op = state.stroke;
    state.stroke = null;
    state.pointerId = null;
    const empty = !op || (op.kind === "lasso" && op.points.length < 3) ||
      (op.kind === "rect" && (Math.abs(op.points[1][0] - op.points[0][0]) < 1 || Math.abs(op.points[1][1] - op.points[0][1]) < 1));
    if (empty) {
      drawMask();
      return;
    }
    commitOp(op);
  }

  function cancelStroke() {
    state.stroke = null;
    state.pointerId = null;
    drawMask();
  }

  el.maskCanvas.addEventListener("pointerup", finishStroke);
  el.maskCanvas.addEventListener("pointercancel", (event) => {
    state.touches.delete(event.pointerId);
    if (state.panning && state.panning.id === event.pointerId) state.panning = null;
    if (event.pointerId === state.pointerId) cancelStroke();
  });
  el.maskCanvas.addEventListener("pointerleave", (event) => {
    if (event.pointerType !== "touch") el.cursor.hidden = true;
  });
  el.maskCanvas.addEventListener("contextmenu", (event) => event.preventDefault());

  // Whole-mask edits: grow / shrink (square morphology, in image pixels), invert, upload, download.
  function maskBits() {
    const { width, height } = el.maskCanvas;
    const data = maskCtx.getImageData(0, 0, width, height).data;
    const bits = new Uint8Array(width * height);
    for (let i = 0; i < bits.length; i++) bits[i] = data[4 * i + 3] >= 128 ? 1 : 0;
    return bits;
  }

  function rasterOp(bits) {
    const { width, height } = el.maskCanvas;
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d");
    const pixels = context.createImageData(width, height);
    for (let i = 0; i < bits.length; i++) {
      if (!bits[i]) continue;
      pixels.data.set([255, 196, 0, 255], 4 * i);
    }
    context.putImageData(pixels, 0, 0);
    return { kind: "raster", mode: "brush", canvas };
  }

  // One pass of a sliding-window max (grow) or min (shrink) along rows or columns.
  function morphPass(bits, width, height, radius, grow, alongRows) {
    const out = new Uint8Array(bits.length);
    const lines = alongRows ? height : width;
    const length = alongRows ? width : height;
    const at = (line, i) => (alongRows ? line * width + i : i * width + line);
    for (let line = 0; line < lines; line++) {
      let ones = 0;
      for (let i = 0; i < Math.min(radius, length); i++) ones += bits[at(line, i)];
      for (let i = 0; i < length; i++) {
        if (i + radius < length) ones += bits[at(line, i + radius)];
        if (i - radius - 1 >= 0) ones -= bits[at(line, i - radius - 1)];
        const span = Math.min(length - 1, i + radius) - Math.max(0, i - radius) + 1;
        out[at(line, i)] = grow ? (ones > 0 ? 1 : 0) : ones === span ? 1 : 0;
      }
    }
    return out;
  }

  function morphMask(grow) {
    if (!state.image || state.busy) return;
    const { width, height } = el.maskCanvas;
    const radius = Math.max(1, Math.round(Number(el.morphSize.value) || 1));
    const rows = morphPass(maskBits(), width, height, radius, grow, true);
    commitOp(rasterOp(morphPass(rows, width, height, radius, grow, false)));
  }

  function invertMask() {
    if (!state.image || state.busy) return;
    commitOp(rasterOp(maskBits().map((bit) => 1 - bit)));
  }

  // An uploaded mask: white (or, with a varying alpha channel, opaque) = fill. A mask of another size is
  // refused with the CLI's message, and resizing it (nearest, as `--resize-mask` does) is offered.
  const WAIT_FOR_RUN = "Please wait for the current inpainting to finish.";

  async function uploadMask(file) {
    if (!file || !state.image) return;
    if (state.busy) {
      showError(WAIT_FOR_RUN);
      return;
    }
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch (error) {
      showError(`${file.name} could not be opened as a mask image.`);
      return;
    }
    const { width, height } = el.maskCanvas;
    if (bitmap.width !== width || bitmap.height !== height) {
      if (!sameAspect(bitmap.width, bitmap.height, width, height)) {
        showError(
          `mask ${file.name} is ${bitmap.width}x${bitmap.height} and the image ${width}x${height} (width x height): ` +
            "their aspect ratios differ, so resizing would stretch the holes; resizing only scales a mask " +
            "drawn on the whole image at another resolution",
        );
        return;
      }
      showError(
        `mask ${file.name} is ${bitmap.width}x${bitmap.height} but the image is ${width}x${height} ` +
          "(width x height); use a mask of the image's size or resize it",
        { label: "Resize mask", run: () => applyMask(file, bitmap) },
      );
      return;
    }
    applyMask(file, bitmap);
  }

  // The CLI's rule (imageio's _same_aspect): the mask is the image scaled, up to rounding of a side or 1 %.
  function sameAspect(maskWidth, maskHeight, width, height) {
    const off = Math.abs(maskHeight * width - maskWidth * height);
    return off < height + width || off <= 0.01 * maskWidth * height;
  }

  function applyMask(file, bitmap) {
    // (a run may have started while the file was decoded, or before "Resize mask" was pressed)
    if (state.busy) {
      showError(WAIT_FOR_RUN);
      return;
    }
    const { width, height } = el.maskCanvas;
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d");
    context.imageSmoothingEnabled = false;
    context.drawImage(bitmap, 0, 0, width, height);
    const data = context.getImageData(0, 0, width, height).data;
    let varyingAlpha = false;
    for (let i = 3; i < data.length && !varyingAlpha; i += 4) varyingAlpha = data[i] !== data[3];
    const bits = new Uint8Array(width * height);
    for (let i = 0; i < bits.length; i++) {
      const grey = 0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2];
      bits[i] = (varyingAlpha ? data[4 * i + 3] : grey) >= 128 ? 1 : 0;
    }
    const resized = bitmap.width !== width || bitmap.height !== height;
    commitOp(rasterOp(bits));
    setStatus(`Mask ${file.name} loaded${resized ? ` (resized from ${bitmap.width}x${bitmap.height})` : ""}.`);
  }

  async function downloadMask() {
    const mask = await exportMask();
    if (!mask) {
      showError("The mask is empty: there is nothing to download.");
      return;
    }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(mask);
    link.download = `${state.image.name.replace(/\.[^.]*$/, "") || "image"}-mask.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  el.grow.addEventListener("click", () => morphMask(true));
  el.shrink.addEventListener("click", () => morphMask(false));
  el.invert.addEventListener("click", invertMask);
  el.texture.addEventListener("change", () => {
    el.textureStrength.disabled = !el.texture.checked;
  });
  el.maskInput.addEventListener("change", () => {
    const file = el.maskInput.files && el.maskInput.files[0];
    el.maskInput.value = "";
    uploadMask(file);
  });
  el.maskDownload.addEventListener("click", downloadMask);

  function moveCursor(event) {
    if (event.pointerType === "touch" || !canPaint()) {
      el.cursor.hidden = true;
      return;
    }
    const rect = el.wrap.getBoundingClientRect();
    el.cursor.hidden = false;
    el.cursor.style.left = `${event.clientX - rect.left}px`;
    el.cursor.style.top = `${event.clientY - rect.top}px`;
  }

  function updateCursorSize() {
    const size = brushImageSize() * currentScale();
    el.cursor.style.width = el.cursor.style.height = `${size}px`;
    el.cursor.classList.toggle("eraser", state.tool === "eraser");
  }

  function setTool(tool) {
    state.tool = tool;
    for (const [name, button] of [["brush", el.brush], ["eraser", el.eraser], ["rect", el.rect], ["lasso", el.lasso]]) {
      button.setAttribute("aria-pressed", String(tool === name));
    }
    el.cursor.classList.toggle("shape", tool === "rect" || tool === "lasso");
    updateCursorSize();
  }

  function setSize(value) {
    const clamped = Math.min(Number(el.size.max), Math.max(Number(el.size.min), Math.round(value)));
    el.size.value = String(clamped);
    el.sizeValue.value = String(clamped);
    updateCursorSize();
  }

  el.brush.addEventListener("click", () => setTool("brush"));
  el.eraser.addEventListener("click", () => setTool("eraser"));
  el.rect.addEventListener("click", () => setTool("rect"));
  el.lasso.addEventListener("click", () => setTool("lasso"));
  el.size.addEventListener("input", () => {
    state.brushTouched = true;
    setSize(Number(el.size.value));
  });

  // The mask sent to the server: opaque black/white PNG at image size, white = fill.
  async function exportMask() {
    const { width, height } = el.maskCanvas;
    const pixels = maskCtx.getImageData(0, 0, width, height);
    const data = pixels.data;
    let painted = 0;
    for (let i = 0; i < data.length; i += 4) {
      const value = data[i + 3] >= 128 ? 255 : 0;
      painted += value && 1;
      data[i] = data[i + 1] = data[i + 2] = value;
      data[i + 3] = 255;
    }
    if (!painted) return null;
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").putImageData(pixels, 0, 0);
    return new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("could not encode the mask"))), "image/png"),
    );
  }

  // ------------------------------------------------------------------------------------------------
  // Undo / redo
  // ------------------------------------------------------------------------------------------------

  function pushAction(action) {
    state.undo.push(action);
    if (state.undo.length > MAX_HISTORY) state.undo.shift();
    state.redo.length = 0;
    releaseBitmaps();
    updateButtons();
  }

  async function undo() {
    if (state.busy || state.stroke || !state.undo.length) return;
    const action = state.undo.pop();
    state.redo.push(action);
    switch (action.type) {
      case "stroke":
        state.ops = state.ops.slice(0, -1); // never in place: the list may be a history entry's
        drawMask();
        break;
      case "clear":
        state.ops = action.ops;
        drawMask();
        break;
      case "inpaint":
        await restore(action.from, action.ops);
        setStatus("Undid the inpainting: the previous image and its mask are back.");
        break;
      case "open":
        if (action.from) {
          await restore(action.from, action.fromOps);
        } else {
          state.ops = action.fromOps;
          state.image = null;
          el.wrap.hidden = true;
          el.empty.hidden = false;
          el.meta.textContent = "";
        }
        break;
    }
    releaseBitmaps();
    updateButtons();
  }

  async function redo() {
    if (state.busy || state.stroke || !state.redo.length) return;
    const action = state.redo.pop();
    state.undo.push(action);
    switch (action.type) {
      case "stroke":
        state.ops = [...state.ops, action.op];
        drawMask();
        break;
      case "clear":
        state.ops = [];
        drawMask();
        break;
      case "inpaint":
      case "open":
        await restore(action.to, []);
        break;
    }
    releaseBitmaps();
    updateButtons();
  }

  function clearMask() {
    if (state.busy || !state.ops.length) return;
    pushAction({ type: "clear", ops: state.ops });
    state.ops = [];
    drawMask();
  }

  // Undo/redo may decode images (async): run them one after the other, never interleaved.
  let historyChain = Promise.resolve();
  function serial(task) {
    historyChain = historyChain.then(task).catch((error) => showError(error.message));
    return historyChain;
  }
  const undoSerial = () => serial(undo);
  const redoSerial = () => serial(redo);

  el.undo.addEventListener("click", undoSerial);
  el.redo.addEventListener("click", redoSerial);
  el.clear.addEventListener("click", clearMask);

  function updateButtons() {
    const hasImage = Boolean(state.image);
    el.undo.disabled = state.busy || !state.undo.length;
    el.redo.disabled = state.busy || !state.redo.length;
    el.clear.disabled = state.busy || !state.ops.length;
    el.run.disabled = state.busy || !hasImage || !state.ops.length;
    el.download.disabled = !hasImage;
    el.compare.disabled = !hasImage || !state.image.before;
    // Load mask is a <label> for the hidden file input: a disabled input opens no dialog
    el.maskInput.disabled = state.busy;
    el.maskLoad.setAttribute("aria-disabled", String(state.busy));
  }

  // ------------------------------------------------------------------------------------------------
  // Compare (hold the button or the C key)
  // ------------------------------------------------------------------------------------------------

  function setComparing(on) {
    on = Boolean(on) && Boolean(state.image && state.image.before);
    if (on === state.comparing) return;
    state.comparing = on;
    el.wrap.classList.toggle("comparing", on);
    el.badge.hidden = !on;
    el.cursor.hidden = true;
    drawImage();
  }

  el.compare.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    el.compare.setPointerCapture(event.pointerId);
    setComparing(true);
  });
  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    el.compare.addEventListener(type, () => setComparing(false));
  }
  el.compare.addEventListener("keydown", (event) => {
    if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      setComparing(true);
    }
  });
  el.compare.addEventListener("keyup", () => setComparing(false));
  el.compare.addEventListener("contextmenu", (event) => event.preventDefault()); // long-press on touch
  el.compare.addEventListener("blur", () => setComparing(false));

  // ------------------------------------------------------------------------------------------------
  // Running the model
  // ------------------------------------------------------------------------------------------------

  async function readError(response) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && body.detail) detail = body.detail;
    } catch (_) {
      /* not JSON */
    }
    if (response.status === 503) {
      const retry = response.headers.get("Retry-After");
      return `The server is busy. ${retry ? `Try again in ${retry} s. ` : ""}(${detail})`;
    }
    return `Inpainting failed: ${detail}`;
  }

  function setBusy(busy) {
    state.busy = busy;
    document.body.dataset.busy = String(busy);
    el.busy.hidden = !busy;
    el.cursor.hidden = true;
    updateButtons();
  }

  async function runInpainting() {
    if (!state.image || state.busy || state.stroke) return;
    // Busy before the first await: a second click (double click), a stroke, an opened image or a loaded
    // mask cannot slip in while the mask is encoded. The run keeps the image and ops it sends, not
    // whatever `state` holds when the response comes.
    el.busyText.textContent = "Inpainting…";
    setBusy(true);
    hideError();
    const from = state.image;
    const ops = state.ops;
    const started = performance.now();
    let ticker = null;
    try {
      const mask = await exportMask();
      if (!mask) {
        showError("The mask is empty: paint over the area you want to remove first.");
        return;
      }
      const form = new FormData();
      form.append("image", from.blob, from.name);
      form.append("mask", mask, "mask.png");
      form.append("strategy", el.strategy.value);
      form.append("texture", el.texture.checked ? "true" : "false");
      if (el.texture.checked) form.append("texture_strength", el.textureStrength.value);
      if (el.model.value) form.append("model", el.model.value);
      ticker = setInterval(() => {
        el.busyText.textContent = `Inpainting… ${((performance.now() - started) / 1000).toFixed(0)} s`;
      }, 1000);
      setStatus("Inpainting…");
      let response;
      try {
        response = await fetch(`${API}/inpaint`, { method: "POST", body: form });
      } catch (error) {
        throw new Error("Could not reach the server. Is `wavemix-inpaint serve` still running?");
      }
      if (!response.ok) throw new Error(await readError(response));
      const blob = await response.blob();
      const entry = await makeEntry(blob, from.name);
      entry.before = from;
      const action = { type: "inpaint", from, to: entry, ops };
      state.ops = [];
      await setImage(entry);
      pushAction(action);
      state.runs += 1;
      document.body.dataset.runs = String(state.runs);
      const serverMs = response.headers.get("X-Elapsed-Ms");
      const total = ((performance.now() - started) / 1000).toFixed(1);
      const notices = response.headers.get("X-Notices");
      setStatus(`Done in ${total} s${serverMs ? ` (model ${Math.round(Number(serverMs))} ms)` : ""}. ` +
        (notices ? `Note: ${notices}. ` : "") +
        "Keep painting to edit the result, hold Compare to see the previous image, Undo to go back.");
    } catch (error) {
      showError(error.message);
      setStatus("Inpainting failed.");
    } finally {
      if (ticker !== null) clearInterval(ticker);
      setBusy(false);
    }
  }

  el.run.addEventListener("click", runInpainting);

  // ------------------------------------------------------------------------------------------------
  // Download
  // ------------------------------------------------------------------------------------------------

  const EXTENSIONS = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/bmp": "bmp", "image/tiff": "tiff" };

  function downloadName(entry) {
    const stem = entry.name.replace(/\.[^.]*$/, "") || "image";
    const ext = EXTENSIONS[entry.type] || (entry.name.match(/\.([^.]+)$/) || [, "png"])[1];
    return entry.before ? `${stem}-inpainted.${ext}` : `${stem}.${ext}`;
  }

  function download() {
    if (!state.image) return;
    const link = document.createElement("a");
    link.href = state.downloadUrl;
    link.download = downloadName(state.image);
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  el.download.addEventListener("click", download);

  // ------------------------------------------------------------------------------------------------
  // Opening files: picker, drag and drop, paste
  // ------------------------------------------------------------------------------------------------

  el.fileInput.addEventListener("change", () => {
    const file = el.fileInput.files && el.fileInput.files[0];
    el.fileInput.value = "";
    openFile(file);
  });

  let dragDepth = 0;
  const hasFiles = (event) => event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files");
  window.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth += 1;
    el.dropOverlay.hidden = false;
  });
  window.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  window.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) el.dropOverlay.hidden = true;
  });
  window.addEventListener("drop", (event) => {
    event.preventDefault();
    dragDepth = 0;
    el.dropOverlay.hidden = true;
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) openFile(file);
  });
  window.addEventListener("paste", (event) => {
    const items = Array.from((event.clipboardData && event.clipboardData.files) || []);
    const file = items.find((f) => f.type.startsWith("image/"));
    if (file) {
      event.preventDefault();
      openFile(file);
    }
  });

  // ------------------------------------------------------------------------------------------------
  // Keyboard shortcuts
  // ------------------------------------------------------------------------------------------------

  window.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target && (target.tagName === "SELECT" || (target.tagName === "INPUT" && target.type !== "range"))) return;
    const key = event.key.toLowerCase();
    const mod = event.ctrlKey || event.metaKey;
    if (mod && key === "z") {
      event.preventDefault();
      event.shiftKey ? redoSerial() : undoSerial();
    } else if (mod && key === "y") {
      event.preventDefault();
      redoSerial();
    } else if (mod && key === "s") {
      event.preventDefault();
      download();
    } else if (mod && key === "enter") {
      event.preventDefault();
      runInpainting();
    } else if (mod || event.altKey) {
      return;
    } else if (key === " ") {
      event.preventDefault();
      state.spaceDown = true;
      el.wrap.classList.add("panning");
    } else if (key === "b") {
      setTool("brush");
    } else if (key === "e") {
      setTool("eraser");
    } else if (key === "r") {
      setTool("rect");
    } else if (key === "l") {
      setTool("lasso");
    } else if (key === "0") {
      setView(1);
    } else if (key === "1") {
      setView(1 / state.fit);
    } else if (key === "[") {
      setSize(brushImageSize() / 1.25);
    } else if (key === "]") {
      setSize(brushImageSize() * 1.25);
    } else if (key === "c" && !event.repeat) {
      setComparing(true);
    } else if (key === "escape") {
      hideError();
    }
  });
  window.addEventListener("keyup", (event) => {
    if (event.key.toLowerCase() === "c") setComparing(false);
    if (event.key === " ") {
      state.spaceDown = false;
      el.wrap.classList.remove("panning");
    }
  });
  // Keys released in another window send no keyup here: forget held keys when the window loses focus.
  window.addEventListener("blur", () => {
    setComparing(false);
    state.spaceDown = false;
    el.wrap.classList.remove("panning");
  });

  // ------------------------------------------------------------------------------------------------
  // Start-up
  // ------------------------------------------------------------------------------------------------

  async function loadModelInfo() {
    try {
      const response = await fetch(`${API}/models`, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const info = await response.json();
      const loaded = info.loaded || {};
      const params = loaded.parameters ? ` · ${(loaded.parameters / 1e6).toFixed(2)} M params` : "";
      el.modelInfo.textContent = `${loaded.name || "model"}${loaded.device ? ` · ${loaded.device}` : ""}${params}`;
      if (info.limits && info.limits.max_upload_bytes) state.maxUploadBytes = info.limits.max_upload_bytes;
      if (info.options) {
        if (info.options.strategy) el.strategy.value = info.options.strategy;
        el.texture.checked = Boolean(info.options.texture);
        if (info.options.texture_strength) el.textureStrength.value = String(info.options.texture_strength);
        el.textureStrength.disabled = !el.texture.checked;
      }
      el.model.replaceChildren(...(info.offered || []).map((offer) => {
        const option = document.createElement("option");
        option.value = offer.id;
        option.textContent = offer.id;
        option.title = offer.description || offer.kind;
        option.selected = Boolean(offer.default);
        return option;
      }));
      el.model.disabled = el.model.options.length < 2;
    } catch (error) {
      el.modelInfo.textContent = "server unreachable";
    }
  }

  setSize(Number(el.size.value));
  setTool("brush");
  updateButtons();
  loadModelInfo();
  document.body.dataset.ready = "true";
})();
