"""Reading and writing user images and masks for inference, keeping what the file carries.

:func:`read_image` returns a :class:`LoadedImage`: the RGB pixels the model sees plus everything
needed to write the result back like the source. :func:`save_image` / :func:`encode_image` write it.

What is read
    * The EXIF orientation is applied (pixels are upright); the tag is reset to 1 ("normal") in the
      EXIF and XMP written back, so viewers do not rotate the result a second time.
    * An alpha channel (RGBA, LA, PA, palette transparency) is split off as :attr:`LoadedImage.alpha`
      and re-attached on save, unchanged.
    * ICC profile, EXIF, XMP, DPI, JPEG comment and PNG text chunks are kept.
    * 16-bit images (PNG, TIFF) are read at full precision (``uint16`` pixels).
    * Only single-frame images are accepted (camera MPO files use their first, main frame).
    * Files above ``max_pixels`` (default :data:`DEFAULT_MAX_PIXELS`, 100 MP) are refused before
      being decoded (decompression-bomb protection); corrupt, truncated and non-image files raise
      :class:`~wavemix_inpaint.errors.InputError` naming the file.

What is written back (format from the output file's extension)
    ======================  ================================================================
    source                  output
    ======================  ================================================================
    RGB / RGBA              same mode
    greyscale L / LA / 1    same mode (the fill is converted to grey with ITU-R 601 luma)
    palette P               P with the source palette (fill mapped to the nearest palette
                            colour, no dithering) and the same transparency index; palettes
                            with per-entry alpha are written as RGBA
    CMYK                    CMYK (through the embedded ICC profile when there is one)
    16-bit grey / colour    16-bit PNG (with ICC, EXIF and text chunks), 16-bit TIFF
                            (colour TIFF via OpenCV: no metadata); 8 bits for other formats
    other modes             RGB (RGBA with alpha)
    ======================  ================================================================

    When a mode cannot be stored in the output format (e.g. CMYK as PNG) the output is RGB/RGBA;
    alpha written to JPEG is flattened onto white. With a ``mask``, known pixels are copied from
    the source in its own mode, so they are bit-exact for every lossless output format.

    JPEG: the source's quantisation tables and chroma subsampling are reused (``quality="keep"``)
    when the source is a JPEG, else quality 95; ``quality=Q`` overrides. WebP: lossless when the
    source was lossless WebP (or ``lossless=True``), else quality 95 (or ``quality``). PNG output is
    always lossless. TIFF keeps the source's compression.

Masks (:func:`read_mask`, the one mask reader of the package: CLI, server, API and the evaluation's fixed
mask sets): greyscale 0/255 or 0/1, bilevel, 16-bit, RGB and images with an alpha channel that varies
(the alpha is the mask, opaque = hole); values above half the range are holes. ``invert``,
``dilate`` (OpenCV ellipse kernel) and ``resize`` (nearest) options.
"""

from __future__ import annotations

import io
import os
import re
import struct
import threading
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, ImageCms, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError

from wavemix_inpaint.errors import ImageTooLargeError, InputError
from wavemix_inpaint.fileio import atomic_write_bytes
from wavemix_inpaint.masks.base import resize_nearest
from wavemix_inpaint.masks.io import mask_from_image

DEFAULT_MAX_PIXELS = 100_000_000
"""Default decompression-bomb limit: images with more pixels are refused (100 megapixels)."""
SERVER_MAX_PIXELS = 40_000_000
"""The web server's default limit (40 megapixels: it holds several decoded images at once)."""

IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")
"""Extensions treated as images when scanning folders."""

DEFAULT_QUALITY = 95
"""JPEG / lossy WebP quality used when the source gives none (a non-JPEG source, or no source)."""

ImageSource = str | os.PathLike | bytes | IO[bytes]

_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_GREY16_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_LIMIT_LOCK = threading.Lock()


