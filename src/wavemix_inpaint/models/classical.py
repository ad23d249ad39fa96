"""Classical (non-learned) inpainting baselines behind the :class:`InpaintingModel` interface.

* ``telea``: OpenCV ``cv2.inpaint(..., cv2.INPAINT_TELEA)`` (fast marching, Telea 2004).
* ``navier-stokes``: OpenCV ``cv2.INPAINT_NS`` (Bertalmio et al. 2001).
* ``biharmonic``: scikit-image ``restoration.inpaint_biharmonic(..., channel_axis=-1)``.
* ``patchmatch``: PatchMatch inpainting (Barnes et al. 2009) from the maintained ``pypatchmatch`` package
  (InvokeAI's build of PyPatchMatch; optional: ``pip install pypatchmatch``), patch_size 3 (7x7 patches),
  re-seeded for every image so results are deterministic. It copies real texture but picks its sources
  by appearance alone; see :mod:`wavemix_inpaint.texture` for the network-guided version.

They have no parameters (``count_parameters`` gives 0) and cannot be trained (``trainable = False``).
Each image of the batch is processed on the CPU with NumPy (images in parallel on
``torch.get_num_threads()`` threads) and the result is returned on the input's
device and dtype, without gradient. The OpenCV methods work on 8-bit images: the masked image is rounded
to uint8 (``round(clip(x, 0, 1) * 255)``) and the result converted back to float in [0, 1] (``/ 255``);
the biharmonic method works in float64 directly. Holes are ``mask > 0.5``.

``radius`` is the OpenCV neighbourhood radius in pixels: 3 by default (as in this project's research
runs); IOPaint uses 4. An image with no known pixel at all comes back as zeros (OpenCV's behaviour;
the biharmonic solver has nothing to solve from).
"""

from __future__ import annotations

import threading

import numpy as np
import torch
from torch import Tensor

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.models.base import InpaintingModel
from wavemix_inpaint.models.registry import register_model
from wavemix_inpaint.parallel import map_threaded


class ClassicalInpainter(InpaintingModel):
    """Base class: subclasses implement :meth:`inpaint_array` on one ``H x W x 3`` float image."""

    size_multiple = 1
    trainable = False

    def inpaint_array(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """Fill ``hole`` (``H x W`` bool) in ``image`` (``H x W x 3`` float64 in [0, 1]); return float in [0, 1]."""
        raise NotImplementedError

    def _inpaint_one(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        if not hole.any():
            return image
        if hole.all():
            return np.zeros_like(image)
        return np.clip(self.inpaint_array(image, hole), 0.0, 1.0)

    @torch.no_grad()
    def predict(self, masked: Tensor, mask: Tensor) -> Tensor:
        images = masked.detach().float().clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy().astype(np.float64)
        holes = (mask.detach() > 0.5)[:, 0].cpu().numpy()
        results = map_threaded(self._inpaint_one, images, holes)
        output = torch.from_numpy(np.stack(results)).permute(0, 3, 1, 2)
        return output.to(device=masked.device, dtype=masked.dtype).contiguous()


class OpenCVInpainter(ClassicalInpainter):
    """``cv2.inpaint`` with the Telea (``method="telea"``) or Navier-Stokes (``"ns"``) algorithm."""

    def __init__(self, method: str = "telea", radius: float = 3.0) -> None:
        super().__init__()
        if method not in ("telea", "ns"):
            raise ValueError(f"method must be 'telea' or 'ns', got {method!r}")
        if radius <= 0:
            raise ValueError(f"radius must be positive, got {radius}")
        self.method = method
        self.radius = float(radius)

    def inpaint_array(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        import cv2

        flag = cv2.INPAINT_TELEA if self.method == "telea" else cv2.INPAINT_NS
        image8 = np.round(image * 255.0).astype(np.uint8)
        mask8 = hole.astype(np.uint8) * 255
        filled = cv2.inpaint(np.ascontiguousarray(image8), mask8, self.radius, flag)
        return filled.astype(np.float64) / 255.0

    def extra_repr(self) -> str:
        return f"method={self.method!r}, radius={self.radius}"


@register_model("biharmonic", "scikit-image biharmonic inpainting (no parameters, CPU, slow)")
class BiharmonicInpainter(ClassicalInpainter):
    """``skimage.restoration.inpaint_biharmonic`` per image (all channels at once, ``channel_axis=-1``)."""

    def inpaint_array(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        from skimage.restoration import inpaint_biharmonic

        return inpaint_biharmonic(image, hole, channel_axis=-1)


@register_model(
    "patchmatch",
    "PatchMatch texture copying (pypatchmatch, 7x7 patches, seeded; optional: pip install pypatchmatch)",
    patch_size=3,
)
class PatchMatchInpainter(ClassicalInpainter):
    """``patchmatch.patch_match.inpaint`` per image (8-bit, single-threaded C++; calls are serialised so
    that the library's global random seed makes every result reproducible)."""

    _lock = threading.Lock()

    def __init__(self, patch_size: int = 3, seed: int = 0) -> None:
        super().__init__()
        if patch_size < 1:
            raise ValueError(f"patch_size must be positive, got {patch_size}")
        self.patch_size = int(patch_size)
        self.seed = int(seed)
        _patch_match()  # fail at construction, with the install command, when the package is missing

    def inpaint_array(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        patch_match = _patch_match()
        image8 = np.round(image * 255.0).astype(np.uint8) * (~hole)[..., None].astype(np.uint8)
        with self._lock:
            patch_match.set_random_seed(self.seed)
            filled = patch_match.inpaint(np.ascontiguousarray(image8), hole.astype(np.uint8) * 255, patch_size=self.patch_size)
        return filled.astype(np.float64) / 255.0

    def extra_repr(self) -> str:
        return f"patch_size={self.patch_size}, seed={self.seed}"


def _patch_match():  # noqa: ANN202 - the pypatchmatch module
    try:
        from patchmatch import patch_match
    except ImportError:
        raise InputError("the patchmatch baseline needs the pypatchmatch package: pip install pypatchmatch") from None
    if not getattr(patch_match, "patchmatch_available", True):
        raise InputError("pypatchmatch is installed but its compiled library could not be loaded")
    return patch_match


@register_model("telea", "OpenCV Telea fast-marching inpainting (no parameters, CPU)", radius=3.0)
def telea(radius: float = 3.0) -> OpenCVInpainter:
    """OpenCV Telea inpainting (registry builder)."""
    return OpenCVInpainter("telea", radius)


@register_model("navier-stokes", "OpenCV Navier-Stokes inpainting (no parameters, CPU)", radius=3.0)
def navier_stokes(radius: float = 3.0) -> OpenCVInpainter:
    """OpenCV Navier-Stokes inpainting (registry builder)."""
    return OpenCVInpainter("ns", radius)
