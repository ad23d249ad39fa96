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
from pathlib import Path

from wavemix_inpaint.inference.batch import Job, parse_shard, plan_jobs, shard_jobs
from wavemix_inpaint.inference.options import add_option_arguments, options_from_args

HELP = "inpaint an image (or a folder of images) given a mask; keeps format, quality, alpha and metadata"


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    """``--threads N``: the one CPU thread budget (torch, the classical fills, the texture search)."""
    parser.add_argument(
        "--threads",
        type=_positive,
        metavar="N",
        help="CPU threads (default: torch's choice, one per core; use 1 when other jobs share the cores, see docs/reproduce.md)",
    )


def set_threads(args: argparse.Namespace) -> None:
    """Apply ``--threads`` (when given) for the rest of the process."""
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(args.threads)


def add_model_arguments(parser: argparse.ArgumentParser, onnx: bool = True, runtime: bool = True) -> None:
    """``--model NAME | --checkpoint PATH [| --onnx PATH]`` [and ``--device``, ``--precision``, ``--threads``].

    ``runtime=False`` for commands that only read the weights (``export``): flags they would ignore are not offered.
    """
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
    if not runtime:
        return
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps")
    parser.add_argument(
        "--precision",
        choices=("fp32", "bf16"),
        default="fp32",
        help="bf16 autocast: faster on CPUs with AMX/AVX512-BF16 and recent GPUs (default: fp32)",
    )
    add_threads_argument(parser)


def load_inpainter(args: argparse.Namespace):  # noqa: ANN201 - Inpainter, imported lazily
    """Build the :class:`~wavemix_inpaint.inpainter.Inpainter` selected by :func:`add_model_arguments`."""
    from wavemix_inpaint.inpainter import Inpainter

    set_threads(args)
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
    parser.add_argument(
        "--resize-mask",
        action="store_true",
        help="nearest-resize masks drawn at another resolution (same aspect ratio) to the image size",
    )
    parser.add_argument(
        "--quality",
        type=_quality,
        default=None,
        metavar="Q",
        help="JPEG / lossy WebP quality 1-100 (default: reuse a JPEG source's quantisation tables, else 95)",
    )
    parser.add_argument("--lossless", action="store_true", help="write WebP outputs losslessly (default: as the source)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing output files (never the inputs)")
    parser.add_argument(
        "--skip-existing", action="store_true", help="skip images whose output exists (resume a half-done folder)"
    )
    parser.add_argument(
        "--shard",
        metavar="I/N",
        help="folder mode: do only every N-th image starting at the I-th (1-based), so N processes or machines share a "
        "folder; under torchrun the shard is RANK+1 / WORLD_SIZE by default",
    )
    parser.add_argument("--concat", action="store_true", help="write input | mask | result side by side instead of the result")
    parser.add_argument(
        "--max-pixels",
        type=_non_negative,
        default=100_000_000,
        metavar="N",
        help="refuse images with more pixels (decompression-bomb guard; default 100000000, 0 = no limit)",
    )


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


def _file_settings(args: argparse.Namespace) -> dict:
    return dict(
        resize_mask=args.resize_mask,
        quality=args.quality,
        lossless=True if args.lossless else None,
        overwrite=args.overwrite,
        max_pixels=args.max_pixels or None,
        concat=args.concat,
    )


def _run_single(args: argparse.Namespace, job: Job, options, file_settings: dict) -> int:  # noqa: ANN001
    from wavemix_inpaint.errors import InputError

    if job.error:
        raise InputError(job.error)
    if args.skip_existing and job.output.exists():
        print(f"skipped {job.output} (exists)")
        return 0
    written = _inpaint_job(load_inpainter(args), job, options, file_settings)
    print(f"wrote {written}")
    return 0


def _run_folder(args: argparse.Namespace, jobs: list[Job], shard: tuple[int, int], options, file_settings: dict) -> int:  # noqa: ANN001
    from tqdm import tqdm

    from wavemix_inpaint.errors import DiskFullError, WavemixError

    todo = [job for job in jobs if not (args.skip_existing and job.error is None and job.output.exists())]
    skipped, failed = len(jobs) - len(todo), []
    inpainter = load_inpainter(args) if any(job.error is None for job in todo) else None
    label = f"shard {shard[0] + 1}/{shard[1]}" if shard[1] > 1 else "image"
    bar = tqdm(
        todo, unit="image", desc=label if shard[1] > 1 else None, file=sys.stderr, disable=len(todo) < 2, dynamic_ncols=True
    )
    for job in bar:
        message = job.error
        if message is None:
            try:
                _inpaint_job(inpainter, job, options, file_settings, bar.write)
            except DiskFullError as error:  # every further image would fail the same way: stop here
                bar.close()
                done = todo.index(job) - len(failed)
                raise DiskFullError(f"{error} (stopped after {done} of {len(todo)} images; --skip-existing resumes)") from None
            except (WavemixError, OSError) as error:
                message = str(error)
        if message is not None:
            failed.append(job.label)
            bar.write(f"error: {job.label}: {message}", file=sys.stderr)
    prefix = f"{label}: " if shard[1] > 1 else ""
    print(
        f"{prefix}inpainted {len(todo) - len(failed)} of {len(jobs)} images into {args.output} "
        f"({skipped} skipped: output exists; {len(failed)} failed)"
    )
    if failed:
        more = " ..." if len(failed) > 10 else ""
        print(f"error: {len(failed)} image(s) failed: {', '.join(failed[:10])}{more}", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    from wavemix_inpaint.fileio import check_writable_folder, remove_stale_temporaries

    image, mask, output = Path(args.image), Path(args.mask), Path(args.output)
    shard = parse_shard(args.shard)
    jobs = plan_jobs(image, mask, output, output_is_dir=args.output.endswith(("/", os.sep)))
    options = options_from_args(args)
    file_settings = _file_settings(args)
    if not image.is_file():
        jobs = shard_jobs(jobs, shard)
    for folder in sorted({job.output.parent for job in jobs if job.error is None}):
        check_writable_folder(folder)  # before the model runs on anything
    remove_stale_temporaries([job.output for job in jobs])  # left by a run that was killed while writing
    if image.is_file():
        return _run_single(args, jobs[0], options, file_settings)
    return _run_folder(args, jobs, shard, options, file_settings)
