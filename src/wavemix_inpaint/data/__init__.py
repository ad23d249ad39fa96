"""Datasets: STL-10 binaries, folders of photos, seeded splits, augmentations and image+mask pairing.

Typical use::

    images = build_dataset("stl10:/data/stl10", "train", size=96)
    train = MaskedImageDataset(images, mask_generator=gen, seed=0, augment="light")
    loader = DataLoader(train, batch_size=40, shuffle=True, num_workers=4, worker_init_fn=worker_init_fn)
    for epoch in range(epochs):
        train.set_epoch(epoch)
        ...
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from torch.utils.data import Dataset

from wavemix_inpaint.data.augment import AUGMENTATIONS, Augmentation, get_augmentation
from wavemix_inpaint.data.convert import load_uint8, to_tensor, to_uint8_hwc
from wavemix_inpaint.data.folder import CROP_MODES, IMAGE_EXTENSIONS, ImageFolder, list_images, open_rgb
from wavemix_inpaint.data.masked import MaskedImageDataset, MaskGenerator, list_mask_files
from wavemix_inpaint.data.seeding import sample_rngs, worker_init_fn
from wavemix_inpaint.data.split import SPLIT_NAMES, Subset, split_indices, split_sizes
from wavemix_inpaint.data.stl10 import STL10_MD5, STL10_SIDE, STL10Binary, write_stl10_binary
from wavemix_inpaint.errors import InputError

STL10_PREFIX = "stl10:"


def build_dataset(
    spec: str,
    split: str,
    size: int | tuple[int, int] = 96,
    *,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    split_seed: int = 0,
    crop: str | None = None,
    verify_md5: bool = False,
) -> Dataset:
    """Image dataset (no masks) from a spec string.

    * ``stl10:PATH``: the STL-10 unlabeled images, restricted to ``split`` (train/val/test) of the
      seeded ``fractions`` split (80k/10k/10k by default). Images are 96x96, so ``size`` must be 96.
    * an existing directory: :class:`ImageFolder` (``split`` only picks the crop: random for train,
      centre for val/test, unless ``crop`` is given, e.g. ``"resize-center"`` for STL-like ImageNet photos).
    """
    if split not in SPLIT_NAMES:
        raise InputError(f"unknown split {split!r}; choose one of {', '.join(SPLIT_NAMES)}")
    if spec.startswith(STL10_PREFIX):
        if size not in (STL10_SIDE, (STL10_SIDE, STL10_SIDE)):
            raise InputError(f"STL-10 images are {STL10_SIDE}x{STL10_SIDE}; use size {STL10_SIDE}, not {size}")
        images = STL10Binary(spec[len(STL10_PREFIX) :], "unlabeled", verify_md5=verify_md5)
        return Subset(images, split_indices(len(images), fractions, split_seed)[split])
    if Path(spec).expanduser().is_dir():
        return ImageFolder(spec, size=size, crop=crop or ("random" if split == "train" else "center"))
    raise InputError(f"dataset {spec!r} is neither '{STL10_PREFIX}PATH' nor an existing folder of images")


__all__ = [
    "AUGMENTATIONS",
    "Augmentation",
    "CROP_MODES",
    "IMAGE_EXTENSIONS",
    "ImageFolder",
    "MaskGenerator",
    "MaskedImageDataset",
    "SPLIT_NAMES",
    "STL10Binary",
    "STL10_MD5",
    "Subset",
    "build_dataset",
    "get_augmentation",
    "list_images",
    "list_mask_files",
    "load_uint8",
    "open_rgb",
    "sample_rngs",
    "split_indices",
    "split_sizes",
    "to_tensor",
    "to_uint8_hwc",
    "worker_init_fn",
    "write_stl10_binary",
]
