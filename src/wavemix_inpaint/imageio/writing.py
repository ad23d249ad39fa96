"""Writing results like their source: format, mode, alpha, metadata, JPEG tables; known pixels exact."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.fileio import atomic_write_bytes
from wavemix_inpaint.imageio.reading import (
    DEFAULT_QUALITY,
    IMAGE_EXTENSIONS,
    LoadedImage,
    _rgb_to_cmyk,
)

# ----------------------------------------------------------------------------------------------- writing


def format_for_path(path: str | os.PathLike) -> str:
    """PIL format name for an output path's extension (``InputError`` for unknown extensions)."""
    suffix = Path(path).suffix.lower()
    fmt = Image.registered_extensions().get(suffix)
    if fmt is None or fmt not in Image.SAVE:
        raise InputError(
            f"cannot tell the image format of {path} from its extension {suffix or '(none)'}; "
            f"use one of {', '.join(IMAGE_EXTENSIONS)}"
        )
    return "JPEG" if fmt == "MPO" else fmt


def _to_dtype(pixels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    pixels = np.asarray(pixels)
    if pixels.dtype == dtype:
        return pixels
    if pixels.dtype.kind == "f":
        peak = 65535.0 if dtype == np.uint16 else 255.0
        return np.clip(np.rint(pixels.astype(np.float64) * peak), 0, peak).astype(dtype)
    if pixels.dtype == np.uint16 and dtype == np.uint8:
        return ((pixels.astype(np.uint32) + 128) // 257).astype(np.uint8)
    if pixels.dtype == np.uint8 and dtype == np.uint16:
        return pixels.astype(np.uint16) * 257
    raise InputError(f"unsupported pixel dtype {pixels.dtype}")


def _luma16(rgb: np.ndarray) -> np.ndarray:
    weights = np.array([0.299, 0.587, 0.114])
    return np.clip(np.rint(rgb.astype(np.float64) @ weights), 0, 65535).astype(np.uint16)


def _hole(mask: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray | None:
    if mask is None:
        return None
    hole = np.asarray(mask) > 0.5
    if hole.shape != shape:
        raise InputError(f"mask shape {hole.shape} does not match the image {shape}")
    return hole


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def encode_png16(array: np.ndarray, info: dict[str, Any] | None = None) -> bytes:
    """Encode ``H x W`` / ``H x W x C`` (C = 1-4) ``uint16`` pixels as a 16-bit PNG with metadata."""
    info = info or {}
    array = np.asarray(array, dtype=np.uint16)
    if array.ndim == 2:
        array = array[..., None]
    height, width, channels = array.shape
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = array.astype(">u2").reshape(height, width * channels).view(np.uint8)
    raw = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1).tobytes()
    chunks = [_png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0))]
    if info.get("icc_profile"):
        chunks.append(_png_chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(info["icc_profile"])))
    if info.get("dpi"):
        x_dpi, y_dpi = info["dpi"]
        chunks.append(_png_chunk(b"pHYs", struct.pack(">IIB", round(x_dpi / 0.0254), round(y_dpi / 0.0254), 1)))
    if info.get("exif"):
        exif = info["exif"]
        chunks.append(_png_chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\x00\x00") else exif))
    for key, value in _png_texts(info).items():
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        chunks.append(_png_chunk(b"iTXt", key.encode("latin-1", "replace")[:79] + b"\x00\x00\x00\x00\x00" + text.encode()))
    chunks.append(_png_chunk(b"IDAT", zlib.compress(raw, 6)))
    chunks.append(_png_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def _png_texts(info: dict[str, Any]) -> dict[str, Any]:
    texts = dict(info.get("text") or {})
    if info.get("xmp") and "XML:com.adobe.xmp" not in texts:
        texts["XML:com.adobe.xmp"] = info["xmp"]
    return texts


def _pnginfo(info: dict[str, Any]) -> PngImagePlugin.PngInfo | None:
    texts = _png_texts(info)
    if not texts:
        return None
    pnginfo = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        value = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        try:
            value.encode("latin-1")
            pnginfo.add_text(key, value)
        except UnicodeEncodeError:
            pnginfo.add_itxt(key, value)
    return pnginfo


def _save_kwargs(fmt: str, like: LoadedImage | None, quality: int | str | None, lossless: bool | None) -> dict[str, Any]:
    info = like.info if like is not None else {}
    kwargs: dict[str, Any] = {}
    for key in ("icc_profile", "exif", "dpi"):
        if info.get(key):
            kwargs[key] = info[key]
    if quality is not None and quality != "keep":
        if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
            raise InputError(f"quality must be an integer from 1 to 100 or 'keep', got {quality!r}")
    if fmt == "JPEG":
        if isinstance(quality, (int, np.integer)):
            kwargs["quality"] = int(quality)
        elif like is not None and like.jpeg:
            kwargs["qtables"] = like.jpeg["qtables"]
            if like.jpeg.get("subsampling", -1) != -1:
                kwargs["subsampling"] = like.jpeg["subsampling"]
        else:
            kwargs["quality"] = DEFAULT_QUALITY
        if info.get("progressive") or info.get("progression"):
            kwargs["progressive"] = True
        for key in ("xmp", "comment"):
            if info.get(key):
                kwargs[key] = info[key]
    elif fmt == "PNG":
        pnginfo = _pnginfo(info)
        if pnginfo is not None:
            kwargs["pnginfo"] = pnginfo
    elif fmt == "WEBP":
        use_lossless = lossless if lossless is not None else bool(like is not None and like.webp_lossless)
        if use_lossless:
            kwargs.update(lossless=True, exact=True)
            if isinstance(quality, (int, np.integer)):
                kwargs["quality"] = int(quality)
        else:
            kwargs["quality"] = int(quality) if isinstance(quality, (int, np.integer)) else DEFAULT_QUALITY
        if info.get("xmp"):
            kwargs["xmp"] = info["xmp"]
    elif fmt == "TIFF":
        if like is not None and like.format == "TIFF" and info.get("compression"):
            kwargs["compression"] = info["compression"]
    return kwargs


def _native_output(rgb: np.ndarray, like: LoadedImage, hole: np.ndarray | None) -> Image.Image | None:
    """The 8-bit result in the source's own mode, known pixels copied from the source."""
    mode = like.mode
    native = like.native if isinstance(like.native, Image.Image) else None
    image = Image.fromarray(rgb, "RGB")
    if mode in ("RGB", "RGBA"):
        out = image
    elif mode in ("L", "LA"):
        out = image.convert("L")
    elif mode == "1":
        out = image.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)
    elif mode == "P" and native is not None:
        if native.palette is not None and native.palette.mode == "RGBA":
            return None  # per-entry palette alpha: written as RGBA
        out = image.quantize(palette=native, dither=Image.Dither.NONE)
    elif mode == "CMYK":
        out = _rgb_to_cmyk(image, like.info.get("icc_profile"))
    else:
        return None
    if native is not None and hole is not None and native.mode == out.mode and mode not in ("RGB", "RGBA"):
        known = Image.fromarray(np.where(hole, 0, 255).astype(np.uint8), "L")
        out = Image.composite(native, out, known)
    if mode == "P" and isinstance(like.info.get("transparency"), int) and like.alpha is not None:
        indices = np.array(out)
        indices[like.alpha == 0] = like.info["transparency"]
        out = Image.fromarray(indices, "P")
        out.putpalette(native.getpalette())
        out.info["transparency"] = like.info["transparency"]
    if like.alpha is not None and mode in ("RGBA", "LA"):
        out.putalpha(Image.fromarray(like.alpha, "L"))
    return out


def _fallback_output(rgb: np.ndarray, alpha: np.ndarray | None, fmt: str) -> Image.Image:
    image = Image.fromarray(rgb, "RGB")
    if alpha is None:
        return image
    if fmt == "JPEG":  # JPEG has no alpha: flatten onto white instead of showing the hidden colours
        white = Image.new("RGB", image.size, (255, 255, 255))
        return Image.composite(image, white, Image.fromarray(alpha, "L"))
    image.putalpha(Image.fromarray(alpha, "L"))
    return image


def _encode_pil(image: Image.Image, fmt: str, kwargs: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def encode_image(
    pixels: np.ndarray,
    format: str,
    like: LoadedImage | None = None,
    *,
    mask: np.ndarray | None = None,
    quality: int | str | None = None,
    lossless: bool | None = None,
    original: bytes | None = None,
) -> bytes:
    """Encode ``H x W x 3`` RGB pixels (``uint8``, ``uint16`` or float in [0, 1]) as ``format``.

    With ``like`` (the :class:`LoadedImage` the pixels came from) the source's mode, alpha and
    metadata are written back (see the module doc); with ``mask`` (1 = hole) known pixels are taken
    from the source in its own mode. ``quality``: ``None`` (keep a JPEG source's tables, else 95),
    ``"keep"`` or 1-100. ``lossless``: WebP only (``None``: as the source). ``original``: the source
    file's bytes, returned unchanged when the mask marks no pixel and ``format`` is the source's
    (re-encoding a JPEG would change its pixels).
    """
    fmt = format.upper()
    fmt = {"JPG": "JPEG", "TIF": "TIFF"}.get(fmt, fmt)
    if original is not None and like is not None and mask is not None and not np.asarray(mask).any() and fmt == like.format:
        return original
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise InputError(f"pixels must be H x W x 3, got shape {pixels.shape}")
    shape = pixels.shape[:2]
    if like is not None and like.size != shape:
        raise InputError(f"pixels are {shape[1]}x{shape[0]} but the source image is {like.width}x{like.height}")
    hole = _hole(mask, shape)
    kwargs = _save_kwargs(fmt, like, quality, lossless)
    if like is None:
        return _encode_pil(_fallback_output(_to_dtype(pixels, np.dtype(np.uint8)), None, fmt), fmt, kwargs)

    pixels = _to_dtype(pixels, like.pixels.dtype)
    if hole is not None:
        pixels = np.where(hole[..., None], pixels, like.pixels)
    alpha = like.alpha
    if like.bit_depth == 16 and fmt in ("PNG", "TIFF"):
        if like.mode == "I;16":
            grey = _luma16(pixels)
            if hole is not None:
                grey = np.where(hole, grey, like.native)
            if fmt == "PNG":
                return encode_png16(grey, like.info)
            return _encode_pil(Image.fromarray(np.ascontiguousarray(grey)), fmt, kwargs)
        array = pixels if alpha is None else np.concatenate([pixels, alpha[..., None]], axis=2)
        if fmt == "PNG":
            return encode_png16(array, like.info)
        import cv2

        bgr = array[..., [2, 1, 0, 3]] if array.shape[2] == 4 else array[..., ::-1]
        ok, encoded = cv2.imencode(".tiff", np.ascontiguousarray(bgr))
        if not ok:
            raise InputError("OpenCV could not encode the 16-bit TIFF")
        return encoded.tobytes()

    rgb = _to_dtype(pixels, np.dtype(np.uint8))
    if alpha is not None:
        alpha = _to_dtype(alpha, np.dtype(np.uint8))
    if like.mode == "I;16":
        like = _as_8bit_grey(like)
    if like.bit_depth == 8:
        native = _native_output(rgb, like, hole)
        if native is not None and not (fmt == "JPEG" and native.mode in ("RGBA", "LA", "P", "1")):
            extra = {"transparency": like.info["transparency"]} if _keeps_transparency(native, like) else {}
            try:
                return _encode_pil(native, fmt, {**kwargs, **extra})
            except (OSError, KeyError, ValueError, TypeError):
                pass  # the format cannot store this mode: fall back to RGB(A)
    return _encode_pil(_fallback_output(rgb, alpha, fmt), fmt, kwargs)


def _keeps_transparency(image: Image.Image, like: LoadedImage) -> bool:
    value = like.info.get("transparency")
    if value is None:
        return False
    return (image.mode == "P" and isinstance(value, int)) or (image.mode in ("RGB", "L") and like.mode == image.mode)


def _as_8bit_grey(like: LoadedImage) -> LoadedImage:
    grey = _to_dtype(like.native, np.dtype(np.uint8))
    return LoadedImage(
        pixels=np.repeat(grey[..., None], 3, axis=2),
        name=like.name,
        format=like.format,
        mode="L",
        native=Image.fromarray(grey, "L"),
        info=like.info,
    )


def save_image(
    path: str | os.PathLike,
    pixels: np.ndarray,
    like: LoadedImage | None = None,
    *,
    mask: np.ndarray | None = None,
    quality: int | str | None = None,
    lossless: bool | None = None,
    format: str | None = None,
    overwrite: bool = False,
    original: bytes | None = None,
) -> Path:
    """Atomically write ``pixels`` to ``path`` (format from the extension unless ``format``).

    Refuses to replace an existing file unless ``overwrite``. See :func:`encode_image`.
    """
    path = Path(path)
    fmt = format or format_for_path(path)
    if not overwrite and path.exists():
        raise InputError(f"refusing to overwrite existing file {path} (use --overwrite / overwrite=True)")
    data = encode_image(pixels, fmt, like, mask=mask, quality=quality, lossless=lossless, original=original)
    return atomic_write_bytes(path, data, overwrite=overwrite)
