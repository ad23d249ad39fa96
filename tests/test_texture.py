"""The texture stage and the coarse-to-fine pyramid: real behaviour on small synthetic photos."""

from __future__ import annotations

import subprocess
import sys

import numba
import numpy as np
import pytest
import torch

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.inference import InpaintOptions, fill
from wavemix_inpaint.inpainter import Inpainter, InpaintNotice
from wavemix_inpaint.metrics.texture import detail_energy
from wavemix_inpaint.models import create_model
from wavemix_inpaint.models.pyramid import (
    coarse_to_fine,
    downsample_pair,
    hole_thickness,
    keep_hole_mean,
    pyramid_levels,
    upsample_fill,
)
from wavemix_inpaint.texture import (
    TextureSettings,
    TextureUnavailable,
    detail_activity,
    finer_sources,
    synthesize_texture,
)


def grainy_photo(height: int = 64, width: int = 80, seed: int = 0) -> np.ndarray:
    """A two-region photo: smooth sky on top, grainy ground below (float32 H x W x 3 in [0, 1])."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width, 3), np.float32)
    image[: height // 2] = (0.55, 0.7, 0.9)
    image[height // 2 :] = (0.35, 0.45, 0.2)
    image[height // 2 :] += 0.12 * rng.standard_normal((height - height // 2, width, 1)).astype(np.float32)
    return np.clip(image, 0, 1)


def smooth_fill(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """What a smooth network gives: each hole pixel gets its region's mean colour."""
    out = image.copy()
    half = image.shape[0] // 2
    for rows in (slice(0, half), slice(half, None)):
        region = hole[rows]
        out[rows][region] = image[rows][~region].mean(axis=0)
    return out


@pytest.fixture
def scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    image = grainy_photo()
    hole = np.zeros(image.shape[:2], bool)
    hole[20:50, 25:55] = True
    return image, hole, smooth_fill(image, hole)


def test_texture_adds_grain_where_the_photo_has_grain_and_keeps_sky_smooth(scene):
    image, hole, smooth = scene
    out = synthesize_texture(smooth, hole, seed=0).image
    assert np.array_equal(out[~hole], smooth[~hole])  # known pixels untouched
    ground, sky = hole.copy(), hole.copy()
    ground[:36], sky[28:] = False, False  # hole rows well inside each region
    as_tensor = lambda a: torch.from_numpy(a).permute(2, 0, 1)[None]  # noqa: E731
    energy = lambda a, m: float(detail_energy(as_tensor(a), torch.from_numpy(m)[None, None], erode=3))  # noqa: E731
    assert energy(out, ground) > 0.4 * energy(image, ground)  # the ground gets real grain...
    assert energy(out, sky) < 0.1 * energy(image, ground)  # ...the sky stays smooth
    mean_shift = np.abs(out[hole].mean(axis=0) - smooth[hole].mean(axis=0)).max()
    assert mean_shift < 0.02  # detail only: the network's colours are kept


def test_texture_is_deterministic_for_a_seed_whatever_the_threads(scene):
    _, hole, smooth = scene
    single = synthesize_texture(smooth, hole, seed=3).image  # the tests run on one torch thread
    torch.set_num_threads(2)  # the texture kernels follow torch's thread budget
    try:
        double = synthesize_texture(smooth, hole, seed=3).image
    finally:
        torch.set_num_threads(1)
    assert np.array_equal(single, double)
    assert not np.array_equal(single, synthesize_texture(smooth, hole, seed=4).image)


FIRST_AND_LATER_FILLS = """
import numpy as np, torch
from wavemix_inpaint.inpainter import Inpainter
from wavemix_inpaint.models import create_model
torch.manual_seed(0)
torch.set_num_threads(1)
inpainter = Inpainter(create_model("wavemix-tiny").eval(), device="cpu")
image = torch.rand(1, 3, 96, 128)
image[..., :48, :] = 0.6
hole = torch.zeros(1, 1, 96, 128)
hole[..., 30:70, 40:90] = 1
fills = [inpainter(image, hole, texture=True) for _ in range(3)]
print(torch.get_num_threads(), all(torch.equal(fills[0], later) for later in fills[1:]))
"""


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 cores for numba's pool to differ from 1 thread")
def test_the_first_texture_fill_of_a_process_equals_later_ones_and_keeps_the_thread_budget():
    # numba's OpenMP pool, started by the first texture fill, used to raise torch's thread count to all
    # cores, so the first fill of a process (one thread) and later ones (two) summed in different orders
    done = subprocess.run([sys.executable, "-c", FIRST_AND_LATER_FILLS], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "True"]


