"""Memory budget of the web server: estimate what a request needs before running it, refuse what does not fit.

A request that runs out of memory half-way may take the whole server down (the kernel's OOM killer) or
leave it thrashing; refusing it up front with a clear message keeps the server serving everyone else.

* :func:`estimate_request_bytes`: the peak a request adds, from its size and the windows the pipeline
  will process (the largest window counts: windows run one after the other). The per-pixel costs were
  measured with the bundled model on a CPU (peak RSS growth, fresh process): about 380-450 bytes per
  processed pixel for a full-resolution pass, and the decoded image's own copies (8-bit, float, result).
* :func:`default_budget_bytes`: what this process may still use: the smallest of the free memory, the
  cgroup limit and the address-space limit (``ulimit -v``), less what is in use, times a safety margin.
* :class:`QueuedInputs`: the decoded images of requests waiting for a worker are held too (up to
  ``max_queue`` photos of up to 40 MP): they get :data:`QUEUE_SHARE` of the budget (none with
  ``max_queue=0``), the running inferences share the rest, and a request that must wait and whose image
  would overfill the queue's share gets 503. A request that will find a free worker decodes within that
  worker's share; any other (every worker busy or already promised to a request that is decoding) is
  counted before its images are decoded, at :func:`decoded_inputs_bound` (from the file headers), and at
  its exact :func:`input_bytes` once they are, so a burst of uploads cannot decode past the budget.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from wavemix_inpaint.imageio import LoadedImage
from wavemix_inpaint.inference import InpaintOptions, crop_windows
from wavemix_inpaint.inference.edge_pass import edge_pass_plan, upscaled_pixels
from wavemix_inpaint.inference.pipeline import resized_hole
from wavemix_inpaint.models.pyramid import known_survives

#: bytes per pixel of a window the network processes (activations, coarse-to-fine levels, texture)
WINDOW_BYTES_PER_PIXEL = 500
#: bytes per pixel of the whole image (decoded uint8, float32 copies, the composited result)
IMAGE_BYTES_PER_PIXEL = 48
#: share of the free memory a server gives to requests
SAFETY = 0.8
#: share of the budget held by the decoded inputs of requests waiting in the queue
QUEUE_SHARE = 0.2


def estimate_request_bytes(hole: np.ndarray, options: InpaintOptions) -> int:
    """Peak extra memory to inpaint an image of ``hole``'s size with ``options`` (see the module doc)."""
    height, width = hole.shape
    longest = max(height, width)
    if not hole.any():
        return 0  # nothing to fill: the input comes back as it is
    boxes = [(0, height, 0, width)]  # where the edge pass may run: each window at full resolution
    if options.strategy == "resize" and longest > options.resize_limit:
        window = _resized_window(hole, options)
    elif options.strategy == "crop" and longest > options.crop_trigger and hole.any():
        boxes = crop_windows(hole, options.crop_margin)
        window = max((bottom - top) * (right - left) for top, bottom, left, right in boxes)
    else:
        window = height * width
    window = max(window, _edge_pass_pixels(hole, boxes, options))
    return int(WINDOW_BYTES_PER_PIXEL * window + IMAGE_BYTES_PER_PIXEL * height * width)


def _edge_pass_pixels(hole: np.ndarray, boxes: list[tuple[int, int, int, int]], options: InpaintOptions) -> int:
    """The most pixels the edge pass (one level finer than the photo) processes in one of the windows."""
    most = 0
    for top, bottom, left, right in boxes if options.edge_scale > 1 else []:
        scale, finer = edge_pass_plan(hole[top:bottom, left:right], options.edge_scale, options.refine_margin)
        most = max(most, upscaled_pixels(finer, scale))  # 0 without a pass
    return most


def _resized_window(hole: np.ndarray, options: InpaintOptions) -> int:
    """Pixels the resize strategy works on: the downscaled image, or the whole one where the pipeline
    works at full resolution (the texture stage; a mask whose known pixels vanish when downscaled)."""
    small = resized_hole(torch.from_numpy(hole).float()[None, None], options.resize_limit)
    if options.texture or not known_survives(hole, small):
        return hole.size
    return small.numel()


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _cgroup_room() -> int | None:
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text())
    except (OSError, ValueError):
        return None
    return None if limit == "max" else int(limit) - used


def _address_space_room() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return soft - int(line.split()[1]) * 1024
    except OSError:
        pass
    return soft


def default_budget_bytes() -> int:
    """Memory this process can still use for requests (see the module doc); at least 64 MiB."""
    rooms = [room for room in (_meminfo_available(), _cgroup_room(), _address_space_room()) if room is not None]
    if not rooms:  # not Linux: a fraction of the physical memory
        rooms = [os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2]
    return max(64 << 20, int(SAFETY * min(rooms)))


#: bytes per pixel of Pillow's storage for the modes that do not take 4
_PIL_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}


def input_bytes(source: LoadedImage, hole: np.ndarray, upload: int) -> int:
    """Bytes a decoded request holds while it waits: pixels, alpha, the source's own copy, hole, upload."""
    native = source.native
    if isinstance(native, Image.Image):  # Pillow keeps RGB, LA, ... at 4 bytes a pixel
        native_bytes = native.width * native.height * _PIL_BYTES_PER_PIXEL.get(native.mode, 4)
    else:
        native_bytes = 0 if native is None or native is source.pixels else np.asarray(native).nbytes
    alpha_bytes = 0 if source.alpha is None else source.alpha.nbytes
    return int(source.pixels.nbytes + alpha_bytes + native_bytes + hole.nbytes + upload)


#: most bytes per pixel an upload holds once decoded: 16-bit RGB pixels (6), 16-bit alpha (2), the source's own
#: copy (Pillow keeps at most 4, a 16-bit grey array 2; 8 for margin), the float32 hole (4) and the float32
#: mask it is made from (4)
DECODED_BYTES_PER_PIXEL = 24


def decoded_inputs_bound(pixels: int, uploads: int) -> int:
    """The most an image of ``pixels`` pixels and its mask hold once decoded, uploads included: counted
    before decoding, replaced by :func:`input_bytes` after."""
    return int(DECODED_BYTES_PER_PIXEL * pixels + uploads)


class QueuedInputs:
    """Bytes held by the decoded inputs of requests that wait for a worker, within ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def hold(self, size: int) -> bool:
        """Count ``size`` more bytes if they fit (always, when the queue holds nothing yet); else False."""
        if self.held and self.held + size > self.limit:
            return False
        self.held += size
        return True

    def free(self, size: int) -> None:
        self.held -= size
