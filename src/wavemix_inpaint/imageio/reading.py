"""Reading user images and masks: upright pixels plus everything needed to write the result back."""

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
from PIL import Image, ImageCms, JpegImagePlugin, UnidentifiedImageError

from wavemix_inpaint.errors import ImageTooLargeError, InputError, SizeMismatchError
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


def image_suffixes(extensions: tuple[str, ...] | list[str]) -> set[str]:
    """File suffixes as :func:`find_images` matches them: lower case, with the dot (``"PNG"`` -> ``".png"``)."""
    return {ext.lower() if ext.startswith(".") else f".{ext.lower()}" for ext in extensions}


def find_images(root: str | os.PathLike, extensions: tuple[str, ...] = IMAGE_EXTENSIONS) -> list[Path]:
    """Image files under the folder ``root``, recursively, hidden files and folders skipped, sorted by
    relative path. Symlinked folders are followed, except links to a folder of the tree itself (its files are
    found under their real path, so relative paths, and the masks matched by them, stay the same); each real
    folder is read once (no loops). The one folder walker of the package: training data, batch inpainting
    and mask folders all see the same files."""
    folder = Path(root)
    wanted = image_suffixes(extensions)
    files, visited, inside = [], set(), os.path.realpath(folder)

    def alias(directory: str, name: str) -> bool:  # a link to a folder of the tree: its files come from there
        path = os.path.join(directory, name)
        return os.path.islink(path) and os.path.commonpath([os.path.realpath(path), inside]) == inside

    for directory, subdirs, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(directory)
        if real in visited:  # a symlink loop or a folder linked twice from outside the tree
            subdirs.clear()
            continue
        visited.add(real)
        subdirs[:] = sorted(name for name in subdirs if not name.startswith(".") and not alias(directory, name))
        files.extend(
            Path(directory) / name
            for name in names
            if not name.startswith(".") and Path(name).suffix.lower() in wanted and os.path.isfile(Path(directory) / name)
        )
    return sorted(files, key=lambda path: path.relative_to(folder).as_posix())


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


#: what Pillow's decoders raise on malformed files besides OSError (found by benchmarks/decoder_fuzz.py:
#: e.g. TypeError "Missing dimensions" from a TIFF's frame count, IndexError / KeyError from broken tables)
_DECODER_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    TypeError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    OverflowError,
    AttributeError,
    RuntimeError,
)


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
    except _DECODER_ERRORS as error:
        raise InputError(f"cannot read {what} {name}: {error or type(error).__name__}") from None
    width, height = image.size
    if max_pixels is not None and width * height > max_pixels:
        raise ImageTooLargeError(_bomb_message(name, what, (width, height), max_pixels))
    try:
        frames = getattr(image, "n_frames", 1)
    except _DECODER_ERRORS as error:  # counting frames reads further into the file
        raise InputError(f"cannot read {what} {name}: {error or type(error).__name__}") from None
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
    except _DECODER_ERRORS as error:
        raise InputError(f"cannot decode {what} {name} (corrupt or truncated file?): {error or type(error).__name__}") from None


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


_EXIF_PREFIX = b"Exif\x00\x00"


def _exif_block(exif: bytes) -> bytearray:
    """The TIFF block of EXIF bytes given with or without the ``Exif\\0\\0`` prefix (a copy to patch)."""
    return bytearray(exif[len(_EXIF_PREFIX) :] if exif.startswith(_EXIF_PREFIX) else exif)


def _byte_order_and_ifd0(data: bytearray) -> tuple[str, int]:
    """The block's struct byte order and IFD0's offset (``KeyError`` / ``struct.error`` when unparseable)."""
    order = {b"II": "<", b"MM": ">"}[bytes(data[:2])]
    (ifd0,) = struct.unpack_from(order + "I", data, 4)
    return order, ifd0


def reset_exif_orientation(exif: bytes, transposed: bool = False) -> bytes:
    """Return EXIF bytes (with or without the ``Exif\\0\\0`` prefix) with the orientation tag set to 1;
    ``transposed`` (orientations 5-8: the pixels were turned by 90 degrees) also swaps the width/height
    pairs (X/Y resolution, pixel X/Y dimension), so they describe the upright pixels.

    The tags are patched in place, so every other byte (maker notes, sub-IFDs, thumbnails) is kept.
    The result always has the ``Exif\\0\\0`` prefix. Unparseable data is returned (prefixed) as is.
    """
    data = _exif_block(exif)
    try:
        order, ifd0 = _byte_order_and_ifd0(data)
        entries = _entries_by_tag(data, order, ifd0)
        position, kind, number = entries.get(_ORIENTATION, (0, 0, 0))
        if number == 1 and kind in _INTEGER_FORMATS:  # SHORT as the standard says; LONG as some writers do
            struct.pack_into(order + _INTEGER_FORMATS[kind], data, position + 8, 1)
        if transposed:
            _swap_values(data, entries, _X_RESOLUTION, _Y_RESOLUTION)
            if _EXIF_IFD in entries:
                (exif_ifd,) = struct.unpack_from(order + "I", data, entries[_EXIF_IFD][0] + 8)
                _swap_values(data, _entries_by_tag(data, order, exif_ifd), _PIXEL_X_DIMENSION, _PIXEL_Y_DIMENSION)
    except (KeyError, struct.error):
        pass
    return _EXIF_PREFIX + bytes(data)


