"""``wavemix-inpaint train``: train a model with the paper's recipe (or any variation of it)."""

from __future__ import annotations

import argparse
import json
import os

from wavemix_inpaint.training.config import add_config_arguments, config_overrides

HELP = "train an inpainting model (paper recipe by default; resumable; torchrun for multi-GPU)"

#: the settings ``--resume`` may change: how long the run goes on, not what it trains
RESUME_OVERRIDES = ("epochs", "switch_epoch", "time_limit_minutes", "cpu_limit_minutes", "progress")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML/TOML/JSON file with training settings (see configs/)")
    parser.add_argument(
        "--model-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an architecture option, e.g. --model-option num_modules=2 (repeatable)",
    )
    add_config_arguments(parser)  # one flag per TrainConfig field
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

    overrides = config_overrides(args)
    if args.no_progress:
        overrides["progress"] = False
    if args.resume:
        # a resumed run keeps its settings; only its length (and so where the schedule ends), its time
        # budgets and the progress bar may change
        changed = sorted(set(overrides) - set(RESUME_OVERRIDES)) + (["model_option"] if args.model_option else [])
        if changed or args.config:
            from wavemix_inpaint.errors import InputError

            given = ", ".join("--" + name.replace("_", "-") for name in (["config"] if args.config else []) + changed)
            allowed = ", ".join("--" + name.replace("_", "-") for name in RESUME_OVERRIDES if name != "progress")
            raise InputError(f"--resume continues a run with its own settings: {given} cannot change; only {allowed} can")
        config = resume_config(args.resume, **{name: overrides.get(name) for name in RESUME_OVERRIDES})
    else:
        options = _model_options(args.model_option)
        if options:
            overrides["model_options"] = options
        config = load_train_config(args.config, **overrides)
    summary = train(config, resume=bool(args.resume), max_steps=args.max_steps)
    if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 reports (as it writes the logs)
        print(json.dumps({key: value for key, value in summary.items() if key != "epoch_times"}, default=str))
    return 0
