"""FastAPI application: the REST API (``/api/v1``) and the bundled single-page web UI.

Design notes (see ``docs/web.md`` for the user-facing description):

* **Requests** are ``multipart/form-data`` (an ``image`` and a ``mask`` file plus optional form
  fields), so ``curl -F`` works and nothing has to be base64-encoded by hand.
* **Responses** are the image bytes in the input's format by default; ``Accept: application/json``
  returns ``{"image": <base64>, "media_type", "width", "height", "elapsed_ms"}`` instead.
* **Errors** are always JSON ``{"error": <code>, "detail": <message>}``.
* **Limits**: the request body size is checked on ``Content-Length`` and again while reading
  (413); the pixel count of decoded images is bounded (413); at most ``max_concurrency`` inferences
  run at once in worker threads and at most ``max_queue`` more wait (503 + ``Retry-After`` beyond);
  a request that takes longer than ``request_timeout_s`` in total gets 504.
* **No file-system access**: there are no path parameters; the UI's three static files are read once
  from this package's ``static/`` folder and served from fixed routes.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, is_dataclass
from importlib import resources
from typing import Annotated, Any, Literal, Protocol

import anyio
import numpy as np
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from wavemix_inpaint.errors import (
    ImageTooLargeError,
    InputError,
    ModelUnavailableError,
    NothingKnownError,
    SizeMismatchError,
    WavemixError,
)
from wavemix_inpaint.imageio import (
    SERVER_MAX_PIXELS,
    LoadedImage,
    encode_image,
    image_dimensions,
    prepare_mask,
    read_image,
    read_mask,
)
from wavemix_inpaint.inference import InpaintOptions
from wavemix_inpaint.inference.options import MAX_SEED
from wavemix_inpaint.server.api_docs import render_api_reference
from wavemix_inpaint.server.catalog import ModelCatalog
from wavemix_inpaint.server.memory import (
    QUEUE_SHARE,
    QueuedInputs,
    decoded_inputs_bound,
    default_budget_bytes,
    estimate_request_bytes,
    input_bytes,
)
from wavemix_inpaint.server.middleware import ApiError, BodyLimitMiddleware, SecurityHeadersMiddleware, error_response
from wavemix_inpaint.server.queue import InferenceQueue

logger = logging.getLogger("wavemix_inpaint.server")

API_PREFIX = "/api/v1"
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_IMAGE_PIXELS = SERVER_MAX_PIXELS

Strategy = Literal["crop", "resize", "full"]
OutputFormat = Literal["same", "png", "jpeg", "webp"]

# Pillow format name -> (media type, file extension, lossless)
_FORMATS: dict[str, tuple[str, str]] = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
    "BMP": ("image/bmp", "bmp"),
    "TIFF": ("image/tiff", "tiff"),
}
_REQUESTED_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}

# The UI: fixed name -> media type. Nothing else is ever served from disk.
_STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


class InpaintFn(Protocol):
    """What :func:`create_app` needs: :meth:`~wavemix_inpaint.inpainter.Inpainter.run`."""

    def run(self, image: np.ndarray, mask: np.ndarray, options: InpaintOptions) -> tuple[np.ndarray, list[str]]: ...


class ErrorBody(BaseModel):
    """Every error response: a stable machine-readable code and a human-readable message."""

    error: str
    detail: str


class InpaintJSON(BaseModel):
    """``POST /api/v1/inpaint`` response body when the client sends ``Accept: application/json``."""

    image: str
    media_type: str
    width: int
    height: int
    elapsed_ms: float
    notices: list[str] = []


_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "undecodable image or mask, or size mismatch"},
    413: {"model": ErrorBody, "description": "request body or image too large"},
    422: {"model": ErrorBody, "description": "missing or invalid form fields"},
    503: {
        "model": ErrorBody,
        "description": "queue full (retry after the `Retry-After` header's seconds), or the chosen model could not be loaded",
    },
    504: {"model": ErrorBody, "description": "request timed out"},
    507: {"model": ErrorBody, "description": "out of (GPU) memory"},
}


# --------------------------------------------------------------------------------------------------
# Image decoding / encoding (run in threads)
# --------------------------------------------------------------------------------------------------


def _read_upload(what: str, data: bytes, filename: str | None, max_pixels: int, like: LoadedImage | None = None) -> Any:
    """Decode an uploaded image (``what="image"``: a LoadedImage) or mask (a 1 = hole float array at the size of
    the image ``like``, with the same rules as the CLI)."""
    upload = io.BytesIO(data)
    upload.name = repr(filename) if filename else "(upload)"  # the name error messages use
    try:
        if what == "image":
            return read_image(upload, max_pixels=max_pixels)
        return read_mask(upload, max_pixels=max_pixels, size=like.size, orientation=like.orientation)
    except ImageTooLargeError as error:
        raise ApiError(413, "image_too_large", str(error)) from None
    except SizeMismatchError as error:
        raise ApiError(400, "size_mismatch", str(error)) from None
    except InputError as error:
        raise ApiError(400, f"invalid_{what}", str(error)) from None


def _prepare_inputs(
    image_bytes: bytes, image_name: str | None, mask_bytes: bytes, mask_name: str | None, max_pixels: int
) -> tuple[LoadedImage, np.ndarray]:
    """Decode and validate: the upright image and its mask (1 = fill) at the image's size."""
    source = _read_upload("image", image_bytes, image_name, max_pixels)
    return source, _read_upload("mask", mask_bytes, mask_name, max_pixels, like=source)