@dataclass
class LoadedImage:
    """An image read by :func:`read_image`.

    Attributes:
        pixels: ``H x W x 3`` RGB, ``uint8`` (or ``uint16`` for 16-bit sources), upright.
        alpha: ``H x W`` alpha channel (same dtype), or ``None``.
        name: the file name (or ``"<bytes>"``) used in messages.
        format: the source's PIL format name (``"JPEG"``, ``"PNG"``, ...), or ``None``.
        mode: the source's mode: a PIL mode (``"RGB"``, ``"L"``, ``"P"``, ``"CMYK"``...) or
            ``"I;16"`` (16-bit grey), ``"RGB;16"`` / ``"RGBA;16"`` (16-bit colour).
        native: the upright source in its own mode (PIL image, or ``uint16`` array for 16-bit
            grey), used to keep known pixels exact when writing back.
        info: metadata to write back: ``icc_profile``, ``exif`` (orientation reset), ``xmp``,
            ``dpi``, ``comment``, ``text`` (PNG chunks), ``transparency``, ``compression``,
            ``progressive``.
        jpeg: ``{"qtables": ..., "subsampling": ...}`` for JPEG sources, else ``None``.
        webp_lossless: whether the source was lossless WebP.
        orientation: the EXIF orientation (1-8) that was applied to make the pixels upright.
    """

    pixels: np.ndarray
    alpha: np.ndarray | None = None
    name: str = "<image>"
    format: str | None = None
    mode: str = "RGB"
    native: Any = None
    info: dict[str, Any] = field(default_factory=dict)
    jpeg: dict[str, Any] | None = None
    webp_lossless: bool = False
    orientation: int = 1

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)``."""
        return self.height, self.width

    @property
    def bit_depth(self) -> int:
        return 16 if self.pixels.dtype == np.uint16 else 8


# ----------------------------------------------------------------------------------------------- reading


def _describe(source: ImageSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return getattr(source, "name", None) or "<bytes>"


def _read_bytes(source: ImageSource, what: str) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{what} file not found: {path}") from None
        except IsADirectoryError:
            raise InputError(f"{what} path {path} is a directory, not a file") from None
        except OSError as error:
            raise InputError(f"cannot read {what} file {path}: {error.strerror or error}") from None
    return source.read()


@contextmanager
def _pixel_limit(max_pixels: int | None) -> Iterator[None]:
    """Let Pillow open images up to ``max_pixels`` (our own check, below, gives the message)."""
    with _LIMIT_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        previous = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = previous


def _open(data: bytes, name: str, what: str, max_pixels: int | None) -> Image.Image:
    """Open (header only) with decompression-bomb and frame-count checks."""
    if max_pixels is not None and max_pixels < 1:
        raise InputError(f"max_pixels must be positive, got {max_pixels}")
    try:
        with _pixel_limit(max_pixels):
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise InputError(f"{name} is not an image file (or its format is not supported)") from None
    except Image.DecompressionBombError:
        raise ImageTooLargeError(_bomb_message(name, what, None, max_pixels)) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        raise InputError(f"cannot read {what} {name}: {error}") from None
    width, height = image.size
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLargeError(_bomb_message(name, what, (width, height), max_pixels))
    frames = getattr(image, "n_frames", 1)
    if frames > 1 and image.format != "MPO":
        raise InputError(f"{what} {name} has {frames} frames (animated or multi-page); only single images are supported")
    return image


def _bomb_message(name: str, what: str, size: tuple[int, int] | None, max_pixels: int | None) -> str:
    dims = f" ({size[0]}x{size[1]} = {size[0] * size[1] / 1e6:.1f} MP)" if size else ""
    limit = f"{max_pixels / 1e6:g} MP" if max_pixels else "the limit"
    return (
        f"{what} {name} is too large{dims}: above {limit}, refused as a possible decompression bomb "
        "(raise the limit with max_pixels= / --max-pixels if the file is trusted)"
    )


def _load(image: Image.Image, name: str, what: str) -> None:
    try:
        image.load()
    except Image.DecompressionBombError:
        raise ImageTooLargeError(_bomb_message(name, what, image.size, Image.MAX_IMAGE_PIXELS)) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error) as error:
        raise InputError(f"cannot decode {what} {name} (corrupt or truncated file?): {error}") from None


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - malformed EXIF must not prevent reading the pixels
        return 1
    return value if value in _TRANSPOSE else 1


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    return image.transpose(_TRANSPOSE[orientation]) if orientation in _TRANSPOSE else image


def upright_mask(mask: np.ndarray, orientation: int) -> np.ndarray:
    """A mask drawn on an image's stored pixel layout, turned upright by the image's EXIF ``orientation``."""
    if orientation not in _TRANSPOSE:
        return mask
    holes = Image.fromarray((np.asarray(mask) > 0.5).astype(np.uint8) * 255)
    return (np.asarray(_upright(holes, orientation)) > 127).astype(np.float32)


def reset_exif_orientation(exif: bytes) -> bytes:
    """Return EXIF bytes (with or without the ``Exif\\0\\0`` prefix) with the orientation tag set to 1.

    The tag is patched in place, so every other byte (maker notes, sub-IFDs, thumbnails) is kept.
    The result always has the ``Exif\\0\\0`` prefix. Unparseable data is returned (prefixed) as is.
    """
    prefix = b"Exif\x00\x00"
    body = exif[len(prefix) :] if exif.startswith(prefix) else exif
    data = bytearray(body)
    try:
        order = {b"II": "<", b"MM": ">"}[bytes(data[:2])]
        (ifd,) = struct.unpack_from(order + "I", data, 4)
        (count,) = struct.unpack_from(order + "H", data, ifd)
        for index in range(count):
            entry = ifd + 2 + 12 * index
            tag, kind, number = struct.unpack_from(order + "HHI", data, entry)
            if tag == _ORIENTATION and kind == 3 and number == 1:
                struct.pack_into(order + "H", data, entry + 8, 1)
                break
    except (KeyError, struct.error):
        pass
    return prefix + bytes(data)


def _reset_xmp_orientation(xmp: Any) -> Any:
    if isinstance(xmp, str):
        return re.sub(r'tiff:Orientation(="|>)([0-9])', r"tiff:Orientation\g<1>1", xmp)
    if isinstance(xmp, (bytes, bytearray)):
        return re.sub(rb'tiff:Orientation(="|>)([0-9])', rb"tiff:Orientation\g<1>1", bytes(xmp))
    return xmp


def _webp_is_lossless(data: bytes) -> bool:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return False
    position = 12
    while position + 8 <= len(data):
        chunk = data[position : position + 4]
        if chunk == b"VP8L":
            return True
        if chunk == b"VP8 ":
            return False
        (length,) = struct.unpack_from("<I", data, position + 4)
        position += 8 + length + (length & 1)
    return False


def _rawmode(image: Image.Image) -> str:
    for tile in getattr(image, "tile", None) or []:
        args = tile.args if hasattr(tile, "args") else tile[3]
        if isinstance(args, tuple) and args:
            args = args[0]
        if isinstance(args, str):
            return args
    return ""


def _metadata(image: Image.Image, orientation: int) -> dict[str, Any]:
    info: dict[str, Any] = {}
    source = image.info
    for key in ("icc_profile", "dpi", "comment", "progressive", "progression", "compression", "transparency"):
        if source.get(key) is not None:
            info[key] = source[key]
    exif = source.get("exif")
    if exif:
        info["exif"] = (
            reset_exif_orientation(exif)
            if orientation != 1
            else (exif if exif.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + exif)
        )
    xmp = source.get("xmp") or source.get("XML:com.adobe.xmp")
    if xmp:
        info["xmp"] = _reset_xmp_orientation(xmp) if orientation != 1 else xmp
    text = getattr(image, "text", None) if image.format == "PNG" else None
    if text:
        info["text"] = {
            key: (_reset_xmp_orientation(value) if key == "XML:com.adobe.xmp" and orientation != 1 else value)
            for key, value in text.items()
        }
    return info


def _read_16bit_colour(data: bytes, name: str, orientation: int) -> np.ndarray:
    import cv2

    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None or array.dtype != np.uint16:
        raise InputError(f"cannot decode 16-bit image {name}")
    if array.ndim == 3 and array.shape[2] == 3:
        array = array[..., ::-1]
    elif array.ndim == 3 and array.shape[2] == 4:
        array = array[..., [2, 1, 0, 3]]
    elif array.ndim == 2:
        array = array[..., None]
    if orientation != 1:
        channels = [
            np.asarray(_upright(Image.fromarray(np.ascontiguousarray(array[..., c])), orientation)) for c in range(array.shape[2])
        ]
        array = np.stack(channels, axis=-1)
    return np.ascontiguousarray(array)


def read_image(source: ImageSource, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Read an image file (path, bytes or binary file object) for inpainting; see the module doc."""
    name = _describe(source)
    data = _read_bytes(source, "image")
    image = _open(data, name, "image", max_pixels)
    rawmode = _rawmode(image)
    _load(image, name, "image")
    orientation = _orientation(image)
    info = _metadata(image, orientation)
    fmt = "JPEG" if image.format == "MPO" else image.format
    jpeg = None
    if fmt == "JPEG" and getattr(image, "quantization", None):
        jpeg = {"qtables": image.quantization, "subsampling": JpegImagePlugin.get_sampling(image)}
    loaded = LoadedImage(
        pixels=np.zeros((0, 0, 3), np.uint8),
        name=name,
        format=fmt,
        info=info,
        jpeg=jpeg,
        webp_lossless=fmt == "WEBP" and _webp_is_lossless(data),
        orientation=orientation,
    )
    mode = image.mode

    if mode in ("RGB", "RGBA") and ";16" in rawmode:  # 16-bit colour: Pillow would truncate to 8 bits
        array = _read_16bit_colour(data, name, orientation)
        loaded.pixels = np.ascontiguousarray(np.repeat(array, 3, axis=2) if array.shape[2] == 1 else array[..., :3])
        loaded.alpha = np.ascontiguousarray(array[..., 3]) if array.shape[2] == 4 else None
        loaded.mode = "RGBA;16" if loaded.alpha is not None else "RGB;16"
        loaded.native = loaded.pixels
        return loaded

    image = _upright(image, orientation)
    if mode in _GREY16_MODES:
        grey = np.clip(np.asarray(image, dtype=np.int64), 0, 65535).astype(np.uint16)
        loaded.pixels = np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2))
        loaded.mode, loaded.native = "I;16", grey
        return loaded
    if mode == "F":
        raise InputError(f"image {name} has 32-bit float pixels, which are not supported")

    loaded.mode, loaded.native = mode, image
    if mode == "P":
        has_alpha = "transparency" in image.info or image.palette is not None and image.palette.mode == "RGBA"
        rgb = image.convert("RGBA" if has_alpha else "RGB")
    elif mode == "CMYK":
        rgb = _cmyk_to_rgb(image, info.get("icc_profile"))
    elif mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgb = image.convert("RGBA")
    elif "transparency" in image.info and mode in ("RGB", "L"):
        rgb = image.convert("RGBA")
    else:
        rgb = image.convert("RGB")
    array = np.asarray(rgb)
    loaded.pixels = np.array(array[..., :3])
    if rgb.mode == "RGBA":
        loaded.alpha = np.array(array[..., 3])
    if mode in ("YCbCr", "LAB", "HSV", "RGBX", "RGBa"):
        loaded.mode = "RGBA" if loaded.alpha is not None else "RGB"
        loaded.native = None
    elif mode in ("La", "PA"):
        loaded.mode, loaded.native = "RGBA", None
    return loaded


