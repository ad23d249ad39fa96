"""Regression guard for the bundled weights: on a small fixed set of real photos (scikit-image's bundled
samples, never trained on), the default model beats OpenCV Telea by a stated margin of hole PSNR.

Not a timing test. The margin is set below what the shipped weights measure here (the model card gives
the held-out BSDS500 numbers), so a broken model, a broken loader or a wrong pipeline fails it.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wavemix_inpaint import Inpainter
from wavemix_inpaint.masks import get_mask_generator
from wavemix_inpaint.metrics import psnr
from wavemix_inpaint.models import create_model

#: mean hole-PSNR gain over Telea (dB) and share of crops won that the bundled model must keep; the shipped
#: weights (stage 10, epoch 14) with the edge pass (inference/edge_pass.py) measure +1.48 dB and 80% here,
#: +1.28 dB without it (`edge_scale=1`; two crops of flat sky fall from 44 to 39-41 dB against stage 8,
#: errors of one to two levels: the model card), so the margin also fails a pipeline that lost the pass;
#: without the pass stage 8 measured +1.46 dB and 80%, stage 7 +1.43 dB and 82%, stage 6 +1.37 dB and 80%,
#: stage 5 +1.23 dB and 90%, stage 4 +0.95 dB and 85%
MARGIN_DB = 1.35
WIN_SHARE = 0.75
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle")


def fixed_set() -> tuple[torch.Tensor, torch.Tensor]:
    from skimage import data

    rng = np.random.default_rng(2024)
    generator = get_mask_generator("thick")
    crops, masks = [], []
    for name in PHOTOS:
        photo = getattr(data, name)()
        photo = photo[0] if isinstance(photo, tuple) else photo
        for _ in range(8):
            top = int(rng.integers(0, photo.shape[0] - 96))
            left = int(rng.integers(0, photo.shape[1] - 96))
            crops.append(photo[top : top + 96, left : left + 96, :3])
            masks.append(generator(rng, 96, 96))
    images = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255.0
    return images, torch.from_numpy(np.stack(masks))[:, None].float()


def test_bundled_default_beats_telea_on_a_fixed_set_of_real_photos():
    torch.manual_seed(0)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        images, masks = fixed_set()
        inpainter = Inpainter.from_pretrained("default", device="cpu")
        ours = inpainter.inpaint_tensor(images, masks)  # the pipeline users get (coarse-to-fine as needed)
        telea = create_model("telea")(images, masks)
    finally:
        torch.set_num_threads(previous)
    gain = psnr(ours, images, mask=masks) - psnr(telea, images, mask=masks)
    assert torch.equal(ours[masks.expand_as(ours) < 0.5], images[masks.expand_as(images) < 0.5])
    print(f"hole PSNR gain over Telea: {gain.mean():+.2f} dB, better on {(gain > 0).float().mean():.0%} of 40 crops")
    assert float(gain.mean()) >= MARGIN_DB
    assert float((gain > 0).float().mean()) >= WIN_SHARE


@pytest.mark.parametrize("name", PHOTOS)
def test_the_fixed_set_needs_nothing_downloaded(name):
    from skimage import data

    assert getattr(data, name)() is not None  # shipped inside scikit-image's wheel
