"""Tests for wavemix_inpaint.metrics: SSIM, per-image metrics, FID maths, FID pipeline and Inception layout."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch
from skimage.metrics import structural_similarity as skimage_ssim
from torch import nn
from torchmetrics.functional.image import structural_similarity_index_measure as tm_ssim

from wavemix_inpaint.errors import CheckpointError, InputError, MissingWeightsError
from wavemix_inpaint.metrics import (
    FID_WEIGHTS_ENV,
    PSNR_CAP_DB,
    FIDInceptionV3,
    FIDMetric,
    MetricAccumulator,
    RunningStatistics,
    compute_image_metrics,
    feature_statistics,
    find_inception_weights,
    frechet_distance,
    l1,
    l2,
    load_fid_inception,
    masked_ssim,
    psnr,
    ssim,
    ssim_map,
)
from wavemix_inpaint.metrics.inception import _pool_3x3_same


def _pair(n: int = 3, c: int = 3, h: int = 40, w: int = 48, noise: float = 0.2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(n, c, h, w, generator=g)
    pred = (target + noise * torch.randn(n, c, h, w, generator=g)).clamp(0, 1)
    return pred, target


def _box_mask(n: int, h: int, w: int, top: int, left: int, size: int) -> torch.Tensor:
    mask = torch.zeros(n, 1, h, w)
    mask[..., top : top + size, left : left + size] = 1.0
    return mask


# ----------------------------------------------------------------------------------------------- SSIM


@pytest.mark.parametrize("channels", [1, 3])
def test_ssim_reflect_matches_torchmetrics(channels):
    pred, target = _pair(c=channels)
    ours = ssim(pred, target, data_range=1.0, padding="reflect")
    ref = tm_ssim(pred, target, data_range=1.0, reduction="none")
    assert ours.shape == (3,)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=0)


@pytest.mark.parametrize("channels", [1, 3])
def test_ssim_valid_matches_skimage(channels):
    pred, target = _pair(c=channels, seed=1)
    ours = ssim(pred, target, data_range=1.0, padding="valid")
    ref = [
        skimage_ssim(
            p.permute(1, 2, 0).double().numpy(),
            t.permute(1, 2, 0).double().numpy(),
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=1,
            channel_axis=-1,
        )
        for p, t in zip(pred, target)
    ]
    torch.testing.assert_close(ours.double(), torch.tensor(ref, dtype=torch.float64), atol=1e-5, rtol=0)


def test_ssim_map_shapes_and_data_range_scaling():
    pred, target = _pair(n=2, h=24, w=30)
    assert ssim_map(pred, target, data_range=1.0, padding="reflect").shape == (2, 3, 24, 30)
    assert ssim_map(pred, target, data_range=1.0, padding="valid").shape == (2, 3, 14, 20)
    scaled = ssim(pred * 255, target * 255, data_range=255.0)
    torch.testing.assert_close(scaled, ssim(pred, target, data_range=1.0), atol=1e-5, rtol=0)


@pytest.mark.parametrize("padding", ["reflect", "valid"])
def test_ssim_identical_is_one(padding):
    _, target = _pair(n=2)
    torch.testing.assert_close(ssim(target, target, data_range=1.0, padding=padding), torch.ones(2))


@pytest.mark.parametrize("padding", ["reflect", "valid"])
def test_ssim_is_differentiable(padding):
    pred, target = _pair(n=1, c=1, h=13, w=12, seed=3)
    pred = pred.double().requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda x: ssim(x, target.double(), data_range=1.0, padding=padding),
        (pred,),
        eps=1e-6,
        atol=1e-5,
        fast_mode=True,
    )


def test_ssim_rejects_bad_arguments():
    pred, target = _pair(n=1)
    with pytest.raises(InputError):
        ssim(pred, target[..., :-1], data_range=1.0)
    with pytest.raises(InputError):
        ssim(pred, target, data_range=1.0, padding="zeros")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        ssim(pred, target, data_range=0.0)
    with pytest.raises(InputError):
        ssim(pred[..., :10, :10], target[..., :10, :10], data_range=1.0, padding="valid")


# ------------------------------------------------------------------------------------ image metrics


def test_identical_images():
    _, target = _pair(n=2)
    metrics = compute_image_metrics(target, target, mask=_box_mask(2, 40, 48, 10, 10, 12))
    for name in ("ssim", "ssim_valid", "ssim_hole"):
        torch.testing.assert_close(metrics[name], torch.ones(2))
    for name in ("l1", "l2", "l1_hole", "l2_hole"):
        assert torch.equal(metrics[name], torch.zeros(2))
    for name in ("psnr", "psnr_hole"):
        torch.testing.assert_close(metrics[name], torch.full((2,), PSNR_CAP_DB))
    assert PSNR_CAP_DB == 100.0


def test_psnr_l1_l2_by_hand():
    target = torch.full((1, 3, 8, 8), 0.5)
    pred = target + 0.1
    torch.testing.assert_close(psnr(pred, target), torch.tensor([20.0]))
    torch.testing.assert_close(l1(pred, target), torch.tensor([0.1]))
    torch.testing.assert_close(l2(pred, target), torch.tensor([0.01]))
    torch.testing.assert_close(psnr(pred * 255, target * 255, data_range=255.0), torch.tensor([20.0]))

    pred, target = _pair(n=2, seed=4)
    mse = ((pred.double() - target.double()) ** 2).mean(dim=(1, 2, 3))
    torch.testing.assert_close(psnr(pred, target).double(), 10 * torch.log10(1 / mse), atol=1e-4, rtol=0)


def test_hole_metrics_only_see_hole_pixels():
    pred, target = _pair(n=2, h=40, w=48, seed=5)
    mask = _box_mask(2, 40, 48, top=14, left=16, size=10)
    hole = mask.bool().expand_as(pred)
    expected_l1 = torch.stack([(pred[i] - target[i]).abs()[hole[i]].mean() for i in range(2)])
    torch.testing.assert_close(l1(pred, target, mask=mask), expected_l1)

    before = compute_image_metrics(pred, target, mask)
    # A known pixel right next to the hole: pixel-wise hole metrics must not move.
    near = pred.clone()
    near[:, :, 13, 16] = 1.0 - near[:, :, 13, 16]
    after_near = compute_image_metrics(near, target, mask)
    for name in ("l1_hole", "l2_hole", "psnr_hole"):
        assert torch.equal(after_near[name], before[name]), name
    for name in ("l1", "l2", "psnr"):
        assert not torch.equal(after_near[name], before[name]), name
    # SSIM's 11x11 window reaches 5 px: a known pixel farther than that leaves the hole SSIM unchanged.
    far = pred.clone()
    far[:, :, 2, 2] = 1.0 - far[:, :, 2, 2]
    after_far = compute_image_metrics(far, target, mask)
    assert torch.equal(after_far["ssim_hole"], before["ssim_hole"])
    assert not torch.equal(after_far["ssim"], before["ssim"])


def test_region_argument_and_mask_broadcast():
    pred, target = _pair(n=2, seed=6)
    mask = _box_mask(1, 40, 48, 5, 5, 8)  # one mask for the whole batch
    assert torch.equal(l1(pred, target, mask=mask, region="all"), l1(pred, target))
    assert torch.equal(l1(pred, target, mask=mask), l1(pred, target, mask=mask.expand(2, -1, -1, -1)))
    full_map = ssim_map(pred, target, data_range=1.0)
    expected = full_map[:, :, 5:13, 5:13].mean(dim=(1, 2, 3))
    torch.testing.assert_close(masked_ssim(pred, target, mask=mask), expected)
    with pytest.raises(InputError):
        l1(pred, target, region="hole")
    with pytest.raises(InputError):
        l1(pred, target, mask=mask[..., :-1])


def test_empty_hole_gives_nan_and_accumulator_skips_it():
    pred, target = _pair(n=2, seed=7)
    mask = _box_mask(2, 40, 48, 10, 10, 6)
    mask[1] = 0.0
    metrics = compute_image_metrics(pred, target, mask)
    assert not torch.isnan(metrics["l1_hole"][0]) and torch.isnan(metrics["l1_hole"][1])
    assert torch.isnan(metrics["psnr_hole"][1]) and torch.isnan(metrics["ssim_hole"][1])
    acc = MetricAccumulator()
    acc.update(metrics)
    assert acc.counts()["l1_hole"] == 1 and acc.counts()["l1"] == 2
    assert acc.mean()["l1_hole"] == pytest.approx(float(metrics["l1_hole"][0]))


def test_compute_image_metrics_keys_and_values():
    pred, target = _pair(n=2, seed=8)
    plain = compute_image_metrics(pred, target)
    assert set(plain) == {"ssim", "ssim_valid", "psnr", "l1", "l2"}
    assert all(v.shape == (2,) and not v.requires_grad for v in plain.values())
    torch.testing.assert_close(plain["ssim"], ssim(pred, target, data_range=1.0))
    torch.testing.assert_close(plain["ssim_valid"], ssim(pred, target, data_range=1.0, padding="valid"))
    masked = compute_image_metrics(pred, target, _box_mask(2, 40, 48, 0, 0, 20))
    assert set(masked) == set(plain) | {"ssim_hole", "psnr_hole", "l1_hole", "l2_hole"}


def test_metric_accumulator_per_image_then_averaged():
    g = torch.Generator().manual_seed(9)
    batches = [torch.rand(3, generator=g), torch.rand(5, generator=g)]
    acc = MetricAccumulator()
    for batch in batches:
        acc.update({"psnr": batch, "l1": batch * 2})
    values = torch.cat(batches).double().numpy()
    assert acc.mean()["psnr"] == pytest.approx(values.mean())
    assert acc.std()["psnr"] == pytest.approx(values.std())
    summary = acc.summary()
    assert summary["l1"]["mean"] == pytest.approx(2 * values.mean())
    assert summary["l1"]["count"] == 8
    acc.reset()
    assert acc.mean() == {}


# ------------------------------------------------------------------------------------------ FID maths


def _random_spd(dim: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.standard_normal((dim, 2 * dim))
    return a @ a.T / (2 * dim) + 0.05 * np.eye(dim)


def test_frechet_identical_is_zero():
    rng = np.random.default_rng(0)
    mu, sigma = rng.standard_normal(16), _random_spd(16, rng)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-9)


def test_frechet_mean_shift_only():
    rng = np.random.default_rng(1)
    mu1, mu2, sigma = rng.standard_normal(12), rng.standard_normal(12), _random_spd(12, rng)
    assert frechet_distance(mu1, sigma, mu2, sigma) == pytest.approx(float(np.sum((mu1 - mu2) ** 2)), rel=1e-9)


def test_frechet_diagonal_covariances():
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0.1, 3.0, 10), rng.uniform(0.1, 3.0, 10)
    mu1, mu2 = rng.standard_normal(10), rng.standard_normal(10)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = frechet_distance(torch.from_numpy(mu1), torch.from_numpy(np.diag(a)), mu2, np.diag(b))
    assert got == pytest.approx(float(expected), rel=1e-9)


@pytest.mark.parametrize("dim", [5, 32])
def test_frechet_matches_scipy_sqrtm(dim):
    rng = np.random.default_rng(dim)
    mu1, mu2 = rng.standard_normal(dim), rng.standard_normal(dim)
    s1, s2 = _random_spd(dim, rng), _random_spd(dim, rng)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(float(expected), rel=1e-8)


def test_frechet_singular_covariances_and_shape_check():
    rng = np.random.default_rng(3)
    feats1, feats2 = rng.standard_normal((6, 20)), rng.standard_normal((6, 20))  # N < D: rank-deficient
    value = frechet_distance(*feature_statistics(feats1), *feature_statistics(feats2))
    assert math.isfinite(value) and value > 0
    with pytest.raises(InputError):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def test_feature_statistics_and_running_statistics():
    rng = np.random.default_rng(4)
    feats = rng.standard_normal((50, 7)) * 3 + 1
    mu, sigma = feature_statistics(torch.from_numpy(feats).float())
    np.testing.assert_allclose(mu, feats.mean(axis=0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sigma, np.cov(feats, rowvar=False), rtol=1e-5, atol=1e-5)
    running = RunningStatistics()
    for chunk in np.array_split(feats, 4):
        running.update(chunk)
    r_mu, r_sigma = running.compute()
    np.testing.assert_allclose(r_mu, feats.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(r_sigma, np.cov(feats, rowvar=False), rtol=1e-9, atol=1e-12)
    with pytest.raises(InputError):
        feature_statistics(feats[:1])


# ---------------------------------------------------------------------------------------- FID pipeline


class _PooledFeatures(nn.Module):
    """Tiny deterministic feature extractor: 2x2 average pooling per channel (12-d features)."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return nn.functional.adaptive_avg_pool2d(images, 2).flatten(1)


