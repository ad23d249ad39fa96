"""``wavemix-inpaint train``: train a model with the paper's recipe (or any variation of it)."""

from __future__ import annotations

import argparse
import json

HELP = "train an inpainting model (paper recipe by default; resumable; torchrun for multi-GPU)"

# options forwarded to TrainConfig when given (None = keep the config file's / default value)
FORWARDED = (
    "model", "init_from", "data", "val_data", "output", "image_size", "augment", "mask_preset", "val_mask_preset", "val_size",
    "batch_size", "epochs", "steps_per_epoch", "switch_epoch", "lr", "lr_schedule", "precision", "num_workers", "seed", "device",
    "checkpoint_every", "save_dtype", "time_limit_minutes",
)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML/TOML/JSON file with training settings (see configs/)")
    parser.add_argument("--model", help="registered model preset (see `wavemix-inpaint models`)")
    parser.add_argument(
        "--model-option", action="append", default=[], metavar="KEY=VALUE",
        help="override an architecture option, e.g. --model-option num_modules=2 (repeatable)",
    )  # fmt: skip
    parser.add_argument("--init-from", metavar="CHECKPOINT", help="start from these weights (fine-tuning; same architecture)")
    parser.add_argument("--data", help="training images: a folder (recursive) or stl10:PATH")
    parser.add_argument("--val-data", help="validation images (default: the val split / centre crops of --data)")
    parser.add_argument("--output", help="run folder for checkpoints and logs")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--augment", help="none, light or distortions")
    parser.add_argument("--mask-preset", help="training masks (train, thick, medium, thin, wavemix-paper-96, square:N)")
    parser.add_argument("--val-mask-preset", help="fixed validation masks preset")
    parser.add_argument("--val-size", type=int, help="number of validation images")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--steps-per-epoch", type=int, help="fixed number of batches per epoch (default: one pass)")
    parser.add_argument("--switch-epoch", type=int, help="epoch at which AdamW is replaced by SGD (default: half)")
    parser.add_argument("--lr", type=float)
    parser.add_argument("--lr-schedule", choices=["constant", "cosine"],
                        help="AdamW phase: constant (the paper, default) or cosine decay to 0 at the SGD switch")
    parser.add_argument("--precision", choices=["auto", "fp32", "fp16", "bf16"])
    parser.add_argument("--num-workers", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    parser.add_argument("--checkpoint-every", type=int, help="also save a resumable checkpoint every N steps")
    parser.add_argument("--time-limit-minutes", type=float, help="stop (resumably) after this much wall time")
    parser.add_argument("--save-dtype", choices=["float32", "float16", "bfloat16"])
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from RUN_DIR/last.pt")
    parser.add_argument("--max-steps", type=int, help="stop (with a resumable checkpoint) after N optimizer steps")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _model_options(pairs: list[str]) -> dict[str, object]:
    import yaml

    from wavemix_inpaint.errors import InputError

    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"--model-option expects KEY=VALUE, got {pair!r}")
        options[key.strip()] = yaml.safe_load(value)
    return options


def run(args: argparse.Namespace) -> int:
    from wavemix_inpaint.training import load_train_config, resume_config, train

    overrides = {name: getattr(args, name) for name in FORWARDED}
    if args.no_progress:
        overrides["progress"] = False
    if args.resume:
        config = resume_config(args.resume, epochs=args.epochs, progress=overrides.get("progress"))
    else:
        options = _model_options(args.model_option)
        if options:
            overrides["model_options"] = options
        config = load_train_config(args.config, **overrides)
    summary = train(config, resume=bool(args.resume), max_steps=args.max_steps)
    print(json.dumps({key: value for key, value in summary.items() if key != "epoch_times"}, default=str))
    return 0
