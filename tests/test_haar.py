import torch

from wavemix_inpaint.models.haar import haar_dwt2, haar_idwt2, haar_tokens


def test_matches_closed_form_2x2_haar():
    a, b, c, d = 1.0, 2.0, 5.0, 11.0
    x = torch.tensor([[[[a, b], [c, d]]]])
    low, details = haar_dwt2(x)
    assert low.item() == (a + b + c + d) / 2
    assert details[0, 0, :, 0, 0].tolist() == [(a + b - c - d) / 2, (a - b + c - d) / 2, (a - b - c + d) / 2]


def test_inverse_reconstructs_input():
    x = torch.randn(2, 3, 8, 12, dtype=torch.float64)
    low, details = haar_dwt2(x)
    assert torch.allclose(haar_idwt2(low, details), x, atol=1e-12)


def test_orthonormal_energy_preserved():
    x = torch.randn(1, 4, 16, 16, dtype=torch.float64)
    low, details = haar_dwt2(x)
    assert torch.allclose(low.square().sum() + details.square().sum(), x.square().sum())


def test_tokens_are_channel_major_and_multilevel():
    x = torch.randn(1, 2, 8, 8)
    level1, level2 = haar_tokens(x, levels=2)
    low1, details1 = haar_dwt2(x)
    assert level1.shape == (1, 8, 4, 4)
    assert torch.equal(level1[:, :2], low1)
    # channel 1, band D2 sits at 2 + 1 * 3 + 1
    assert torch.equal(level1[:, 2 + 1 * 3 + 1], details1[:, 1, 1])
    low2, _ = haar_dwt2(low1)
    assert level2.shape == (1, 8, 2, 2)
    assert torch.equal(level2[:, :2], low2)


def test_odd_size_rejected():
    try:
        haar_dwt2(torch.zeros(1, 1, 5, 4))
    except ValueError as error:
        assert "even" in str(error)
    else:
        raise AssertionError("odd size accepted")
