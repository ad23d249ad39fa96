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
    from wavemix_inpaint.pretrained import list_pretrained

    print()
    print("pretrained weights (use with inpaint/demo/export --model NAME, or Inpainter.from_pretrained(NAME)):")
    for info in list_pretrained():
        state = f"present ({info.architecture or 'unknown architecture'})" if info.present else f"MISSING: {info.path}"
        print(f"  {info.name:<16} {info.file:<24} {state}")
        print(f"  {'':<16} {info.description}")
    return 0
