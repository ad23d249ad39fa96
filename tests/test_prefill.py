import pytest
import torch

from wavemix_inpaint import create_model
from wavemix_inpaint.models.prefill import push_pull_fill


def test_known_pixels_kept_and_constant_image_filled_exactly():
    image = torch.full((1, 3, 37, 53), 0.3)
    image[:, 1] = 0.7
    mask = torch.zeros(1, 1, 37, 53)
    mask[..., 5:30, 10:50] = 1
    filled = push_pull_fill(image * (1 - mask), mask)
    assert torch.allclose(filled, image, atol=1e-6)


def test_fill_interpolates_between_sides():
    image = torch.zeros(1, 1, 32, 32)
    image[..., 16:] = 1.0
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 12:20] = 1
    filled = push_pull_fill(image * (1 - mask), mask)
    assert torch.equal(filled[..., :12], image[..., :12]) and torch.equal(filled[..., 20:], image[..., 20:])
    row = filled[0, 0, 16, 12:20]
    assert (row[1:] >= row[:-1] - 1e-6).all() and 0 < row.mean() < 1  # monotone ramp from 0 to 1


def test_all_hole_mask_gives_finite_output():
    filled = push_pull_fill(torch.zeros(1, 3, 16, 16), torch.ones(1, 1, 16, 16))
    assert torch.isfinite(filled).all()


def test_prefill_option_changes_first_estimate_only():
    torch.manual_seed(0)
    plain = create_model("wavemix-tiny")
    torch.manual_seed(0)
    prefilled = create_model("wavemix-tiny", prefill="push-pull")
    assert plain.state_dict().keys() == prefilled.state_dict().keys()
    image = torch.rand(1, 3, 32, 32)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 1
    with torch.no_grad():
        assert not torch.equal(plain.eval()(image, mask), prefilled.eval()(image, mask))


def test_prefilled_untrained_model_returns_the_prefill_exactly():
    from wavemix_inpaint.models.prefill import telea_fill

    model = create_model("wavemix-tiny", prefill="telea").eval()
    image = torch.rand(2, 3, 32, 40)
    mask = torch.zeros(2, 1, 32, 40)
    mask[..., 8:24, 10:30] = 1
    with torch.no_grad():
        output = model(image, mask)
    assert torch.allclose(output, telea_fill(image * (1 - mask), mask), atol=1e-6)


def test_telea_fill_keeps_known_pixels_and_fills_holes():
    from wavemix_inpaint.models.prefill import telea_fill

    image = torch.rand(1, 3, 24, 24)
    mask = torch.zeros(1, 1, 24, 24)
    mask[..., 8:16, 8:16] = 1
    filled = telea_fill(image * (1 - mask), mask)
    known = (mask < 0.5).expand_as(image)
    assert torch.equal(filled[known], image[known])
    assert filled[~known].abs().sum() > 0


@pytest.mark.parametrize("name", ["telea-prefill", "telea", "biharmonic"])
def test_batched_cpu_inpainting_on_threads_matches_one_thread(name):
    from wavemix_inpaint.models.prefill import telea_fill

    fill = telea_fill if name == "telea-prefill" else create_model(name)
    image = torch.rand(6, 3, 24, 28, generator=torch.Generator().manual_seed(0))
    mask = torch.zeros(6, 1, 24, 28)
    for i in range(6):  # a different hole per image, so a reordered batch would show
        mask[i, :, 2 + i : 12 + i, 3 : 10 + 2 * i] = 1
    mask[5] = 0  # one image without a hole
    masked = image * (1 - mask)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = fill(masked, mask)
        torch.set_num_threads(3)
        threaded = fill(masked, mask)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(single, threaded)
    assert torch.equal(threaded[5], masked[5])


def test_loader_computed_estimate_gives_the_same_output_as_the_prefill_in_the_model():
    from wavemix_inpaint.models.prefill import telea_fill

    model = create_model("wavemix-tiny", prefill="telea").eval()
    with torch.no_grad():
        for parameter in model.parameters():  # leave the zero-initialised start: a real correction
            parameter.add_(0.05 * torch.randn_like(parameter))
    image = torch.rand(2, 3, 32, 32)
    mask = torch.zeros(2, 1, 32, 32)
    mask[..., 6:20, 8:28] = 1
    estimate = telea_fill(image * (1 - mask), mask)
    with torch.no_grad():
        assert torch.equal(model(image, mask, estimate=estimate), model(image, mask))
        # any size: the estimate is padded like the image (coarse-to-fine hands over such estimates)
        odd = model(image[..., :30, :30], mask[..., :30, :30], estimate=estimate[..., :30, :30])
        assert odd.shape == (2, 3, 30, 30)
        known = mask[..., :30, :30].expand(-1, 3, -1, -1) < 0.5
        assert torch.equal(odd[known], image[..., :30, :30][known])