def test_fid_metric_pipeline():
    g = torch.Generator().manual_seed(10)
    images = torch.rand(24, 3, 16, 16, generator=g)
    metric = FIDMetric(feature_extractor=_PooledFeatures())
    for batch in images.split(7):
        metric.update(batch, real=True)
        metric.update(batch, real=False)
    assert metric.compute() == pytest.approx(0.0, abs=1e-9)

    metric.reset(real=False)
    metric.update(images * 0.5, real=False)
    shifted = metric.compute()
    assert shifted > 0.1

    mu, sigma = metric.statistics(real=True)
    cached = FIDMetric(feature_extractor=_PooledFeatures())
    cached.set_statistics(True, mu, sigma)
    cached.update(images * 0.5, real=False)
    assert cached.compute() == pytest.approx(shifted, rel=1e-9)

    uint8 = FIDMetric(feature_extractor=_PooledFeatures())
    uint8.update((images * 255).round().to(torch.uint8), real=True)
    uint8.update(images, real=False)
    assert uint8.compute() < 1e-4


def test_fid_metric_needs_two_images_per_set():
    metric = FIDMetric(feature_extractor=_PooledFeatures())
    metric.update(torch.rand(1, 3, 8, 8), real=True)
    metric.update(torch.rand(4, 3, 8, 8), real=False)
    with pytest.raises(InputError):
        metric.compute()