def test_texture_on_a_coarser_search_grid_for_large_holes():
    image = grainy_photo(160, 200)
    hole = np.zeros(image.shape[:2], bool)
    hole[50:130, 60:140] = True
    smooth = smooth_fill(image, hole)
    out = synthesize_texture(smooth, hole, settings=TextureSettings(max_search_pixels=800)).image  # 6400 px: factor 3
    assert np.array_equal(out[~hole], smooth[~hole])
    ground = hole.copy()
    ground[:90] = False
    assert out[ground].std(axis=0).mean() > 0.5 * image[ground].std(axis=0).mean()


def test_a_coarser_search_grid_is_cut_in_exact_blocks_when_the_size_is_not_a_multiple():
    # 1000 px at factor 3: an area resize to 334 cells drifts by 0.4 cell at row 602, so the hole's first
    # row fell in a cell that was never searched and copied from the image's top-left corner
    image = (np.random.default_rng(0).random((1000, 1000, 3)) * 0.5 + 0.25).astype(np.float32)
    hole = np.zeros((1000, 1000), bool)
    hole[602:608, 50:950] = True
    sources = synthesize_texture(image, hole, seed=0, settings=TextureSettings(max_search_pixels=600)).sources  # factor 3
    copied_from = sources[hole]
    assert not hole[copied_from[:, 0], copied_from[:, 1]].any()  # never from the hole
    assert not ((copied_from[:, 0] < 3) & (copied_from[:, 1] < 3)).any()  # nor from the corner


def test_sources_are_known_pixels_and_carry_to_the_finer_level(scene):
    _, hole, smooth = scene
    sources = synthesize_texture(smooth, hole, seed=0).sources
    ys, xs = sources[hole][:, 0], sources[hole][:, 1]
    assert (sources[~hole] == -1).all() and not hole[ys, xs].any()  # every hole pixel copies a known pixel
    finer = finer_sources(sources, (2 * hole.shape[0], 2 * hole.shape[1] - 1))
    assert finer.shape == (2 * hole.shape[0], 2 * hole.shape[1] - 1, 2)
    y, x = 2 * 30 + 1, 2 * 40  # a child of hole pixel (30, 40): twice its parent's source plus its offset
    assert tuple(finer[y, x]) == (2 * sources[30, 40, 0] + 1, 2 * sources[30, 40, 1])
    assert (finer[:2, :2] == -1).all()  # children of known pixels get no prior


def test_a_search_seeded_by_the_coarser_level_keeps_the_grain():
    image = grainy_photo(128, 160)
    hole = np.zeros(image.shape[:2], bool)
    hole[40:100, 50:110] = True
    smooth = smooth_fill(image, hole)
    coarse_hole = hole[::2, ::2]
    coarse = synthesize_texture(smooth[::2, ::2].copy(), coarse_hole, seed=1)
    prior = finer_sources(coarse.sources, hole.shape)
    seeded = synthesize_texture(smooth, hole, seed=1, settings=TextureSettings(seeded_iterations=1), prior=prior)
    assert np.array_equal(seeded.image[~hole], smooth[~hole])
    ground = hole.copy()
    ground[:72] = False
    assert seeded.image[ground].std(axis=0).mean() > 0.5 * image[ground].std(axis=0).mean()
    again = synthesize_texture(smooth, hole, seed=1, settings=TextureSettings(seeded_iterations=1), prior=prior)
    assert np.array_equal(seeded.image, again.image)
    # the seed is used: most hole pixels keep a source near their parent's (within a patch of it)
    kept = np.abs(seeded.sources[hole] - prior[hole]).max(axis=1) <= 8
    assert kept.mean() > 0.5


