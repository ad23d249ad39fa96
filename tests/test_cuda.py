"""The CUDA paths: models, the Inpainter and AMP training on a GPU agree with the CPU.

Skipped on machines without CUDA (CI); run them wherever a GPU is present. (The NaN/inf loss test of
test_training.py also runs on CUDA when there is one.)
"""

import numpy as np
import pytest
import torch
from conftest import smooth_image

from wavemix_inpaint import Inpainter, create_model
from wavemix_inpaint.checkpoint import load_model
from wavemix_inpaint.training import Trainer, make_train_config

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(autouse=True)
def exact_fp32():
    """TF32 convolutions and matmuls differ from the CPU by ~1e-3: compare in true fp32."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def _batch(height: int = 40, width: int = 56) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(0)
    image = torch.stack([torch.from_numpy(smooth_image(rng, height, width)).permute(2, 0, 1) for _ in range(2)])
    mask = torch.zeros(2, 1, height, width)
    mask[0, :, 8:30, 10:40] = 1
    mask[1, :, 2:12, 30:54] = 1
    return image.float() / 255, mask


@pytest.mark.parametrize("name", ["wavemix-tiny", "unet-tiny", "lama-tiny"])
def test_forward_on_cuda_matches_cpu(name):
    torch.manual_seed(0)
    model = create_model(name).eval()
    image, mask = _batch()
    with torch.no_grad():
        expected = model(image, mask)
        output = model.cuda()(image.cuda(), mask.cuda()).cpu()
    assert (output - expected).abs().max() < 1e-4
    known = (mask < 0.5).expand_as(image)
    assert torch.equal(output[known], image[known])


def test_default_inpainter_on_cuda_matches_cpu():
    image, mask = _batch()
    cpu = Inpainter.from_pretrained("default", device="cpu")(image, mask)
    cuda = Inpainter.from_pretrained("default", device="cuda")(image.cuda(), mask.cuda())
    assert cuda.device.type == "cuda"
    assert (cuda.cpu() - cpu).abs().max() < 1e-3
    half = Inpainter.from_pretrained("default", device="cuda", precision="bf16")(image.cuda(), mask.cuda())
    assert (half.cpu() - cpu).abs().mean() < 0.01


def _config(folder, output, **overrides):
    values = dict(
        model="wavemix-tiny",
        data=str(folder),
        output=str(output),
        image_size=32,
        batch_size=4,
        epochs=2,
        steps_per_epoch=3,
        switch_epoch=1,
        val_size=4,
        num_workers=0,
        progress=False,
        tensorboard=False,
        device="cuda",
    )
    values.update(overrides)
    return make_train_config(values)


def test_amp_training_on_cuda_runs_the_paper_recipe(image_folder, tmp_path):
    trainer = Trainer(_config(image_folder, tmp_path / "run"))
    assert trainer.autocast_dtype == torch.float16 and trainer.scaler.is_enabled()
    summary = trainer.fit()
    assert summary["phase"] == "sgd" and np.isfinite(summary["val_loss"])
    reloaded = load_model(tmp_path / "run" / "best.safetensors")
    assert all(torch.isfinite(p).all() for p in reloaded.parameters())
