"""Pairs images with masks: on-the-fly random masks for training, or a fixed folder of masks for evaluation.

Each item is ``{"image": 3xHxW float in [0, 1], "mask": 1xHxW float (1 = hole), "index": int}``, plus
``"estimate"`` (the masked image filled by ``prefill``, e.g. OpenCV Telea) when a prefill is given, so
that CPU-heavy prefills run in the loader's worker processes rather than in the training loop. All
randomness is per sample (see :mod:`wavemix_inpaint.data.seeding`): the image source crops with the
``image`` stream, the augmentation uses the ``augment`` stream and the mask generator the ``mask``
stream of ``SeedSequence([seed, epoch, index])``.

``set_epoch`` must be called before an epoch's DataLoader iterator is created; with
``persistent_workers=True`` the workers keep the dataset copy of the first epoch, so leave that off (the
default) or the same crops, augmentations and masks repeat every epoch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from wavemix_inpaint.data.augment import get_augmentation
from wavemix_inpaint.data.convert import load_uint8, to_tensor
from wavemix_inpaint.data.seeding import sample_rngs
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.imageio import read_mask
from wavemix_inpaint.models.prefill import PREFILLS

#: ``gen(rng, height, width) -> float32 HxW array in {0, 1}``, 1 = hole (``wavemix_inpaint.masks`` interface).
MaskGenerator = Callable[[np.random.Generator, int, int], np.ndarray]
ImageAugmentation = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def list_mask_files(mask_dir: str | os.PathLike) -> list[Path]:
    """``mask_*.png`` files in ``mask_dir`` (not recursive), in natural order (``mask_2`` before ``mask_10``)."""
    folder = Path(mask_dir).expanduser()
    if not folder.is_dir():
        raise InputError(f"mask folder {folder} does not exist or is not a directory")
    files = sorted((path for path in folder.glob("mask_*.png") if path.is_file()), key=_natural_key)
    if not files:
        raise InputError(f"no mask_*.png files in {folder}; generate a fixed mask set there first (255 = hole)")
    return files


class MaskedImageDataset(Dataset):
    """Images from any dataset plus a mask from ``mask_generator`` or from the files of ``mask_dir``.

    ``images`` may be a dataset of this package (cropped with the per-sample rng through ``get_uint8``)
    or any dataset returning 3xHxW float tensors, HxWx3 ``uint8`` arrays, PIL images, or tuples whose
    first element is one of those (such images are quantised to 8 bits). ``mask_generator`` may also
    be a preset name for ``wavemix_inpaint.masks.get_mask_generator``. With ``mask_dir`` item ``i``
    uses mask file ``i % n_masks`` (sorted), which must have the image's size. ``prefill`` (a name of
    ``wavemix_inpaint.models.prefill.PREFILLS``) adds the ``"estimate"`` item.
    """

    def __init__(
        self,
        images: Dataset,
        mask_generator: MaskGenerator | str | None = None,
        mask_dir: str | os.PathLike | None = None,
        seed: int = 0,
        augment: str | ImageAugmentation = "none",
        epoch: int = 0,
        prefill: str | None = None,
    ) -> None:
        if (mask_generator is None) == (mask_dir is None):
            raise InputError("give exactly one of mask_generator (random masks) or mask_dir (fixed mask files)")
        if isinstance(mask_generator, str):
            from wavemix_inpaint.masks import get_mask_generator

            mask_generator = get_mask_generator(mask_generator)
        self.images = images
        self.mask_generator = mask_generator
        self.mask_files = list_mask_files(mask_dir) if mask_dir is not None else None
        self.augmentation = get_augmentation(augment) if isinstance(augment, str) else augment
        self.seed = int(seed)
        self.epoch = int(epoch)
        if prefill is not None and prefill not in PREFILLS:
            raise InputError(f"unknown prefill {prefill!r}; choose one of {', '.join(PREFILLS)}")
        self.prefill = prefill

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose crops, augmentations and random masks ``__getitem__`` returns."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.images)

    def _mask(self, index: int, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        if self.mask_files is None:
            mask = np.asarray(self.mask_generator(rng, height, width))
            if mask.shape != (height, width):
                raise ValueError(f"mask generator returned shape {mask.shape}, expected {(height, width)}")
            return (mask > 0.5).astype(np.float32)
        path = self.mask_files[index % len(self.mask_files)]
        mask = read_mask(path)
        if mask.shape != (height, width):
            raise InputError(
                f"mask {path} is {mask.shape[1]}x{mask.shape[0]} but image {index} is {width}x{height}; "
                "use masks generated at the image size"
            )
        return mask

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        """Sample ``index``; ``index + k * len(self)`` is the same photo drawn a (k+1)-th time in one epoch,
        with its own crop, augmentation and mask (the trainer asks for that when an epoch is longer than
        the data set)."""
        index = int(index)
        if index < 0:
            raise IndexError(f"index {index} out of range for {len(self)} images")
        photo = index % len(self)
        rngs = sample_rngs(self.seed, self.epoch, index)
        image = self.augmentation(load_uint8(self.images, photo, rngs["image"]), rngs["augment"])
        mask = self._mask(photo, rngs["mask"], *image.shape[:2])
        item = {"image": to_tensor(image), "mask": torch.from_numpy(mask)[None], "index": photo}
        if self.prefill is not None:  # done here, in the loader's worker processes, not in the model
            batch_image, batch_mask = item["image"][None], item["mask"][None]
            item["estimate"] = PREFILLS[self.prefill](batch_image * (1 - batch_mask), batch_mask)[0]
        return item


__all__ = ["MaskGenerator", "MaskedImageDataset", "list_mask_files"]