# ------------------------------------------------------------------------------- Inception layout


def _conv(name: str, cout: int, cin: int, kh: int, kw: int | None = None) -> tuple[str, tuple[int, ...]]:
    return name, (cout, cin, kh, kh if kw is None else kw)


def _block_a(p: str, cin: int, pool: int) -> list:
    return [
        _conv(f"{p}.branch1x1", 64, cin, 1),
        _conv(f"{p}.branch5x5_1", 48, cin, 1),
        _conv(f"{p}.branch5x5_2", 64, 48, 5),
        _conv(f"{p}.branch3x3dbl_1", 64, cin, 1),
        _conv(f"{p}.branch3x3dbl_2", 96, 64, 3),
        _conv(f"{p}.branch3x3dbl_3", 96, 96, 3),
        _conv(f"{p}.branch_pool", pool, cin, 1),
    ]


def _block_c(p: str, c7: int) -> list:
    return [
        _conv(f"{p}.branch1x1", 192, 768, 1),
        _conv(f"{p}.branch7x7_1", c7, 768, 1),
        _conv(f"{p}.branch7x7_2", c7, c7, 1, 7),
        _conv(f"{p}.branch7x7_3", 192, c7, 7, 1),
        _conv(f"{p}.branch7x7dbl_1", c7, 768, 1),
        _conv(f"{p}.branch7x7dbl_2", c7, c7, 7, 1),
        _conv(f"{p}.branch7x7dbl_3", c7, c7, 1, 7),
        _conv(f"{p}.branch7x7dbl_4", c7, c7, 7, 1),
        _conv(f"{p}.branch7x7dbl_5", 192, c7, 1, 7),
        _conv(f"{p}.branch_pool", 192, 768, 1),
    ]


