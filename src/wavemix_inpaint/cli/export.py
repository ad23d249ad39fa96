"""``wavemix-inpaint export``: write a model as ONNX for ONNX Runtime and other engines.

The file holds the network's ``predict`` step with dynamic batch, height and width (height and
width must be multiples of the ``size_multiple`` stored in its metadata); see
:mod:`wavemix_inpaint.onnx_runtime` for the exact inputs and outputs. Run it with
``wavemix-inpaint inpaint --onnx FILE.onnx`` or ``Inpainter.from_onnx("FILE.onnx")``.
"""

from __future__ import annotations

import argparse

from wavemix_inpaint.cli.inpaint import add_model_arguments

HELP = "export a model to ONNX (dynamic batch/height/width), verified against PyTorch with ONNX Runtime"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("onnx",), default="onnx", help="export format (default: onnx)")
    add_model_arguments(parser, onnx=False)
    parser.add_argument("--output", required=True, metavar="FILE.onnx", help="output file")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset version (default: 17)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    parser.add_argument("--no-verify", action="store_true", help="skip the ONNX Runtime check against PyTorch")


def run(args: argparse.Namespace) -> int:
    from wavemix_inpaint.checkpoint import load_model
    from wavemix_inpaint.onnx_runtime import export_onnx
    from wavemix_inpaint.pretrained import pretrained_path

    source = args.checkpoint or pretrained_path(args.model or "default")
    model = load_model(source)
    path = export_onnx(model, args.output, opset=args.opset, overwrite=args.overwrite, verify=not args.no_verify)
    checked = "not verified" if args.no_verify else "verified against PyTorch with ONNX Runtime (max error <= 1e-4)"
    print(
        f"wrote {path} ({model.model_name}, opset {args.opset}, H and W multiples of {model.size_multiple}; {checked})"
    )
    return 0