def test_activity_deep_inside_a_large_hole_is_the_surroundings_activity():
    rng = np.random.default_rng(0)
    photo = np.clip(0.5 + 0.1 * rng.standard_normal((200, 200, 1)), 0, 1).repeat(3, axis=2).astype(np.float32)
    hole = np.zeros((200, 200), bool)
    hole[30:170, 30:170] = True  # 70 px from the centre to the nearest known pixel
    photo[hole] = 0.5  # a smooth fill
    activity = detail_activity(photo, hole)
    known = np.median(activity[~hole])
    assert 0.8 * known < activity[100, 100] < 1.2 * known  # extended, not faded towards zero


def test_a_copy_from_a_busier_place_is_damped_to_the_calm_place_it_lands_in(scene):
    image, hole, smooth = scene
    calm = np.full(hole.shape, 1e-3, np.float32)  # pretend the whole hole should be calm
    busy = synthesize_texture(smooth, hole, seed=0).image
    damped = synthesize_texture(smooth, hole, seed=0, activity=np.where(hole, calm, 1.0).astype(np.float32)).image
    assert np.abs(damped - smooth)[hole].max() < 0.01 < np.abs(busy - smooth)[hole].max()
    off = TextureSettings(match_amplitude=False)  # the switch: the activity map is then not used
    undamped = synthesize_texture(smooth, hole, seed=0, settings=off, activity=calm)
    assert np.array_equal(undamped.image, synthesize_texture(smooth, hole, seed=0, settings=off).image)
    assert np.abs(undamped.image - smooth)[hole].max() > 0.01


def test_texture_refuses_when_nothing_usable_is_left(scene):
    _, _, smooth = scene
    almost_all = np.ones(smooth.shape[:2], bool)
    almost_all[:3] = False
    with pytest.raises(TextureUnavailable):
        synthesize_texture(smooth, almost_all)


def test_pipeline_falls_back_to_the_smooth_fill_with_a_notice():
    inpainter = Inpainter(create_model("wavemix-tiny").eval(), device="cpu")
    image = (grainy_photo() * 255).astype(np.uint8)
    almost_all = np.ones(image.shape[:2], bool)
    almost_all[:2, :2] = False
    with pytest.warns(InpaintNotice, match="texture skipped"):
        textured = inpainter(image, almost_all, texture=True)
    assert np.array_equal(textured, inpainter(image, almost_all, texture=False))


def test_texture_strength_scales_the_added_detail_and_is_validated():
    inpainter = Inpainter(create_model("wavemix-tiny").eval(), device="cpu")
    image = (grainy_photo(seed=4) * 255).astype(np.uint8)
    hole = np.zeros(image.shape[:2], bool)
    hole[36:60, 20:60] = True  # in the grainy ground
    smooth = inpainter(image, hole, texture=False).astype(float)
    added = {
        s: np.abs(inpainter(image, hole, texture=True, texture_strength=s).astype(float) - smooth)[hole].mean()
        for s in (0.35, 1.0)
    }
    assert added[1.0] > 5  # the full texture adds grain of several levels
    assert 0.2 < added[0.35] / added[1.0] < 0.5  # a third of the amplitude (8-bit rounding and clipping aside)
    assert np.array_equal(inpainter(image, hole, texture=False, texture_strength=0.35), smooth.astype(np.uint8))
    for bad in (0, 1.5, float("nan"), "0.5", True):
        with pytest.raises(InputError, match="texture_strength must be a number above 0 and at most 1"):
            InpaintOptions(texture_strength=bad)


# ------------------------------------------------------------------------------------------ the pyramid


def test_thickness_and_levels():
    hole = np.zeros((400, 400), bool)
    hole[100:300, 100:300] = True  # 200 px box: ~100 px from its centre to the known pixels
    assert 95 <= hole_thickness(hole) <= 101
    assert pyramid_levels(hole, target_thickness=12) == 3  # 100 / 2^3 ~ 12.5, and 400 / 8 = 50 >= 48
    assert pyramid_levels(hole, target_thickness=200) == 0
    thin = np.zeros((400, 400), bool)
    thin[:, 198:202] = True  # a long thin stroke needs no pyramid at any size
    assert pyramid_levels(thin) == 0
    box = np.zeros((100, 100), bool)
    box[10:90, 10:90] = True
    assert pyramid_levels(box, target_thickness=1) == 1  # the short side limits the depth


