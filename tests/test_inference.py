import pytest
import torch

from wavemix_inpaint import create_model
from wavemix_inpaint.inference import fuse_conv_bn


def _randomise_batchnorm(model):
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)


@pytest.mark.parametrize("name", ["wavemix-tiny", "unet-tiny"])
def test_fused_model_matches_and_has_fewer_batchnorms(name):
    torch.manual_seed(0)
    model = create_model(name).eval()
    _randomise_batchnorm(model)
    fused = fuse_conv_bn(model)
    count = lambda m: sum(isinstance(x, torch.nn.BatchNorm2d) for x in m.modules())  # noqa: E731
    assert count(fused) < count(model)
    image = torch.rand(2, 3, 40, 56)
    mask = torch.zeros(2, 1, 40, 56)
    mask[..., 10:30, 12:40] = 1
    with torch.no_grad():
        assert torch.allclose(fused(image, mask), model(image, mask), atol=1e-5)
    assert model.training is False and count(model) > count(fused)  # the original is untouched
