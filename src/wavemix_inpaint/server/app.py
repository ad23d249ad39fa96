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
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import asdict, is_dataclass
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

from wavemix_inpaint.errors import ImageTooLargeError, InputError, NothingKnownError, WavemixError
from wavemix_inpaint.imageio import (
    SERVER_MAX_PIXELS,
    LoadedImage,
    encode_image,
    prepare_mask,
    read_image,
    read_mask,
    upright_mask,
)
from wavemix_inpaint.inference import InpaintOptions
from wavemix_inpaint.server.api_docs import render_api_reference

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
_UI_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; script-src 'self'; "
    "style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)

_DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"


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


class ApiError(Exception):
    """Raised anywhere in request handling; turned into ``{"error", "detail"}`` JSON."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


def _error_response(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "undecodable image or mask, or size mismatch"},
    413: {"model": ErrorBody, "description": "request body or image too large"},
    422: {"model": ErrorBody, "description": "missing or invalid form fields"},
    503: {"model": ErrorBody, "description": "queue full; retry after the `Retry-After` header's seconds"},
    504: {"model": ErrorBody, "description": "request timed out"},
    507: {"model": ErrorBody, "description": "out of (GPU) memory"},
}


# --------------------------------------------------------------------------------------------------
# Body size limit (pure ASGI so it sees the stream before any parser does)
# --------------------------------------------------------------------------------------------------


class _BodyTooLarge(Exception):
    pass


class _BodyLimitMiddleware:
    """Reject bodies over ``limit`` bytes: from ``Content-Length`` up front, and while streaming
    (chunked uploads, lying clients). Whatever the inner app answers after the limit was hit is
    replaced by a 413 JSON error."""

    def __init__(self, app: Callable[..., Awaitable[None]], limit: int) -> None:
        self.app, self.limit = app, limit

    def _too_large(self) -> JSONResponse:
        mib = self.limit / (1024 * 1024)
        return _error_response(
            413,
            "payload_too_large",
            f"request body exceeds the server's limit of {self.limit} bytes ({mib:.1f} MiB)",
            headers={"Connection": "close"},
        )

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _error_response(400, "bad_request", "invalid Content-Length header")(scope, receive, send)
                    return
                if declared > self.limit:
                    await self._too_large()(scope, receive, send)
                    return
        received = 0
        exceeded = False
        inner_started = False

        async def limited_receive() -> dict:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: dict) -> None:
            nonlocal inner_started
            if exceeded and not inner_started:
                return  # swallow whatever the app made of the aborted body; we answer 413 below
            inner_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not inner_started:
            await self._too_large()(scope, receive, send)


class _SecurityHeadersMiddleware:
    """``nosniff`` everywhere; a strict CSP on the UI pages and on the script-free ``/docs`` page."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        policy = _UI_CSP if path == "/" or path.startswith("/static/") else _DOCS_CSP if path == "/docs" else None

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if policy:
                    headers.append((b"content-security-policy", policy.encode()))
                    headers.append((b"x-frame-options", b"DENY"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# --------------------------------------------------------------------------------------------------
# Concurrency: bounded queue in front of a fixed pool of inference threads
# --------------------------------------------------------------------------------------------------


class _InferenceQueue:
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

    def run(self, func: Callable[[], Any]) -> asyncio.Future:
        """Run ``func`` in a worker thread; the slot (taken by :meth:`acquire`) is released when it ends."""
        future = asyncio.get_running_loop().run_in_executor(self._executor, func)

        def release(done: asyncio.Future) -> None:
            self.running -= 1
            self.semaphore.release()
            if not done.cancelled():
                done.exception()  # mark retrieved: an abandoned (timed-out) failure is not "never retrieved"

        future.add_done_callback(release)
        return future

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


# --------------------------------------------------------------------------------------------------
# Image decoding / encoding (run in threads)
# --------------------------------------------------------------------------------------------------


def _read_upload(what: str, data: bytes, filename: str | None, max_pixels: int) -> Any:
    """Decode an uploaded image (``what="image"``: a LoadedImage) or mask (a 1 = hole float array)."""
    upload = io.BytesIO(data)
    upload.name = repr(filename) if filename else "(upload)"  # the name error messages use
    try:
        if what == "image":
            return read_image(upload, max_pixels=max_pixels)
        return read_mask(upload, max_pixels=max_pixels)
    except ImageTooLargeError as error:
        raise ApiError(413, "image_too_large", str(error)) from None
    except InputError as error:
        raise ApiError(400, f"invalid_{what}", str(error)) from None


def _prepare_inputs(
    image_bytes: bytes, image_name: str | None, mask_bytes: bytes, mask_name: str | None, max_pixels: int
) -> tuple[LoadedImage, np.ndarray]:
    """Decode and validate: the upright image and its mask (1 = fill) at the image's size."""
    source = _read_upload("image", image_bytes, image_name, max_pixels)
    mask = _read_upload("mask", mask_bytes, mask_name, max_pixels)
    # The browser (and most viewers) show the EXIF-rotated image, so that is what masks are painted on;
    # a mask matching the stored (unrotated) pixel layout of a 90-degree rotation is turned upright too.
    if mask.shape == source.size[::-1] and source.orientation >= 5:
        mask = upright_mask(mask, source.orientation)
    if mask.shape != source.size:
        (mh, mw), (ih, iw) = mask.shape, source.size
        raise ApiError(400, "size_mismatch", f"the mask is {mw}x{mh} but the image is {iw}x{ih}; they must have the same size")
    return source, mask


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
    pixels: np.ndarray, hole: np.ndarray, source: LoadedImage, output_format: str, quality: int, original: bytes
) -> tuple[bytes, str, str]:
    """Encode the result like its source (mode, alpha, metadata; known pixels exact); returns (bytes, media
    type, extension). With an empty hole and the source's own format, the ``original`` bytes come back
    unchanged (re-encoding a JPEG would change its pixels)."""
    if output_format == "same":
        fmt = source.format if source.format in _FORMATS else "PNG"
    else:
        fmt = _REQUESTED_FORMATS[output_format]
    media_type, extension = _FORMATS[fmt]
    if not hole.any() and fmt == source.format:
        return original, media_type, extension
    return encode_image(pixels, fmt, source, mask=hole, quality=quality), media_type, extension


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

            info["parameters"] = count_parameters(model)
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
# The app
# --------------------------------------------------------------------------------------------------


def create_app(
    inpainter: InpaintFn,
    *,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    max_concurrency: int = 1,
    max_queue: int = 8,
    request_timeout_s: float | None = 60.0,
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
    model_info: dict[str, Any] | None = None,
    options: InpaintOptions | None = None,
) -> FastAPI:
    """Build the web app around ``inpainter`` (an :class:`~wavemix_inpaint.inpainter.Inpainter` or any
    callable with its signature).

    ``max_upload_bytes`` bounds the whole request body, ``max_image_pixels`` the decoded image,
    ``max_concurrency`` the inferences running at once (worker threads), ``max_queue`` the requests
    waiting for one, and ``request_timeout_s`` (``None``: no limit) the total time of one request,
    queueing included. ``model_info`` overrides what ``/api/v1/models`` reports as loaded. ``options``
    are the server's default :class:`~wavemix_inpaint.inference.InpaintOptions` (a request's form fields
    override ``strategy``, ``texture`` and ``seed``).
    """
    defaults = options or InpaintOptions()
    if max_upload_bytes < 1 or max_concurrency < 1 or max_queue < 0 or max_image_pixels < 1:
        raise ValueError("max_upload_bytes, max_concurrency and max_image_pixels must be >= 1, max_queue >= 0")
    if request_timeout_s is not None and request_timeout_s <= 0:
        raise ValueError("request_timeout_s must be positive or None")

    from wavemix_inpaint import __version__

    queue = _InferenceQueue(max_concurrency, max_queue)
    loaded = {**_describe_inpainter(inpainter), **(model_info or {})}
    static = _read_static()
    limits = {
        "max_upload_bytes": max_upload_bytes,
        "max_image_pixels": max_image_pixels,
        "max_concurrency": max_concurrency,
        "max_queue": max_queue,
        "request_timeout_s": request_timeout_s,
    }

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        queue.shutdown()

    app = FastAPI(
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
    app.add_middleware(_BodyLimitMiddleware, limit=max_upload_bytes)
    app.add_middleware(_SecurityHeadersMiddleware)
    app.state.inference_queue = queue
    app.state.limits = limits

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return _error_response(error.status, error.code, error.detail, error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        detail = error.detail if isinstance(error.detail, str) else str(error.detail)
        return _error_response(error.status_code, codes.get(error.status_code, "http_error"), detail, dict(error.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        parts = []
        for item in error.errors():
            location = ".".join(str(piece) for piece in item.get("loc", ()) if piece not in ("body", "query"))
            parts.append(f"{location}: {item.get('msg', 'invalid')}" if location else str(item.get("msg")))
        return _error_response(422, "invalid_request", "; ".join(parts) or "invalid request")

    # ---------------------------------------------------------------- API

    @app.post(
        f"{API_PREFIX}/inpaint",
        summary="Inpaint the white area of the mask",
        response_class=Response,
        responses={
            200: {
                "description": "The inpainted image (same size; same format as the input unless `format` says "
                "otherwise), or JSON with `Accept: application/json`.",
                "content": {
                    "image/png": {},
                    "image/jpeg": {},
                    "image/webp": {},
                    "application/json": {"schema": InpaintJSON.model_json_schema()},
                },
            },
            **_ERROR_RESPONSES,
        },
    )
    async def inpaint(
        request: Request,
        image: Annotated[UploadFile, File(description="the image (PNG, JPEG, WebP, BMP, TIFF, GIF...)")],
        mask: Annotated[
            UploadFile,
            File(
                description="same size as the image as displayed (after EXIF rotation); white = fill, black = "
                "keep: greyscale 0/255 or 0/1, RGB (as grey), or an alpha channel (opaque = fill); 16-bit too"
            ),
        ],
        invert_mask: Annotated[bool, Form(description="treat black as the area to fill")] = False,
        strategy: Annotated[
            Strategy,
            Form(
                description="large images: `crop` a window around each masked region, `resize` the "
                "image down, or run the `full` resolution at once"
            ),
        ] = "crop",
        format: Annotated[
            OutputFormat, Form(description="output format; `same` keeps the input's (PNG for other formats)")
        ] = "same",
        quality: Annotated[int, Form(ge=1, le=100, description="JPEG/WebP quality")] = 95,
        texture: Annotated[
            bool | None,
            Form(
                description="add detail copied from the photo to the network's fill (default: the "
                "server's setting, see `GET /api/v1/models`)"
            ),
        ] = None,
        seed: Annotated[int, Form(ge=0, description="random seed of the texture stage")] = 0,
    ) -> Response:
        started = time.perf_counter()
        deadline = None if request_timeout_s is None else started + request_timeout_s
        if queue.full():
            seconds = queue.retry_after()
            raise ApiError(
                503,
                "busy",
                f"the server is busy ({queue.running} running, {queue.queued} waiting); retry in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )
        queue.waiting += 1  # counted before the first await, so concurrent requests see it
        counted = True
        try:
            image_bytes = await image.read()
            mask_bytes = await mask.read()
            source, mask_array = await anyio.to_thread.run_sync(
                _prepare_inputs, image_bytes, image.filename, mask_bytes, mask.filename, max_image_pixels
            )
            hole = prepare_mask(mask_array, invert=invert_mask)
            del mask_bytes
            remaining = None if deadline is None else max(0.0, deadline - time.perf_counter())
            try:
                counted = False  # acquire() takes us out of `waiting` whatever happens
                await queue.acquire(remaining)
            except asyncio.TimeoutError:
                raise ApiError(504, "timeout", _timeout_detail(request_timeout_s, "waiting in the queue")) from None

            def work() -> tuple[bytes, str, str, int, int, float, list[str]]:
                begin = time.perf_counter()
                chosen = defaults.replace(strategy=strategy, seed=seed, texture=defaults.texture if texture is None else texture)
                result, notices = inpainter.run(source.pixels, hole, chosen)
                elapsed = time.perf_counter() - begin
                queue.record(elapsed)
                if not isinstance(result, np.ndarray) or result.shape != source.pixels.shape:
                    raise RuntimeError("the inpainter returned an image of the wrong type or size")
                data, media_type, extension = _encode(result, hole, source, format, quality, image_bytes)
                return data, media_type, extension, source.width, source.height, elapsed, notices

            future = queue.run(work)
            remaining = None if deadline is None else max(0.0, deadline - time.perf_counter())
            try:
                data, media_type, extension, width, height, elapsed, notices = await asyncio.wait_for(
                    asyncio.shield(future), remaining
                )
            except asyncio.TimeoutError:
                raise ApiError(504, "timeout", _timeout_detail(request_timeout_s, "inpainting")) from None
            except NothingKnownError as error:
                raise ApiError(400, "nothing_known", str(error)) from None
            except WavemixError as error:
                if "out of memory" in str(error).lower():
                    raise ApiError(507, "out_of_memory", str(error)) from None
                raise ApiError(400, "invalid_request", str(error)) from None
            except MemoryError:
                raise ApiError(507, "out_of_memory", "not enough memory to inpaint this image") from None
            except Exception as error:
                if "out of memory" in str(error).lower():
                    raise ApiError(
                        507,
                        "out_of_memory",
                        "not enough (GPU) memory to inpaint this image; try strategy=crop or a smaller image",
                    ) from None
                logger.exception("inpainting failed")
                raise ApiError(500, "inference_failed", f"inpainting failed ({type(error).__name__})") from None
        finally:
            if counted:
                queue.waiting -= 1

        elapsed_ms = round(elapsed * 1000.0, 1)
        if _wants_json(request.headers.get("accept")):
            return JSONResponse(
                {
                    "image": base64.b64encode(data).decode("ascii"),
                    "media_type": media_type,
                    "width": width,
                    "height": height,
                    "elapsed_ms": elapsed_ms,
                    "notices": notices,
                },
                headers={"Vary": "Accept", "Cache-Control": "no-store"},
            )
        return Response(
            data,
            media_type=media_type,
            headers={
                "Content-Disposition": f'inline; filename="inpainted.{extension}"',
                "X-Elapsed-Ms": str(elapsed_ms),
                "X-Image-Width": str(width),
                "X-Image-Height": str(height),
                **({"X-Notices": " | ".join(notices)} if notices else {}),
                "Vary": "Accept",
                "Cache-Control": "no-store",
            },
        )

    @app.get(f"{API_PREFIX}/models", summary="Architectures, pretrained weights and the loaded model")
    def models() -> dict[str, Any]:
        return {
            "loaded": loaded,
            "architectures": _list_architectures(),
            "pretrained": _list_pretrained(),
            "limits": limits,
            "options": asdict(defaults),
        }

    @app.get("/healthz", summary="Liveness and load")
    def healthz() -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "model": loaded.get("name"),
            "device": loaded.get("device"),
            "running": queue.running,
            "queued": queue.queued,
            "max_concurrency": max_concurrency,
            "max_queue": max_queue,
        }

    # ---------------------------------------------------------------- UI (fixed routes only)

    def static_response(name: str) -> Response:
        if name not in static:
            raise ApiError(500, "ui_missing", f"the web UI file {name} is not installed; the REST API under {API_PREFIX} works")
        return Response(static[name], media_type=_STATIC_FILES[name], headers={"Cache-Control": "no-cache"})

    @app.get("/docs", include_in_schema=False)
    def api_reference() -> Response:
        return Response(render_api_reference(app.openapi()), media_type="text/html; charset=utf-8")

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return static_response("index.html")

    @app.get("/static/app.js", include_in_schema=False)
    def app_js() -> Response:
        return static_response("app.js")

    @app.get("/static/style.css", include_in_schema=False)
    def style_css() -> Response:
        return static_response("style.css")

    return app


def _timeout_detail(limit: float | None, stage: str) -> str:
    return f"the request took longer than the server's limit of {limit:g} s ({stage})"
