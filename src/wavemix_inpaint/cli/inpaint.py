"""``wavemix-inpaint inpaint``: fill the holes of one image or a folder of images.

* ``--image`` is a file or a folder (searched recursively for .png/.jpg/.jpeg/.webp/.bmp/.tif/.tiff/
  .gif files; files whose name ends in ``_mask`` and files under ``--output`` are skipped).
* ``--mask`` is one mask file used for every image, or a folder where the mask of ``sub/name.jpg``
  is ``sub/name.EXT`` or ``sub/name_mask.EXT`` (then ``name.EXT`` / ``name_mask.EXT`` at the top of
  the folder). When the mask folder is the image folder only ``name_mask.EXT`` is used.
* ``--output`` is a file for one image (or an existing folder to write ``IMAGE_NAME`` into), and a
  folder for a folder of images (relative paths mirrored, names and formats kept).

Outputs keep the input's format, mode, alpha, ICC profile, EXIF (orientation reset) and JPEG
quantisation (see :mod:`wavemix_inpaint.imageio`). Existing files are never replaced without
``--overwrite``, and inputs never are. In folder mode a failing image is reported and the others
are processed; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from wavemix_inpaint.inference.options import add_option_arguments, options_from_args

HELP = "inpaint an image (or a folder of images) given a mask; keeps format, quality, alpha and metadata"


def add_model_arguments(parser: argparse.ArgumentParser, onnx: bool = True) -> None:
    """``--model NAME | --checkpoint PATH [| --onnx PATH]`` and ``--device``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--model",
        metavar="NAME",
        default=None,
        help="bundled pretrained weights to use (default: 'default'; list them with 'wavemix-inpaint models')",
    )
    group.add_argument("--checkpoint", metavar="PATH", help="a .safetensors checkpoint written by 'wavemix-inpaint train'")
    if onnx:
        group.add_argument("--onnx", metavar="PATH", help="an .onnx file written by 'wavemix-inpaint export' (ONNX Runtime)")
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default="fp32",
        help="bf16 autocast: faster on CPUs with AMX/AVX512-BF16 and recent GPUs (default: fp32)",
    )


