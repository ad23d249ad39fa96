"""``wavemix-inpaint demo``: inpaint the bundled sample photo with a seeded random mask.

Writes a side-by-side PNG (masked input | result | original) to ``demo-output/wavemix-demo.png`` under
the current folder (never replacing a file: ``-1``, ``-2``... are appended) and prints the PSNR
and SSIM of the hole pixels against the original, for the model and for OpenCV's Telea inpainting
on the same mask.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wavemix_inpaint.cli.inpaint import add_model_arguments, load_inpainter

HELP = "inpaint a bundled sample photo with a random mask and write a side-by-side comparison PNG"

SAMPLE = "astronaut.jpg"
DEFAULT_OUTPUT = "demo-output/wavemix-demo.png"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        default=DEFAULT_OUTPUT,
        help=f"output PNG (default: {DEFAULT_OUTPUT}; if it exists, NAME-1.png, NAME-2.png... are used)",
    )
    add_model_arguments(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed of the random mask (default: 0)")
    parser.add_argument("--mask-preset", default="medium", help="mask preset (default: medium; see 'wavemix-inpaint masks')")
    parser.add_argument("--no-labels", action="store_true", help="do not write captions above the panels")


def unused_path(path: Path) -> Path:
    """``path`` if it does not exist, else the first free ``stem-N.suffix`` (N = 1, 2, ...)."""
    if not path.exists():
        return path
    index = 1
    while True:
        candidate = path.with_name(f"{path.stem}-{index}{path.suffix}")
        if not candidate.exists():
            return candidate
        index += 1


def _panel(images: list, labels: list[str] | None):  # noqa: ANN202 - PIL image
    from PIL import Image, ImageDraw, ImageFont

    height, width = images[0].shape[:2]
    gap, caption = 8, (24 if labels else 0)
    canvas = Image.new("RGB", (len(images) * width + (len(images) - 1) * gap, height + caption), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    try:
        font = ImageFont.load_default(size=16)
    except TypeError:  # Pillow without FreeType sizes
        font = ImageFont.load_default()
    for index, array in enumerate(images):
        left = index * (width + gap)
        canvas.paste(Image.fromarray(array), (left, caption))
        if labels:
            draw.text((left + 4, 3), labels[index], fill=(0, 0, 0), font=font)
    return canvas


def run(args: argparse.Namespace) -> int:
    import io
    from importlib import resources

    import cv2
    import numpy as np
    import torch

    from wavemix_inpaint.errors import InputError
    from wavemix_inpaint.fileio import atomic_write_bytes, check_writable_folder
    from wavemix_inpaint.imageio import read_image
    from wavemix_inpaint.masks import get_mask_generator
    from wavemix_inpaint.metrics.image import compute_image_metrics

    output = Path(args.output)
    if output.suffix.lower() != ".png":
        raise InputError(f"--output must be a .png file, got {output}")
    check_writable_folder(output.parent)  # before the model runs
    sample = resources.files("wavemix_inpaint") / "assets" / SAMPLE
    original = read_image(sample.read_bytes()).pixels
    height, width = original.shape[:2]
    hole = get_mask_generator(args.mask_preset)(np.random.default_rng(args.seed), height, width) > 0.5
    if not hole.any():
        raise InputError(f"mask preset {args.mask_preset!r} gave an empty mask for seed {args.seed}; try another seed")

    inpainter = load_inpainter(args)
    result = inpainter(original, hole, strategy="full")
    telea = cv2.inpaint(original[..., ::-1].copy(), hole.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)[..., ::-1]
    masked = original.copy()
    masked[hole] = 255

    def tensor(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.array(array)).permute(2, 0, 1)[None].float() / 255.0

    mask_t = torch.from_numpy(hole)[None, None].float()
    scores = {}
    for name, array in (("model", result), ("telea", telea)):
        metrics = compute_image_metrics(tensor(array), tensor(original), mask_t)
        scores[name] = (float(metrics["psnr_hole"][0]), float(metrics["ssim_hole"][0]))

    labels = None if args.no_labels else ["masked input", f"{inpainter.description.split(' (')[0]} result", "original"]
    canvas = _panel([masked, result, original], labels)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    while True:
        target = unused_path(output)
        try:
            atomic_write_bytes(target, buffer.getvalue(), overwrite=False)
            break
        except InputError:
            if not target.exists():
                raise
    print(f"wrote {target} (masked input | result | original)")
    print(f"mask: {args.mask_preset} preset, seed {args.seed}, {hole.mean():.1%} of the pixels")
    print("hole PSNR / SSIM against the original:")
    print(f"  {inpainter.description:<40} {scores['model'][0]:6.2f} dB  {scores['model'][1]:.4f}")
    print(f"  {'OpenCV Telea (radius 3)':<40} {scores['telea'][0]:6.2f} dB  {scores['telea'][1]:.4f}")
    return 0
