"""``wavemix-inpaint evaluate``: Table-1 metrics of a checkpoint or a classical method on fixed masks."""

from __future__ import annotations

import argparse

from wavemix_inpaint.cli.inpaint import add_threads_argument, set_threads
from wavemix_inpaint.inference.options import add_option_arguments, options_from_args

HELP = (
    "evaluate a checkpoint or a preset (e.g. a classical method) on a fixed mask set: SSIM, PSNR, L1, L2, FID, "
    "hole-size bins, measured speed; writes results.json, results.md and grid.png"
)
OUTPUT_FILES = ("results.json", "results.md", "grid.png")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", help="a .safetensors checkpoint, or a training run folder (its best.safetensors)")
    source.add_argument(
        "--model",
        help="a registered preset evaluated as built: classical methods (telea, navier-stokes, biharmonic) or "
        "untrained presets (see `wavemix-inpaint models`)",
    )
    parser.add_argument(
        "--model-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --model: override an option of the preset, e.g. radius=5 (repeatable)",
    )
    parser.add_argument(
        "--data",
        required=True,
        help="evaluation images: a folder (centre crops at the masks' size; smaller images are upscaled, bicubic, "
        "first) or stl10:PATH",
    )
    parser.add_argument(
        "--split", default="test", help="split of stl10:PATH data (train, val or test; default test); no effect on a folder"
    )
    parser.add_argument(
        "--masks",
        required=True,
        help="folder of fixed masks (mask_*.png, 255 = hole) made by `wavemix-inpaint masks`; image i (in path order: "
        "img10 before img2) gets mask i (in numeric order); masks without a hole are left out of the metrics",
    )
    parser.add_argument("--limit", type=int, help="evaluate at most N images (default: min(#images, #masks))")
    parser.add_argument("--batch-size", type=int, default=40, help="evaluation and inference-timing batch (default 40)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    parser.add_argument("--fid-weights", help="FID Inception weights file (else $WAVEMIX_FID_WEIGHTS, torch hub cache)")
    parser.add_argument("--no-fid", action="store_true", help="skip FID even when the weights are available")
    parser.add_argument("--output", default="results/eval", help="folder for results.json, results.md, grid.png")
    parser.add_argument("--grid", type=int, default=8, metavar="N", help="rows of the qualitative grid (0: none)")
    parser.add_argument("--overwrite", action="store_true", help="replace results already in --output")
    parser.add_argument("--name", help="model name in the tables (default: the preset name)")
    parser.add_argument("--no-speed", action="store_true", help="do not time inference and training")
    parser.add_argument("--speed-steps", type=int, default=3, help="timed training steps / inference batches (default 3)")
    parser.add_argument(
        "--train-set-size",
        type=int,
        default=80_000,
        help="images per training epoch for the s/epoch extrapolation (default 80,000: the paper's STL-10 split)",
    )
    parser.add_argument("--num-workers", type=int, default=0, help="data-loading worker processes (default 0)")
    add_threads_argument(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--baseline",
        metavar="MODEL",
        action="append",
        default=[],
        help="also evaluate this preset (e.g. telea), checkpoint, or 'same' (the evaluated model again, e.g. with "
        "other --baseline-option pipeline settings) on the same images and masks and add a paired comparison: "
        "mean per-image difference with a 95%% bootstrap CI and the share of images each model wins (repeatable; "
        "the grid shows every baseline)",
    )
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="evaluate the model the way `inpaint` runs it (coarse-to-fine, --texture, crop windows; options below) "
        "instead of one plain network call",
    )
    add_option_arguments(parser, skip=("invert_mask", "dilate"))
    parser.add_argument(
        "--baseline-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --pipeline: a pipeline option that differs for a trainable baseline, e.g. texture=false (repeatable)",
    )


def _build_baseline(args: argparse.Namespace, spec: str, model):  # noqa: ANN001, ANN202 - models, imported lazily
    """One ``--baseline`` model: a preset, a checkpoint, or ``same``; trainable ones go through the pipeline
    (with ``--baseline-option`` changes) when ``--pipeline`` is given."""
    from pathlib import Path

    from wavemix_inpaint.checkpoint import load_model
    from wavemix_inpaint.cli.train import _model_options
    from wavemix_inpaint.errors import InputError
    from wavemix_inpaint.models import create_model, list_models

    if spec == "same":
        baseline = model
    elif spec in list_models():
        baseline = create_model(spec)
    elif Path(spec).expanduser().exists():
        baseline = load_model(spec)
    else:
        raise InputError(
            f"unknown model {spec!r} for --baseline: use 'same', a checkpoint file or folder, or a preset "
            f"({', '.join(list_models())})"
        )
    if args.baseline_option and not args.pipeline:
        raise InputError("--baseline-option needs --pipeline")
    if not (args.pipeline and getattr(baseline, "trainable", True)):
        return baseline
    from wavemix_inpaint.evaluation.pipeline_model import PipelineModel

    return PipelineModel(baseline, options_from_args(args).replace(**_model_options(args.baseline_option)))