def _wants_json(accept: str | None) -> bool:
    """True when ``Accept`` prefers ``application/json`` over image types (ties go to JSON)."""
    if not accept:
        return False
    json_q = image_q = 0.0
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if media == "application/json":
            json_q = max(json_q, quality)
        elif media.startswith("image/") or media == "*/*":
            image_q = max(image_q, quality)
    return json_q > 0 and json_q >= image_q


def _encode(
    pixels: np.ndarray, hole: np.ndarray, source: LoadedImage, output_format: str, quality: int | None, original: bytes
) -> tuple[bytes, str, str]:
    """Encode the result like its source (mode, alpha, metadata; known pixels exact; an empty hole gives back the
    ``original`` bytes), as the CLI does; returns (bytes, media type, extension)."""
    if output_format == "same":
        fmt = source.format if source.format in _FORMATS else "PNG"
    else:
        fmt = _REQUESTED_FORMATS[output_format]
    media_type, extension = _FORMATS[fmt]
    return encode_image(pixels, fmt, source, mask=hole, quality=quality, original=original), media_type, extension


# --------------------------------------------------------------------------------------------------
# Model description for /api/v1/models and /healthz
# --------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    elif hasattr(value, "_asdict"):
        value = value._asdict()
    try:
        return jsonable_encoder(value)
    except Exception:  # pragma: no cover - exotic objects
        return str(value)


def _describe_inpainter(inpainter: Any) -> dict[str, Any]:
    """Best-effort description of the loaded model (works for Inpainter and for bare callables)."""
    model = getattr(inpainter, "model", None)
    info: dict[str, Any] = {
        "name": getattr(inpainter, "name", None) or getattr(model, "model_name", None) or type(inpainter).__name__,
        "architecture": getattr(model, "model_name", None),
        "device": str(getattr(inpainter, "device", "")) or None,
    }
    description = getattr(inpainter, "description", None)
    if isinstance(description, str) and description:
        info["description"] = description
    if model is not None:
        try:
            from wavemix_inpaint.models import count_parameters

            # the trained network's count (an Inpainter's model has its BatchNorms folded into convolutions)
            trained = getattr(inpainter, "parameters", None)
            info["parameters"] = trained if isinstance(trained, int) else count_parameters(model)
        except Exception:  # pragma: no cover - not an nn.Module
            pass
        checkpoint = getattr(model, "checkpoint_info", None)
        if checkpoint:
            info["checkpoint"] = _plain(checkpoint)
    return info


def _list_architectures() -> list[dict[str, Any]]:
    from wavemix_inpaint.models import get_model_spec, list_models

    return [{"name": name, "description": get_model_spec(name).description} for name in list_models()]


