"""Baselines: U-Net, LaMa generator (official key layout), PatchGAN + adversarial losses, classical methods."""

import pytest
import torch
from safetensors.torch import save_file

from wavemix_inpaint import count_parameters, create_model
from wavemix_inpaint.adversarial import (
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
    r1_penalty,
    resize_mask,
)
from wavemix_inpaint.checkpoint import load_model, save_checkpoint
from wavemix_inpaint.errors import CheckpointError
from wavemix_inpaint.models import NLayerDiscriminator, convert_lama_state_dict, load_official_lama
from wavemix_inpaint.models.lama import FourierUnit

TINY_BASELINES = ["unet-tiny", "lama-tiny", "telea", "navier-stokes", "biharmonic"]


# --------------------------------------------------------------------------- parameter counts


def test_lama_parameter_counts_are_exact():
    assert count_parameters(create_model("lama-fourier")) == 27_048_835
    assert count_parameters(create_model("big-lama")) == 50_975_875


def test_unet_parameter_count_matches_docstring():
    model = create_model("unet")
    assert count_parameters(model) == 11_444_115
    assert 11_000_000 <= count_parameters(model) <= 13_000_000  # the paper's "12 M"
    assert model.size_multiple == 32


def test_classical_methods_have_no_parameters():
    for name in ("telea", "navier-stokes", "biharmonic"):
        model = create_model(name)
        assert count_parameters(model) == 0 and model.trainable is False
    assert create_model("telea", radius=5).radius == 5.0


def test_patchgan_parameter_count_and_grid():
    disc = NLayerDiscriminator()
    assert count_parameters(disc) == 6_962_369
    logits, features = disc(torch.rand(2, 3, 96, 96))
    assert logits.shape == (2, 1, 9, 9)
    assert [tuple(f.shape[1:]) for f in features] == [(64, 49, 49), (128, 25, 25), (256, 13, 13), (512, 7, 7), (512, 8, 8)]


# --------------------------------------------------------------------------- interface


