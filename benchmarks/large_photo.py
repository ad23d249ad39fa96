"""Time the default model on a 1024x768 photo with a 20% hole (issue target: < 1 s on CPU).

Measures, side by side in one run: each inpainting strategy (crop around the hole, full image, resize),
fp32 versus bf16 autocast, PyTorch eager versus ONNX Runtime, and OpenCV Telea on the whole photo.

    python benchmarks/large_photo.py [--checkpoint PATH] [--threads N] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from skimage import data, transform

from wavemix_inpaint import Inpainter
from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.pretrained import pretrained_path


def photo_and_mask() -> tuple[np.ndarray, np.ndarray]:
    """skimage's astronaut resized to 1024x768, and a 20% hole: a 400x400 box minus nothing (0.203)."""
    image = (transform.resize(data.astronaut(), (768, 1024), anti_aliasing=True) * 255).astype(np.uint8)
    hole = np.zeros((768, 1024), bool)
    hole[150:550, 300:700] = True
    return image, hole


def median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", help="default: the bundled default model")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    image, hole = photo_and_mask()
    print(f"photo 1024x768, hole {hole.mean():.1%}, torch threads {torch.get_num_threads()}")
    model = load_model(args.checkpoint or pretrained_path("default"))
    inpainter = Inpainter(model, device="cpu")
    results = {}
    for strategy in ("crop", "full", "resize"):
        results[f"pytorch {strategy}"] = median_seconds(lambda: inpainter(image, hole, strategy=strategy), args.repeats)
    fast = Inpainter(model, device="cpu", precision="bf16")
    results["pytorch crop bf16"] = median_seconds(lambda: fast(image, hole, strategy="crop"), args.repeats)
    try:
        from wavemix_inpaint.onnx_runtime import export_onnx

        with tempfile.TemporaryDirectory() as folder:
            path = export_onnx(model, Path(folder) / "m.onnx")
            onnx = Inpainter.from_onnx(path)
            results["onnxruntime crop"] = median_seconds(lambda: onnx(image, hole, strategy="crop"), args.repeats)
    except Exception as error:  # noqa: BLE001 - report and go on
        print(f"ONNX Runtime skipped: {error}")
    bgr = np.ascontiguousarray(image[..., ::-1])
    results["opencv telea (whole photo)"] = median_seconds(
        lambda: cv2.inpaint(bgr, hole.astype(np.uint8), 3, cv2.INPAINT_TELEA), args.repeats
    )
    reference = results["pytorch crop"]
    for name, seconds in results.items():
        print(f"{name:<28} {seconds:7.3f} s   ({reference / seconds:.2f}x the speed of pytorch crop)")


if __name__ == "__main__":
    main()