def known_mean_refine(image: torch.Tensor, mask: torch.Tensor, estimate: torch.Tensor | None) -> torch.Tensor:
    """A stand-in network: the hole gets the mean colour of the known pixels (NaN when none is known)."""
    known = (mask < 0.5).expand_as(image)
    mean = (image * known).sum((-2, -1), keepdim=True) / known.sum((-2, -1), keepdim=True)
    start = estimate if estimate is not None else mean.expand_as(image)
    return torch.where(mask > 0.5, start, image)


def test_no_level_or_resized_image_loses_every_known_pixel():
    # a thin known frame vanishes at coarse levels (a coarse pixel is a hole if any of its pixels is):
    # the network then got nothing to fill from and filled black
    image = torch.full((1, 3, 200, 200), 0.8)
    frame = torch.ones(1, 1, 200, 200, dtype=torch.bool)
    frame[..., 3:-3, 3:-3] = False
    frame = ~frame
    assert pyramid_levels(frame[0, 0].numpy()) == 1  # 3 px -> 1 px at level 1; gone at level 2
    out = fill(known_mean_refine, image, frame, InpaintOptions(), can_refine=True)
    assert torch.allclose(out.image, image) and not out.notices
    rows = torch.ones(1, 1, 100, 2000, dtype=torch.bool)
    rows[..., ::2, :] = False  # every other row known: all of them merge into holes at 1280 px
    out = fill(known_mean_refine, torch.full((1, 3, 100, 2000), 0.8), rows, InpaintOptions(strategy="resize"), True)
    assert torch.allclose(out.image, torch.full_like(out.image, 0.8))
    assert out.notices == [
        "strategy resize: at 1280 px the mask leaves too little of the photo known; filled at full resolution instead"
    ]


def test_downsample_and_upsample_keep_known_pixels_and_mark_partial_holes():
    image = torch.rand(1, 3, 9, 11)
    mask = torch.zeros(1, 1, 9, 11)
    mask[..., 4, 5] = 1
    small_image, small_mask = downsample_pair(image, mask)
    assert small_image.shape[-2:] == (5, 6) and small_mask.sum() == 1 and small_mask[0, 0, 2, 2] == 1
    estimate = upsample_fill(torch.zeros_like(small_image), image, mask)
    assert torch.equal(estimate[mask.expand_as(image) < 0.5], image[mask.expand_as(image) < 0.5])
    assert estimate[0, :, 4, 5].abs().sum() == 0


def test_coarse_to_fine_fills_the_coarsest_level_first_then_refines_every_level():
    calls = []

    def refine(image, mask, estimate):
        calls.append((tuple(image.shape[-2:]), estimate is None))
        start = estimate if estimate is not None else image * (1 - mask) + 0.5 * mask
        return torch.where(mask > 0.5, start, image)

    image, mask = torch.rand(1, 3, 64, 96), torch.zeros(1, 1, 64, 96)
    mask[..., 10:50, 20:70] = 1
    levels = coarse_to_fine(refine, image, mask, levels=2)
    assert calls == [((16, 24), True), ((32, 48), False), ((64, 96), False)]
    assert [tuple(fill.shape[-2:]) for _, _, fill in levels] == [(16, 24), (32, 48), (64, 96)]
    out = levels[-1][2]
    assert torch.equal(out[mask.expand_as(out) < 0.5], image[mask.expand_as(image) < 0.5])


