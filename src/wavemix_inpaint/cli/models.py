"""``wavemix-inpaint models``: list the architectures and the pretrained weights."""

from __future__ import annotations

import argparse

HELP = "list model presets (architectures) and the pretrained weights shipped with the package"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--params", action="store_true", help="also build each preset and count its parameters")


def run(args: argparse.Namespace) -> int:
    from wavemix_inpaint.models import count_parameters, create_model, get_model_spec, list_models

    print("architectures (use with train --model NAME):")
    for name in list_models():
        spec = get_model_spec(name)
        count = f"{count_parameters(create_model(name)):>12,}  " if args.params else ""
        print(f"  {name:<16} {count}{spec.description}")
    return 0
