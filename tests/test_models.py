import pytest
import torch

from wavemix_inpaint import count_parameters, create_model, list_models
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.models.wavemix import WaveMixBlock


@pytest.mark.parametrize(
    ("name", "overrides", "expected"),
    [
        ("wavemix-paper", {}, 10_934_544),
        ("wavemix-14m", {}, 13_668_180),
        ("wavemix-paper", {"num_modules": 1}, 2_733_636),
    ],
)
def test_parameter_counts_match_research_notes(name, overrides, expected):
    assert count_parameters(create_model(name, **overrides)) == expected


def test_tiny_era_block_parameter_count():
    block = WaveMixBlock(dim=128, ff_channels=128, mult=2)
    assert count_parameters(block) == 336_160


def test_count_parameters_deduplicates_shared_tensors():
    model = create_model("wavemix-tiny")
    single = count_parameters(model)
    model.alias = model.stages[0]  # the authors' aliasing pattern that made torchsummary double count
    assert count_parameters(model) == single
    assert sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False)) > single


def test_count_parameters_on_the_meta_device():
    # meta tensors have no storage (every data_ptr is 0): they must not all count as one shared tensor
    with torch.device("meta"):
        model = create_model("wavemix-tiny")
    assert count_parameters(model) == count_parameters(create_model("wavemix-tiny")) > 60_000
    model.alias = model.stages[0]
    assert count_parameters(model) == count_parameters(create_model("wavemix-tiny"))


@pytest.mark.parametrize("size", [(32, 32), (37, 53), (1, 1), (9, 200)])
@pytest.mark.parametrize("overrides", [{}, {"dwt_levels": 2}, {"stem_stride": 4}, {"stem_stride": 1}])
def test_any_size_is_padded_and_cropped(size, overrides):
    model = create_model("wavemix-tiny", **overrides).eval()
    image = torch.rand(2, 3, *size)
    mask = (torch.rand(2, 1, *size) > 0.5).float()
    with torch.no_grad():
        output, raw = model(image, mask, return_raw=True)
    assert output.shape == image.shape and raw.shape == image.shape


def test_known_pixels_returned_bit_for_bit():
    torch.manual_seed(0)
    model = create_model("wavemix-tiny").eval()
    image = torch.rand(1, 3, 40, 24)
    mask = torch.zeros(1, 1, 40, 24)
    mask[..., 10:30, 5:15] = 1
    with torch.no_grad():
        output = model(image, mask)
    known = (mask < 0.5).expand_as(image)
    assert torch.equal(output[known], image[known])
    assert not torch.equal(output[~known], image[~known])


def test_hole_content_is_ignored():
    """Pixels under the hole must not influence the output (the network sees image * (1 - mask))."""
    model = create_model("wavemix-tiny").eval()
    image = torch.rand(1, 3, 32, 32)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:20, 8:20] = 1
    other = image.clone()
    other[..., 8:20, 8:20] = torch.rand(1, 3, 12, 12)
    with torch.no_grad():
        assert torch.equal(model(image, mask), model(other, mask))


def test_gradients_flow_to_all_parameters():
    model = create_model("wavemix-tiny", num_modules=2, dwt_levels=2)
    image = torch.rand(2, 3, 32, 32)
    mask = torch.zeros(2, 1, 32, 32)
    mask[..., 4:20, 6:26] = 1
    output = model(image, mask)
    (output - image).abs().mean().backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_multilevel_uneven_channel_split():
    block = WaveMixBlock(dim=32, ff_channels=32, dwt_levels=3)
    assert [up.out_channels for up in block.upsample] == [12, 10, 10]
    assert block(torch.rand(1, 32, 16, 16)).shape == (1, 32, 16, 16)


def test_five_channel_variant_has_extra_input_weights():
    four = count_parameters(create_model("wavemix-paper", num_modules=1))
    five = count_parameters(create_model("wavemix-paper", num_modules=1, in_channels=5))
    assert five - four == 64 * 9  # one more input channel in the first 3x3 conv (C/2 = 64 filters)


def test_registry_errors_are_specific():
    with pytest.raises(InputError, match="unknown model 'nope'"):
        create_model("nope")
    with pytest.raises(InputError, match="no option"):
        create_model("wavemix-tiny", depth=3)
    assert {"wavemix-paper", "wavemix-14m", "wavemix-small", "wavemix-tiny"} <= set(list_models())


def test_config_is_recorded():
    model = create_model("wavemix-tiny", embed_dim=16)
    assert model.model_name == "wavemix-tiny"
    assert model.config["embed_dim"] == 16 and model.config["num_modules"] == 1


