"""The one inference pipeline: (image, holes, options) -> filled image, whatever the caller.

Per image::

    windows   crop: one window per far-apart hole region (its box + crop_margin); full: the whole image;
              resize: the whole image, downscaled to resize_limit for the network
    smooth    per window, coarse to fine (models.pyramid) when the hole is thicker than the network's
              training scale and the model can refine a given estimate; else one network call
    edges     per window: the fill within a few pixels of the known region refilled by the network at up
              to options.edge_scale times the resolution (edge_pass.py) where that fits its budget;
              elsewhere blended with a biharmonic continuation of the photo (edge_blend.py), if on
    texture   per window at full resolution, when asked: detail copied from the photo (texture.py);
              a hole with too little known region around it keeps its smooth fill, with a notice

Tensors are ``N x 3 x H x W`` float32 CPU in [0, 1] and ``N x 1 x H x W`` bool holes; results are
composited (known pixels are the input's).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from wavemix_inpaint.inference.edge_blend import edge_blend
from wavemix_inpaint.inference.edge_pass import (
    MAX_UPSCALED_PIXELS,
    blend_finer,
    edge_pass_plan,
    upscale_window,
    upscaled_pixels,
)
from wavemix_inpaint.inference.options import InpaintOptions
from wavemix_inpaint.inference.windows import crop_windows, refine_boxes
from wavemix_inpaint.models.pyramid import coarse_to_fine, downsample_pair, known_survives, pyramid_levels, upsample_fill

#: ``refine(image, mask, estimate)`` -> composited fill of one window (``estimate`` None: the model's own start)
Refine = Callable[[Tensor, Tensor, "Tensor | None"], Tensor]


@dataclass
class FillResult:
    """The filled images and what the user should be told about how they were made."""

    image: Tensor
    notices: list[str] = field(default_factory=list)


def fill(refine: Refine, image: Tensor, hole: Tensor, options: InpaintOptions, can_refine: bool) -> FillResult:
    """Fill ``hole`` in ``image`` following ``options``; ``can_refine``: the model accepts an estimate
    (coarse-to-fine needs it)."""
    result = FillResult(image.clone())
    height, width = image.shape[-2:]
    for index in range(image.shape[0]):
        if not bool(hole[index].any()):
            continue
        picture, holes = image[index : index + 1], hole[index : index + 1].float()
        budget = [MAX_UPSCALED_PIXELS]  # the edge pass's pixels left for this image, all windows together
        if options.strategy == "resize" and max(height, width) > options.resize_limit:
            resized = _resized_fill(refine, picture, holes, options, can_refine)
            if resized is not None:
                filled = _finish_edges(refine, holes, resized, options, can_refine, budget)
                result.image[index : index + 1] = _with_texture([(picture, holes, filled)], options, result.notices)
                continue
            result.notices.append(
                f"strategy resize: at {options.resize_limit} px the mask leaves too little of the photo known; "
                "filled at full resolution instead"
            )
        whole = [(0, height, 0, width)]
        boxes = crop_windows(holes[0, 0].numpy(), options.crop_margin) if _crops(options, height, width) else whole
        for top, bottom, left, right in boxes:
            window_image, window_hole = picture[..., top:bottom, left:right], holes[..., top:bottom, left:right]
            levels = _smooth_fill(refine, window_image, window_hole, options, can_refine)
            finished = _finish_edges(refine, window_hole, levels[-1][2], options, can_refine, budget)
            levels[-1] = (window_image, window_hole, finished)
            result.image[index : index + 1, :, top:bottom, left:right] = _with_texture(levels, options, result.notices)
    return result


def _crops(options: InpaintOptions, height: int, width: int) -> bool:
    return options.strategy == "crop" and max(height, width) > options.crop_trigger


Levels = list[tuple[Tensor, Tensor, Tensor]]
"""``(image, hole, smooth fill)`` per pyramid level, coarsest first (one entry without a pyramid)."""


def _smooth_fill(refine: Refine, image: Tensor, hole: Tensor, options: InpaintOptions, can_refine: bool) -> Levels:
    levels = pyramid_levels(hole[0, 0].numpy()) if options.coarse_to_fine and can_refine else 0
    return coarse_to_fine(_refine_in_windows(refine, options.refine_margin), image, hole, levels)


def _refine_in_windows(refine: Refine, margin: int) -> Refine:
    """``refine`` that, given a coarser level's estimate, runs the network only on windows of each hole
    region plus ``margin`` pixels of that level: the coarser levels already brought the wider context
    into the estimate, and most of a large hole's cost is its finest level's margin."""

    def refine_windows(image: Tensor, hole: Tensor, estimate: Tensor | None) -> Tensor:
        height, width = image.shape[-2:]
        boxes = [] if estimate is None else refine_boxes(hole[0, 0].numpy(), margin)
        if not boxes or boxes == [(0, height, 0, width)]:
            return refine(image, hole, estimate)
        refined = estimate.clone()
        for top, bottom, left, right in boxes:
            window = (..., slice(top, bottom), slice(left, right))
            refined[window] = refine(image[window], hole[window], estimate[window])
        return refined

    return refine_windows


def _finish_edges(
    refine: Refine, hole: Tensor, filled: Tensor, options: InpaintOptions, can_refine: bool, budget: list[int]
) -> Tensor:
    """``filled`` (1 x 3 x H x W, composited) with the pixels near the known region, where the network at
    the photo's resolution is weakest, refilled one level finer than the photo (edge_pass.py) when the
    model refines estimates and that fits what is left of the image's ``budget`` (spent here); else
    blended with a biharmonic continuation."""
    largest, window_hole = (options.edge_scale if can_refine else 1), hole[0, 0].numpy() > 0.5
    scale, boxes = edge_pass_plan(window_hole, largest, options.refine_margin, budget[0]) if largest > 1 else (1, [])
    if scale == 1:
        return _blend_edges(hole, filled, options)
    budget[0] -= upscaled_pixels(boxes, scale)
    finer = filled.clone()
    for top, bottom, left, right in boxes:
        box = (..., slice(top, bottom), slice(left, right))
        image, upscaled_hole = upscale_window(filled[box], hole[box], scale)  # the fill, never the hole's content
        finer[box] = F.avg_pool2d(refine(image, upscaled_hole, image), scale)  # s x the box's size -> its size
    return blend_finer(filled, hole, finer)


def _blend_edges(hole: Tensor, filled: Tensor, options: InpaintOptions) -> Tensor:
    """``filled`` (1 x 3 x H x W, composited) with its pixels near the known region blended with a
    biharmonic continuation of the photo, where the network is weakest (edge_blend.py)."""
    if not options.edge_blend:
        return filled
    blended = edge_blend(filled[0].permute(1, 2, 0).numpy(), hole[0, 0].numpy() > 0.5)
    return torch.from_numpy(blended).permute(2, 0, 1)[None]


def resized_hole(hole: Tensor, resize_limit: int) -> Tensor:
    """``hole`` (1 x 1 x H x W float) at the resize strategy's working size, long side ``resize_limit``:
    a pixel is a hole if any of its area is (also what the server's memory estimate looks at)."""
    height, width = hole.shape[-2:]
    scale = resize_limit / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    return (F.interpolate(hole, size=size, mode="area") > 0).float()


def _resized_fill(refine: Refine, image: Tensor, hole: Tensor, options: InpaintOptions, can_refine: bool) -> Tensor | None:
    """Downscale (area means; a pixel is a hole if any of its area is), fill, upscale, paste;
    None when the downscaled mask leaves too little known (fine known strips between holes vanish)."""
    height, width = image.shape[-2:]
    small_hole = resized_hole(hole, options.resize_limit)
    if not known_survives(hole, small_hole):
        return None
    # area means over the same areas as the small hole: a small known pixel averages known pixels only, so
    # what the hole holds (the object to remove) cannot bleed into the context (antialiased bicubic did)
    small = F.interpolate(image, size=small_hole.shape[-2:], mode="area")
    filled = _smooth_fill(refine, small, small_hole, options, can_refine)[-1][2]
    large = F.interpolate(filled, size=(height, width), mode="bicubic", align_corners=False).clamp(0, 1)
    return torch.where(hole > 0.5, large, image)


def _with_texture(levels: Levels, options: InpaintOptions, notices: list[str]) -> Tensor:
    """The finest smooth fill plus copied photo detail (when ``options.texture``), one band per pyramid
    level: each level adds the detail of its own octave on top of the coarser levels' (upsampled), so a
    hole filled coarse to fine gets texture at every scale it was blurred at. Falls back to the smooth
    fill with a notice when the photo offers no usable source."""
    smooth = levels[-1][2]
    if not options.texture:
        return smooth
    from wavemix_inpaint.texture import TextureSettings, TextureUnavailable, detail_activity, finer_sources, synthesize_texture

    released = TextureSettings()
    finest = dataclasses.replace(released, strength=options.texture_strength * released.strength)
    coarse = dataclasses.replace(finest, strength=options.texture_strength * released.coarse_strength)
    carried, sources = None, None  # carried: detail added so far, at the current level's size
    while len(levels) < finest.octaves:  # a photo's grain spans several octaves, even where no pyramid was needed
        image, hole, fill = levels[0]
        (small, small_hole), (small_fill, _) = downsample_pair(image, hole), downsample_pair(fill, hole)
        levels = [(small, small_hole, torch.where(small_hole > 0.5, small_fill, small)), *levels]
    finest_hole = levels[-1][1][0, 0].numpy() > 0.5
    activity = detail_activity(levels[-1][2][0].permute(1, 2, 0).numpy(), finest_hole, finest)  # how busy, from the finest level
    for number, (_, hole, fill) in enumerate(levels, start=1):
        base = fill if carried is None else (fill + upsample_fill(carried, torch.zeros_like(fill), hole)).clamp(0, 1)
        settings = finest if number == len(levels) else coarse
        level_hole = hole[0, 0].numpy() > 0.5
        seeded = sources is not None and settings.seed_from_coarser
        prior = finer_sources(sources, level_hole.shape) if seeded else None
        try:
            textured, sources = synthesize_texture(
                base[0].permute(1, 2, 0).numpy(), level_hole, options.seed, settings, prior, activity
            )
            base = torch.from_numpy(textured).permute(2, 0, 1)[None]
        except TextureUnavailable as reason:
            sources = None
            if number == len(levels):  # a coarse level may be too small to copy from; the finest must not
                notices.append(f"texture skipped ({reason}): the smooth fill is kept")
                return smooth
        carried = base - fill
    return smooth + carried
