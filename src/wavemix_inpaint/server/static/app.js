// WaveMix Inpaint web UI: vanilla JS, no build step, no external resources.
//
// Model of the page:
//   * `state.image` is the current image entry {blob, name, type, width, height, bitmap, before}.
//     `before` is the entry the image was inpainted from (what "compare" shows).
//   * The mask lives on #mask-canvas at the image's own pixel size (CSS scales it to fit), as a list of
//     operations `state.ops` (brush / eraser strokes in image pixels) that can be replayed.
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
    size: $("brush-size"),
    sizeValue: $("brush-size-value"),
    undo: $("undo-btn"),
    redo: $("redo-btn"),
    clear: $("clear-btn"),
    compare: $("compare-btn"),
    strategy: $("strategy"),
    texture: $("texture"),
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
  };

  // ------------------------------------------------------------------------------------------------
  // Messages
  // ------------------------------------------------------------------------------------------------

  function setStatus(text) {
    el.status.textContent = text;
  }

  function showError(message) {
    el.errorText.textContent = message;
    el.error.hidden = false;
  }

  function hideError() {
    el.error.hidden = true;
  }

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
    }
    el.empty.hidden = true;
    el.wrap.hidden = false;
    el.meta.textContent = `${entry.name} · ${entry.width}×${entry.height} · ${formatBytes(entry.blob.size)}`;
    if (state.downloadUrl) URL.revokeObjectURL(state.downloadUrl);
    state.downloadUrl = URL.createObjectURL(entry.blob);
    layout();
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
      showError("Please wait for the current inpainting to finish.");
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
    const scale = Math.max(0.01, Math.min(availWidth / state.image.width, availHeight / state.image.height, 8));
    el.wrap.style.width = `${Math.round(state.image.width * scale)}px`;
    el.wrap.style.height = `${Math.round(state.image.height * scale)}px`;
    el.wrap.classList.toggle("pixelated", scale >= 2);
    updateCursorSize();
  }

  new ResizeObserver(layout).observe(el.stage);

  // ------------------------------------------------------------------------------------------------
  // Mask painting
  // ------------------------------------------------------------------------------------------------

  function brushScreenSize() {
    return Number(el.size.value);
  }

  function toImageCoords(event) {
    const rect = el.maskCanvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) * el.maskCanvas.width) / rect.width,
      ((event.clientY - rect.top) * el.maskCanvas.height) / rect.height,
    ];
  }

  function applyOp(op, from = 0) {
    maskCtx.save();
    maskCtx.globalCompositeOperation = op.mode === "eraser" ? "destination-out" : "source-over";
    maskCtx.strokeStyle = maskCtx.fillStyle = MASK_COLOR;
    maskCtx.lineWidth = op.size;
    maskCtx.lineCap = maskCtx.lineJoin = "round";
    const points = op.points;
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

  el.maskCanvas.addEventListener("pointerdown", (event) => {
    if (!canPaint()) return;
    if (event.pointerType === "mouse" && event.button !== 0) return;
    if (state.pointerId !== null) {
      // A second finger: this is a gesture, not painting. Drop the stroke in progress.
      cancelStroke();
      return;
    }
    event.preventDefault();
    hideError();
    el.maskCanvas.setPointerCapture(event.pointerId);
    state.pointerId = event.pointerId;
    const size = Math.max(1, brushScreenSize() / currentScale());
    state.stroke = { mode: state.tool, size, points: [toImageCoords(event)] };
    applyOp(state.stroke);
  });

  el.maskCanvas.addEventListener("pointermove", (event) => {
    moveCursor(event);
    if (event.pointerId !== state.pointerId || !state.stroke) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    const from = state.stroke.points.length;
    for (const e of events.length ? events : [event]) state.stroke.points.push(toImageCoords(e));
    applyOp(state.stroke, from);
  });

  function finishStroke(event) {
    if (event.pointerId !== state.pointerId) return;
    const stroke = state.stroke;
    state.stroke = null;
    state.pointerId = null;
    if (!stroke) return;
    state.ops.push(stroke);
    pushAction({ type: "stroke", op: stroke });
    drawMask();
  }

  function cancelStroke() {
    state.stroke = null;
    state.pointerId = null;
    drawMask();
  }

  el.maskCanvas.addEventListener("pointerup", finishStroke);
  el.maskCanvas.addEventListener("pointercancel", (event) => {
    if (event.pointerId === state.pointerId) cancelStroke();
  });
  el.maskCanvas.addEventListener("pointerleave", (event) => {
    if (event.pointerType !== "touch") el.cursor.hidden = true;
  });
  el.maskCanvas.addEventListener("contextmenu", (event) => event.preventDefault());

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
    const size = brushScreenSize();
    el.cursor.style.width = el.cursor.style.height = `${size}px`;
    el.cursor.classList.toggle("eraser", state.tool === "eraser");
  }

  function setTool(tool) {
    state.tool = tool;
    el.brush.setAttribute("aria-pressed", String(tool === "brush"));
    el.eraser.setAttribute("aria-pressed", String(tool === "eraser"));
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
  el.size.addEventListener("input", () => setSize(Number(el.size.value)));

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
        state.ops.pop();
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
        state.ops.push(action.op);
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
    hideError();
    const mask = await exportMask();
    if (!mask) {
      showError("The mask is empty: paint over the area you want to remove first.");
      return;
    }
    const form = new FormData();
    form.append("image", state.image.blob, state.image.name);
    form.append("mask", mask, "mask.png");
    form.append("strategy", el.strategy.value);
    form.append("texture", el.texture.checked ? "true" : "false");
    if (el.model.value) form.append("model", el.model.value);
    setBusy(true);
    const started = performance.now();
    const ticker = setInterval(() => {
      el.busyText.textContent = `Inpainting… ${((performance.now() - started) / 1000).toFixed(0)} s`;
    }, 1000);
    el.busyText.textContent = "Inpainting…";
    setStatus("Inpainting…");
    try {
      let response;
      try {
        response = await fetch(`${API}/inpaint`, { method: "POST", body: form });
      } catch (error) {
        throw new Error("Could not reach the server. Is `wavemix-inpaint serve` still running?");
      }
      if (!response.ok) throw new Error(await readError(response));
      const blob = await response.blob();
      const from = state.image;
      const entry = await makeEntry(blob, from.name);
      entry.before = from;
      const action = { type: "inpaint", from, to: entry, ops: state.ops };
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
      clearInterval(ticker);
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
    } else if (key === "b") {
      setTool("brush");
    } else if (key === "e") {
      setTool("eraser");
    } else if (key === "[") {
      setSize(brushScreenSize() / 1.25);
    } else if (key === "]") {
      setSize(brushScreenSize() * 1.25);
    } else if (key === "c" && !event.repeat) {
      setComparing(true);
    } else if (key === "escape") {
      hideError();
    }
  });
  window.addEventListener("keyup", (event) => {
    if (event.key.toLowerCase() === "c") setComparing(false);
  });
  window.addEventListener("blur", () => setComparing(false));

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
      if (info.options) el.texture.checked = Boolean(info.options.texture);
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