@pytest.mark.parametrize("name", TINY_BASELINES)
@pytest.mark.parametrize("size", [(37, 53), (5, 7)])
def test_baselines_any_size_and_composite(name, size):
    torch.manual_seed(0)
    model = create_model(name).eval()
    image = torch.rand(2, 3, *size)
    mask = torch.zeros(2, 1, *size)
    mask[..., size[0] // 3 : 2 * size[0] // 3 + 1, size[1] // 3 : 2 * size[1] // 3 + 1] = 1
    with torch.no_grad():
        output, raw = model(image, mask, return_raw=True)
    assert output.shape == image.shape and raw.shape == image.shape
    known = (mask < 0.5).expand_as(image)
    assert torch.equal(output[known], image[known])
    assert torch.isfinite(output).all() and output.min() >= 0 and output.max() <= 1


@pytest.mark.parametrize("name", ["unet-tiny", "lama-tiny"])
def test_gradients_flow_to_all_parameters(name):
    torch.manual_seed(0)
    model = create_model(name)
    image = torch.rand(2, 3, 32, 32)
    mask = torch.zeros(2, 1, 32, 32)
    mask[..., 4:20, 6:26] = 1
    (model(image, mask) - image).abs().mean().backward()
    for pname, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, pname


@pytest.mark.parametrize("name", ["unet-tiny", "lama-tiny"])
def test_checkpoint_round_trip(name, tmp_path):
    model = create_model(name).eval()
    path = save_checkpoint(model, tmp_path / f"{name}.safetensors")
    loaded = load_model(path)
    image, mask = torch.rand(1, 3, 32, 32), (torch.rand(1, 1, 32, 32) > 0.5).float()
    with torch.no_grad():
        assert torch.equal(model(image, mask), loaded(image, mask))


# --------------------------------------------------------------------------- LaMa internals


def test_lama_runs_under_autocast():
    """The Fourier unit computes its FFT in float32 (half/bfloat16 FFTs are unsupported for most sizes)."""
    model = create_model("lama-tiny")
    image, mask = torch.rand(1, 3, 24, 24), (torch.rand(1, 1, 24, 24) > 0.5).float()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        output = model(image, mask)
    assert output.dtype == torch.float32 and torch.isfinite(output).all()


def test_fourier_unit_interleaves_real_and_imaginary_parts():
    # Constant channels a, b: the ortho rFFT is a*sqrt(HW) at DC (real) and zero elsewhere.
    a, b, h, w = 2.0, -3.0, 4, 6
    x = torch.stack([torch.full((h, w), a), torch.full((h, w), b)])[None]
    channels = FourierUnit.spectrum_to_channels(torch.fft.rfftn(x, dim=(-2, -1), norm="ortho"))
    assert channels.shape == (1, 4, h, w // 2 + 1)
    scale = (h * w) ** 0.5
    torch.testing.assert_close(channels[0, :, 0, 0], torch.tensor([a * scale, 0.0, b * scale, 0.0]))
    assert channels[..., 1:, :].abs().max() < 1e-5 and channels[..., 1:].abs().max() < 1e-5

    # Whole unit against an explicit (re0, im0, re1, im1) construction.
    torch.manual_seed(0)
    unit = FourierUnit(2).eval()
    unit.bn.running_mean.normal_()
    x = torch.randn(1, 2, 5, 8)
    spec = torch.fft.rfftn(x, dim=(-2, -1), norm="ortho")

    def reference(order):
        stacked = torch.stack([getattr(spec[:, c], part) for c, part in order], dim=1)
        y = unit.relu(unit.bn(unit.conv_layer(stacked)))
        out = torch.complex(y[:, 0::2], y[:, 1::2]) if order[1][1] == "imag" else torch.complex(y[:, :2], y[:, 2:])
        return torch.fft.irfftn(out, s=(5, 8), dim=(-2, -1), norm="ortho")

    interleaved = [(0, "real"), (0, "imag"), (1, "real"), (1, "imag")]
    blocked = [(0, "real"), (1, "real"), (0, "imag"), (1, "imag")]
    with torch.no_grad():
        output = unit(x)
        torch.testing.assert_close(output, reference(interleaved))
        assert not torch.allclose(output, reference(blocked), atol=1e-3)


def test_lama_state_dict_uses_official_key_names():
    with torch.device("meta"):
        fourier = create_model("lama-fourier").state_dict()
        big = create_model("big-lama").state_dict()
    expected_shapes = {
        "model.1.ffc.convl2l.weight": (64, 4, 7, 7),
        "model.2.ffc.convl2l.weight": (128, 64, 3, 3),
        "model.4.ffc.convl2l.weight": (128, 256, 3, 3),
        "model.4.ffc.convl2g.weight": (384, 256, 3, 3),
        "model.4.bn_g.running_var": (384,),
        "model.5.conv1.ffc.convl2l.weight": (128, 128, 3, 3),
        "model.5.conv1.ffc.convl2g.weight": (384, 128, 3, 3),
        "model.5.conv1.ffc.convg2l.weight": (128, 384, 3, 3),
        "model.5.conv1.ffc.convg2g.conv1.0.weight": (192, 384, 1, 1),
        "model.5.conv1.ffc.convg2g.conv1.1.running_mean": (192,),
        "model.5.conv1.ffc.convg2g.fu.conv_layer.weight": (384, 384, 1, 1),
        "model.5.conv1.ffc.convg2g.fu.bn.weight": (384,),
        "model.5.conv1.ffc.convg2g.conv2.weight": (384, 192, 1, 1),
        "model.13.conv2.bn_l.weight": (128,),
        "model.15.weight": (512, 256, 3, 3),  # first ConvTranspose2d (in, out, k, k)
        "model.16.running_mean": (256,),
        "model.21.weight": (128, 64, 3, 3),
        "model.25.weight": (3, 64, 7, 7),
        "model.25.bias": (3,),
    }
    for key, shape in expected_shapes.items():
        assert tuple(fourier[key].shape) == shape, key
    assert next(iter(fourier)) == "model.1.ffc.convl2l.weight"
    assert "model.1.ffc.convl2g.weight" not in fourier and "model.1.bn_g.weight" not in fourier
    assert all(key.startswith("model.") for key in fourier)
    assert "model.22.conv2.ffc.convg2g.fu.conv_layer.weight" in big
    assert tuple(big["model.34.weight"].shape) == (3, 64, 7, 7)  # big-lama's final 7x7 conv


def _lightning_style_state(model):
    state = {f"generator.{key}": value.clone() for key, value in model.state_dict().items()}
    state["discriminator.model0.0.weight"] = torch.randn(8, 3, 4, 4)
    state["discriminator.model1.1.running_mean"] = torch.randn(16)
    state["loss_resnet_pl.impl.conv1.weight"] = torch.randn(4, 3, 3, 3)
    state["val_evaluator.scores.fid.model.fc.weight"] = torch.randn(2, 2)
    return state


def _randomise(model):
    torch.manual_seed(1)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point():
                if name.endswith("running_var"):
                    tensor.uniform_(0.5, 1.5)
                else:
                    tensor.normal_(0, 0.2 if name.endswith("weight") else 0.1)
    return model.eval()


def test_official_checkpoint_key_mapping(tmp_path):
    source = _randomise(create_model("lama-tiny"))
    path = tmp_path / "best.ckpt"
    torch.save({"state_dict": _lightning_style_state(source), "epoch": 3, "global_step": 100}, path)

    loaded = load_official_lama(path, name="lama-tiny")
    image = torch.rand(2, 3, 24, 40)
    mask = (torch.rand(2, 1, 24, 40) > 0.6).float()
    with torch.no_grad():
        assert torch.equal(loaded(image, mask), source(image, mask))

    converted = convert_lama_state_dict(torch.load(path, weights_only=True))  # architecture inferred from keys
    assert set(converted) == set(source.state_dict())
    assert not any(key.startswith(("generator.", "discriminator.", "loss_", "val_")) for key in converted)

    safetensors_path = tmp_path / "big-lama-generator.safetensors"
    save_file({k: v.contiguous() for k, v in _lightning_style_state(source).items()}, str(safetensors_path))
    with torch.no_grad():
        assert torch.equal(load_official_lama(safetensors_path, "lama-tiny")(image, mask), source(image, mask))


class _HydraConfigStandIn:
    """A non-allowlisted class, like the OmegaConf config pickled in the official checkpoint."""


def test_official_loader_never_unpickles_and_validates(tmp_path):
    source = create_model("lama-tiny")
    path = tmp_path / "best.ckpt"
    torch.save({"state_dict": _lightning_style_state(source), "hyper_parameters": _HydraConfigStandIn()}, path)
    with pytest.raises(CheckpointError, match="weights_only=True") as info:
        load_official_lama(path, name="lama-tiny")
    assert "weights_only=False" in str(info.value) and "safetensors" in str(info.value)

    state = _lightning_style_state(source)
    del state["generator.model.1.ffc.convl2l.weight"]
    with pytest.raises(CheckpointError, match="missing"):
        convert_lama_state_dict(state, name="lama-tiny")
    with pytest.raises(CheckpointError, match="shape mismatch|unexpected|missing"):
        convert_lama_state_dict(_lightning_style_state(source), name="lama-fourier")
    with pytest.raises(CheckpointError, match="no LaMa generator"):
        convert_lama_state_dict({"discriminator.model0.0.weight": torch.zeros(1)})


# --------------------------------------------------------------------------- classical methods


@pytest.mark.parametrize("name", ["telea", "navier-stokes", "biharmonic"])
def test_classical_methods_fill_smooth_holes(name):
    height, width = 24, 32
    ys, xs = torch.meshgrid(torch.linspace(0, 1, height), torch.linspace(0, 1, width), indexing="ij")
    image = torch.stack([0.2 + 0.6 * xs, 0.1 + 0.5 * ys, 0.3 + 0.3 * xs + 0.2 * ys])[None]
    mask = torch.zeros(1, 1, height, width)
    mask[..., 10:14, 12:16] = 1
    output, raw = create_model(name)(image, mask, return_raw=True)
    hole = (mask > 0.5).expand_as(image)
    assert torch.equal(output[~hole], image[~hole])  # differs only in the hole
    assert not torch.equal(output[hole], (image * (1 - mask))[hole])  # the hole was filled
    assert (output - image).abs().max() < 0.03  # close to the smooth image's true values


# --------------------------------------------------------------------------- adversarial losses


def test_resize_mask_nearest_to_logit_grid():
    mask = torch.zeros(1, 1, 96, 96)
    mask[..., :48, :] = 1
    cells = resize_mask(mask, (9, 9))
    assert cells.shape == (1, 1, 9, 9) and set(cells.unique().tolist()) <= {0.0, 1.0}
    assert cells[..., :4, :].eq(1).all() and cells[..., 5:, :].eq(0).all()


def test_discriminator_loss_labels_known_fake_regions_real():
    real = torch.full((1, 1, 2, 2), 2.0)
    fake = torch.full((1, 1, 2, 2), 2.0)
    mask = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])  # top half hole
    loss, stats = discriminator_loss(real, fake, mask, r1_weight=0.0)
    softplus = torch.nn.functional.softplus
    expected = softplus(torch.tensor(-2.0)) + 0.5 * softplus(torch.tensor(2.0)) + 0.5 * softplus(torch.tensor(-2.0))
    torch.testing.assert_close(loss, expected)
    plain, _ = discriminator_loss(real, fake, None, r1_weight=0.0)
    torch.testing.assert_close(plain, softplus(torch.tensor(-2.0)) + softplus(torch.tensor(2.0)))
    assert set(stats) == {"real_logit", "fake_logit", "r1"}