def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _cmyk_to_rgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if icc:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, profile, _srgb_profile(), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    return image.convert("RGB")


def _rgb_to_cmyk(image: Image.Image, icc: bytes | None) -> Image.Image:
    if icc:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, _srgb_profile(), profile, outputMode="CMYK")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    return image.convert("CMYK")


# ----------------------------------------------------------------------------------------------- masks


def dilate_mask(mask: np.ndarray, pixels: int) -> np.ndarray:
    """Grow the holes of a (H, W) {0, 1} mask by ``pixels`` with an elliptical kernel (OpenCV)."""
    if isinstance(pixels, bool) or not isinstance(pixels, (int, np.integer)) or pixels < 0:
        raise InputError(f"dilate must be a non-negative number of pixels, got {pixels!r}")
    mask = (np.asarray(mask) > 0.5).astype(np.uint8)
    if pixels == 0 or not mask.any():
        return mask.astype(np.float32)
    import cv2

    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * pixels + 1, 2 * pixels + 1))
    return cv2.dilate(mask, kernel).astype(np.float32)


def prepare_mask(mask: np.ndarray, *, invert: bool = False, dilate: int = 0) -> np.ndarray:
    """Binary (H, W) float32 mask, inverted (``invert``: the input marked known pixels) then dilated."""
    mask = (np.asarray(mask) > 0.5).astype(np.float32)
    if invert:
        mask = 1.0 - mask
    return dilate_mask(mask, dilate) if dilate else mask


