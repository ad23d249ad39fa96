"""Realism metrics: they rank controlled cases the way a person would, and HaarPSI matches the paper."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from wavemix_inpaint.metrics.texture import (
    compute_realism_metrics,
    detail_energy,
    detail_ratio,
    haar_psi,
    hole_colour_error,
    wavelet_texture_distance,
)


def stationary_texture(size: int = 128, seed: int = 0) -> torch.Tensor:
    """A colour texture whose statistics are the same everywhere: band-pass filtered noise on a base colour."""
    rng = np.random.default_rng(seed)
    noise = torch.from_numpy(rng.standard_normal((1, 1, size + 8, size + 8))).float()
    kernel = torch.ones(1, 1, 3, 3) / 9
    texture = (noise - F.conv2d(F.conv2d(noise, kernel, padding=1), kernel, padding=1))[..., 4:-4, 4:-4]
    base = torch.tensor([0.35, 0.5, 0.25]).view(1, 3, 1, 1)
    return (base + 0.12 * texture).clamp(0, 1)


@pytest.fixture
def case() -> dict[str, torch.Tensor]:
    image = stationary_texture()
    mask = torch.zeros(1, 1, 128, 128)
    mask[..., 40:90, 30:100] = 1
    hole = mask > 0.5
    kernel = torch.ones(3, 1, 5, 5) / 25
    blur = F.conv2d(F.pad(image, (2, 2, 2, 2), mode="replicate"), kernel, groups=3)
    noise = (blur + 0.3 * torch.from_numpy(np.random.default_rng(1).standard_normal((1, 1, 128, 128))).float()).clamp(0, 1)
    copied = torch.roll(image, 64, dims=-1)  # the same texture, from elsewhere in the image
    return {
        "image": image,
        "mask": mask,
        "truth": image,
        "blur": torch.where(hole, blur, image),
        "noise": torch.where(hole, noise, image),
        "copy": torch.where(hole, copied, image),
    }


def test_texture_distance_ranks_truth_then_copy_then_noise_and_blur(case):
    distance = {
        name: float(wavelet_texture_distance(case[name], case["image"], case["mask"]))
        for name in ("truth", "copy", "noise", "blur")
    }
    assert distance["truth"] == 0.0
    assert distance["copy"] < 0.3 * min(distance["noise"], distance["blur"])


def test_detail_ratio_is_one_for_truth_low_for_blur_high_for_noise(case):
    truth = detail_energy(case["image"], case["mask"])
    ratios = {name: detail_ratio(detail_energy(case[name], case["mask"]), truth) for name in ("truth", "blur", "noise", "copy")}
    assert ratios["truth"] == pytest.approx(1.0)
    assert ratios["blur"] < 0.2
    assert ratios["noise"] > 2.0
    assert 0.7 < ratios["copy"] < 1.4


def test_haar_psi_is_one_for_identical_and_falls_with_damage(case):
    scores = {name: float(haar_psi(case[name], case["image"])) for name in ("truth", "blur", "noise")}
    assert scores["truth"] == pytest.approx(1.0, abs=1e-6)
    assert scores["blur"] < 0.99 and scores["noise"] < scores["blur"]


def _reference_haar_psi(reference: np.ndarray, distorted: np.ndarray) -> float:
    """HaarPSI written straight from the paper's equations with scipy (images H x W x 3 in 0..255)."""
    from scipy.signal import convolve2d

    def yiq(image):
        r, g, b = image[..., 0], image[..., 1], image[..., 2]
        return 0.299 * r + 0.587 * g + 0.114 * b, 0.596 * r - 0.274 * g - 0.322 * b, 0.211 * r - 0.523 * g + 0.312 * b

    def subsample(channel):
        return convolve2d(channel, np.ones((2, 2)) / 4, mode="same")[::2, ::2]

    def haar(channel, scales=3):
        out = []
        for transpose in (False, True):
            for scale in range(1, scales + 1):
                kernel = 2.0**-scale * np.ones((2**scale, 2**scale))
                kernel[: 2 ** (scale - 1)] *= -1
                out.append(convolve2d(channel, kernel.T if transpose else kernel, mode="same"))
        return out

    c, alpha = 30.0, 4.2
    ry, ri, rq = (subsample(x) for x in yiq(reference))
    dy, di, dq = (subsample(x) for x in yiq(distorted))
    rc, dc = haar(ry), haar(dy)
    sims, weights = [], []
    for o in range(2):
        weights.append(np.maximum(abs(rc[2 + 3 * o]), abs(dc[2 + 3 * o])))
        sims.append(
            sum(
                (2 * abs(rc[s + 3 * o]) * abs(dc[s + 3 * o]) + c) / (rc[s + 3 * o] ** 2 + dc[s + 3 * o] ** 2 + c)
                for s in range(2)
            )
            / 2
        )
    chroma = []
    for a, b in ((ri, di), (rq, dq)):
        a, b = abs(convolve2d(a, np.ones((2, 2)) / 4, mode="same")), abs(convolve2d(b, np.ones((2, 2)) / 4, mode="same"))
        chroma.append((2 * a * b + c) / (a**2 + b**2 + c))
    sims.append((chroma[0] + chroma[1]) / 2)
    weights.append((weights[0] + weights[1]) / 2)
    sims, weights = np.stack(sims), np.stack(weights)
    pooled = np.sum(weights / (1 + np.exp(-alpha * sims))) / np.sum(weights)
    return float((np.log(pooled / (1 - pooled)) / alpha) ** 2)


def test_haar_psi_matches_a_scipy_implementation_of_the_paper(case):
    for name in ("blur", "noise", "copy"):
        expected = _reference_haar_psi(
            case["image"][0].permute(1, 2, 0).double().numpy() * 255, case[name][0].permute(1, 2, 0).double().numpy() * 255
        )
        assert float(haar_psi(case[name], case["image"])) == pytest.approx(expected, rel=1e-5)


def test_hole_colour_error_in_8bit_levels(case):
    shifted = torch.where(
        case["mask"] > 0.5, (case["image"] + torch.tensor([0.0, 10 / 255, 0.0]).view(1, 3, 1, 1)), case["image"]
    )
    assert float(hole_colour_error(shifted, case["image"], case["mask"])) == pytest.approx(10.0, abs=0.05)


def test_metrics_are_nan_where_the_hole_is_too_small():
    image = stationary_texture(32)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 10, 10] = 1  # one pixel: nothing left after erosion, no level-1 coefficient half inside
    metrics = compute_realism_metrics(image, image, mask)
    assert torch.isnan(metrics["texture_distance"]).all() and torch.isnan(metrics["detail"]).all()
    assert set(metrics) == {"texture_distance", "detail", "detail_truth", "haar_psi", "hole_colour_error"}