def _list_pretrained() -> list[Any]:
    try:
        from wavemix_inpaint.pretrained import list_pretrained
    except ImportError:
        return []
    try:
        entries = list_pretrained()
    except Exception as error:  # pragma: no cover - defensive: never break the endpoint
        logger.warning("list_pretrained() failed: %s", error)
        return []
    if isinstance(entries, dict):
        entries = [
            {"name": key, **(_plain(value) if isinstance(_plain(value), dict) else {"info": _plain(value)})}
            for key, value in entries.items()
        ]
    result = []
    for entry in entries:
        entry = _plain(entry)
        if isinstance(entry, dict):
            entry.pop("path", None)  # do not reveal the server's file-system layout
            result.append(entry)
        else:
            result.append({"name": entry})
    return result


def _read_static() -> dict[str, bytes]:
    folder = resources.files("wavemix_inpaint.server").joinpath("static")
    files = {}
    for name in _STATIC_FILES:
        try:
            files[name] = folder.joinpath(name).read_bytes()
        except (FileNotFoundError, OSError):
            logger.warning("web UI file %s is missing from the package (the API still works)", name)
    return files


# --------------------------------------------------------------------------------------------------
# The app: one object holding the server's state, a method per route
# --------------------------------------------------------------------------------------------------

_IMAGE_FIELD = Annotated[UploadFile, File(description="the image (PNG, JPEG, WebP, BMP, TIFF, GIF...)")]
_MASK_FIELD = Annotated[
    UploadFile,
    File(
        description="same size as the image as displayed (after EXIF rotation); white = fill, black = keep: "
        "greyscale 0/255 or 0/1, RGB (filled where any channel is bright: white or coloured strokes), or an alpha channel (opaque = fill); 16-bit too"
    ),
]
_STRATEGY_FIELD = Annotated[
    Strategy | None,
    Form(
        description="large images: `crop` a window around each masked region, `resize` the image down, or run the `full` "
        "resolution at once (default: the server's setting)"
    ),
]
_FORMAT_FIELD = Annotated[OutputFormat, Form(description="output format; `same` keeps the input's (PNG for other formats)")]
_TEXTURE_FIELD = Annotated[
    bool | None,
    Form(
        description="add detail copied from the photo to the network's fill (default: the server's setting, see `GET /api/v1/models`)"
    ),
]


@dataclass
class _Outcome:
    """One inpainted request, encoded."""

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int
    seconds: float
    notices: list[str]


