"""``wavemix-inpaint export``: write a model as ONNX for ONNX Runtime and other engines, or as a
(smaller) safetensors checkpoint, e.g. ``--format safetensors --dtype float16`` for shipping weights.

The file holds the network's ``predict`` step with dynamic batch, height and width (height and
width must be multiples of the ``size_multiple`` stored in its metadata); see
:mod:`wavemix_inpaint.onnx_runtime` for the exact inputs and outputs. Run it with
``wavemix-inpaint inpaint --onnx FILE.onnx`` or ``Inpainter.from_onnx("FILE.onnx")``.
"""

from __future__ import annotations

import argparse

from wavemix_inpaint.cli.inpaint import add_model_arguments

HELP = "export a model to ONNX (dynamic sizes, verified with ONNX Runtime) or to a float16 safetensors checkpoint"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("onnx", "safetensors"), default="onnx", help="export format (default: onnx)")
    parser.add_argument(
        "--dtype",
        choices=("float32", "float16", "bfloat16"),
        default="float16",
        help="weight precision of a safetensors export (default: float16)",
    )
    add_model_arguments(parser, onnx=False, runtime=False)  # exports run on the CPU in fp32
    parser.add_argument("--output", required=True, metavar="FILE", help="output file (.onnx or .safetensors)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset version (default: 17)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--no-verify", action="store_true", help="skip the ONNX Runtime check against PyTorch")


def run(args: argparse.Namespace) -> int:
    from wavemix_inpaint.checkpoint import load_model
    from wavemix_inpaint.onnx_runtime import export_onnx
    from wavemix_inpaint.pretrained import pretrained_path

    source = args.checkpoint or pretrained_path(args.model or "default")
    model = load_model(source)
    if args.format == "safetensors":
        from pathlib import Path

        import torch

        from wavemix_inpaint.checkpoint import save_checkpoint
        from wavemix_inpaint.errors import InputError

        for written in (Path(args.output), Path(args.output).with_suffix(".json")):  # the weights and their config
            if not args.overwrite and written.exists():
                raise InputError(f"refusing to overwrite existing file {written} (use --overwrite)")
        info = {key: value for key, value in model.checkpoint_info.items() if key not in ("format", "model")}
        path = save_checkpoint(model, args.output, dtype=getattr(torch, args.dtype), **info)
        print(f"wrote {path} ({model.model_name}, {args.dtype} weights, config in {path.with_suffix('.json').name})")
        return 0
    path = export_onnx(model, args.output, opset=args.opset, overwrite=args.overwrite, verify=not args.no_verify)
    checked = "not verified" if args.no_verify else "verified against PyTorch with ONNX Runtime (max error <= 1e-4)"
    print(f"wrote {path} ({model.model_name}, opset {args.opset}, H and W multiples of {model.size_multiple}; {checked})")
    return 0