def test_finer_levels_keep_the_coarsest_levels_hole_colour():
    """A refiner that darkens whatever it is given must not darken the hole level after level."""

    def darkening_refine(image, mask, estimate):
        start = estimate if estimate is not None else image * (1 - mask) + 0.5 * mask
        detail = 0.05 * torch.sin(torch.arange(image.shape[-1], dtype=image.dtype))  # some structure to keep
        return torch.where(mask > 0.5, start - 0.1 + detail, image)

    image, mask = torch.full((1, 3, 64, 96), 0.6), torch.zeros(1, 1, 64, 96)
    mask[..., 8:56, 16:80] = 1
    levels = coarse_to_fine(darkening_refine, image, mask, levels=2)
    hole = mask.expand_as(image) > 0.5
    coarse_hole = levels[0][1].expand_as(levels[0][2]) > 0.5
    coarse_mean = levels[0][2][coarse_hole].mean()
    assert abs(float(coarse_mean) - 0.4) < 0.02  # the coarsest level's own (darkened) fill
    out = levels[-1][2]
    assert abs(float(out[hole].mean() - coarse_mean)) < 0.03  # not 0.2 darker after two more passes
    assert out[hole].std() > 0.02  # the finer levels' detail is kept
    assert torch.equal(out[~hole], image[~hole])
    assert torch.equal(keep_hole_mean(image, image - 0.2, mask)[~hole], image[~hole])


def test_the_pipeline_uses_the_pyramid_only_for_models_trained_to_refine_an_estimate():
    image, hole = torch.rand(1, 3, 200, 200), torch.zeros(1, 1, 200, 200, dtype=torch.bool)
    hole[..., 40:160, 40:160] = True
    shapes = []

    def refine(window, mask, estimate):
        shapes.append(tuple(window.shape[-2:]))
        return window

    fill(refine, image, hole, InpaintOptions(edge_scale=1), can_refine=True)  # no level finer than the photo
    assert shapes[0] == (100, 100) and shapes[-1] == (200, 200)  # 60 px thick: one level down
    shapes.clear()
    fill(refine, image, hole, InpaintOptions(), can_refine=False)
    assert shapes == [(200, 200)]
    assert Inpainter(create_model("wavemix-tiny", prefill="telea"), device="cpu").can_refine
    assert not Inpainter(create_model("wavemix-tiny"), device="cpu").can_refine  # zeros in the hole: trained on those


def test_finer_levels_refine_only_windows_around_each_hole_region():
    """With a coarser level's estimate, the network sees each hole region plus refine_margin pixels of
    that level; the coarsest level (no estimate) still sees the whole image, and the result is pasted
    into the estimate so that everything outside the windows is the coarser fill or the known pixels."""
    image, hole = torch.rand(1, 3, 256, 384), torch.zeros(1, 1, 256, 384, dtype=torch.bool)
    hole[..., 40:120, 40:120] = True  # two far-apart 80 px holes: one pyramid level
    hole[..., 150:230, 280:360] = True
    calls = []

    def refine(window, mask, estimate):
        calls.append((tuple(window.shape[-2:]), estimate is None))
        start = estimate if estimate is not None else torch.full_like(window, 0.5)
        return torch.where(mask > 0.5, start + 0.1, window)

    options = InpaintOptions(refine_margin=16, edge_blend=False, edge_scale=1)  # the edge pass: test_edge_pass.py
    out = fill(refine, image, hole, options, can_refine=True).image
    assert calls == [((128, 192), True), ((112, 112), False), ((112, 112), False)]  # 80 + 2 x 16 each
    known = ~hole.expand_as(image)
    assert torch.equal(out[known], image[known])
    inside = out[..., 42:118, 42:118]  # away from the bilinear seam with the known pixels
    assert torch.allclose(inside, torch.full_like(inside, 0.6))  # coarse 0.5 + 0.1, refined +0.1, mean kept
    for wide_margin_or_many_specks in (InpaintOptions(refine_margin=1000), InpaintOptions(refine_margin=16)):
        speckled = hole.clone()
        if wide_margin_or_many_specks.refine_margin == 16:
            speckled[..., 4::40, 4::40] = True  # windows around 60 specks would cover most of the level
        calls.clear()
        fill(refine, image, speckled, wide_margin_or_many_specks.replace(edge_blend=False, edge_scale=1), can_refine=True)
        assert calls == [((128, 192), True), ((256, 384), False)]  # one call on the whole level instead
    with pytest.raises(InputError, match="refine_margin"):
        InpaintOptions(refine_margin=0)
