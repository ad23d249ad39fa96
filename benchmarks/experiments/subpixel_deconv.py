"""Are the default model's transposed convolutions faster rewritten as ordinary convolutions + pixel_shuffle?

An experiment script (not part of the library), kept so that the note in docs/performance.md can be re-run.
A ConvTranspose2d(k, s, p) with k - 2p = s computes, for each of the s x s output phases, a small ordinary
convolution of the input; all phases as one Conv2d with s*s times the output channels, then pixel_shuffle,
give the same outputs. Timed on benchmarks/large_photo.py's 1024x768 photo (pause background jobs first).

    python benchmarks/experiments/subpixel_deconv.py
"""

import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, "benchmarks")
from large_photo import photo_and_mask

from wavemix_inpaint import Inpainter


def as_subpixel(transposed: nn.ConvTranspose2d) -> nn.Sequential:
    (kernel, _), (stride, _), (padding, _) = transposed.kernel_size, transposed.stride, transposed.padding
    assert kernel - 2 * padding == stride and transposed.groups == 1
    # output y = stride * q + r takes input q - d through tap ky = stride * d + r + padding
    taps = [
        [(-d, stride * d + r + padding) for d in range(-kernel, kernel + 1) if 0 <= stride * d + r + padding < kernel]
        for r in range(stride)
    ]
    reach = max(abs(offset) for phase in taps for offset, _ in phase)
    weight = transposed.weight.detach()
    c_in, c_out = weight.shape[:2]
    kernel_out = weight.new_zeros(c_out, stride, stride, c_in, 2 * reach + 1, 2 * reach + 1)
    for ry, taps_y in enumerate(taps):
        for rx, taps_x in enumerate(taps):
            for oy, ky in taps_y:
                for ox, kx in taps_x:
                    kernel_out[:, ry, rx, :, reach + oy, reach + ox] = weight[:, :, ky, kx].T
    conv = nn.Conv2d(c_in, c_out * stride * stride, 2 * reach + 1, padding=reach)
    conv.weight.data.copy_(kernel_out.reshape(conv.weight.shape))
    conv.bias.data.copy_(transposed.bias.detach().repeat_interleave(stride * stride))
    return nn.Sequential(conv, nn.PixelShuffle(stride) if stride > 1 else nn.Identity()).to(memory_format=torch.channels_last)


def rewritten(only_stride_one: bool) -> Inpainter:
    inpainter = Inpainter.from_pretrained("default", device="cpu")
    for parent in list(inpainter.model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.ConvTranspose2d) and (child.stride == (1, 1) or not only_stride_one):
                setattr(parent, name, as_subpixel(child))
    return inpainter


torch.set_num_threads(2)
image, hole = photo_and_mask(768, 1024, 400)
variants = {
    "as shipped": Inpainter.from_pretrained("default", device="cpu"),
    "all rewritten": rewritten(False),
    "stride-1 only": rewritten(True),
}
reference = variants["as shipped"](image, hole).astype(int)
for name, inpainter in variants.items():
    print(f"{name}: max difference from shipped {np.abs(inpainter(image, hole).astype(int) - reference).max()} levels")
for round_number in range(3):
    for name, inpainter in variants.items():
        times = []
        for _ in range(3):
            start = time.perf_counter()
            inpainter(image, hole)
            times.append(time.perf_counter() - start)
        print(f"round {round_number + 1}, {name}: median {np.median(times):.3f} s", flush=True)