_INTEGER_FORMATS = {3: "H", 4: "I"}  # EXIF type code -> struct format
_X_RESOLUTION, _Y_RESOLUTION, _EXIF_IFD = 0x011A, 0x011B, 0x8769
_PIXEL_X_DIMENSION, _PIXEL_Y_DIMENSION = 0xA002, 0xA003


def _entries_by_tag(data: bytes, order: str, ifd: int) -> dict[int, tuple[int, int, int]]:
    """The IFD's entries by tag; those before a truncation only, when the block is cut short (Pillow
    still reads them, so the orientation among them must still be reset)."""
    entries = {}
    try:
        for position, tag, kind, number in _ifd_entries(data, order, ifd):
            entries[tag] = (position, kind, number)
    except struct.error:
        pass
    return entries


def _swap_values(data: bytearray, entries: dict[int, tuple[int, int, int]], first: int, second: int) -> None:
    """Swap two entries' 4-byte value fields (the value itself, or the offset of a rational): same type only."""
    if first in entries and second in entries and entries[first][1:] == entries[second][1:]:
        a, b = entries[first][0] + 8, entries[second][0] + 8
        if max(a, b) + 4 <= len(data):  # a truncated block keeps its length
            data[a : a + 4], data[b : b + 4] = data[b : b + 4], data[a : a + 4]


def _ifd_entries(data: bytes, order: str, ifd: int) -> Iterator[tuple[int, int, int, int]]:
    """``(position, tag, type, count)`` of each entry of the IFD at ``ifd``."""
    (count,) = struct.unpack_from(order + "H", data, ifd)
    for index in range(count):
        position = ifd + 2 + 12 * index
        yield (position, *struct.unpack_from(order + "HHI", data, position))


def drop_exif_thumbnail(exif: bytes) -> bytes:
    """Return EXIF bytes (``Exif\\0\\0`` prefixed) without the IFD1 thumbnail.

    The thumbnail is a small copy of the *source* picture: kept, it would still show what was
    removed. IFD0's link to IFD1 is cut and IFD1 with its data is zeroed (then cut off when it
    ends the block), so every other offset stays valid. Unparseable data is returned as is.
    """
    data = _exif_block(exif)
    try:
        order, ifd0 = _byte_order_and_ifd0(data)
        (count,) = struct.unpack_from(order + "H", data, ifd0)
        link = ifd0 + 2 + 12 * count
        (ifd1,) = struct.unpack_from(order + "I", data, link)
        if ifd1 == 0:
            return _EXIF_PREFIX + bytes(data)
        spans = [span for span in _ifd1_spans(bytes(data), order, ifd1) if span[1] <= ifd0 or span[0] >= link + 4]
    except (KeyError, struct.error):
        return _EXIF_PREFIX + bytes(data)
    struct.pack_into(order + "I", data, link, 0)
    for start, end in spans:
        data[start:end] = bytes(end - start)
    cut = len(data)
    for start, end in sorted(spans, key=lambda span: span[1], reverse=True):
        if start < cut <= end:
            cut = start
    return _EXIF_PREFIX + bytes(data[: max(cut, link + 4)])


def _ifd1_spans(data: bytes, order: str, ifd1: int) -> list[tuple[int, int]]:
    """Byte ranges of IFD1: the directory, its out-of-line values and the thumbnail it points to."""
    sizes = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
    values: dict[int, list[int]] = {}
    spans = []
    entries = list(_ifd_entries(data, order, ifd1))
    spans.append((ifd1, ifd1 + 2 + 12 * len(entries) + 4))
    for position, tag, kind, count in entries:
        size = sizes.get(kind, 1) * count
        where = position + 8
        if size > 4:
            (where,) = struct.unpack_from(order + "I", data, position + 8)
            spans.append((where, where + size))
        if kind in (3, 4) and count < 1024 and where + size <= len(data):
            values[tag] = list(struct.unpack_from(order + ("H" if kind == 3 else "I") * count, data, where))
    for offsets, lengths in ((0x0201, 0x0202), (0x0111, 0x0117)):  # JPEG thumbnail, strip thumbnail
        for start, length in zip(values.get(offsets, []), values.get(lengths, []), strict=False):
            spans.append((start, start + length))
    return [(max(start, 8), min(end, len(data))) for start, end in spans if start < len(data)]


