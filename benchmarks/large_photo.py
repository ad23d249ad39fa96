"""Speed and memory of the default model on large photos, side by side with the methods users compare it to.

Measures in one run (same machine, same threads, median of ``--repeats``):

* a 1024x768 photo with a 20% hole (a 400x400 box): the smooth fill (coarse-to-fine, the default), the
  same without the edge blend and with the finer levels refined on the whole window, the smooth fill in
  one pass (``--no-coarse-to-fine``), the texture mode, OpenCV Telea and plain PatchMatch
  (pypatchmatch) on the whole photo, and big-lama's generator (random weights: the cost is the same) on
  the crop IOPaint would give it (the hole plus a 128 px margin: 656x656);
* a 4000x3000 photo with a 5% hole (a 775x775 box), smooth and texture: time and peak memory, each in a
  fresh process (peak resident set size, the Python interpreter and PyTorch included);
* what the edge pass costs where it runs (small holes): the 1024x768 photo with a 3 px scratch and
  20 specks, and the 4000x3000 one with 300 specks (docs/results.md, "Crop windows"), default against
  ``edge_scale=1``.

    python benchmarks/large_photo.py [--checkpoint PATH] [--threads N] [--repeats 3] [--skip-lama]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import cv2
import numpy as np
import torch
from skimage import data, transform


def photo_and_mask(height: int, width: int, box: int) -> tuple[np.ndarray, np.ndarray]:
    """skimage's astronaut resized to ``width`` x ``height`` and a centred-left ``box`` x ``box`` hole."""
    image = (transform.resize(data.astronaut(), (height, width), anti_aliasing=True) * 255).astype(np.uint8)
    hole = np.zeros((height, width), bool)
    top, left = (height - box) // 2, (width - box) // 2 - width // 20
    hole[top : top + box, left : left + box] = True
    return image, hole


def median_seconds(fn, repeats: int) -> float:  # noqa: ANN001
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def inpainter(checkpoint: str | None):  # noqa: ANN201
    from wavemix_inpaint import Inpainter

    return (
        Inpainter.from_checkpoint(checkpoint, device="cpu") if checkpoint else Inpainter.from_pretrained("default", device="cpu")
    )


def child(args: argparse.Namespace) -> None:
    """One 4000x3000 measurement in this (fresh) process; prints JSON."""
    image, hole = photo_and_mask(3000, 4000, 775)
    model = inpainter(args.checkpoint)
    seconds = median_seconds(lambda: model(image, hole, texture=args.texture), args.repeats)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "hole": float(hole.mean())}))


def photo_1024(args: argparse.Namespace) -> dict[str, float]:
    image, hole = photo_and_mask(768, 1024, 400)
    print(f"1024x768 photo, hole {hole.mean():.1%}, torch threads {torch.get_num_threads()}")
    model = inpainter(args.checkpoint)
    results = {
        "default (smooth, coarse-to-fine)": median_seconds(lambda: model(image, hole), args.repeats),
        "default without the edge blend (--no-edge-blend)": median_seconds(
            lambda: model(image, hole, edge_blend=False), args.repeats
        ),
        "default, finer levels on the whole window (before --refine-margin)": median_seconds(
            lambda: model(image, hole, refine_margin=100_000), args.repeats
        ),
        "smooth, one pass": median_seconds(lambda: model(image, hole, coarse_to_fine=False), args.repeats),
        "texture": median_seconds(lambda: model(image, hole, texture=True), args.repeats),
        "OpenCV Telea (whole photo)": median_seconds(
            lambda: cv2.inpaint(image, hole.astype(np.uint8), 3, cv2.INPAINT_TELEA), args.repeats
        ),
    }
    try:
        from wavemix_inpaint.models import create_model

        patchmatch = create_model("patchmatch")
        tensor, mask = torch.from_numpy(image).permute(2, 0, 1)[None] / 255.0, torch.from_numpy(hole)[None, None].float()
        results["plain PatchMatch (pypatchmatch, whole photo)"] = median_seconds(lambda: patchmatch(tensor, mask), 1)
    except Exception as error:  # noqa: BLE001 - report and go on
        print(f"PatchMatch skipped: {error}")
    if not args.skip_lama:
        from wavemix_inpaint.models import create_model

        lama = create_model("big-lama").eval()
        crop = torch.rand(1, 3, 656, 656)
        crop_mask = torch.zeros(1, 1, 656, 656)
        crop_mask[..., 128:528, 128:528] = 1
        with torch.inference_mode():
            results["big-lama generator, 656x656 crop (random weights)"] = median_seconds(lambda: lama(crop, crop_mask), 1)
    reference = results["default (smooth, coarse-to-fine)"]
    for name, seconds in results.items():
        print(f"  {name:<68} {seconds:7.3f} s   ({seconds / reference:5.2f}x the default's time)")
    return results


def photo_4000(args: argparse.Namespace) -> None:
    print("4000x3000 photo, 5% hole (each in a fresh process: time, peak resident memory)")
    for texture in (False, True):
        command = [sys.executable, __file__, "--child", "--repeats", str(args.repeats)]
        command += ["--texture"] * texture + (["--checkpoint", args.checkpoint] if args.checkpoint else [])
        command += ["--threads", str(args.threads)] if args.threads else []
        measured = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        label = "texture" if texture else "default (smooth, coarse-to-fine)"
        print(f"  {label:<68} {measured['seconds']:7.3f} s   peak {measured['peak_mb']:,.0f} MB")


def small_holes(height: int, width: int, strokes: int, specks: int) -> tuple[np.ndarray, np.ndarray]:
    """The astronaut at ``width`` x ``height`` with ``strokes`` thin scratches and ``specks`` dust specks."""
    image, _ = photo_and_mask(height, width, 1)
    rng = np.random.default_rng(5)
    hole = np.zeros((height, width), np.uint8)
    for _ in range(strokes):
        start, end = rng.integers(0, (width, height), 2), rng.integers(0, (width, height), 2)
        cv2.line(hole, tuple(int(v) for v in start), tuple(int(v) for v in end), 1, thickness=3)
    for y, x in zip(rng.integers(0, height, specks), rng.integers(0, width, specks)):
        cv2.circle(hole, (int(x), int(y)), int(rng.integers(1, 4)), 1, thickness=-1)
    return image, hole.astype(bool)


def edge_pass_cost(args: argparse.Namespace) -> None:
    print("edge pass where it runs (default against --edge-scale 1)")
    model = inpainter(args.checkpoint)
    for label, (image, hole) in {
        "1024x768, one 3 px scratch + 20 specks": small_holes(768, 1024, 1, 20),
        "4000x3000, 300 specks": small_holes(3000, 4000, 0, 300),
    }.items():
        repeats = args.repeats if image.shape[0] < 1000 else 1
        on = median_seconds(lambda image=image, hole=hole: model(image, hole), repeats)
        off = median_seconds(lambda image=image, hole=hole: model(image, hole, edge_scale=1), repeats)
        print(f"  {label:<50} {on:7.3f} s with the pass, {off:7.3f} s without ({on / off:4.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", help="default: the bundled default model")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-lama", action="store_true", help="do not time big-lama (slow on a CPU)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--texture", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.child:
        child(args)
        return
    photo_1024(args)
    photo_4000(args)
    edge_pass_cost(args)


if __name__ == "__main__":
    main()