def read_mask(
    source: ImageSource,
    *,
    size: tuple[int, int] | None = None,
    invert: bool = False,
    dilate: int = 0,
    resize: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Read a mask file as float32 (H, W) in {0, 1}, 1 = hole (EXIF orientation applied).

    ``size`` is the image's ``(height, width)``: a mask of another size raises :class:`InputError`
    giving both sizes, unless ``resize`` nearest-resizes it. ``invert`` swaps holes and known pixels
    (for masks that mark what to keep); ``dilate`` grows the holes by that many pixels.
    """
    name = _describe(source)
    image = _open(_read_bytes(source, "mask"), name, "mask", max_pixels)
    _load(image, name, "mask")
    image = _upright(image, _orientation(image))
    mask = mask_from_image(image, source=f"mask {name}")
    if size is not None and mask.shape != tuple(size):
        if not resize:
            raise InputError(
                f"mask {name} is {mask.shape[1]}x{mask.shape[0]} but the image is {size[1]}x{size[0]} "
                "(width x height); use a mask of the image's size or resize it (--resize-mask / resize=True)"
            )
        mask = resize_nearest(mask, int(size[0]), int(size[1]))
    return prepare_mask(mask, invert=invert, dilate=dilate)


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
) -> bytes:
    """Encode ``H x W x 3`` RGB pixels (``uint8``, ``uint16`` or float in [0, 1]) as ``format``.

    With ``like`` (the :class:`LoadedImage` the pixels came from) the source's mode, alpha and
    metadata are written back (see the module doc); with ``mask`` (1 = hole) known pixels are taken
    from the source in its own mode. ``quality``: ``None`` (keep a JPEG source's tables, else 95),
    ``"keep"`` or 1-100. ``lossless``: WebP only (``None``: as the source).
    """
    fmt = format.upper()
    fmt = {"JPG": "JPEG", "TIF": "TIFF"}.get(fmt, fmt)
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
) -> Path:
    """Atomically write ``pixels`` to ``path`` (format from the extension unless ``format``).

    Refuses to replace an existing file unless ``overwrite``. See :func:`encode_image`.
    """
    path = Path(path)
    fmt = format or format_for_path(path)
    if not overwrite and path.exists():
        raise InputError(f"refusing to overwrite existing file {path} (use --overwrite / overwrite=True)")
    data = encode_image(pixels, fmt, like, mask=mask, quality=quality, lossless=lossless)
    return atomic_write_bytes(path, data, overwrite=overwrite)