def load_inpainter(args: argparse.Namespace):  # noqa: ANN201 - Inpainter, imported lazily
    """Build the :class:`~wavemix_inpaint.inpainter.Inpainter` selected by :func:`add_model_arguments`."""
    from wavemix_inpaint.inpainter import Inpainter

    if args.checkpoint:
        return Inpainter.from_checkpoint(args.checkpoint, device=args.device, precision=args.precision)
    if getattr(args, "onnx", None):
        return Inpainter.from_onnx(args.onnx)
    return Inpainter.from_pretrained(args.model or "default", device=args.device, precision=args.precision)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _quality(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be from 1 to 100, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", required=True, help="input image file, or a folder of images (recursive)")
    parser.add_argument(
        "--mask",
        required=True,
        help="mask file (255/white/opaque = hole; one mask for all images), or a folder of masks matched by "
        "file name (NAME.png or NAME_mask.png)",
    )
    parser.add_argument("--output", required=True, help="output file (one image) or folder (several images)")
    add_model_arguments(parser)
    add_option_arguments(parser)
    parser.add_argument("--resize-mask", action="store_true", help="nearest-resize masks whose size differs from the image")
    parser.add_argument(
        "--quality",
        type=_quality,
        default=None,
        metavar="Q",
        help="JPEG / lossy WebP quality 1-100 (default: reuse a JPEG source's quantisation tables, else 95)",
    )
    parser.add_argument("--lossless", action="store_true", help="write WebP outputs losslessly (default: as the source)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files (never the inputs)")
    parser.add_argument("--skip-existing", action="store_true", help="folder mode: skip images whose output exists")
    parser.add_argument(
        "--max-pixels",
        type=_non_negative,
        default=100_000_000,
        metavar="N",
        help="refuse images with more pixels (decompression-bomb guard; default 100000000, 0 = no limit)",
    )


@dataclass
class Job:
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
        from wavemix_inpaint.imageio import IMAGE_EXTENSIONS

        self.root = root
        self.same_tree = root.resolve() == image_root.resolve()
        order = {ext: rank for rank, ext in enumerate(IMAGE_EXTENSIONS)}
        self.index: dict[tuple[Path, str], list[Path]] = {}
        for path in sorted(root.rglob("*"), key=lambda p: (order.get(p.suffix.lower(), 99), str(p))):
            if path.suffix.lower() in order and path.is_file():
                key = (path.parent.relative_to(root), path.stem)
                self.index.setdefault(key, []).append(path)

    def find(self, relative: Path) -> Path | None:
        stems = [relative.stem + "_mask"] if self.same_tree else [relative.stem, relative.stem + "_mask"]
        for folder in dict.fromkeys((relative.parent, Path("."))):
            for stem in stems:
                for candidate in self.index.get((folder, stem), []):
                    return candidate
        return None


def _image_files(root: Path, skip: list[Path]) -> list[Path]:
    from wavemix_inpaint.imageio import IMAGE_EXTENSIONS

    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in IMAGE_EXTENSIONS or path.name.startswith(".") or not path.is_file():
            continue
        if path.stem.endswith("_mask") or any(_is_within(path, folder) for folder in skip):
            continue
        found.append(path)
    return found


def plan_jobs(image: Path, mask: Path, output: Path, output_is_dir: bool = False) -> list[Job]:
    """The (image, mask, output) triples for the command line; per-job problems are set as ``error``."""
    from wavemix_inpaint.errors import InputError

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
        root, images = image, _image_files(image, [s for s in skip if _is_within(s, image)])
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


def _inpaint_job(inpainter, job: Job, options, file_settings: dict, write=print) -> Path:  # noqa: ANN001
    """Inpaint one job, printing the pipeline's notices (e.g. an empty mask, a skipped texture)."""
    import warnings

    from wavemix_inpaint.inpainter import InpaintNotice

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InpaintNotice)
        written = inpainter.inpaint_file(job.image, job.mask, job.output, options, **file_settings)
    for warning in caught:
        if issubclass(warning.category, InpaintNotice):
            write(f"notice: {job.label}: {warning.message}", file=sys.stderr)
    return written


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from wavemix_inpaint.errors import InputError, WavemixError
    from wavemix_inpaint.fileio import check_writable_folder

    image, mask, output = Path(args.image), Path(args.mask), Path(args.output)
    single = image.is_file()
    jobs = plan_jobs(image, mask, output, output_is_dir=args.output.endswith(("/", os.sep)))
    options = options_from_args(args)
    file_settings = dict(
        resize_mask=args.resize_mask,
        quality=args.quality,
        lossless=True if args.lossless else None,
        overwrite=args.overwrite,
        max_pixels=args.max_pixels or None,
    )
    for folder in sorted({job.output.parent for job in jobs if job.error is None}):
        check_writable_folder(folder)  # before the model runs on anything
    if single:
        job = jobs[0]
        if job.error:
            raise InputError(job.error)
        if args.skip_existing and job.output.exists():
            print(f"skipped {job.output} (exists)")
            return 0
        inpainter = load_inpainter(args)
        written = _inpaint_job(inpainter, job, options, file_settings)
        print(f"wrote {written}")
        return 0

    todo = [job for job in jobs if not (args.skip_existing and job.error is None and job.output.exists())]
    skipped = len(jobs) - len(todo)
    failed: list[str] = []
    if any(job.error is None for job in todo):
        inpainter = load_inpainter(args)
    bar = tqdm(todo, unit="image", file=sys.stderr, disable=len(todo) < 2, dynamic_ncols=True)
    for job in bar:
        message = job.error
        if message is None:
            try:
                _inpaint_job(inpainter, job, options, file_settings, bar.write)
            except (WavemixError, OSError) as error:
                message = str(error)
        if message is not None:
            failed.append(job.label)
            bar.write(f"error: {job.label}: {message}", file=sys.stderr)
    done = len(todo) - len(failed)
    summary = f"inpainted {done} of {len(jobs)} images into {output}"
    if skipped:
        summary += f" ({skipped} skipped: output exists)"
    print(summary)
    if failed:
        print(
            f"error: {len(failed)} image(s) failed: {', '.join(failed[:10])}{' ...' if len(failed) > 10 else ''}", file=sys.stderr
        )
        return 1
    return 0
