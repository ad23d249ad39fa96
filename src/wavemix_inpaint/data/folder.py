"""A folder of photos (searched recursively) as fixed-size RGB crops.

Decoding rules: EXIF orientation is applied; greyscale, palette, CMYK and 16-bit images become 8-bit
RGB; images with transparency (RGBA, LA, palette with a transparent colour) are composited onto
white, so fully transparent pixels are white rather than whatever colour data they happen to hold.
Files and folders whose name starts with ``.`` are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from torch import Tensor
from torch.utils.data import Dataset

from wavemix_inpaint.data.augment import get_augmentation
from wavemix_inpaint.data.convert import to_tensor
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.imageio import IMAGE_EXTENSIONS, find_images, image_suffixes  # one list, one folder walker

#: ``random``/``center``: crop at native resolution (upscaling only images that are too small);
#: ``resize-center``: resize the short side to ``size`` then centre-crop ("STL-like" ImageNet preprocessing).
CROP_MODES: tuple[str, ...] = ("random", "center", "resize-center")
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


def list_images(root: str | os.PathLike, extensions: Sequence[str] = IMAGE_EXTENSIONS) -> list[Path]:
    """Image files under ``root`` (recursive, case-insensitive extensions), sorted by relative path."""
    folder = Path(root).expanduser()
    if not folder.is_dir():
        raise InputError(f"image folder {folder} does not exist or is not a directory")
    files = find_images(folder, tuple(extensions))
    if not files:
        raise InputError(
            f"no images found under {folder} (searched recursively for {', '.join(sorted(image_suffixes(extensions)))}); "
            "put training photos there or point to another folder"
        )
    return files


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode.startswith("I"):  # 16/32-bit greyscale: map 0..65535 to 0..255
        grey = np.clip(np.rint(np.asarray(image, dtype=np.float64) / 257.0), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return image.convert("RGB")


def open_rgb(path: str | os.PathLike) -> Image.Image:
    """Decode an image file to an upright 8-bit RGB PIL image; unreadable files raise :class:`InputError`."""
    try:
        with Image.open(path) as image:
            image.load()
            return _to_rgb(ImageOps.exif_transpose(image))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        message = f"cannot read image {path}: {error} (the file is corrupt or not an image; remove it)"
        raise InputError(message) from error


def resize_short_side(image: Image.Image, size: int) -> Image.Image:
    """Bicubic resize so that the shorter side equals ``size`` (aspect ratio kept)."""
    width, height = image.size
    scale = size / min(width, height)
    new_size = (max(size, round(width * scale)), max(size, round(height * scale)))
    return image if new_size == image.size else image.resize(new_size, Image.Resampling.BICUBIC)


def _cover(image: Image.Image, height: int, width: int) -> Image.Image:
    """Bicubic resize (aspect ratio kept) so that the image covers ``height`` x ``width``."""
    scale = max(height / image.size[1], width / image.size[0])
    if scale <= 1:
        return image
    size = (max(width, round(image.size[0] * scale)), max(height, round(image.size[1] * scale)))
    return image.resize(size, Image.Resampling.BICUBIC)


class ImageFolder(Dataset):
    """``size`` x ``size`` (or ``(height, width)``) RGB crops of every image under ``root``; items are
    3xHxW floats in [0, 1]. For a non-square size, images of the other orientation are turned by 90
    degrees first (so BSDS500's 321x481 portraits and 481x321 landscapes all give 481x321 crops).

    With ``min_side_resize`` images whose short side is below ``size`` are upscaled (bicubic) to it;
    otherwise they raise :class:`InputError`. The crop position and the augmentation come from the
    ``rng`` passed to :meth:`get_uint8` (``MaskedImageDataset`` passes a per-sample generator); plain
    indexing uses ``numpy.random.default_rng([seed, index])``.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        size: int | tuple[int, int] = 96,
        crop: str = "random",
        augment: str = "none",
        extensions: Sequence[str] = IMAGE_EXTENSIONS,
        min_side_resize: bool = True,
        seed: int = 0,
    ) -> None:
        if crop not in CROP_MODES:
            raise InputError(f"unknown crop mode {crop!r}; choose one of {', '.join(CROP_MODES)}")
        self.height, self.width = (int(size), int(size)) if isinstance(size, (int, np.integer)) else map(int, size)
        if min(self.height, self.width) < 1:
            raise InputError(f"crop size must be positive, got {size}")
        self.root = Path(root).expanduser()
        self.size = min(self.height, self.width)
        self.crop = crop
        self.augmentation = get_augmentation(augment)
        self.min_side_resize = min_side_resize
        self.seed = int(seed)
        self.files = list_images(self.root, extensions)

    def __len__(self) -> int:
        return len(self.files)

    def _fit(self, image: Image.Image, path: Path) -> Image.Image:
        width, height = image.size
        if self.height != self.width and (height > width) != (self.height > self.width):
            image = image.transpose(Image.Transpose.ROTATE_90)
        if self.crop == "resize-center":
            return resize_short_side(image, self.size) if self.height == self.width else _cover(image, self.height, self.width)
        if image.size[0] >= self.width and image.size[1] >= self.height:
            return image
        if not self.min_side_resize:
            raise InputError(f"image {path} is {image.size[0]}x{image.size[1]}, smaller than the {self.width}x{self.height} crop")
        return _cover(image, self.height, self.width)

    def get_uint8(self, index: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """The (augmented) ``size`` x ``size`` x 3 ``uint8`` crop of image ``index``."""
        if rng is None:
            rng = np.random.default_rng([self.seed, int(index)])
        path = self.files[index]
        image = np.asarray(self._fit(open_rgb(path), path))
        height, width = image.shape[:2]
        if self.crop == "random":
            top, left = int(rng.integers(0, height - self.height + 1)), int(rng.integers(0, width - self.width + 1))
        else:
            top, left = (height - self.height) // 2, (width - self.width) // 2
        patch = np.ascontiguousarray(image[top : top + self.height, left : left + self.width])
        return self.augmentation(patch, rng)

    def __getitem__(self, index: int) -> Tensor:
        return to_tensor(self.get_uint8(index))


__all__ = ["CROP_MODES", "IMAGE_EXTENSIONS", "ImageFolder", "list_images", "open_rgb", "resize_short_side"]