def test_grow_from_a_smaller_wavemix_keeps_the_function_exactly():
    torch.manual_seed(0)
    small = create_model("wavemix-tiny", prefill="push-pull", blocks_per_module=2, num_modules=1).eval()
    with torch.no_grad():  # a trained-looking small model (its head is no longer zero)
        for parameter in small.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    big = create_model("wavemix-tiny", prefill="push-pull", blocks_per_module=3, num_modules=2).eval()
    new = big.grow_from(small.state_dict())
    assert any(key.startswith("stages.1.") for key in new) and any(".blocks.2." in key for key in new)
    image, mask = torch.rand(2, 3, 32, 32), torch.zeros(2, 1, 32, 32)
    mask[..., 8:24, 6:20] = 1
    with torch.no_grad():
        assert torch.allclose(big(image, mask), small(image, mask), atol=1e-6)
        assert not torch.allclose(big(image, mask), create_model("wavemix-tiny", prefill="push-pull")(image, mask))
    with pytest.raises(ValueError, match="cannot widen embed_dim 32 to 16"):
        create_model("wavemix-tiny", embed_dim=16).grow_from(small.state_dict())


def test_grow_from_a_narrower_wavemix_keeps_the_function_and_trains_the_new_channels():
    torch.manual_seed(0)
    narrow = create_model("wavemix-tiny", prefill="push-pull", num_modules=2).eval()
    with torch.no_grad():  # trained-looking: non-zero heads, BatchNorm statistics away from their start
        for parameter in narrow.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
        for layer in narrow.modules():
            if isinstance(layer, torch.nn.BatchNorm2d):
                layer.running_mean.uniform_(-0.2, 0.2)
                layer.running_var.uniform_(0.5, 2.0)
    wide = create_model("wavemix-tiny", prefill="push-pull", num_modules=2, embed_dim=48, blocks_per_module=3).eval()
    wide.grow_from(narrow.state_dict())
    image, mask = torch.rand(2, 3, 32, 40), torch.zeros(2, 1, 32, 40)
    mask[..., 6:26, 8:30] = 1
    with torch.no_grad():
        assert torch.allclose(wide(image, mask), narrow(image, mask), atol=1e-6)
    wide(image, mask).square().mean().backward()
    reads_new_channels = wide.stages[0].blocks[0].reduction.weight.grad[:8, 32:]  # old outputs, new inputs
    assert reads_new_channels.abs().sum() > 0  # starts at zero, but training moves it
    head = wide.stages[1].head.weight
    assert torch.all(head[:, 16:24] == 0) and head.grad[:, 16:24].abs().sum() > 0
    with pytest.raises(ValueError, match="one DWT level"):
        create_model("wavemix-tiny", embed_dim=48, dwt_levels=2).grow_from(narrow.state_dict())


@pytest.mark.parametrize("name", list_models())
def test_every_registered_preset_keeps_the_contract(name):
    """timm-style: every preset builds, takes any size, returns a finite composited image."""
    torch.manual_seed(0)
    model = create_model(name).eval()
    assert model.model_name == name and isinstance(model.config, dict)
    image = torch.rand(1, 3, 29, 35)
    mask = torch.zeros(1, 1, 29, 35)
    mask[..., 8:20, 10:26] = 1
    with torch.no_grad():
        out = model(image, mask)
    assert out.shape == image.shape and torch.isfinite(out).all()
    known = mask.expand_as(image) < 0.5
    assert torch.equal(out[known], image[known])
    trainable = getattr(model, "trainable", True)
    assert (count_parameters(model) > 0) == trainable


@pytest.mark.parametrize("options", [{"embed_dim": 0}, {"embed_dim": -4}, {"dropout": 2.0}])
def test_options_the_builder_rejects_are_an_input_error(options):
    with pytest.raises(InputError, match=r"invalid options for model 'wavemix-tiny' \("):
        create_model("wavemix-tiny", **options)


def test_model_options_of_the_wrong_kind_are_a_clear_error():
    """``--model-option radius=abc`` reached the builder and ended in a TypeError traceback."""
    with pytest.raises(InputError, match=r"option radius='abc': expected float"):
        create_model("telea", radius="abc")
    with pytest.raises(InputError, match=r"option embed_dim=True: expected int"):
        create_model("wavemix-tiny", embed_dim=True)
    with pytest.raises(InputError, match="has no option"):
        create_model("telea", colour=1)
    assert create_model("telea", radius=5).config["radius"] == 5  # an integer for a float option is fine
