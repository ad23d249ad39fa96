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
    _PHOTOSHOP_HEADER,
    DEFAULT_QUALITY,
    IMAGE_EXTENSIONS,
    LoadedImage,
    _rgb_to_cmyk,
)

# ----------------------------------------------------------------------------------------------- writing

OUTPUT_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")
"""The formats results are written in: every image mode can be written to each (others, such as XBM or
EPS, cannot store most modes, and Pillow would only fail after the inpainting)."""

#: what Pillow's encoders raise for an image they cannot write
_ENCODER_ERRORS = (OSError, ValueError, KeyError, TypeError, IndexError, OverflowError, struct.error)


class _EncodeError(InputError):
    """The encoder refused the image (``save_image`` adds the file name)."""


def format_for_path(path: str | os.PathLike) -> str:
    """PIL format name for an output path's extension (``InputError`` unless one of :data:`OUTPUT_FORMATS`).

    Cheap and file-free, so callers can check an output path before the (slow) inpainting.
    """
    suffix = Path(path).suffix.lower()
    fmt = Image.registered_extensions().get(suffix)
    fmt = "JPEG" if fmt == "MPO" else fmt
    if fmt not in OUTPUT_FORMATS:
        raise InputError(
            f"cannot write {path}: the extension {suffix or '(none)'} is not a supported output format; "
            f"use one of {', '.join(IMAGE_EXTENSIONS)}"
        )
    return fmt


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
    chunks.extend(_png_chunk(kind, payload) for kind, payload in _png_colour_chunks(info))
    if info.get("dpi"):
        x_dpi, y_dpi = info["dpi"]
        chunks.append(_png_chunk(b"pHYs", struct.pack(">IIB", round(x_dpi / 0.0254), round(y_dpi / 0.0254), 1)))
    if info.get("exif"):
        exif = info["exif"]
        chunks.append(_png_chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\x00\x00") else exif))
    for key, value in _png_texts(info).items():
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        chunks.append(_png_chunk(b"iTXt", key.encode("latin-1", "replace")[:79] + b"\x00\x00\x00\x00\x00" + text.encode()))
    colour_key = info.get("transparency")
    if (channels == 1 and isinstance(colour_key, int)) or (
        channels == 3 and isinstance(colour_key, tuple) and len(colour_key) == 3
    ):
        chunks.append(_png_chunk(b"tRNS", struct.pack(f">{channels}H", *np.atleast_1d(colour_key))))  # a grey / RGB key
    chunks.append(_png_chunk(b"IDAT", zlib.compress(raw, 6)))
    chunks.append(_png_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def _png_colour_chunks(info: dict[str, Any]) -> list[tuple[bytes, bytes]]:
    """A PNG source's gAMA, cHRM and sRGB chunks (how viewers map its values to colours), to write back."""
    chunks = []
    if info.get("gamma") is not None:
        chunks.append((b"gAMA", struct.pack(">I", round(info["gamma"] * 100_000))))
    if info.get("chromaticity") is not None and len(info["chromaticity"]) == 8:
        chunks.append((b"cHRM", struct.pack(">8I", *(round(value * 100_000) for value in info["chromaticity"]))))
    if info.get("srgb") is not None:
        chunks.append((b"sRGB", struct.pack(">B", int(info["srgb"]))))
    return chunks


def _png_texts(info: dict[str, Any]) -> dict[str, Any]:
    texts = dict(info.get("text") or {})
    if info.get("xmp") and "XML:com.adobe.xmp" not in texts:
        texts["XML:com.adobe.xmp"] = info["xmp"]
    return texts


def _pnginfo(info: dict[str, Any]) -> PngImagePlugin.PngInfo | None:
    texts, colour = _png_texts(info), _png_colour_chunks(info)
    if not texts and not colour:
        return None
    pnginfo = PngImagePlugin.PngInfo()
    for kind, payload in colour:
        pnginfo.add(kind, payload)
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
        else:
            kwargs["quality"] = DEFAULT_QUALITY
        if like is not None and like.jpeg and like.jpeg.get("subsampling", -1) != -1:
            kwargs["subsampling"] = like.jpeg["subsampling"]  # with or without a new quality (4:4:4 stays 4:4:4)
        if info.get("progressive") or info.get("progression"):
            kwargs["progressive"] = True
        for key in ("xmp", "comment", "photoshop_resources"):
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
        if info.get("xmp"):  # tag 700 (Pillow's TIFF writer has no xmp= option)
            xmp = info["xmp"]
            kwargs["tiffinfo"] = {700: xmp.encode("utf-8") if isinstance(xmp, str) else bytes(xmp)}
        if like is not None and like.format == "TIFF" and info.get("compression"):
            kwargs["compression"] = info["compression"]
        if kwargs.get("compression") in ("jpeg", "tiff_jpeg"):  # else Pillow's default quality, 75
            kwargs["quality"] = int(quality) if isinstance(quality, (int, np.integer)) else DEFAULT_QUALITY
    return kwargs


def _colour_keyed(like: LoadedImage) -> bool:
    """Whether the source's alpha comes from a transparent palette index / table or a tRNS key colour."""
    return like.alpha is not None and like.mode in ("P", "L", "RGB") and like.info.get("transparency") is not None


def _stores_colour_key(like: LoadedImage, fmt: str) -> bool:
    """Whether ``fmt`` can store the source's colour-key transparency (else RGBA keeps the alpha)."""
    if not _colour_keyed(like):
        return True
    return fmt == "PNG" or (fmt == "GIF" and like.mode == "P" and isinstance(like.info["transparency"], int))


def _native_output(rgb: np.ndarray, like: LoadedImage, hole: np.ndarray | None, fmt: str) -> Image.Image | None:
    """The 8-bit result in the source's own mode, known pixels copied from the source."""
    mode = like.mode
    native = like.native if isinstance(like.native, Image.Image) else None
    if not _stores_colour_key(like, fmt):
        return None
    if mode == "P":
        return _palette_output(rgb, like, native, hole)
    image = Image.fromarray(rgb, "RGB")
    if mode in ("RGB", "RGBA"):
        out = image
    elif mode in ("L", "LA"):
        out = image.convert("L")
    elif mode == "1":
        out = image.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)
    elif mode == "CMYK":
        out = _rgb_to_cmyk(image, like.info.get("icc_profile"))
    else:
        return None
    if native is not None and hole is not None and native.mode == out.mode and mode not in ("RGB", "RGBA"):
        known = Image.fromarray(np.where(hole, 0, 255).astype(np.uint8), "L")
        out = Image.composite(native, out, known)
    if _colour_keyed(like):
        out = _apply_colour_key(out, like, hole)
    if like.alpha is not None and mode in ("RGBA", "LA"):
        out.putalpha(Image.fromarray(like.alpha, "L"))
    return out


def _apply_colour_key(out: Image.Image, like: LoadedImage, hole: np.ndarray | None) -> Image.Image:
    """Give the filled pixels the source's alpha under a tRNS key colour (L or RGB), see :func:`_keyed`."""
    key = np.atleast_1d(np.asarray(like.info["transparency"], dtype=np.int64))
    array = np.array(out)
    pixels = array.reshape(*array.shape[:2], -1)
    if key.size != pixels.shape[2] or key.min() < 0 or key.max() > 255:
        return out
    return Image.fromarray(_keyed(pixels, key, like.alpha == 0, hole, 255).reshape(array.shape), out.mode)


def _keyed(pixels: np.ndarray, key: np.ndarray, transparent: np.ndarray, hole: np.ndarray | None, top: int) -> np.ndarray:
    """``pixels`` (H x W x C) whose filled pixels follow the source's transparency under a key colour.

    A fill that happens to equal the key would be see-through, and a fill over transparent source
    pixels opaque: filled pixels are set to the key where the source is transparent and nudged by
    one level off it elsewhere.
    """
    filled = np.ones(pixels.shape[:2], bool) if hole is None else hole
    on_key = filled & ~transparent & (pixels == key).all(axis=2)
    pixels[on_key, -1] = key[-1] + 1 if key[-1] < top else key[-1] - 1
    pixels[filled & transparent] = key
    return pixels


def _palette_output(
    rgb: np.ndarray, like: LoadedImage, native: Image.Image | None, hole: np.ndarray | None
) -> Image.Image | None:
    """The result as indices into the source palette; known pixels keep their index.

    Each filled pixel takes the nearest colour among the entries whose alpha is the source's there,
    so transparency (a transparent index or a per-entry alpha table) is the source's everywhere.
    """
    if native is None or native.palette is None or native.palette.mode == "RGBA":
        return None  # an RGBA palette: written as RGBA
    colours = np.asarray(native.getpalette("RGB") or [], np.int64).reshape(-1, 3)
    if not len(colours):
        return None
    entry_alpha = _entry_alpha(like.info.get("transparency"), len(colours))
    indices = np.array(native, dtype=np.uint8)
    filled = np.ones(indices.shape, bool) if hole is None else hole
    alpha = like.alpha if like.alpha is not None else np.full(indices.shape, 255, np.uint8)
    indices[filled] = _nearest_entries(rgb[filled], alpha[filled], colours, entry_alpha)
    out = Image.fromarray(indices, "P")
    out.putpalette(native.getpalette())
    if like.info.get("transparency") is not None:
        out.info["transparency"] = like.info["transparency"]
    return out


def _entry_alpha(transparency: Any, entries: int) -> np.ndarray:
    """Alpha of each palette entry from a transparent index or a per-entry alpha table."""
    alpha = np.full(entries, 255, np.int64)
    if isinstance(transparency, int) and 0 <= transparency < entries:
        alpha[transparency] = 0
    elif isinstance(transparency, (bytes, bytearray)):
        table = np.frombuffer(bytes(transparency[:entries]), np.uint8)
        alpha[: len(table)] = table
    return alpha


def _nearest_entries(rgb: np.ndarray, alpha: np.ndarray, colours: np.ndarray, entry_alpha: np.ndarray) -> np.ndarray:
    """Palette index per pixel: among the entries nearest in alpha (exact when the palette has the
    pixel's alpha), the nearest colour. A k-d tree per alpha level over the distinct colours only,
    so a large fill stays fast."""
    from scipy.spatial import cKDTree

    keys = (rgb.astype(np.uint32) << np.array([24, 16, 8], np.uint32)).sum(axis=1, dtype=np.uint32)
    unique, inverse = np.unique(keys | alpha.astype(np.uint32), return_inverse=True)
    wanted = np.stack([(unique >> shift) & 255 for shift in (24, 16, 8, 0)], axis=1).astype(np.float64)
    chosen = np.empty(len(unique), np.uint8)
    for level in np.unique(wanted[:, 3]):
        rows = wanted[:, 3] == level
        gap = np.abs(entry_alpha - level)
        candidates = np.flatnonzero(gap == gap.min())
        _, nearest = cKDTree(colours[candidates].astype(np.float64)).query(wanted[rows, :3])
        chosen[rows] = candidates[nearest]
    return chosen[inverse.reshape(-1)]


def _encode_bmp_with_alpha(rgb: np.ndarray, alpha: np.ndarray, dpi: tuple[float, float] | None) -> bytes:
    """A 32-bit BMP whose header declares the alpha mask (BITMAPV5, as OpenCV writes it): Pillow's
    32-bit BMP has no alpha mask, so viewers (and Pillow itself) read it as opaque RGB. OpenCV writes
    no resolution: the source's DPI is set in the header's pixels-per-metre fields."""
    import cv2

    ok, encoded = cv2.imencode(".bmp", np.ascontiguousarray(np.dstack([rgb[..., ::-1], alpha])))
    if not ok:
        raise _EncodeError("OpenCV could not encode the BMP with alpha")
    data = bytearray(encoded.tobytes())
    if dpi:
        struct.pack_into("<ii", data, 38, *(round(value / 0.0254) for value in dpi[:2]))
    return bytes(data)


def _encode_gif_with_alpha(rgb: np.ndarray, alpha: np.ndarray, kwargs: dict[str, Any]) -> bytes:
    """GIF keeps one transparent index: pixels under half opacity take it. The visible pixels get up to 255
    colours, exact when they have no more (Pillow's own conversion also spends colours on the ones hidden
    under transparent pixels, and keeps at most the fully transparent ones transparent)."""
    visible = alpha >= 128
    shown = rgb[visible]
    packed = (shown[:, 0].astype(np.uint32) << 16) | (shown[:, 1].astype(np.uint32) << 8) | shown[:, 2]
    unique, inverse = np.unique(packed, return_inverse=True)
    colours = np.stack([unique >> 16, (unique >> 8) & 255, unique & 255], axis=1).astype(np.uint8)
    if len(colours) > 255:  # an adaptive palette of the visible pixels only
        strip = Image.fromarray(np.ascontiguousarray(shown[None]), "RGB").quantize(255, dither=Image.Dither.NONE)
        inverse = np.asarray(strip)[0]
        colours = np.array(strip.getpalette()[: 255 * 3], np.uint8).reshape(-1, 3)
    indices = np.full(alpha.shape, 255, np.uint8)
    indices[visible] = inverse.reshape(-1)
    keyed = Image.fromarray(indices, "P")
    palette = colours.reshape(-1).tolist()
    keyed.putpalette(palette + [0] * (256 * 3 - len(palette)))
    return _encode_pil(keyed, "GIF", {**kwargs, "transparency": 255})


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
    """Pillow's encoding, its failures turned into an :class:`InputError` (not a traceback)."""
    buffer = io.BytesIO()
    kwargs = dict(kwargs)
    photoshop = kwargs.pop("photoshop_resources", None)
    try:
        image.save(buffer, format=fmt, **kwargs)
    except _ENCODER_ERRORS as error:
        raise _EncodeError(f"cannot encode the result as {fmt} ({image.mode} image): {error or type(error).__name__}") from None
    return _with_app13(buffer.getvalue(), photoshop) if photoshop and fmt == "JPEG" else buffer.getvalue()


def _with_app13(jpeg: bytes, resources: bytes) -> bytes:
    """``jpeg`` with Photoshop image resources (IPTC) as APP13 segments after its leading APPn segments
    (Pillow's JPEG writer has no option for them)."""
    position = 2  # after SOI
    while jpeg[position] == 0xFF and 0xE0 <= jpeg[position + 1] <= 0xEF:  # APP0-APP15: JFIF, EXIF, XMP, ICC
        position += 2 + struct.unpack_from(">H", jpeg, position + 2)[0]
    room = 65533 - len(_PHOTOSHOP_HEADER)  # a segment's length field counts itself and its payload
    segments = b"".join(
        b"\xff\xed" + struct.pack(">H", 2 + len(_PHOTOSHOP_HEADER) + len(part)) + _PHOTOSHOP_HEADER + part
        for part in (resources[start : start + room] for start in range(0, len(resources), room))
    )
    return jpeg[:position] + segments + jpeg[position:]


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
    fmt = {"JPG": "JPEG", "TIF": "TIFF", "MPO": "JPEG"}.get(fmt, fmt)
    if fmt not in OUTPUT_FORMATS:
        raise InputError(f"cannot write {format} images; the output formats are {', '.join(OUTPUT_FORMATS)}")
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
            if alpha is not None:  # a tRNS grey key (PNG keeps it; TIFF cannot store one: opaque)
                key = np.array([like.info["transparency"]])
                grey = _keyed(grey[..., None].copy(), key, alpha == 0, hole, 65535)[..., 0]
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
    if alpha is not None and fmt in ("BMP", "GIF") and not (_colour_keyed(like) and _stores_colour_key(like, fmt)):
        if like.mode in ("L", "LA"):  # a grey source keeps a grey fill (ITU-R 601 luma, as in _native_output)
            rgb = np.repeat(np.asarray(Image.fromarray(rgb, "RGB").convert("L"))[..., None], 3, axis=2)
        if fmt == "BMP":
            return _encode_bmp_with_alpha(rgb, alpha, like.info.get("dpi"))
        return _encode_gif_with_alpha(rgb, alpha, kwargs)
    if like.bit_depth == 8:
        native = _native_output(rgb, like, hole, fmt)
        if native is not None and not (fmt == "JPEG" and native.mode in ("RGBA", "LA", "P", "1")):
            extra = {"transparency": like.info["transparency"]} if _colour_keyed(like) else {}
            try:
                return _encode_pil(native, fmt, {**kwargs, **extra})
            except _EncodeError:
                pass  # the format cannot store this mode: fall back to RGB(A)
    return _encode_pil(_fallback_output(rgb, alpha, fmt), fmt, kwargs)


def _as_8bit_grey(like: LoadedImage) -> LoadedImage:
    """A 16-bit grey source as 8-bit L (LA with its alpha), for the 8-bit output formats."""
    grey = _to_dtype(like.native, np.dtype(np.uint8))
    alpha = None if like.alpha is None else _to_dtype(like.alpha, np.dtype(np.uint8))
    return LoadedImage(
        pixels=np.repeat(grey[..., None], 3, axis=2),
        name=like.name,
        format=like.format,
        mode="L" if alpha is None else "LA",
        native=Image.fromarray(grey, "L") if alpha is None else Image.fromarray(np.dstack([grey, alpha]), "LA"),
        alpha=alpha,
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
    try:
        data = encode_image(pixels, fmt, like, mask=mask, quality=quality, lossless=lossless, original=original)
    except _EncodeError as error:
        raise InputError(f"cannot write {path}: {error}") from None
    return atomic_write_bytes(path, data, overwrite=overwrite)