class InpaintServer:
    """The web app's routes around one inpainter (see :func:`create_app` for the limits)."""

    def __init__(
        self,
        catalog: ModelCatalog,
        limits: dict[str, Any],
        options: InpaintOptions,
        model_info: dict[str, Any] | None,
    ) -> None:
        self.catalog = catalog
        self.limits = limits
        self.defaults = options
        self.queue = InferenceQueue(limits["max_concurrency"], limits["max_queue"])
        share = QUEUE_SHARE if limits["max_queue"] > 0 else 0.0  # nothing ever waits with --max-queue 0
        self.queued_inputs = QueuedInputs(int(share * limits["max_memory_bytes"]))
        self.decoding = 0  # requests decoding their uploads within a free worker's share, not counted above
        self.loaded = {**_describe_inpainter(catalog.get()), **(model_info or {})}
        self.static = _read_static()
        self.app: FastAPI | None = None  # set by create_app (the /docs page renders its schema)

    # -------------------------------------------------------------------------------- POST /inpaint

    async def inpaint(
        self,
        request: Request,
        image: _IMAGE_FIELD,
        mask: _MASK_FIELD,
        invert_mask: Annotated[
            bool | None, Form(description="treat black as the area to fill (default: the server's setting)")
        ] = None,
        strategy: _STRATEGY_FIELD = None,
        format: _FORMAT_FIELD = "same",
        quality: Annotated[
            int | None,
            Form(ge=1, le=100, description="JPEG/WebP quality (default: a JPEG keeps its own quantisation, others 95)"),
        ] = None,
        texture: _TEXTURE_FIELD = None,
        seed: Annotated[
            int | None, Form(ge=0, le=MAX_SEED, description="random seed of the texture stage (default: the server's)")
        ] = None,
        texture_strength: Annotated[
            float | None,
            Form(
                gt=0,
                le=1,
                description="how much of the copied detail the texture stage adds (1 = the photo's own amplitude); default: the server's",
            ),
        ] = None,
        model: Annotated[
            str | None, Form(description="one of the offered models (`GET /api/v1/models`, `offered`); default: the first")
        ] = None,
    ) -> Response:
        timeout = self.limits["request_timeout_s"]
        deadline = None if timeout is None else time.perf_counter() + timeout
        if model is not None and model not in self.catalog.offers:
            offered = ", ".join(self.catalog.offers)
            raise ApiError(422, "unknown_model", f"unknown model {model!r}; this server offers: {offered}")
        self._admit()
        self.queue.waiting += 1  # counted before the first await, so concurrent requests see it
        counted, held = True, 0
        try:
            image_bytes, mask_bytes = await image.read(), await mask.read()
            # one that will find a free worker decodes within that worker's share of the budget; any other
            # is counted from its files' headers before it decodes, so a burst cannot decode past the budget
            free_worker = self.queue.running + self.decoding < self.queue.concurrency
            if not free_worker:
                held = self._hold_inputs(await anyio.to_thread.run_sync(self._decoded_bound, image_bytes, mask_bytes))
            self.decoding += free_worker
            try:
                source, mask_array = await anyio.to_thread.run_sync(
                    _prepare_inputs, image_bytes, image.filename, mask_bytes, mask.filename, self.limits["max_image_pixels"]
                )
            finally:
                self.decoding -= free_worker
            invert = self.defaults.invert_mask if invert_mask is None else invert_mask
            hole = prepare_mask(mask_array, invert=invert, dilate=self.defaults.dilate)
            del mask_bytes, mask_array  # the hole is a copy: these would be held while the request waits
            given = {"strategy": strategy, "seed": seed, "texture": texture, "texture_strength": texture_strength}
            options = self.defaults.replace(  # the mask is inverted and dilated above, once: not again in the pipeline
                invert_mask=False, dilate=0, **{name: value for name, value in given.items() if value is not None}
            )
            self._check_memory(hole, options)
            # counted only when it must wait (every worker busy): a request that runs at once is covered by its
            # estimate; the exact size replaces the bound (no await in between: nothing can take the room)
            self.queued_inputs.free(held)
            held = 0
            held = self._hold_inputs(input_bytes(source, hole, len(image_bytes))) if self.queue.semaphore.locked() else 0
            counted = False  # acquire() takes us out of `waiting` whatever happens
            try:
                await self._acquire(deadline)
            finally:
                self.queued_inputs.free(held)  # running, its estimate counts it from here
                held = 0
            if await request.is_disconnected():  # gave up while queued: its slot goes to the next request
                self.queue.release()
                return Response(status_code=499)
            outcome = await self._infer(model, source, hole, options, format, quality, image_bytes, deadline)
        finally:
            self.queued_inputs.free(held)  # refused before it could wait
            if counted:
                self.queue.waiting -= 1
        return _respond(request, outcome)

    def _admit(self) -> None:
        if self.queue.full():
            seconds = self.queue.retry_after()
            raise ApiError(
                503,
                "busy",
                f"the server is busy ({self.queue.running} running, {self.queue.queued} waiting); retry in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )

    def _check_memory(self, hole: np.ndarray, options: InpaintOptions) -> None:
        """413 before any work when the request would need more memory than a worker's share of the budget
        (the budget less the queue's share, split between the workers)."""
        budget = (self.limits["max_memory_bytes"] - self.queued_inputs.limit) // self.limits["max_concurrency"]
        need = estimate_request_bytes(hole > 0.5, options)
        if need > budget:
            height, width = hole.shape
            hint = (
                " (strategy=crop, the default, needs much less for a small hole in a large photo)"
                if options.strategy != "crop"
                else ""
            )
            raise ApiError(
                413,
                "too_much_memory",
                f"inpainting this {width}x{height} image needs about {need >> 20} MiB, more than this server allows one "
                f"request ({budget >> 20} MiB: --max-memory {self.limits['max_memory_bytes'] >> 20} MiB less "
                f"{self.queued_inputs.limit >> 20} MiB for waiting requests, / --max-concurrency "
                f"{self.limits['max_concurrency']}){hint}",
            )

    def _decoded_bound(self, image_bytes: bytes, mask_bytes: bytes) -> int:
        """The most the request's inputs will hold once decoded, from the files' headers (a mask of
        another size is decoded before it is refused, so the larger of the two counts)."""
        pixels = 0
        for data in (image_bytes, mask_bytes):
            try:
                width, height = image_dimensions(data)
            except InputError:
                continue  # not an image: decoding says so, with the right status
            if width * height <= self.limits["max_image_pixels"]:  # else decoding refuses it (413) first
                pixels = max(pixels, width * height)
        return decoded_inputs_bound(pixels, len(image_bytes) + len(mask_bytes))

    def _hold_inputs(self, size: int) -> int:
        """Count ``size`` bytes of inputs while the request waits; 503 when they would overfill the queue's share."""
        if not self.queued_inputs.hold(size):
            seconds = self.queue.retry_after()
            raise ApiError(
                503,
                "busy",
                f"the requests waiting in the queue already hold {self.queued_inputs.held >> 20} MiB of decoded images, "
                f"their share of the memory budget ({self.queued_inputs.limit >> 20} MiB of --max-memory); retry in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )
        return size

    async def _acquire(self, deadline: float | None) -> None:
        try:
            await self.queue.acquire(_remaining(deadline))
        except asyncio.TimeoutError:
            raise ApiError(504, "timeout", _timeout_detail(self.limits["request_timeout_s"], "waiting in the queue")) from None

    async def _infer(
        self,
        model: str | None,
        source: LoadedImage,
        hole: np.ndarray,
        options: InpaintOptions,
        output_format: str,
        quality: int | None,
        original: bytes,
        deadline: float | None,
    ) -> _Outcome:
        """Run the pipeline in a worker thread (the slot is held until it really ends) and encode the result."""

        def work() -> _Outcome:
            begin = time.perf_counter()
            result, notices = self.catalog.get(model).run(source.pixels, hole, options)  # loads it on first use
            seconds = time.perf_counter() - begin
            self.queue.record(seconds)
            if not isinstance(result, np.ndarray) or result.shape != source.pixels.shape:
                raise RuntimeError("the inpainter returned an image of the wrong type or size")
            data, media_type, extension = _encode(result, hole, source, output_format, quality, original)
            return _Outcome(data, media_type, extension, source.width, source.height, seconds, notices)

        future = self.queue.run(work)
        try:
            return await asyncio.wait_for(asyncio.shield(future), _remaining(deadline))
        except asyncio.TimeoutError:
            raise ApiError(504, "timeout", _timeout_detail(self.limits["request_timeout_s"], "inpainting")) from None
        except Exception as error:  # noqa: BLE001 - every failure becomes one JSON error
            raise _api_error_for(error) from None

    # ---------------------------------------------------------------------------------- other routes

    def models(self) -> dict[str, Any]:
        return {
            "loaded": self.loaded,
            "architectures": _list_architectures(),
            "pretrained": _list_pretrained(),
            "limits": self.limits,
            "options": asdict(self.defaults),
            "offered": self.catalog.describe(),
        }

    def healthz(self) -> dict[str, Any]:
        from wavemix_inpaint import __version__

        return {
            "status": "ok",
            "version": __version__,
            "model": self.loaded.get("name"),
            "device": self.loaded.get("device"),
            "running": self.queue.running,
            "queued": self.queue.queued,
            "max_concurrency": self.limits["max_concurrency"],
            "max_queue": self.limits["max_queue"],
            "queued_input_mib": round(self.queued_inputs.held / 2**20, 1),
            "queued_input_limit_mib": round(self.queued_inputs.limit / 2**20, 1),
        }

    def api_reference(self) -> Response:
        assert self.app is not None
        return Response(render_api_reference(self.app.openapi()), media_type="text/html; charset=utf-8")

    def static_file(self, name: str) -> Callable[[], Response]:
        """The route serving the bundled UI file ``name`` (read once at start-up; never a path from the client)."""

        def serve() -> Response:
            if name not in self.static:
                raise ApiError(
                    500, "ui_missing", f"the web UI file {name} is not installed; the REST API under {API_PREFIX} works"
                )
            return Response(self.static[name], media_type=_STATIC_FILES[name], headers={"Cache-Control": "no-cache"})

        return serve


def _header_text(text: str) -> str:
    """``text`` as a valid HTTP header value: ASCII (other characters escaped, e.g. ``\\u2014``), no line
    breaks or control characters (the JSON response carries the exact text)."""
    escaped = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(character if character.isprintable() else " " for character in escaped)


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.perf_counter())


def _api_error_for(error: BaseException) -> ApiError:
    """The JSON error a failed inference becomes."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, NothingKnownError):
        return ApiError(400, "nothing_known", str(error))
    if isinstance(error, ModelUnavailableError):
        return ApiError(503, "model_unavailable", str(error))
    text = str(error).lower()
    out_of_memory = any(words in text for words in ("out of memory", "can't allocate memory", "cannot allocate memory"))
    if isinstance(error, MemoryError):
        return ApiError(507, "out_of_memory", "not enough memory to inpaint this image")
    if isinstance(error, WavemixError):
        return ApiError(507, "out_of_memory", str(error)) if out_of_memory else ApiError(400, "invalid_request", str(error))
    if out_of_memory:
        return ApiError(507, "out_of_memory", "not enough memory to inpaint this image; try strategy=crop or a smaller image")
    logger.error("inpainting failed", exc_info=error)
    return ApiError(500, "inference_failed", f"inpainting failed ({type(error).__name__})")


def _respond(request: Request, outcome: _Outcome) -> Response:
    """The image bytes, or JSON with base64 when the client prefers ``application/json``."""
    elapsed_ms = round(outcome.seconds * 1000.0, 1)
    if _wants_json(request.headers.get("accept")):
        body = {
            "image": base64.b64encode(outcome.data).decode("ascii"),
            "media_type": outcome.media_type,
            "width": outcome.width,
            "height": outcome.height,
            "elapsed_ms": elapsed_ms,
            "notices": outcome.notices,
        }
        return JSONResponse(body, headers={"Vary": "Accept", "Cache-Control": "no-store"})
    headers = {
        "Content-Disposition": f'inline; filename="inpainted.{outcome.extension}"',
        "X-Elapsed-Ms": str(elapsed_ms),
        "X-Image-Width": str(outcome.width),
        "X-Image-Height": str(outcome.height),
        **({"X-Notices": _header_text(" | ".join(outcome.notices))} if outcome.notices else {}),
        "Vary": "Accept",
        "Cache-Control": "no-store",
    }
    return Response(outcome.data, media_type=outcome.media_type, headers=headers)


def create_app(
    inpainter: InpaintFn | ModelCatalog,
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    max_concurrency: int = 1,
    max_queue: int = 8,
    request_timeout_s: float | None = 60.0,
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
    model_info: dict[str, Any] | None = None,
    options: InpaintOptions | None = None,
    max_memory_bytes: int | None = None,
) -> FastAPI:
    """Build the web app around ``inpainter`` (an :class:`~wavemix_inpaint.inpainter.Inpainter` or any
    object with its ``run`` method), or around a :class:`~wavemix_inpaint.server.catalog.ModelCatalog` of
    several models that requests choose with their ``model`` field.

    ``max_upload_bytes`` bounds the whole request body, ``max_image_pixels`` the decoded image,
    ``max_concurrency`` the inferences running at once (worker threads), ``max_queue`` the requests
    waiting for one, and ``request_timeout_s`` (``None``: no limit) the total time of one request,
    queueing included. ``max_memory_bytes`` (default: :func:`~wavemix_inpaint.server.memory.default_budget_bytes`,
    what the machine, the cgroup and ``ulimit -v`` leave) holds the decoded images of the waiting requests
    (20%, :mod:`~wavemix_inpaint.server.memory`) and the concurrent inferences (the rest, shared): a request
    estimated to need more than its share is refused with 413 before any work. ``model_info`` overrides what
    ``/api/v1/models`` reports as loaded. ``options``
    are the server's default :class:`~wavemix_inpaint.inference.InpaintOptions` (a request's form fields
    override ``invert_mask``, ``strategy``, ``texture``, ``texture_strength`` and ``seed``; ``dilate`` applies
    to every request's mask)."""
    if max_upload_bytes < 1 or max_concurrency < 1 or max_queue < 0 or max_image_pixels < 1:
        raise ValueError("max_upload_bytes, max_concurrency and max_image_pixels must be >= 1, max_queue >= 0")
    if request_timeout_s is not None and request_timeout_s <= 0:
        raise ValueError("request_timeout_s must be positive or None")
    limits = {
        "max_upload_bytes": max_upload_bytes,
        "max_image_pixels": max_image_pixels,
        "max_concurrency": max_concurrency,
        "max_queue": max_queue,
        "request_timeout_s": request_timeout_s,
        "max_memory_bytes": int(max_memory_bytes or default_budget_bytes()),
    }
    catalog = inpainter if isinstance(inpainter, ModelCatalog) else ModelCatalog.single(inpainter)
    server = InpaintServer(catalog, limits, options or InpaintOptions(), model_info)
    app = _fastapi_app(server)
    app.add_middleware(BodyLimitMiddleware, limit=max_upload_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.state.inference_queue = server.queue
    app.state.queued_inputs = server.queued_inputs
    app.state.limits = limits
    _add_error_handlers(app)
    _add_routes(app, server)
    server.app = app
    return app


def _fastapi_app(server: InpaintServer) -> FastAPI:
    from wavemix_inpaint import __version__

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        server.queue.shutdown()

    return FastAPI(
        title="wavemix-inpaint",
        version=__version__,
        description=(
            "Image inpainting with WaveMix. `POST /api/v1/inpaint` with multipart fields `image` and `mask` "
            "(white = hole). The response is the image in the input's format, or JSON with base64 when "
            "`Accept: application/json`. Errors are JSON `{error, detail}`. The web UI is at `/`."
        ),
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: blank offline; /docs is our own page
        redoc_url=None,
    )


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.detail, error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        detail = error.detail if isinstance(error.detail, str) else str(error.detail)
        return error_response(error.status_code, codes.get(error.status_code, "http_error"), detail, dict(error.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        parts = []
        for item in error.errors():
            location = ".".join(str(piece) for piece in item.get("loc", ()) if piece not in ("body", "query"))
            parts.append(f"{location}: {item.get('msg', 'invalid')}" if location else str(item.get("msg")))
        return error_response(422, "invalid_request", "; ".join(parts) or "invalid request")


def _add_routes(app: FastAPI, server: InpaintServer) -> None:
    """Fixed routes only: no path parameters, no file chosen by the client."""
    image_types = {"image/png": {}, "image/jpeg": {}, "image/webp": {}}
    app.add_api_route(
        f"{API_PREFIX}/inpaint",
        server.inpaint,
        methods=["POST"],
        summary="Inpaint the white area of the mask",
        response_class=Response,
        responses={
            200: {
                "description": "The inpainted image (same size; same format as the input unless `format` says "
                "otherwise), or JSON with `Accept: application/json`.",
                "content": {**image_types, "application/json": {"schema": InpaintJSON.model_json_schema()}},
            },
            **_ERROR_RESPONSES,
        },
    )
    app.add_api_route(
        f"{API_PREFIX}/models", server.models, methods=["GET"], summary="Architectures, pretrained weights and the loaded model"
    )
    app.add_api_route("/healthz", server.healthz, methods=["GET", "HEAD"], summary="Liveness and load")
    app.add_api_route("/docs", server.api_reference, methods=["GET"], include_in_schema=False)
    for path, name in (("/", "index.html"), ("/static/app.js", "app.js"), ("/static/style.css", "style.css")):
        app.add_api_route(path, server.static_file(name), methods=["GET", "HEAD"], include_in_schema=False)


def _timeout_detail(limit: float | None, stage: str) -> str:
    return f"the request took longer than the server's limit of {limit:g} s ({stage})"