#: TIFF tags that describe the picture (not its layout), carried to the output as EXIF IFD0 tags
_TIFF_DESCRIPTIVE_TAGS = (269, 270, 271, 272, 285, 305, 306, 315, 316, 33432)


def _tiff_exif(image: Image.Image) -> bytes | None:
    """EXIF bytes holding a TIFF's descriptive tags (Pillow gives TIFFs no ``info["exif"]``)."""
    tags = getattr(image, "tag_v2", None)
    if not tags:
        return None
    exif = Image.Exif()
    for tag in _TIFF_DESCRIPTIVE_TAGS:
        value = tags.get(tag)
        if isinstance(value, (str, bytes)) and value:
            exif[tag] = value
    try:
        source = image.getexif()
        for pointer in (0x8769, 0x8825):  # Exif and GPS sub-IFDs
            if pointer in source and source.get_ifd(pointer):
                exif[pointer] = dict(source.get_ifd(pointer))
        return exif.tobytes() if len(exif) else None
    except Exception:  # noqa: BLE001 - malformed tags must not prevent reading the pixels
        return None


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
    if image.format == "PNG":  # how viewers map its values to colours: gAMA, sRGB, cHRM chunks
        info.update({key: source[key] for key in ("gamma", "srgb", "chromaticity") if source.get(key) is not None})
    photoshop = _photoshop_resources(image)
    if photoshop:
        info["photoshop_resources"] = photoshop
    transposed = orientation >= 5  # turned by 90 degrees: width and height swap
    if transposed and "dpi" in info:
        info["dpi"] = tuple(reversed(info["dpi"]))
    exif = source.get("exif") or (_tiff_exif(image) if image.format == "TIFF" else None) or _png_raw_exif(image)
    if exif:
        info["exif"] = drop_exif_thumbnail(reset_exif_orientation(exif, transposed) if orientation != 1 else exif)
    xmp = source.get("xmp") or source.get("XML:com.adobe.xmp")
    if xmp:
        info["xmp"] = _reset_xmp_orientation(xmp) if orientation != 1 else xmp
    text = getattr(image, "text", None) if image.format == "PNG" else None
    if text:
        info["text"] = {
            key: (_reset_xmp_orientation(value) if key == "XML:com.adobe.xmp" and orientation != 1 else value)
            for key, value in text.items()
            if not (key == _PNG_RAW_EXIF and "exif" in info)  # the EXIF is written as an eXIf chunk
        }
    return info


_PHOTOSHOP_HEADER = b"Photoshop 3.0\x00"
_PHOTOSHOP_THUMBNAILS = {0x0409, 0x040C}  # they would show the photo before inpainting


def _photoshop_resources(image: Image.Image) -> bytes | None:
    """A JPEG's Photoshop image resources (its APP13 segments: IPTC captions, keywords, copyright), joined,
    without the thumbnails; ``None`` when there are none or they cannot be parsed."""
    blocks = b"".join(
        payload[len(_PHOTOSHOP_HEADER) :]
        for marker, payload in getattr(image, "applist", [])
        if marker == "APP13" and payload.startswith(_PHOTOSHOP_HEADER)
    )
    kept, position = [], 0
    try:
        while position < len(blocks):
            if blocks[position : position + 4] != b"8BIM":
                return None
            resource = struct.unpack_from(">H", blocks, position + 4)[0]
            name_length = blocks[position + 6]
            size_at = position + 6 + name_length + 1 + (name_length + 1) % 2  # the name is padded to even
            (size,) = struct.unpack_from(">I", blocks, size_at)
            end = size_at + 4 + size + size % 2  # so is the data
            if end > len(blocks) + size % 2:
                return None
            if resource not in _PHOTOSHOP_THUMBNAILS:
                kept.append(blocks[position:end])
            position = end
    except (IndexError, struct.error):
        return None
    return b"".join(kept) or None


_PNG_RAW_EXIF = "Raw profile type exif"  # ImageMagick's EXIF in a PNG text chunk: "\nexif\n  length\nhex..."


def _png_raw_exif(image: Image.Image) -> bytes | None:
    text = getattr(image, "text", None) if image.format == "PNG" else None
    if not text or _PNG_RAW_EXIF not in text:
        return None
    try:
        return bytes.fromhex("".join(text[_PNG_RAW_EXIF].split("\n")[3:]))
    except ValueError:
        return None


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


