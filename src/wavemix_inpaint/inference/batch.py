"""Batch jobs: which output each input image gets, with which mask, and which share of them this process does.

* ``plan_jobs(image, mask, output)``: one image or a folder (recursive); the mask of ``sub/name.jpg`` in a
  mask folder is ``sub/name.EXT`` or ``sub/name_mask.EXT`` (then ``name.EXT`` / ``name_mask.EXT`` at the top
  of the mask folder); with the masks beside the photos (``--mask`` = the image folder), ``name_mask.EXT``
  files are the masks, not photos. Problems of a single job (no mask, the output is an input) are recorded
  on the job.
* ``shard_jobs(jobs, shard)``: process ``I`` of ``N`` takes every ``N``-th job of the sorted list, so ``N``
  processes or machines share a folder with no overlap and no coordination; under ``torchrun`` the shard
  is taken from ``RANK`` / ``WORLD_SIZE``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.imageio import IMAGE_EXTENSIONS, find_images


@dataclass
class Job:
    """One image to inpaint: its mask, its output, a label for messages, and a problem if it cannot run."""

    image: Path
    mask: Path | None
    output: Path
    label: str
    error: str | None = None


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


class _MaskIndex:
    """Masks of a folder by (relative parent folder, stem), for matching images by name."""

    def __init__(self, root: Path, image_root: Path) -> None:
        self.root = root
        self.same_tree = root.resolve() == image_root.resolve()
        order = {ext: rank for rank, ext in enumerate(IMAGE_EXTENSIONS)}
        self.index: dict[tuple[Path, str], list[Path]] = {}
        for path in sorted(find_images(root), key=lambda p: (order[p.suffix.lower()], str(p))):
            key = (path.parent.relative_to(root), path.stem)
            self.index.setdefault(key, []).append(path)

    def find(self, relative: Path) -> Path | None:
        stems = [relative.stem + "_mask"] if self.same_tree else [relative.stem, relative.stem + "_mask"]
        for folder in dict.fromkeys((relative.parent, Path("."))):
            for stem in stems:
                for candidate in self.index.get((folder, stem), []):
                    return candidate
        return None


def _image_files(root: Path, skip: list[Path], masks_beside: bool) -> list[Path]:
    """The photos under ``root``; ``NAME_mask`` files are masks, not photos, only when the masks live
    beside the photos (``masks_beside``)."""
    found = []
    for path in find_images(root):
        if (masks_beside and path.stem.endswith("_mask")) or any(_is_within(path, folder) for folder in skip):
            continue
        found.append(path)
    return found


def plan_jobs(image: Path, mask: Path, output: Path, output_is_dir: bool = False) -> list[Job]:
    """The (image, mask, output) triples for the command line; per-job problems are set as ``error``."""
    if not image.exists():
        raise InputError(f"image path not found: {image}")
    if not mask.exists():
        raise InputError(f"mask path not found: {mask}")
    if image.is_file():
        root, images = image.parent, [image]
        if output.is_dir() or output_is_dir:
            output = output / image.name
        outputs = [output]
    else:
        if output.exists() and not output.is_dir():
            raise InputError(f"--output {output} must be a folder when --image is a folder")
        if output.resolve() == image.resolve():
            raise InputError(f"--output {output} is the input folder: outputs would replace the inputs; choose another folder")
        skip = [output] + ([mask] if mask.is_dir() and mask.resolve() != image.resolve() else [])
        masks_beside = not mask.is_dir() or mask.resolve() == image.resolve()
        root, images = image, _image_files(image, [s for s in skip if _is_within(s, image)], masks_beside)
        if not images:
            raise InputError(f"no images (.png, .jpg, .webp, .tif, .bmp, .gif) found in {image}")
        outputs = [output / path.relative_to(image) for path in images]
    index = _MaskIndex(mask, root) if mask.is_dir() else None
    inputs = set()
    jobs = []
    for path, out in zip(images, outputs):
        relative = path.relative_to(root)
        mask_file = mask if index is None else index.find(relative)
        job = Job(path, mask_file, out, str(relative))
        if mask_file is None:
            looked = f"{relative.stem}_mask.EXT" if index.same_tree else f"{relative.stem}.EXT and {relative.stem}_mask.EXT"
            job.error = f"no mask for {relative} in {mask} (looked for {looked})"
        inputs.update(p.resolve() for p in (path, mask_file) if p is not None)
        jobs.append(job)
    for job in jobs:
        if job.error is None and (job.output.resolve() in inputs or _same_file(job.output, job.image)):
            job.error = f"refusing to write {job.output}: it is an input file (choose another --output)"
    return jobs


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def parse_shard(text: str | None) -> tuple[int, int]:
    """``"I/N"`` (1-based) -> ``(I - 1, N)``; ``None``: torchrun's ``RANK`` / ``WORLD_SIZE``, else ``(0, 1)``."""
    if text is None:
        rank, world = os.environ.get("RANK", "0"), os.environ.get("WORLD_SIZE", "1")
        try:
            number, total = int(rank), int(world)
        except ValueError:
            number, total = -1, 0
        if not 0 <= number < total:
            raise InputError(
                f"the environment's RANK={rank!r} and WORLD_SIZE={world!r} (set by torchrun) must be integers with "
                "0 <= RANK < WORLD_SIZE; unset them or pass --shard I/N"
            )
        return number, total
    index, sep, count = text.partition("/")
    try:
        number, total = int(index), int(count)
    except ValueError:
        number, total = 0, 0
    if not sep or not 1 <= number <= total:
        raise InputError(f"--shard must be I/N with 1 <= I <= N (e.g. 2/4), got {text!r}")
    return number - 1, total


def shard_jobs(jobs: list[Job], shard: tuple[int, int]) -> list[Job]:
    """The jobs of shard ``(index, count)``: every ``count``-th job of the list, starting at ``index``."""
    index, count = shard
    if not 0 <= index < count:
        raise InputError(f"shard {index + 1} of {count} does not exist")
    return jobs[index::count]