def test_r1_penalty():
    real = torch.rand(3, 3, 8, 8, requires_grad=True)
    constant = real * 0 + 1.5  # logits that do not depend on the input: zero gradient
    assert r1_penalty(constant, real).item() == 0.0
    unrelated = torch.ones(3, 1, 2, 2, requires_grad=True)  # not connected to the input at all
    assert r1_penalty(unrelated, real).item() == 0.0
    weight = torch.randn(1, 3, 8, 8)
    linear = (real * weight).sum(dim=(1, 2, 3)).view(3, 1, 1, 1)  # d/dx = weight for every sample
    torch.testing.assert_close(r1_penalty(linear, real), weight.pow(2).sum())
    loss, stats = discriminator_loss(linear, linear.detach(), None, real_images=real, r1_weight=0.5)
    loss.backward()  # the penalty is differentiable (create_graph)
    torch.testing.assert_close(stats["r1"], weight.pow(2).sum())


def test_generator_loss_raises_fake_logits_on_toy_problem():
    torch.manual_seed(0)
    disc = NLayerDiscriminator(ndf=4, n_layers=2).eval()
    for parameter in disc.parameters():
        parameter.requires_grad_(False)
    fake = torch.rand(1, 3, 16, 16, requires_grad=True)
    optimiser = torch.optim.Adam([fake], lr=0.05)
    first_loss = first_logit = None
    for _ in range(10):
        logits, _ = disc(fake)
        loss = generator_adversarial_loss(logits)
        if first_loss is None:
            first_loss, first_logit = loss.item(), logits.mean().item()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    logits, _ = disc(fake)
    assert generator_adversarial_loss(logits).item() < first_loss
    assert logits.mean().item() > first_logit


def test_feature_matching_loss():
    torch.manual_seed(0)
    disc = NLayerDiscriminator(ndf=4, n_layers=2)
    real = torch.rand(2, 3, 32, 32, requires_grad=True)
    fake = torch.rand(2, 3, 32, 32, requires_grad=True)
    _, real_features = disc(real)
    _, fake_features = disc(fake)
    assert feature_matching_loss(real_features, real_features).item() == 0.0
    loss = feature_matching_loss(fake_features, real_features)
    loss.backward()
    assert loss.item() > 0 and fake.grad.abs().sum() > 0 and real.grad is None  # targets are detached
    masked = feature_matching_loss(fake_features, real_features, mask=torch.ones(2, 1, 32, 32))
    assert masked.item() < 1e-6  # all-hole mask: nothing to match