def image_dimensions(data: bytes) -> tuple[int, int]:
    """``(width, height)`` from the file's header alone, without decoding its pixels (what a server needs
    to count an upload's memory before decoding it); raises :class:`InputError` as :func:`read_image` would."""
    return _open(data, "<bytes>", "image", None).size


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
        key = info.get("transparency")
        if isinstance(key, int):  # a tRNS grey key: kept as an alpha channel, like 16-bit colour's (OpenCV)
            loaded.alpha = np.where(grey == key, 0, 65535).astype(np.uint16)
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
    """Grow the holes of a (H, W) {0, 1} mask by ``pixels``: every pixel within ``pixels`` (Euclidean) of a
    hole becomes a hole. A distance transform, so its cost does not grow with ``pixels`` (a kernel of
    that size would, and fails past OpenCV's limits)."""
    if isinstance(pixels, bool) or not isinstance(pixels, (int, np.integer)) or pixels < 0:
        raise InputError(f"dilate must be a non-negative number of pixels, got {pixels!r}")
    mask = (np.asarray(mask) > 0.5).astype(np.uint8)
    if pixels == 0 or not mask.any():
        return mask.astype(np.float32)
    import cv2

    distance = cv2.distanceTransform(1 - mask, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)  # to the nearest hole pixel
    return (distance <= pixels).astype(np.float32)


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
    orientation: int = 1,
) -> np.ndarray:
    """Read a mask file as float32 (H, W) in {0, 1}, 1 = hole (EXIF orientation applied).

    ``size`` is the (upright) image's ``(height, width)``: a mask of another size raises
    :class:`SizeMismatchError` giving both sizes, unless ``resize`` nearest-resizes it. Masks are
    painted on the image as viewers show it (EXIF-rotated); a mask that matches the *stored* pixel
    layout of an image with a 90-degree EXIF ``orientation`` (5-8) is turned upright with it, as the
    image is. ``invert`` swaps holes and known pixels (for masks that mark what to keep); ``dilate``
    grows the holes by that many pixels. The one rule for the CLI, the server and the Python API.
    """
    name = _describe(source)
    image = _open(_read_bytes(source, "mask"), name, "mask", max_pixels)
    _load(image, name, "mask")
    image = _upright(image, _orientation(image))
    mask = mask_from_image(image, source=f"mask {name}")
    if size is not None and orientation >= 5:
        mask = _mask_layout(mask, (int(size[0]), int(size[1])), orientation, resize, name)
    if size is not None and mask.shape != tuple(size):
        if not resize:
            raise SizeMismatchError(
                f"mask {name} is {mask.shape[1]}x{mask.shape[0]} but the image is {size[1]}x{size[0]} "
                "(width x height); use a mask of the image's size or resize it (--resize-mask / resize=True)"
            )
        if not _same_aspect(mask.shape, (int(size[0]), int(size[1]))):  # stretching would distort every hole
            raise SizeMismatchError(
                f"mask {name} is {mask.shape[1]}x{mask.shape[0]} and the image {size[1]}x{size[0]} (width x height): "
                "their aspect ratios differ, so resizing would stretch the holes; resizing only scales a mask "
                "drawn on the whole image at another resolution"
            )
        mask = resize_nearest(mask, int(size[0]), int(size[1]))
    return prepare_mask(mask, invert=invert, dilate=dilate)


def _same_aspect(shape: tuple[int, ...], target: tuple[int, int]) -> bool:
    """Whether a mask of ``shape`` is ``target`` scaled (rounding of either side allowed, or 1 %)."""
    (height, width), (target_height, target_width) = shape[:2], target
    if height * target_width == width * target_height:
        return True
    off = abs(height * target_width - width * target_height)
    return off < target_height + target_width or off <= 0.01 * width * target_height


def _mask_layout(mask: np.ndarray, size: tuple[int, int], orientation: int, resize: bool, name: str) -> np.ndarray:
    """Turn a mask drawn on the stored layout of a 90-degree EXIF-rotated image upright.

    Decided before any resize (by size, else by aspect ratio): stretching a stored-layout mask to
    the shown size would move every hole. When both layouts fit (a square image) the mask is taken
    as drawn on the image as shown; when neither does, the mask cannot be placed and is refused.
    """
    shown, stored = size, size[::-1]
    if mask.shape == shown or shown == stored:
        return mask
    if mask.shape == stored:
        return upright_mask(mask, orientation)
    if not resize:
        return mask  # the size mismatch is reported by the caller
    on_shown, on_stored = _same_aspect(mask.shape, shown), _same_aspect(mask.shape, stored)
    if on_shown:
        return mask
    if on_stored:
        return upright_mask(mask, orientation)
    raise SizeMismatchError(
        f"mask {name} is {mask.shape[1]}x{mask.shape[0]}: its aspect ratio matches neither the image as shown "
        f"({shown[1]}x{shown[0]}) nor as stored ({stored[1]}x{stored[0]}, EXIF orientation {orientation}), so it "
        "cannot be resized to it (width x height); draw the mask on the image as shown"
    )
