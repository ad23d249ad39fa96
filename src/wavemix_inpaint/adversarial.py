"""Adversarial losses of LaMa: non-saturating GAN with R1 penalty, and discriminator feature matching.

Written from the description in ``shared/research/lama_iopaint.md`` section 1.4 (LaMa's
``NonSaturatingWithR1`` with ``mask_as_fake_target: true``, ``allow_scale_mask: true``,
``mask_scale_mode: nearest``; ``feature_matching_loss``). LaMa's weights: adversarial 10, R1 coefficient
0.001, feature matching 100; the weights are applied by the caller (``generator_adversarial_loss`` and
``feature_matching_loss`` are unweighted, ``discriminator_loss`` takes ``r1_weight``).

Typical use (the discriminator sees the **raw** prediction, not the composite)::

    # generator step (discriminator frozen)
    fake_logits, fake_feats = disc(raw)
    with torch.no_grad():
        _, real_feats = disc(image)
    g_loss = 10 * generator_adversarial_loss(fake_logits) + 100 * feature_matching_loss(fake_feats, real_feats)

    # discriminator step
    real = image.detach().requires_grad_(True)
    real_logits, _ = disc(real)
    fake_logits, _ = disc(raw.detach())
    d_loss, stats = discriminator_loss(real_logits, fake_logits, mask, real_images=real, r1_weight=0.001)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def resize_mask(mask: Tensor, size: Sequence[int]) -> Tensor:
    """Nearest-neighbour resize of an ``N x 1 x H x W`` mask to the logit grid ``size`` (LaMa's default)."""
    size = tuple(int(s) for s in size)
    if tuple(mask.shape[-2:]) == size:
        return mask
    return F.interpolate(mask.float(), size=size, mode="nearest").to(mask.dtype)


def generator_adversarial_loss(fake_logits: Tensor) -> Tensor:
    """Non-saturating generator loss ``mean(softplus(-D(fake)))`` over every logit cell (unweighted).

    LaMa applies it to all cells, known ones included (``use_unmasked_for_gen: true``).
    """
    return F.softplus(-fake_logits).mean()


def r1_penalty(real_logits: Tensor, real_images: Tensor) -> Tensor:
    """R1 gradient penalty: batch mean of ``|| d sum(D(real)) / d real ||^2`` (per-sample squared L2 norm).

    ``real_images`` must have ``requires_grad=True`` before it was passed to the discriminator. The
    gradient graph is kept (``create_graph=True``) so the penalty can be back-propagated. Returns 0 when
    gradients are disabled or the logits do not depend on the input.
    """
    if not torch.is_grad_enabled() or not real_logits.requires_grad:
        return real_logits.new_zeros(())
    (grad,) = torch.autograd.grad(real_logits.sum(), real_images, create_graph=True, allow_unused=True)
    if grad is None:
        return real_logits.new_zeros(())
    return grad.flatten(1).pow(2).sum(dim=1).mean()


def discriminator_loss(
    real_logits: Tensor,
    fake_logits: Tensor,
    mask: Tensor | None = None,
    real_images: Tensor | None = None,
    r1_weight: float = 0.001,
    mask_as_fake_target: bool = True,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Non-saturating discriminator loss with R1 (LaMa's ``NonSaturatingWithR1.discriminator_loss``).

    ``loss = mean(softplus(-D(real))) + r1_weight * R1 + mean(fake_term)`` where, with ``mask``
    nearest-resized to the logit grid and ``mask_as_fake_target`` (LaMa's setting), the fake term is
    ``softplus(D(fake))`` on hole cells and ``softplus(-D(fake))`` on known cells: known regions of the
    fake image are labelled *real*. Without a mask (or with ``mask_as_fake_target=False``) every fake cell
    is labelled fake. R1 is computed only when ``real_images`` (with ``requires_grad``) is given and
    ``r1_weight > 0``.

    Returns ``(loss, {"real_logit": ..., "fake_logit": ..., "r1": ...})`` (detached statistics).
    """
    real_term = F.softplus(-real_logits)
    fake_term = F.softplus(fake_logits)
    if mask is not None and mask_as_fake_target:
        cells = resize_mask(mask, fake_logits.shape[-2:]).to(fake_logits.dtype)
        fake_term = cells * fake_term + (1 - cells) * F.softplus(-fake_logits)
    penalty = real_logits.new_zeros(())
    if real_images is not None and r1_weight > 0:
        penalty = r1_penalty(real_logits, real_images)
    loss = real_term.mean() + r1_weight * penalty + fake_term.mean()
    stats = {
        "real_logit": real_logits.detach().mean(),
        "fake_logit": fake_logits.detach().mean(),
        "r1": penalty.detach(),
    }
    return loss, stats


def feature_matching_loss(fake_features: Sequence[Tensor], real_features: Sequence[Tensor], mask: Tensor | None = None) -> Tensor:
    """Mean over layers of the MSE between discriminator features of the fake and the real image.

    Real features are detached (they are targets). LaMa uses no mask (``pass_mask`` off); with ``mask``
    each layer's squared error is weighted by ``1 - mask`` bilinearly resized to that layer (LaMa's
    masked variant, which matches known regions only).
    """
    if len(fake_features) != len(real_features) or not fake_features:
        raise ValueError("feature lists must be non-empty and of equal length")
    losses = []
    for fake, real in zip(fake_features, real_features):
        error = (fake - real.detach()).pow(2)
        if mask is not None:
            weight = 1 - F.interpolate(mask.float(), size=fake.shape[-2:], mode="bilinear", align_corners=False)
            error = error * weight.to(error.dtype)
        losses.append(error.mean())
    return torch.stack(losses).mean()