def _block_e(p: str, cin: int) -> list:
    return [
        _conv(f"{p}.branch1x1", 320, cin, 1),
        _conv(f"{p}.branch3x3_1", 384, cin, 1),
        _conv(f"{p}.branch3x3_2a", 384, 384, 1, 3),
        _conv(f"{p}.branch3x3_2b", 384, 384, 3, 1),
        _conv(f"{p}.branch3x3dbl_1", 448, cin, 1),
        _conv(f"{p}.branch3x3dbl_2", 384, 448, 3),
        _conv(f"{p}.branch3x3dbl_3a", 384, 384, 1, 3),
        _conv(f"{p}.branch3x3dbl_3b", 384, 384, 3, 1),
        _conv(f"{p}.branch_pool", 192, cin, 1),
    ]


# Layout of pt_inception-2015-12-05-6726825d.pth: torchvision's Inception3(num_classes=1008,
# aux_logits=False) state dict (conv without bias + BatchNorm per BasicConv2d, then fc).
FID_INCEPTION_CONVS = (
    [
        _conv("Conv2d_1a_3x3", 32, 3, 3),
        _conv("Conv2d_2a_3x3", 32, 32, 3),
        _conv("Conv2d_2b_3x3", 64, 32, 3),
        _conv("Conv2d_3b_1x1", 80, 64, 1),
        _conv("Conv2d_4a_3x3", 192, 80, 3),
    ]
    + _block_a("Mixed_5b", 192, 32)
    + _block_a("Mixed_5c", 256, 64)
    + _block_a("Mixed_5d", 288, 64)
    + [
        _conv("Mixed_6a.branch3x3", 384, 288, 3),
        _conv("Mixed_6a.branch3x3dbl_1", 64, 288, 1),
        _conv("Mixed_6a.branch3x3dbl_2", 96, 64, 3),
        _conv("Mixed_6a.branch3x3dbl_3", 96, 96, 3),
    ]
    + _block_c("Mixed_6b", 128)
    + _block_c("Mixed_6c", 160)
    + _block_c("Mixed_6d", 160)
    + _block_c("Mixed_6e", 192)
    + [
        _conv("Mixed_7a.branch3x3_1", 192, 768, 1),
        _conv("Mixed_7a.branch3x3_2", 320, 192, 3),
        _conv("Mixed_7a.branch7x7x3_1", 192, 768, 1),
        _conv("Mixed_7a.branch7x7x3_2", 192, 192, 1, 7),
        _conv("Mixed_7a.branch7x7x3_3", 192, 192, 7, 1),
        _conv("Mixed_7a.branch7x7x3_4", 192, 192, 3),
    ]
    + _block_e("Mixed_7b", 1280)
    + _block_e("Mixed_7c", 2048)
)


