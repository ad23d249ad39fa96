"""``wavemix-inpaint benchmark``: measure models side by side on this machine."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from wavemix_inpaint.cli.inpaint import add_threads_argument

HELP = "measure params, GMACs, inference/training img/s and memory of models side by side"

DEFAULT_MODELS = "wavemix-paper,wavemix-small,unet,lama-fourier,telea,navier-stokes,biharmonic,patchmatch"
START, END = "<!-- benchmark:start -->", "<!-- benchmark:end -->"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", default=DEFAULT_MODELS, help=f"comma-separated presets (default: {DEFAULT_MODELS})")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    add_threads_argument(parser)
    parser.add_argument(
        "--precision",
        choices=["fp32", "bf16", "fp16"],
        default="fp32",
        help="fp32, or autocast to bf16 / fp16 (fp16: the paper's CUDA AMP)",
    )
    parser.add_argument("--channels-last", action="store_true", help="NHWC activations and weights (all models)")
    parser.add_argument("--fuse-bn", action="store_true", help="fold BatchNorm into convolutions for inference")
    parser.add_argument("--batch", type=int, default=40, help="batch size of the batched measurements")
    parser.add_argument("--large-size", type=int, default=512, help="side of the large single-image test")
    parser.add_argument("--min-seconds", type=float, default=2.0, help="time each measurement at least this long")
    parser.add_argument("--no-train", action="store_true", help="skip the training-step measurement")
    parser.add_argument(
        "--output", help=f"Markdown file to write; an existing file keeps everything outside the {START} ... {END} markers"
    )
    parser.add_argument("--json", dest="json_path", help="also write the raw measurements as JSON")


def _replace_section(path: Path, section: str) -> str:
    block = f"{START}\n{section}\n{END}"
    if not path.exists():
        return block + "\n"
    text = path.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        return head + block + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def run(args: argparse.Namespace) -> int:
    import shlex
    import sys

    from wavemix_inpaint.benchmark import BenchmarkSettings, markdown_table, ratio_lines, run_benchmarks
    from wavemix_inpaint.errors import InputError
    from wavemix_inpaint.fileio import atomic_write_text
    from wavemix_inpaint.models import get_model_spec

    names = [name.strip() for name in args.models.split(",") if name.strip()]
    if not names:
        raise InputError("--models names no model; e.g. --models wavemix-small,telea")
    for name in names:
        get_model_spec(name)  # unknown names fail before any measurement
    for flag, value in (("--batch", args.batch), ("--large-size", args.large_size), ("--min-seconds", args.min_seconds)):
        if value <= 0:
            raise InputError(f"{flag} must be positive, got {value}")
    settings = BenchmarkSettings(
        device=args.device,
        threads=args.threads,
        min_seconds=args.min_seconds,
        batch=args.batch,
        large_size=args.large_size,
        precision=args.precision,
        channels_last=args.channels_last,
        fuse_bn=args.fuse_bn,
        train=not args.no_train,
    )
    report = run_benchmarks([(name, {}) for name in names], settings)
    command = "wavemix-inpaint " + " ".join(shlex.quote(arg) for arg in sys.argv[1:])
    ratios = ratio_lines(report, "wavemix-paper", "lama-fourier") + ratio_lines(report, "wavemix-paper", "unet")
    section = markdown_table(report) + ("\n\nRatios (same run):\n" + "\n".join(ratios) if ratios else "")
    section += f"\n\nCommand: `{command}`"
    print(section)
    if args.output:
        atomic_write_text(args.output, _replace_section(Path(args.output), section))
    if args.json_path:
        atomic_write_text(args.json_path, json.dumps(report, indent=2))
    return 0
