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
    assert set(parts) == {"loss", "ssim", "ssim_loss", "l1", "l2"}
    torch.testing.assert_close(parts["loss"], 0.75 * parts["ssim_loss"] + 0.25 * parts["l1"])
    torch.testing.assert_close(parts["ssim_loss"], 1 - parts["ssim"])


def test_weights_and_padding_are_configurable():
    raw, target, _ = _batch(seed=1)
    l1_only = InpaintingLoss(ssim_weight=0.0, l1_weight=1.0)
    torch.testing.assert_close(l1_only(raw, target), (raw - target).abs().mean())
    valid = InpaintingLoss(ssim_weight=1.0, l1_weight=0.0, padding="valid")
    torch.testing.assert_close(valid(raw, target), 1 - ssim(raw, target, data_range=1.0, padding="valid").mean())
    l2_only = InpaintingLoss(ssim_weight=0.0, l1_weight=0.0, l2_weight=1.0)
    torch.testing.assert_close(l2_only(raw, target), ((raw - target) ** 2).mean())
    mixed = InpaintingLoss(ssim_weight=0.75, l1_weight=0.25, l2_weight=2.0)
    expected = InpaintingLoss()(raw, target) + 2.0 * ((raw - target) ** 2).mean()
    torch.testing.assert_close(mixed(raw, target), expected)
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


def test_lama_perceptual_loss_through_a_dilated_resnet50():
    import torch

    from wavemix_inpaint.models.resnet import PerceptualLoss, ResNet50Dilated

    torch.manual_seed(0)
    features = ResNet50Dilated()(torch.rand(1, 3, 64, 64))
    assert [f.shape[1] for f in features] == [256, 512, 1024, 2048]
    assert [f.shape[-1] for f in features] == [16, 8, 8, 8]  # output stride 8: stages 3-4 dilated, not strided
    loss = PerceptualLoss()
    target = torch.rand(2, 3, 48, 48)
    prediction = target.clone().requires_grad_(True)
    assert float(loss(prediction, target)) == 0.0
    moved = (target + 0.1 * torch.randn_like(target)).clamp(0, 1).requires_grad_(True)
    value = loss(moved, target)
    value.backward()
    assert value > 0 and moved.grad.abs().sum() > 0
    assert all(p.grad is None for p in loss.net.parameters())  # frozen


def test_lama_objective_step_trains_generator_and_discriminator():
    import torch

    from wavemix_inpaint.evaluation.speed import training_step
    from wavemix_inpaint.models import create_model
    from wavemix_inpaint.training.objective import LAMA_OBJECTIVE, paper_objective

    assert paper_objective("big-lama") == LAMA_OBJECTIVE and paper_objective("wavemix-paper")["loss"] == "ssim-l1"
    torch.manual_seed(0)
    model = create_model("lama-tiny")
    image, mask = torch.rand(2, 3, 32, 32), torch.zeros(2, 1, 32, 32)
    mask[..., 8:20, 8:24] = 1
    step = training_step(model, image, mask, "fp32", LAMA_OBJECTIVE)
    closure = dict(zip(step.__code__.co_freevars, (cell.cell_contents for cell in step.__closure__)))
    net, losses = closure["net"], closure["losses"]
    before = [p.detach().clone() for p in net.parameters()], [p.detach().clone() for p in losses.discriminator.parameters()]
    step()
    assert any(not torch.equal(a, b) for a, b in zip(before[0], net.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(before[1], losses.discriminator.parameters()))
    assert losses.perceptual is not None