def _expected_fid_state_shapes() -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for name, shape in FID_INCEPTION_CONVS:
        shapes[f"{name}.conv.weight"] = shape
        for suffix in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{name}.bn.{suffix}"] = (shape[0],)
        shapes[f"{name}.bn.num_batches_tracked"] = ()
    shapes["fc.weight"] = (1008, 2048)
    shapes["fc.bias"] = (1008,)
    return shapes


def test_fid_inception_state_dict_layout():
    model = FIDInceptionV3()
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    expected = _expected_fid_state_shapes()
    assert set(got) == set(expected)
    assert got == expected
    assert len(FID_INCEPTION_CONVS) == 94 and len(got) == 566
    # torchvision documents 27,161,264 parameters for Inception3(1000 classes, aux): minus the auxiliary
    # classifier (3,326,696) plus 8 more classes in fc (8 x 2049 = 16,392).
    assert sum(p.numel() for p in model.parameters()) == 27_161_264 - 3_326_696 + 16_392 == 23_850_960
    assert all(m.eps == 1e-3 for m in model.modules() if isinstance(m, nn.BatchNorm2d))
    assert model.Mixed_7b.pool == "avg" and model.Mixed_7c.pool == "max"


def test_fid_inception_pooling_ignores_padding():
    ones = torch.ones(1, 2, 5, 5)
    assert torch.equal(_pool_3x3_same(ones, "avg"), ones)  # count_include_pad=True would give 4/9 in corners
    ramp = torch.arange(25.0).view(1, 1, 5, 5)
    assert _pool_3x3_same(ramp, "max")[0, 0, 0, 0] == 6.0


