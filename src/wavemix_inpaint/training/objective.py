"""Training objectives: the paper's SSIM + L1 loss, LaMa's L1-on-known loss, and an optional PatchGAN.

* ``ssim-l1`` (default, the paper): ``ssim_weight * (1 - SSIM) + l1_weight * L1`` on the composited output,
  plus ``l2_weight * MSE`` when set (the paper: 0).
* ``lama``: LaMa's pixel loss, ``10 * mean(|raw - image| * (1 - mask))`` on the raw prediction (known
  pixels only); on its own it gives the hole no supervision, so use it with ``adversarial_weight > 0``
  (LaMa: 10) and ``perceptual_weight > 0`` (LaMa: 30).
* ``perceptual_weight > 0`` adds LaMa's high-receptive-field perceptual loss through a dilated ResNet-50
  (:mod:`wavemix_inpaint.models.resnet`); its ADE20k weights cannot be downloaded here, so they are read
  from ``perceptual_weights`` when the user has the file, else the network keeps random weights (the
  compute, which is what ``benchmark`` measures, is the same).
* ``adversarial_weight > 0`` adds LaMa's PatchGAN (``NLayerDiscriminator``) with the non-saturating loss,
  R1 penalty (``r1_weight``, LaMa 0.001; known regions of the fake labelled real) and discriminator
  feature matching (``feature_matching_weight``, LaMa 100). The discriminator sees the raw prediction and
  is updated with Adam(``disc_lr``, LaMa 1e-4) after every generator step; ``disc_width`` and
  ``disc_layers`` shrink it (LaMa's 64 and 4 cost about 7M parameters, far more than a CPU can afford
  next to a 0.4M-parameter generator).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from wavemix_inpaint.adversarial import discriminator_loss, feature_matching_loss, generator_adversarial_loss
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.losses import InpaintingLoss
from wavemix_inpaint.models.discriminator import NLayerDiscriminator

LOSSES = ("ssim-l1", "lama")
LAMA_KNOWN_L1_WEIGHT = 10.0
#: the objective each paper trained its network with: WaveMix and the U-Net 0.75 (1 - SSIM) + 0.25 L1;
#: LaMa its pixel loss, a PatchGAN with R1, discriminator feature matching and the perceptual loss
SSIM_L1_OBJECTIVE: dict[str, Any] = {"loss": "ssim-l1"}
LAMA_OBJECTIVE: dict[str, Any] = {
    "loss": "lama",
    "adversarial_weight": 10.0,
    "feature_matching_weight": 100.0,
    "r1_weight": 0.001,
    "perceptual_weight": 30.0,
}


def paper_objective(model_name: str) -> dict[str, Any]:
    """The :class:`TrainingObjective` settings a preset's paper trained it with."""
    return LAMA_OBJECTIVE if "lama" in model_name else SSIM_L1_OBJECTIVE


class TrainingObjective:
    """Computes the generator loss and, when enabled, trains the discriminator."""

    def __init__(
        self,
        loss: str = "ssim-l1",
        ssim_weight: float = 0.75,
        l1_weight: float = 0.25,
        adversarial_weight: float = 0.0,
        feature_matching_weight: float = 100.0,
        r1_weight: float = 0.001,
        disc_lr: float = 1e-4,
        device: torch.device | str = "cpu",
        wrap: Any = None,
        perceptual_weight: float = 0.0,
        perceptual_weights: str | None = None,
        disc_width: int = 64,
        disc_layers: int = 4,
        l2_weight: float = 0.0,
    ) -> None:
        if loss not in LOSSES:
            raise InputError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
        self.loss = loss
        self.pixel_loss = InpaintingLoss(ssim_weight, l1_weight, l2_weight)
        self.adversarial_weight = adversarial_weight
        self.feature_matching_weight = feature_matching_weight
        self.r1_weight = r1_weight
        self.discriminator: nn.Module | None = None
        self.disc_optimizer: torch.optim.Optimizer | None = None
        self._disc_net: nn.Module | None = None
        if adversarial_weight > 0:
            self.discriminator = NLayerDiscriminator(ndf=disc_width, n_layers=disc_layers).to(device)
            self._disc_net = wrap(self.discriminator) if wrap else self.discriminator
            self.disc_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=disc_lr)
        self.perceptual_weight = perceptual_weight
        self.perceptual: nn.Module | None = None
        if perceptual_weight > 0:
            from wavemix_inpaint.models.resnet import PerceptualLoss

            self.perceptual = PerceptualLoss(perceptual_weights).to(device)

    def generator_loss(self, output: Tensor, raw: Tensor, image: Tensor, mask: Tensor) -> Tensor:
        """Loss of the inpainting network for one batch (``output`` composited, ``raw`` not)."""
        if self.loss == "ssim-l1":
            loss = self.pixel_loss(output.float(), image)
        else:
            loss = LAMA_KNOWN_L1_WEIGHT * ((raw.float() - image).abs() * (1 - mask)).mean()
        if self.perceptual is not None:
            loss = loss + self.perceptual_weight * self.perceptual(raw.float(), image)
        if self._disc_net is not None:
            self.discriminator.requires_grad_(False)
            fake_logits, fake_features = self._disc_net(raw.float())
            with torch.no_grad():
                _, real_features = self._disc_net(image)
            loss = (
                loss
                + self.adversarial_weight * generator_adversarial_loss(fake_logits)
                + self.feature_matching_weight * feature_matching_loss(fake_features, real_features)
            )
            self.discriminator.requires_grad_(True)
        return loss

    def discriminator_step(self, raw: Tensor, image: Tensor, mask: Tensor) -> None:
        """One discriminator update on real images versus the (detached) raw predictions."""
        if self._disc_net is None:
            return
        real = image.detach().requires_grad_(True)
        real_logits, _ = self._disc_net(real)
        fake_logits, _ = self._disc_net(raw.detach().float())
        loss, _ = discriminator_loss(real_logits, fake_logits, mask, real_images=real, r1_weight=self.r1_weight)
        self.disc_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.disc_optimizer.step()

    def state_dict(self) -> dict[str, Any]:
        if self.discriminator is None:
            return {}
        return {"discriminator": self.discriminator.state_dict(), "disc_optimizer": self.disc_optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.discriminator is not None and "discriminator" in state:
            self.discriminator.load_state_dict(state["discriminator"])
            self.disc_optimizer.load_state_dict(state["disc_optimizer"])
