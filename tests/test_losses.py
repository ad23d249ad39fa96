"""Tests for wavemix_inpaint.losses.InpaintingLoss."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchmetrics.functional.image import structural_similarity_index_measure as tm_ssim

from wavemix_inpaint.errors import InputError
from wavemix_inpaint.losses import InpaintingLoss
from wavemix_inpaint.metrics import ssim


def _batch(seed: int = 0, n: int = 2, size: int = 32):
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(n, 3, size, size, generator=g)
    raw = torch.rand(n, 3, size, size, generator=g)
    mask = torch.zeros(n, 1, size, size)
    mask[..., 8:20, 10:24] = 1.0
    return raw, target, mask


def test_loss_value_matches_independent_computation():
    raw, target, mask = _batch()
    output = torch.where(mask > 0.5, raw, target)
    loss_fn = InpaintingLoss()
    expected = 0.75 * (1 - tm_ssim(output, target, data_range=1.0)) + 0.25 * (output - target).abs().mean()
    loss = loss_fn(output, target)
    assert loss.ndim == 0
    torch.testing.assert_close(loss, expected, atol=1e-6, rtol=0)

    parts = loss_fn.components(output, target)
    assert set(parts) == {"loss", "ssim", "ssim_loss", "l1"}
    torch.testing.assert_close(parts["loss"], 0.75 * parts["ssim_loss"] + 0.25 * parts["l1"])
    torch.testing.assert_close(parts["ssim_loss"], 1 - parts["ssim"])


def test_weights_and_padding_are_configurable():
    raw, target, _ = _batch(seed=1)
    l1_only = InpaintingLoss(ssim_weight=0.0, l1_weight=1.0)
    torch.testing.assert_close(l1_only(raw, target), (raw - target).abs().mean())
    valid = InpaintingLoss(ssim_weight=1.0, l1_weight=0.0, padding="valid")
    torch.testing.assert_close(valid(raw, target), 1 - ssim(raw, target, data_range=1.0, padding="valid").mean())
    with pytest.raises(InputError):
        InpaintingLoss(padding="zeros")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        InpaintingLoss()(raw, target[:1])


def test_identical_inputs_give_zero_loss():
    _, target, _ = _batch(seed=2)
    assert InpaintingLoss()(target, target).item() == pytest.approx(0.0, abs=1e-6)


def test_gradients_reach_only_hole_pixels_of_composited_output():
    raw, target, mask = _batch(seed=3)
    raw.requires_grad_(True)
    output = torch.where(mask > 0.5, raw, target)
    InpaintingLoss()(output, target).backward()
    hole = (mask > 0.5).expand_as(raw)
    assert raw.grad is not None
    assert torch.all(raw.grad[~hole] == 0)
    assert raw.grad[hole].abs().sum() > 0


def test_works_under_bfloat16_autocast():
    torch.manual_seed(0)
    raw, target, mask = _batch(seed=4)
    model = nn.Conv2d(3, 3, 3, padding=1)
    loss_fn = InpaintingLoss()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        prediction = model(raw)
        assert prediction.dtype == torch.bfloat16
        output = torch.where(mask > 0.5, prediction, target.to(prediction.dtype))
        loss = loss_fn(output, target)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    reference = loss_fn(output.detach().float(), target)
    torch.testing.assert_close(loss.detach(), reference, atol=1e-5, rtol=0)
    loss.backward()
    assert model.weight.grad is not None and torch.isfinite(model.weight.grad).all()
