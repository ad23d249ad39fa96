"""A blinded side-by-side: unlabeled pairs of fills, sides randomised, for a judge who does not know the methods.

``make``: for N images of a held-out folder (from ``--start``) (full resolution, the ``large`` mask preset), inpaint
with the texture mode (at ``--texture-strength``), the smooth fill and plain PatchMatch, and write one picture per pair ("A | B",
nothing else on it) for the comparisons texture vs PatchMatch and texture vs smooth, in a shuffled order,
with the sides drawn at random (seeded). The key (which side is which method) goes to a separate file
that the judge must not see.

``tally``: read the judge's answers (``{"pair_07": "A" | "B" | "same", ...}``) and the key, and count the wins
per comparison (also used by experiments/edge_pass_blind.py).

    python benchmarks/blind_pairs.py make --checkpoint CKPT --data ../shared/data/bsds500/test --count 20 \\
        --output docs/blind --key results/blind-key.json
    python benchmarks/blind_pairs.py tally --answers docs/blind/answers-judge1.json --key results/blind-key.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

COMPARISONS = (("texture", "patchmatch"), ("texture", "smooth"))


def fills(checkpoint: str, data: str, photos: range, seed: int, strength: float = 1.0) -> list[dict[str, np.ndarray]]:
    from wavemix_inpaint import Inpainter
    from wavemix_inpaint.data import build_dataset
    from wavemix_inpaint.masks import get_mask_generator
    from wavemix_inpaint.models import create_model

    images = build_dataset(data, "test", (321, 481))
    generator = get_mask_generator("large")
    inpainter = Inpainter.from_checkpoint(checkpoint, device="cpu")
    patchmatch = create_model("patchmatch")
    out = []
    for index in photos:
        image = images.get_uint8(index)
        hole = generator(np.random.default_rng([seed, index]), 321, 481) > 0.5
        tensor = torch.from_numpy(image.copy()).permute(2, 0, 1)[None] / 255.0
        copied = patchmatch(tensor, torch.from_numpy(hole)[None, None].float())[0].permute(1, 2, 0).numpy()
        out.append(
            {
                "texture": inpainter(image, hole, texture=True, seed=index, texture_strength=strength),
                "smooth": inpainter(image, hole, texture=False),
                "patchmatch": np.round(copied * 255).astype(np.uint8),
            }
        )
    return out


def pair_picture(left: np.ndarray, right: np.ndarray) -> Image.Image:
    gap = 12
    height, width = left.shape[:2]
    canvas = Image.new("RGB", (2 * width + gap, height + 28), "white")
    canvas.paste(Image.fromarray(left), (0, 28))
    canvas.paste(Image.fromarray(right), (width + gap, 28))
    draw = ImageDraw.Draw(canvas)
    draw.text((width // 2, 8), "A", fill="black")
    draw.text((width + gap + width // 2, 8), "B", fill="black")
    return canvas


def make(args: argparse.Namespace) -> None:
    rng = np.random.default_rng([args.seed, args.start])  # each round its own order and sides (rounds 1-5 shared one)
    photos = range(args.start, args.start + args.count)
    results = dict(zip(photos, fills(args.checkpoint, args.data, photos, args.seed, args.texture_strength), strict=True))
    jobs = [(index, first, second) for index in photos for first, second in COMPARISONS]
    order = rng.permutation(len(jobs))
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    key = {}
    for number, job_index in enumerate(order):
        index, first, second = jobs[job_index]
        swap = bool(rng.integers(0, 2))
        left, right = (second, first) if swap else (first, second)
        name = f"pair_{number:02d}"
        pair_picture(results[index][left], results[index][right]).save(output / f"{name}.jpg", quality=90)
        key[name] = {"A": left, "B": right, "image": index}
    Path(args.key).parent.mkdir(parents=True, exist_ok=True)
    Path(args.key).write_text(json.dumps(key, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(key)} pairs to {output} (key: {args.key})")


def tally(args: argparse.Namespace) -> None:
    key = json.loads(Path(args.key).read_text(encoding="utf-8"))
    answers = json.loads(Path(args.answers).read_text(encoding="utf-8"))
    counts: dict[str, dict[str, int]] = {}
    for name, choice in answers.items():
        sides = key[name]
        methods = tuple(sorted((sides["A"], sides["B"])))
        winner = "same" if choice.strip().lower() == "same" else sides[choice.strip().upper()]
        counts.setdefault(" vs ".join(methods), {}).setdefault(winner, 0)
        counts[" vs ".join(methods)][winner] += 1
    print(json.dumps(counts, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    make_parser = sub.add_parser("make")
    make_parser.add_argument("--checkpoint", required=True)
    make_parser.add_argument("--data", default="../shared/data/bsds500/test")
    make_parser.add_argument("--count", type=int, default=20)
    make_parser.add_argument("--start", type=int, default=0, help="the first photo (a new round on photos not yet looked at)")
    make_parser.add_argument("--seed", type=int, default=2024)
    make_parser.add_argument("--texture-strength", type=float, default=1.0, help="the texture mode's --texture-strength")
    make_parser.add_argument("--output", default="docs/blind")
    make_parser.add_argument("--key", default="results/blind-key.json")
    tally_parser = sub.add_parser("tally")
    tally_parser.add_argument("--answers", required=True)
    tally_parser.add_argument("--key", default="results/blind-key.json")
    args = parser.parse_args()
    make(args) if args.command == "make" else tally(args)


if __name__ == "__main__":
    main()
