"""``wavemix-inpaint reproduce``: re-run the paper's experiments (Table 1, ablation, sensitivity)."""

from __future__ import annotations

import argparse

from wavemix_inpaint.cli.inpaint import add_threads_argument, set_threads

HELP = "reproduce the paper's experiments: table1, ablation (Tables 2-3), sensitivity (Appendix D)"

EPILOG = """examples:
  wavemix-inpaint reproduce table1 --scale small --data PHOTOS/train --eval-data PHOTOS/test --output results/table1-small
  wavemix-inpaint reproduce table1 --scale paper --data stl10:$STL10_ROOT --output results/table1-paper
  wavemix-inpaint reproduce ablation --scale small --data PHOTOS/train --eval-data PHOTOS/test --output results/ablation
  wavemix-inpaint reproduce sensitivity --checkpoint results/table1-small/runs/wavemix/best.safetensors \\
      --eval-data PHOTOS/test --output results/sensitivity
add --dry-run to print the plan (models, parameters, budgets, equivalent commands) without running it;
re-running the same command continues an interrupted experiment. See docs/reproduce.md."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("experiment", choices=["table1", "ablation", "sensitivity"], help="what to reproduce")
    parser.add_argument(
        "--scale",
        choices=["small", "paper"],
        default="small",
        help="small: CPU budget on a photo folder; paper: STL-10, 100 epochs, GPU (default small)",
    )
    parser.add_argument("--tiny", action="store_true", help="tiny models and data: the whole pipeline in seconds (tests)")
    parser.add_argument("--data", help="training images: a folder (random 96x96 crops) or stl10:PATH")
    parser.add_argument("--val-data", help="validation images (default: val split / centre crops of --data)")
    parser.add_argument("--eval-data", help="held-out evaluation images (default for stl10: its test split)")
    parser.add_argument("--split", default="test", help="split of stl10 evaluation data (default test)")
    parser.add_argument("--checkpoint", help="sensitivity: the model to analyse (.safetensors or run folder)")
    parser.add_argument("--model", help="sensitivity: a preset instead of a checkpoint (e.g. telea)")
    parser.add_argument("--output", help="results folder (default results/<experiment>-<scale>)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    parser.add_argument("--fid-weights", help="FID Inception weights file (else $WAVEMIX_FID_WEIGHTS, torch hub cache)")
    parser.add_argument("--no-fid", action="store_true", help="skip FID even when the weights are available")
    parser.add_argument("--steps", type=int, help="override the optimizer steps per trained model")
    parser.add_argument("--eval-count", type=int, help="override the number of masks (= images) per evaluation set")
    parser.add_argument(
        "--mask-sets", default="thick,medium,thin", help="table1: evaluation mask presets (default thick,medium,thin)"
    )
    parser.add_argument(
        "--no-classical", action="store_true", help="table1: leave out telea, navier-stokes, biharmonic, patchmatch"
    )
    parser.add_argument("--squares", help="sensitivity: square hole sizes, e.g. 4,8,16,32 (default 4..64)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and the equivalent commands, run nothing")
    parser.add_argument("--overwrite", action="store_true", help="re-evaluate when the folder already holds results")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_threads_argument(parser)


def _ints(text: str | None, name: str) -> tuple[int, ...] | None:
    from wavemix_inpaint.errors import InputError

    if text is None:
        return None
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InputError(f"{name} expects comma-separated integers, got {text!r}") from None


def build_plan(args: argparse.Namespace) -> dict:
    from wavemix_inpaint.reproduce import ablation_plan, sensitivity_plan, table1_plan

    if args.experiment in ("table1", "ablation"):
        shared = dict(
            scale=args.scale,
            data=args.data,
            eval_data=args.eval_data,
            val_data=args.val_data,
            split=args.split,
            tiny=args.tiny,
            steps=args.steps,
            eval_count=args.eval_count,
        )
        if args.experiment == "ablation":
            return ablation_plan(**shared)
        mask_sets = tuple(s.strip() for s in args.mask_sets.split(",") if s.strip())
        return table1_plan(**shared, mask_sets=mask_sets, classical=not args.no_classical)
    return sensitivity_plan(
        checkpoint=args.checkpoint,
        model=args.model,
        eval_data=args.eval_data or args.data,
        split=args.split,
        tiny=args.tiny,
        scale=args.scale,
        squares=_ints(args.squares, "--squares"),
        eval_count=args.eval_count,
    )


def run(args: argparse.Namespace) -> int:
    import yaml

    from wavemix_inpaint.reproduce import describe_plan, run_experiment

    plan = build_plan(args)
    output = args.output or f"results/{args.experiment}-{plan['scale']}"
    if args.experiment == "sensitivity" and args.checkpoint:
        from pathlib import Path

        from wavemix_inpaint.checkpoint import resolve_checkpoint
        from wavemix_inpaint.errors import InputError

        checkpoint = resolve_checkpoint(args.checkpoint)
        if not Path(checkpoint).is_file():
            raise InputError(f"checkpoint not found: {args.checkpoint}")
        plan["models"][0]["checkpoint"] = str(checkpoint)
    if args.dry_run:
        print(describe_plan(plan, output))
        print("\nplan (stored as experiment.yaml when run):")
        print(yaml.safe_dump(plan, sort_keys=False).rstrip())
        return 0
    set_threads(args)
    fid = None if args.no_fid else "auto"
    run_experiment(
        plan,
        output,
        device=args.device,
        fid_weights=args.fid_weights,
        fid=fid,
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    return 0
