"""A blinded side-by-side of the edge pass: the same weights with and without it, sides at random.

``make``: for the first N held-out crops of each of the model card's thin and medium mask sets (where the
pass changes most), write one picture per pair: the photo with its holes in magenta, then fill "A" and
fill "B" (4x, Lanczos), nothing else on it; the key (which side is the edge pass) goes to a separate
file the judge must not see. ``tally``: count the judge's answers (``{"pair_00": "A" | "B" | "same"}``; blind_pairs.tally).

    python benchmarks/experiments/edge_pass_blind.py make --masks results/heldout-edge/masks --count 6 \\
        --output runs/blind-edge --key results/blind-edge-key.json
    python benchmarks/experiments/edge_pass_blind.py tally --answers runs/blind-edge/answers.json \\
        --key results/blind-edge-key.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from blind_pairs import tally  # noqa: E402  (the one tally of blinded answers)


def to_picture(image: torch.Tensor) -> Image.Image:
    array = (image[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255).round().astype(np.uint8)
    picture = Image.fromarray(array)
    return picture.resize((picture.width * 4, picture.height * 4), Image.LANCZOS)


def make(args: argparse.Namespace) -> None:
    from wavemix_inpaint import Inpainter
    from wavemix_inpaint.data.folder import ImageFolder

    torch.set_num_threads(1)
    photos = ImageFolder(args.data, size=96, crop="center")
    inpainter = Inpainter.from_pretrained("default", device="cpu")
    rng = np.random.default_rng(args.seed)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    cases = [(name, index) for name in ("thin96", "medium96") for index in range(args.count)]
    key = {}
    for number, order in enumerate(rng.permutation(len(cases))):
        name, index = cases[order]
        item = photos[index]
        image = (item[0] if isinstance(item, (tuple, list)) else item)[None]
        mask_file = Path(args.masks) / name / f"mask_{index:05d}.png"
        mask = torch.from_numpy(np.array(Image.open(mask_file)) > 127).float()[None, None]
        fills = {
            "edge pass": inpainter.inpaint_tensor(image, mask),
            "without": inpainter.inpaint_tensor(image, mask, edge_scale=1),
        }
        sides = ["edge pass", "without"] if rng.random() < 0.5 else ["without", "edge pass"]
        shown = image * (1 - mask) + mask * torch.tensor([1.0, 0.0, 1.0]).view(1, 3, 1, 1)
        parts = [to_picture(shown), to_picture(fills[sides[0]]), to_picture(fills[sides[1]])]
        sheet = Image.new("RGB", (sum(p.width for p in parts) + 16 * 2, parts[0].height), "white")
        for slot, part in enumerate(parts):
            sheet.paste(part, (slot * (part.width + 16), 0))
        pair = f"pair_{number:02d}"
        sheet.save(output / f"{pair}.png")
        key[pair] = {"A": sides[0], "B": sides[1], "masks": name, "image": index}
    Path(args.key).parent.mkdir(parents=True, exist_ok=True)
    Path(args.key).write_text(json.dumps(key, indent=1))
    print(f"wrote {len(key)} pairs to {output}, key to {args.key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    maker = commands.add_parser("make")
    maker.add_argument("--data", default="../shared/data/bsds500/test")
    maker.add_argument("--masks", default="results/heldout-edge/masks")
    maker.add_argument("--count", type=int, default=6, help="crops per mask set")
    maker.add_argument("--seed", type=int, default=7)
    maker.add_argument("--output", required=True)
    maker.add_argument("--key", required=True)
    counter = commands.add_parser("tally")
    counter.add_argument("--answers", required=True)
    counter.add_argument("--key", required=True)
    args = parser.parse_args()
    make(args) if args.command == "make" else tally(args)


if __name__ == "__main__":
    main()
