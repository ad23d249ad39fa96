"""What a deeper or wider default would cost at inference: the 1024x768 photo of large_photo.py with 2 x 7,
2 x 9 and 2 x 11 blocks (random weights, same pipeline and cost), smooth and texture, side by side, twice.

An experiment script (not part of the library), kept so that the numbers in the closing notes can be re-run.
Pause background jobs first (timings on a shared machine vary by 10-25%).

    python benchmarks/experiments/depth_speed.py          # 2 x 7, 2 x 9, 2 x 11
    python benchmarks/experiments/depth_speed.py 9 12     # other depths: blocks per module
    python benchmarks/experiments/depth_speed.py 9 9x48   # 2 x 9 blocks at C = 32 and at C = 48
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from large_photo import median_seconds, photo_and_mask  # noqa: E402

from wavemix_inpaint import Inpainter  # noqa: E402
from wavemix_inpaint.models import create_model  # noqa: E402

torch.set_num_threads(2)
image, hole = photo_and_mask(768, 1024, 400)


def inpainter(blocks: int, width: int) -> Inpainter:
    """The pipeline around a random ``wavemix-small`` with ``blocks`` per module and ``embed_dim`` ``width``."""
    network = create_model("wavemix-small", prefill="telea", blocks_per_module=blocks, embed_dim=width)
    return Inpainter(network.eval(), device="cpu")


shapes = [shape.partition("x") for shape in (sys.argv[1:] or ("7", "9", "11"))]  # BLOCKS or BLOCKSxWIDTH
models = {(int(blocks), int(width or 32)): inpainter(int(blocks), int(width or 32)) for blocks, _, width in shapes}
for repeat in (1, 2):
    for (blocks, width), model in models.items():
        smooth = median_seconds(lambda model=model: model(image, hole), 3)
        texture = median_seconds(lambda model=model: model(image, hole, texture=True), 3)
        print(f"round {repeat}, 2 x {blocks} blocks, C = {width}: smooth {smooth:.3f} s, texture {texture:.3f} s", flush=True)
