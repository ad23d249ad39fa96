"""Edge blend: the fill near the known region blended with a biharmonic continuation of the photo."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from skimage.restoration import inpaint_biharmonic

import wavemix_inpaint.inference.edge_blend as edge_module
from wavemix_inpaint.inference import InpaintOptions, fill
from wavemix_inpaint.inference.edge_blend import biharmonic_band, distance_to_known, edge_blend


def smooth_photo(size: int = 64) -> np.ndarray:
    """A smooth colour image (a low-order polynomial per channel), H x W x 3 in [0, 1]."""
    y, x = np.mgrid[0:size, 0:size] / size
    return np.stack([0.2 + 0.5 * x, 0.3 + 0.3 * y + 0.2 * x * y, 0.8 - 0.4 * (x - 0.5) ** 2 - 0.3 * y], axis=-1)


def thin_strokes(size: int = 64) -> np.ndarray:
    hole = np.zeros((size, size), bool)
    hole[20:23, 5:60] = True  # 3 px wide
    hole[30:58, 40:44] = True  # 4 px wide
    return hole


def test_a_linear_image_is_continued_exactly():
    y, x = np.mgrid[0:40, 0:50].astype(np.float64)
    ramp = np.stack([0.01 * x, 0.005 * y + 0.1, 0.3 + 0.004 * (x + y)], axis=-1)
    unknown = np.zeros((40, 50), bool)
    unknown[10:30, 12:38] = True
    start = np.where(unknown[..., None], 0.9, ramp)  # a wrong value inside
    assert np.abs(biharmonic_band(start, unknown) - ramp).max() < 1e-4


def test_known_pixels_and_the_deep_fill_are_unchanged_and_the_edge_is_blended():
    rng = np.random.default_rng(0)
    photo = rng.random((80, 80, 3)).astype(np.float32)
    hole = np.zeros((80, 80), bool)
    hole[20:60, 20:60] = True
    filled = photo.copy()
    filled[hole] = rng.random((int(hole.sum()), 3))
    out = edge_blend(filled, hole, ramp=4.0, band=8)
    distance = distance_to_known(hole)
    assert np.array_equal(out[~hole], photo[~hole])
    assert np.array_equal(out[distance >= 4], filled[distance >= 4])
    assert not np.allclose(out[hole & (distance < 2)], filled[hole & (distance < 2)])


def test_a_bad_fill_of_thin_holes_is_pulled_to_the_smooth_photo():
    photo, hole = smooth_photo(), thin_strokes()
    filled = photo.copy()
    filled[hole] = 0.0  # the worst fill: black strokes
    out = edge_blend(filled.astype(np.float32), hole)
    before, after = np.abs(filled - photo)[hole].mean(), np.abs(out - photo)[hole].mean()
    # 2-4 px strokes: every pixel is within 2 px of the photo, so at most half of the fill is kept
    assert after < 0.4 * before
    assert out.dtype == np.float32


def test_the_band_solve_agrees_with_scikit_image_biharmonic_on_thin_holes():
    photo, hole = smooth_photo(), thin_strokes()
    ours = biharmonic_band(np.where(hole[..., None], 0.5, photo), hole)
    reference = inpaint_biharmonic(photo, hole, channel_axis=-1)
    assert np.abs(ours - reference)[hole].mean() < 0.01


def test_large_bands_are_solved_iteratively_close_to_the_direct_solve(monkeypatch):
    rng = np.random.default_rng(1)
    photo = smooth_photo() + 0.05 * rng.random((64, 64, 3))
    hole = thin_strokes()
    start = np.where(hole[..., None], 0.5, photo)
    direct = biharmonic_band(start, hole)
    monkeypatch.setattr(edge_module, "DIRECT_LIMIT", 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converges: no warning
        iterative = biharmonic_band(start, hole)
    assert np.abs(iterative - direct)[hole].max() < 0.02
    monkeypatch.setattr(edge_module, "CG_MAX_STEPS", 2)
    with pytest.warns(RuntimeWarning, match="stopped after 2 steps short of its tolerance"):
        short = biharmonic_band(start, hole)
    assert np.isfinite(short).all()


def test_a_scattered_band_without_row_pivoting_matches_scikit_image():
    """Dead pixels / a random-pixel mask, solved without row pivoting (the speed of that is measured by
    benchmarks/experiments/edge_blend_solver.py: 0.6 s instead of 88 s): still the biharmonic continuation."""
    rng = np.random.default_rng(4)
    hole = rng.random((40, 40)) < 0.5
    photo = smooth_photo(40) + 0.05 * rng.random((40, 40, 3))
    continued = biharmonic_band(np.where(hole[..., None], 0.5, photo), hole)
    reference = inpaint_biharmonic(photo, hole, channel_axis=-1)
    assert np.abs(continued - reference)[hole].max() < 0.02


@pytest.mark.parametrize("hole_value", [False, True])
def test_no_hole_or_all_hole_comes_back_unchanged(hole_value):
    filled = np.random.default_rng(2).random((16, 16, 3)).astype(np.float32)
    out = edge_blend(filled, np.full((16, 16), hole_value))
    assert np.array_equal(out, filled)


def test_the_pipeline_blends_only_when_asked():
    image = torch.from_numpy(smooth_photo()).permute(2, 0, 1)[None].float()
    hole = torch.from_numpy(thin_strokes())[None, None]

    def black_fill(window, mask, estimate):  # a model that fills every hole with black
        return torch.where(mask > 0.5, torch.zeros_like(window), window)

    blended = fill(black_fill, image, hole, InpaintOptions(), can_refine=False).image
    plain = fill(black_fill, image, hole, InpaintOptions(edge_blend=False), can_refine=False).image
    assert torch.equal(plain[hole.expand_as(plain)], torch.zeros(int(hole.sum()) * 3))
    assert torch.equal(blended[~hole.expand_as(blended)], image[~hole.expand_as(image)])
    error = (blended - image).abs()[hole.expand_as(image)].mean()
    assert error < 0.4 * (plain - image).abs()[hole.expand_as(image)].mean()
