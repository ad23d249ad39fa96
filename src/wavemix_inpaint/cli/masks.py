"""``wavemix-inpaint masks``: write a fixed, seeded evaluation mask set."""

from __future__ import annotations

import argparse

HELP = "generate a fixed, seeded set of evaluation masks (PNG, 255 = hole) with a masks.json manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        required=True,
        help="train, thick, medium, thin, large, wavemix-paper-96, wavemix-paper-96-nonempty, square:N (e.g. square:8) "
        "or a mixture W*NAME+W*NAME (e.g. 0.75*train+0.25*thin: one preset per mask, by weight)",
    )
    parser.add_argument("--size", required=True, help="mask size: N for N x N, or WxH (e.g. 96 or 128x96)")
    parser.add_argument("--count", required=True, type=int, help="number of masks to write")
    parser.add_argument("--seed", required=True, type=int, help="random seed (same arguments give identical files)")
    parser.add_argument("--output", required=True, help="output directory")
    parser.add_argument("--candidates", type=int, default=5, help="candidates drawn per mask (default: 5)")
    parser.add_argument(
        "--max-hole-fraction",
        type=float,
        default=0.5,
        help="drop candidates whose hole fraction is above this (default: 0.5)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace mask files already in the output directory")
    parser.add_argument(
        "--native",
        action="store_true",
        help="LaMa presets: draw at the requested size with unscaled 256-px parameters instead of drawing "
        "on a 256-px canvas and resizing",
    )


def run(args: argparse.Namespace) -> int:
    import json

    from wavemix_inpaint.masks import MANIFEST_NAME, generate_eval_masks

    paths = generate_eval_masks(
        args.preset,
        args.size,
        args.count,
        args.seed,
        args.output,
        candidates=args.candidates,
        max_hole_fraction=args.max_hole_fraction,
        overwrite=args.overwrite,
        native=args.native,
    )
    manifest = json.loads((paths[0].parent / MANIFEST_NAME).read_text(encoding="utf-8"))
    print(
        f"wrote {len(paths)} masks ({manifest['preset']}, {manifest['size']}, seed {manifest['seed']}), "
        f"mean hole fraction {manifest['mean_hole_fraction']:.3f}, to {paths[0].parent}"
    )
    return 0