def test_fid_inception_forward_shape():
    torch.manual_seed(0)
    model = FIDInceptionV3().eval()
    with torch.inference_mode():
        features = model(torch.rand(2, 3, 24, 24))
    assert features.shape == (2, 2048)
    assert torch.isfinite(features).all()
    with pytest.raises(InputError):
        model(torch.rand(2, 1, 24, 24))


# ------------------------------------------------------------------------------------ weights lookup


@pytest.fixture()
def empty_weight_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.delenv(FID_WEIGHTS_ENV, raising=False)
    return tmp_path


def test_missing_weights_error_is_informative(empty_weight_env):
    with pytest.raises(MissingWeightsError) as info:
        find_inception_weights()
    message = str(info.value)
    assert "pt_inception-2015-12-05-6726825d.pth" in message
    assert "weights-inception-2015-12-05-6726825d.pth" in message
    assert str(empty_weight_env / "torch_home" / "hub" / "checkpoints") in message
    assert FID_WEIGHTS_ENV in message and "weights_path" in message
    assert "never downloads" in message
    with pytest.raises(MissingWeightsError):
        load_fid_inception()
    with pytest.raises(MissingWeightsError):
        FIDMetric()


def test_explicit_or_env_path_that_does_not_exist(empty_weight_env, monkeypatch):
    missing = empty_weight_env / "nowhere.pth"
    with pytest.raises(MissingWeightsError, match="nowhere.pth"):
        find_inception_weights(missing)
    monkeypatch.setenv(FID_WEIGHTS_ENV, str(missing))
    with pytest.raises(MissingWeightsError, match=FID_WEIGHTS_ENV):
        find_inception_weights()


def test_weights_search_order(empty_weight_env, monkeypatch):
    hub = empty_weight_env / "torch_home" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    fidelity_name = hub / "weights-inception-2015-12-05-6726825d.pth"
    fidelity_name.touch()
    assert find_inception_weights() == fidelity_name
    fid_name = hub / "pt_inception-2015-12-05-6726825d.pth"
    fid_name.touch()
    assert find_inception_weights() == fid_name
    from_env = empty_weight_env / "env.pth"
    from_env.touch()
    monkeypatch.setenv(FID_WEIGHTS_ENV, str(from_env))
    assert find_inception_weights() == from_env
    explicit = empty_weight_env / "explicit.pth"
    explicit.touch()
    assert find_inception_weights(explicit) == explicit
    assert find_inception_weights(hub) == fid_name  # a folder holding the file


def test_load_fid_inception_roundtrip_and_corrupt_file(tmp_path):
    torch.manual_seed(1)
    source = FIDInceptionV3()
    # As converted from TensorFlow: no BatchNorm step counters in the file.
    state = {k: v for k, v in source.state_dict().items() if not k.endswith("num_batches_tracked")}
    path = tmp_path / "pt_inception-2015-12-05-6726825d.pth"
    torch.save(state, path)
    loaded = load_fid_inception(path)
    assert not loaded.training and not any(p.requires_grad for p in loaded.parameters())
    torch.testing.assert_close(loaded.Mixed_7c.branch_pool.conv.weight, source.Mixed_7c.branch_pool.conv.weight)

    bad = tmp_path / "bad.pth"
    torch.save({"fc.weight": torch.zeros(3)}, bad)
    with pytest.raises(CheckpointError):
        load_fid_inception(bad)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError):
        load_fid_inception(garbage)


def test_real_fid_weights_when_present():
    try:
        path = find_inception_weights()
    except MissingWeightsError:
        pytest.skip("FID Inception weights not available locally")
    model = load_fid_inception(path)
    torch.manual_seed(0)
    images = torch.rand(2, 3, 64, 64)
    with torch.inference_mode():
        features = model(images)
        again = model(images)
    assert features.shape == (2, 2048)
    assert torch.isfinite(features).all() and (features >= 0).all()
    torch.testing.assert_close(features, again)