def _check_arguments(args: argparse.Namespace, output) -> None:  # noqa: ANN001
    import dataclasses
    from pathlib import Path

    from wavemix_inpaint.errors import InputError
    from wavemix_inpaint.evaluation import missing_masks_message
    from wavemix_inpaint.inference import InpaintOptions

    existing = [name for name in OUTPUT_FILES if (output / name).exists()]
    if existing and not args.overwrite:
        raise InputError(f"{output} already holds {', '.join(existing)}; pass --overwrite or choose another --output")
    if not Path(args.masks).expanduser().is_dir():
        raise InputError(missing_masks_message(args.masks))
    for name, value in (
        ("--batch-size", args.batch_size),
        ("--speed-steps", args.speed_steps),
        ("--train-set-size", args.train_set_size),
    ):
        if value < 1:
            raise InputError(f"{name} must be positive, got {value}")
    if args.num_workers < 0:
        raise InputError(f"--num-workers must be >= 0, got {args.num_workers}")
    if not args.pipeline:  # pipeline flags without --pipeline would be ignored: the numbers of a plain network call
        given = [
            "--" + spec.name.replace("_", "-")
            for spec in dataclasses.fields(InpaintOptions)
            if getattr(args, spec.name, None) is not None
        ] + (["--baseline-option"] if args.baseline_option else [])
        if given:
            raise InputError(f"{', '.join(given)}: used only with --pipeline (evaluate the model the way `inpaint` runs it)")
    if args.fid_weights and not Path(args.fid_weights).expanduser().is_file():
        raise InputError(f"--fid-weights {args.fid_weights}: no such file")
    if Path(output).exists() and not Path(output).is_dir():
        raise InputError(f"--output {output} is a file, not a folder")
    set_threads(args)


def _build_model(args: argparse.Namespace):  # noqa: ANN202 - (model, source description)
    from wavemix_inpaint.cli.train import _model_options
    from wavemix_inpaint.errors import InputError

    options = _model_options(args.model_option)
    if args.checkpoint:
        if options:
            raise InputError("--model-option only applies to --model (a checkpoint records its architecture)")
        from wavemix_inpaint.checkpoint import load_model, resolve_checkpoint

        checkpoint = resolve_checkpoint(args.checkpoint)
        return load_model(checkpoint), {"checkpoint": str(checkpoint)}
    from wavemix_inpaint.models import create_model

    return create_model(args.model, **options), {"model": args.model, "model_options": options}


def _write_report(args: argparse.Namespace, output, results: list, config: dict, source: dict) -> None:  # noqa: ANN001
    from wavemix_inpaint.evaluation import (
        paired_comparison,
        paired_markdown,
        results_grid,
        results_markdown,
        results_payload,
        save_grid,
        write_json,
        write_markdown,
    )

    result, comparisons, summary = results[0], [], ""
    for baseline in results[1:]:
        rows = paired_comparison(result, baseline)
        comparisons.append({"model": result.model, "baseline": baseline.model, "metrics": rows})
        summary += f"## Paired comparison with {baseline.model}\n\n{paired_markdown(rows, result.model, baseline.model)}\n\n"
    extra = {"paired_comparisons": comparisons, "paired_comparison": comparisons[0]} if comparisons else {}
    write_json(output / "results.json", results_payload(results, config, **extra))
    details = {
        "data": f"`{args.data}` (split {args.split})",
        "masks": f"`{args.masks}`",
        "images": result.num_images
        if not result.empty_masks
        else f"{result.num_images}, of which {result.empty_masks} with an empty mask are left out of the metrics (nothing to fill)",
        "device": result.device,
        **{key: f"`{value}`" for key, value in source.items() if value},
    }
    text = results_markdown(results, title=f"Evaluation of {result.model}", details=details)
    if summary:
        head, _, rest = text.partition("\n## ")
        text = f"{head}\n{summary}## {rest}"
    write_markdown(output / "results.md", text)
    written = ["results.json", "results.md"]
    if args.grid > 0:
        save_grid(output / "grid.png", results_grid(results, rows=args.grid))
        written.append("grid.png")
    else:
        (output / "grid.png").unlink(missing_ok=True)  # a previous run's grid would show other results
    print(text.split("\n## ")[0].rstrip())
    if summary:
        print("\n" + summary.rstrip())
    print(f"\nwrote {', '.join(str(output / name) for name in written)}")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from wavemix_inpaint.evaluation import SpeedConfig, build_eval_dataset, evaluate_model

    output = Path(args.output)
    _check_arguments(args, output)
    model, source = _build_model(args)
    baselines = [_build_baseline(args, spec, model) for spec in args.baseline]  # before any evaluation: fails fast
    if args.pipeline:
        from wavemix_inpaint.evaluation.pipeline_model import PipelineModel

        model = PipelineModel(model, options_from_args(args), name=args.name)
        source["pipeline"] = model.options.__dict__
    dataset = build_eval_dataset(args.data, args.masks, split=args.split, limit=args.limit)
    speed = SpeedConfig(
        enabled=not args.no_speed,
        training=not args.pipeline,
        batches=args.speed_steps,
        train_steps=args.speed_steps,
        train_set_size=args.train_set_size,
    )
    common = dict(
        batch_size=args.batch_size,
        device=args.device,
        fid=None if args.no_fid else "auto",
        fid_weights=args.fid_weights,
        grid_samples=max(args.grid, 0),
        num_workers=args.num_workers,
        progress=not args.no_progress,
    )
    results = [evaluate_model(model, dataset, name=args.name, speed=speed, **common)]
    for baseline in baselines:  # same images, masks and settings; not timed
        results.append(evaluate_model(baseline, dataset, speed=SpeedConfig(enabled=False), **common))
    config = {
        **source,
        "baselines": args.baseline,
        "data": args.data,
        "split": args.split,
        "masks": str(args.masks),
        "limit": args.limit,
        "batch_size": args.batch_size,
        "device": args.device,
        "fid_weights": args.fid_weights,
        "fid": not args.no_fid,
        "speed": speed.to_dict(),
    }
    output.mkdir(parents=True, exist_ok=True)
    _write_report(args, output, results, config, source)
    return 0
