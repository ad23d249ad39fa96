"""Edge pass: the pixels near the known region refilled by the network one level finer than the photo."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import wavemix_inpaint.inference.pipeline as pipeline
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.inference import InpaintOptions, fill
from wavemix_inpaint.inference.edge_pass import edge_pass_plan, native_weight, upscaled_pixels

NATIVE, UPSCALED = 0.2, 0.8


class Recorder:
    """A stand-in network: fills the hole with NATIVE when it starts from its own prefill (no estimate) and
    with UPSCALED when it refines a given estimate; records the size of every call."""

    def __init__(self) -> None:
        self.sizes: list[tuple[int, int]] = []

    def __call__(self, window: torch.Tensor, mask: torch.Tensor, estimate: torch.Tensor | None) -> torch.Tensor:
        self.sizes.append(tuple(window.shape[-2:]))
        value = NATIVE if estimate is None else UPSCALED
        return torch.where(mask > 0.5, torch.full_like(window, value), window)


def square_hole(size: int = 40, top: int = 8, side: int = 24) -> torch.Tensor:
    hole = torch.zeros(1, 1, size, size, dtype=torch.bool)
    hole[..., top : top + side, top : top + side] = True
    return hole


def test_near_pixels_take_the_finer_fill_and_deep_pixels_keep_the_native_one():
    image = torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(0))
    hole = square_hole()
    network = Recorder()
    out = fill(network, image, hole, InpaintOptions(), can_refine=True).image
    assert (120, 120) in network.sizes  # one level 3x finer than the 40 x 40 photo
    assert torch.equal(out[~hole.expand_as(out)], image[~hole.expand_as(image)])  # known pixels untouched
    assert torch.allclose(out[..., 8, 8:32], torch.full((1, 3, 24), UPSCALED))  # the hole's edge row: d <= 4
    assert torch.allclose(out[..., 19:21, 19:21], torch.full((1, 3, 2, 2), NATIVE))  # its centre: d >= 11
    middle = out[0, 0, 14, 20].item()  # 6 px from the known region: half way along the ramp
    assert NATIVE < middle < UPSCALED


def mean_of_known(window: torch.Tensor, mask: torch.Tensor, estimate: torch.Tensor | None) -> torch.Tensor:
    """A smooth stand-in network: the hole gets the mean of the known pixels it sees."""
    known = mask < 0.5
    mean = (window * known).sum(dim=(-2, -1), keepdim=True) / known.sum(dim=(-2, -1), keepdim=True)
    return torch.where(mask > 0.5, mean.expand_as(window), window)


@pytest.mark.parametrize(
    "options",
    [
        InpaintOptions(),  # the edge pass at 3x
        InpaintOptions(strategy="resize", resize_limit=48),  # the photo downscaled first
        InpaintOptions(strategy="crop", crop_trigger=40, edge_scale=2),
    ],
)
def test_what_the_hole_holds_never_reaches_the_fill(options):
    # The hole's content (the object to remove) must not leak into the context the network sees: not
    # through the upscaled window of the edge pass, nor through the downscaled photo of strategy resize.
    generator = torch.Generator().manual_seed(1)
    image = torch.rand(1, 3, 64, 96, generator=generator)
    hole = torch.zeros(1, 1, 64, 96, dtype=torch.bool)
    hole[..., 20:23, 5:70] = True  # a 3 px stroke
    hole[..., 35:50, 60:80] = True  # and a box
    other = torch.where(hole, torch.rand(1, 3, 64, 96, generator=generator), image)
    first = fill(mean_of_known, image, hole, options, can_refine=True).image
    second = fill(mean_of_known, other, hole, options, can_refine=True).image
    assert torch.equal(first[hole.expand_as(first)], second[hole.expand_as(second)])


@pytest.mark.parametrize("changes, can_refine", [({"edge_scale": 1}, True), ({}, False)])
def test_off_or_without_estimates_the_edge_blend_stays(changes, can_refine):
    image = torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(2))
    hole = square_hole()
    network = Recorder()
    out = fill(network, image, hole, InpaintOptions(**changes), can_refine=can_refine).image
    assert network.sizes == [(40, 40)]  # no finer level
    plain = fill(Recorder(), image, hole, InpaintOptions(edge_blend=False, **changes), can_refine=can_refine).image
    assert not torch.equal(out, plain)  # the biharmonic blend changed the edge
    assert torch.allclose(out[..., 19:21, 19:21], plain[..., 19:21, 19:21])


def test_the_scale_falls_to_what_fits_the_budget(monkeypatch):
    hole = np.zeros((40, 40), bool)
    hole[8:32, 8:32] = True  # its window (the hole plus the margin) is the whole 40 x 40 image
    for budget, expected in [(9 * 1600, 3), (9 * 1600 - 1, 2), (4 * 1600, 2), (4 * 1600 - 1, 1)]:
        assert edge_pass_plan(hole, 3, margin=48, budget=budget)[0] == expected
    assert edge_pass_plan(hole, 1, margin=48)[0] == 1


def test_a_large_window_is_left_to_the_edge_blend(monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_UPSCALED_PIXELS", 3000)
    image = torch.rand(1, 3, 40, 40, generator=torch.Generator().manual_seed(3))
    network = Recorder()
    fill(network, image, square_hole(), InpaintOptions(), can_refine=True)
    assert network.sizes == [(40, 40)]


def test_the_budget_is_for_the_whole_image_not_each_window(monkeypatch):
    image = torch.rand(1, 3, 300, 300, generator=torch.Generator().manual_seed(4))
    hole = torch.zeros(1, 1, 300, 300, dtype=torch.bool)
    hole[..., 20:24, 20:40] = True  # two far-apart strokes: two crop windows
    hole[..., 260:264, 250:270] = True
    options = InpaintOptions(crop_trigger=100)
    first_window = upscaled_pixels(edge_pass_plan(hole[0, 0, :100, :100].numpy(), 3, options.refine_margin)[1], 3)
    monkeypatch.setattr(pipeline, "MAX_UPSCALED_PIXELS", first_window + 100)  # room for one window at 3x
    network = Recorder()
    fill(network, image, hole, options, can_refine=True)
    native = [size for size in network.sizes if max(size) <= 100]
    assert len(native) == 2 and len(network.sizes) == 3  # both windows filled, only the first one finer


def test_native_weight_ramps_from_the_known_region():
    hole = np.zeros((30, 30), bool)
    hole[:, 10:] = True  # the known region is the left 10 columns
    weight = native_weight(hole)[0, 0]
    assert weight[15, 10:14].max() == 0  # within NEAR = 4 px
    assert weight[15, 18:].min() == 1  # beyond NEAR + RAMP = 8 px
    assert 0 < weight[15, 15] < 1


@pytest.mark.parametrize("value", [0, 5, 2.5, True])
def test_edge_scale_must_be_a_small_positive_integer(value):
    with pytest.raises(InputError, match="edge_scale"):
        InpaintOptions(edge_scale=value)


def test_only_the_windows_around_the_holes_are_upscaled_not_the_photo():
    # strategy full on a large photo with one small hole: the finer level is the hole plus its margin
    image = torch.rand(1, 3, 600, 800, generator=torch.Generator().manual_seed(5))
    hole = torch.zeros(1, 1, 600, 800, dtype=torch.bool)
    hole[..., 300:306, 400:420] = True
    network = Recorder()
    out = fill(network, image, hole, InpaintOptions(strategy="full"), can_refine=True).image
    assert network.sizes == [(600, 800), ((6 + 32) * 3, (20 + 32) * 3)]  # 16 px of the photo = 48 of the finer level
    assert torch.allclose(out[..., 300, 400:420], torch.full((1, 3, 20), UPSCALED))
