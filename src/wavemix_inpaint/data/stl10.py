"""Reader for the STL-10 binary files (``stl10_binary/{split}_X.bin``), memory-mapped.

Format: no header; each image is 3*96*96 = 27,648 ``uint8`` bytes holding the R, G and B planes one
after another, each plane **column-major** (byte k of a plane is row ``k % 96``, column ``k // 96``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from torch import Tensor
from torch.utils.data import Dataset

from wavemix_inpaint.data.convert import to_tensor
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.fileio import atomic_path

STL10_SIDE = 96
STL10_IMAGE_BYTES = 3 * STL10_SIDE * STL10_SIDE
STL10_SPLITS: tuple[str, ...] = ("train", "test", "unlabeled")
#: MD5 of the official files (as listed by torchvision).
STL10_MD5: dict[str, str] = {
    "train_X.bin": "918c2871b30a85fa023e0c44e0bee87f",
    "test_X.bin": "7f263ba9f9e0b06b93213547f721ac82",
    "unlabeled_X.bin": "5242ba1fed5e4be9e1e742405eb56ca4",
}

Indices = int | slice | Sequence[int] | np.ndarray


def md5_file(path: str | os.PathLike, chunk_bytes: int = 1 << 22) -> str:
    """Hex MD5 of a file, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_stl10_file(path: str | os.PathLike, split: str = "unlabeled") -> Path:
    """Find ``{split}_X.bin`` given the folder above ``stl10_binary/``, that folder, or the file.

    A path ending in ``.bin`` is used as is (``split`` then only names it in error messages).
    """
    if split not in STL10_SPLITS:
        raise InputError(f"unknown STL-10 split {split!r}; choose one of {', '.join(STL10_SPLITS)}")
    given = Path(path).expanduser()
    name = f"{split}_X.bin"
    candidates = [given] if given.suffix == ".bin" else [given / name, given / "stl10_binary" / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = " or ".join(str(candidate) for candidate in candidates)
    raise InputError(
        f"STL-10 file {name} not found (looked for {looked}). Place the official binaries as "
        f"<root>/stl10_binary/{name} (extract stl10_binary.tar.gz from the STL-10 website) and pass <root>, "
        "<root>/stl10_binary or the .bin file itself; this project never downloads it."
    )


class STL10Binary(Dataset):
    """STL-10 images from ``{split}_X.bin``; items are 3x96x96 float tensors in [0, 1].

    The file is opened with :class:`numpy.memmap` on first access in each process (the memory map is
    not pickled, so DataLoader workers re-open it). ``verify_md5=True`` checks the official checksum,
    which reads the whole file once.
    """

    def __init__(self, path: str | os.PathLike, split: str = "unlabeled", verify_md5: bool = False) -> None:
        self.split = split
        self.file = resolve_stl10_file(path, split)
        size = self.file.stat().st_size
        if size == 0 or size % STL10_IMAGE_BYTES:
            raise InputError(
                f"{self.file} has {size} bytes, which is not a positive multiple of {STL10_IMAGE_BYTES} "
                "(one 3x96x96 STL-10 image); the file is truncated or not an STL-10 binary"
            )
        self._length = size // STL10_IMAGE_BYTES
        if verify_md5:
            self.verify_md5()
        self._images: np.memmap | None = None

    def verify_md5(self) -> None:
        """Raise :class:`InputError` unless the file matches the official STL-10 checksum."""
        expected = STL10_MD5.get(self.file.name)
        if expected is None:
            raise InputError(f"no known STL-10 checksum for {self.file.name}; expected one of {', '.join(STL10_MD5)}")
        actual = md5_file(self.file)
        if actual != expected:
            raise InputError(
                f"MD5 of {self.file} is {actual}, expected {expected}: the file is corrupt or not the official "
                "STL-10 release; extract it again from stl10_binary.tar.gz"
            )

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_images"] = None
        return state

    def _raw(self) -> np.memmap:
        """Memory map shaped N x 3 x 96(column) x 96(row), as stored."""
        if self._images is None:
            shape = (self._length, 3, STL10_SIDE, STL10_SIDE)
            self._images = np.memmap(self.file, dtype=np.uint8, mode="r", shape=shape)
        return self._images

    def __len__(self) -> int:
        return self._length

    def read_uint8(self, indices: Indices) -> np.ndarray:
        """Images as an N x 96 x 96 x 3 ``uint8`` array (an int gives N = 1)."""
        if isinstance(indices, slice):
            batch = self._raw()[indices]
        else:
            index_array = np.atleast_1d(np.asarray(indices, dtype=np.int64))
            if index_array.ndim != 1:
                raise IndexError(f"indices must be one-dimensional, got shape {index_array.shape}")
            if index_array.size and (index_array.min() < -self._length or index_array.max() >= self._length):
                raise IndexError(f"index out of range for {self._length} images in {self.file}")
            batch = self._raw()[index_array]
        return np.ascontiguousarray(np.asarray(batch).transpose(0, 3, 2, 1))

    def get_uint8(self, index: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """One image as HxWx3 ``uint8`` (``rng`` is unused: STL-10 images are not cropped)."""
        return self.read_uint8(int(index))[0]

    def __getitem__(self, index: int) -> Tensor:
        return to_tensor(self.get_uint8(index))


def write_stl10_binary(path: str | os.PathLike, images: np.ndarray, overwrite: bool = True) -> Path:
    """Write an N x 96 x 96 x 3 ``uint8`` array in the STL-10 binary layout (atomically)."""
    array = np.asarray(images)
    if array.dtype != np.uint8 or array.ndim != 4 or array.shape[1:] != (STL10_SIDE, STL10_SIDE, 3):
        raise ValueError(f"expected an N x 96 x 96 x 3 uint8 array, got {array.dtype} with shape {array.shape}")
    with atomic_path(path, overwrite=overwrite) as tmp:
        np.ascontiguousarray(array.transpose(0, 3, 2, 1)).tofile(tmp)
    return Path(path)


__all__ = [
    "STL10Binary",
    "STL10_IMAGE_BYTES",
    "STL10_MD5",
    "STL10_SIDE",
    "md5_file",
    "resolve_stl10_file",
    "write_stl10_binary",
]
