"""ONNX export and ONNX Runtime inference match PyTorch (skipped without onnx / onnxruntime)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from conftest import smooth_image  # noqa: E402

from wavemix_inpaint.checkpoint import load_model, save_checkpoint  # noqa: E402
from wavemix_inpaint.cli.main import main  # noqa: E402
from wavemix_inpaint.errors import InputError  # noqa: E402
from wavemix_inpaint.inpainter import Inpainter  # noqa: E402
from wavemix_inpaint.models import create_model  # noqa: E402
from wavemix_inpaint.onnx_runtime import OnnxInpainter  # noqa: E402


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny checkpoint with non-trivial BatchNorm statistics, exported once through the CLI."""
    folder = tmp_path_factory.mktemp("onnx")
    torch.manual_seed(0)
    model = create_model("wavemix-tiny")
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 1.5)
    checkpoint = save_checkpoint(model, folder / "tiny.safetensors")
    onnx_path = folder / "tiny.onnx"
    assert main(["export", "--format", "onnx", "--checkpoint", str(checkpoint), "--output", str(onnx_path)]) == 0
    return checkpoint, onnx_path


@pytest.mark.parametrize("size", [(37, 53), (64, 48)])
def test_onnx_matches_pytorch(exported, size) -> None:
    checkpoint, onnx_path = exported
    model = load_model(checkpoint)
    runner = OnnxInpainter(onnx_path)
    assert runner.size_multiple == model.size_multiple
    generator = torch.Generator().manual_seed(1)
    image = torch.rand(2, 3, *size, generator=generator)
    mask = (torch.rand(2, 1, *size, generator=generator) > 0.6).float()
    with torch.inference_mode():
        expected = model(image, mask)
    got = runner(image, mask)
    assert got.shape == expected.shape
    assert float((got - expected).abs().max()) < 1e-4
    as_numpy = runner(image.numpy(), mask.numpy())
    assert isinstance(as_numpy, np.ndarray) and np.abs(as_numpy - expected.numpy()).max() < 1e-4


def test_inpainter_from_onnx_matches_pytorch(exported) -> None:
    checkpoint, onnx_path = exported
    image = smooth_image(np.random.default_rng(0), 41, 59)
    hole = np.zeros((41, 59), bool)
    hole[5:30, 20:40] = True
    reference = Inpainter.from_checkpoint(checkpoint, device="cpu")(image / 255.0, hole)
    onnx = Inpainter.from_onnx(onnx_path)
    assert "ONNX" in onnx.description
    np.testing.assert_allclose(onnx(image / 255.0, hole), reference, atol=1e-4)
    out = onnx(image, hole, strategy="crop", crop_trigger=30, crop_margin=4)
    np.testing.assert_array_equal(out[~hole], image[~hole])


def _export_tiny(folder: Path, prefill: str) -> tuple[Path, Path]:
    torch.manual_seed(0)
    checkpoint = save_checkpoint(create_model("wavemix-tiny", prefill=prefill), folder / f"{prefill}.safetensors")
    onnx_path = folder / f"{prefill}.onnx"
    assert main(["export", "--format", "onnx", "--checkpoint", str(checkpoint), "--output", str(onnx_path)]) == 0
    return checkpoint, onnx_path


def _large_hole() -> tuple[np.ndarray, np.ndarray]:
    from wavemix_inpaint.models.pyramid import pyramid_levels

    image = smooth_image(np.random.default_rng(1), 240, 320) / 255.0
    large = np.zeros((240, 320), bool)
    large[60:180, 80:240] = True
    assert pyramid_levels(large) > 0  # thick enough to be filled coarse to fine
    return image, large


def test_onnx_with_an_outside_prefill_fills_coarse_to_fine_as_pytorch_does(tmp_path) -> None:
    from wavemix_inpaint.inpainter import ONNX_COARSE_TO_FINE_NOTICE

    checkpoint, onnx_path = _export_tiny(tmp_path, "telea")
    onnx = Inpainter.from_onnx(onnx_path)
    assert onnx.can_refine and not onnx.backend.skips_coarse_to_fine
    image, large = _large_hole()
    filled, notices = onnx.run(image, large)
    assert ONNX_COARSE_TO_FINE_NOTICE not in notices
    reference = Inpainter.from_checkpoint(checkpoint, device="cpu")
    np.testing.assert_allclose(filled, reference(image, large), atol=1e-4)
    one_pass = reference(image, large, coarse_to_fine=False)
    assert np.abs(filled - one_pass).max() > 1e-3  # the pyramid changed the fill: it was used
    with pytest.raises(InputError, match="estimate must be"):
        onnx.backend(torch.rand(1, 3, 20, 20), torch.ones(1, 1, 20, 20), torch.rand(1, 3, 10, 20))
    with pytest.raises(InputError, match="estimate must be"):
        onnx.backend(torch.rand(1, 3, 20, 20), torch.ones(1, 1, 20, 20), torch.rand(3, 20, 20))


def test_onnx_says_when_its_graph_cannot_fill_coarse_to_fine(exported, tmp_path) -> None:
    from wavemix_inpaint.inpainter import ONNX_COARSE_TO_FINE_NOTICE

    image, large = _large_hole()
    onnx = Inpainter.from_onnx(_export_tiny(tmp_path, "push-pull")[1])  # the prefill is inside the graph
    assert not onnx.can_refine
    assert ONNX_COARSE_TO_FINE_NOTICE in onnx.run(image, large)[1]
    assert ONNX_COARSE_TO_FINE_NOTICE not in onnx.run(image, large, coarse_to_fine=False)[1]
    small = np.zeros((240, 320), bool)
    small[100:104, 100:104] = True
    assert ONNX_COARSE_TO_FINE_NOTICE not in onnx.run(image, small)[1]
    with pytest.raises(InputError, match="takes no estimate"):
        onnx.backend(torch.rand(1, 3, 20, 20), torch.ones(1, 1, 20, 20), torch.rand(1, 3, 20, 20))
    plain = Inpainter.from_onnx(exported[1])  # no prefill: the PyTorch model fills in one pass too
    assert ONNX_COARSE_TO_FINE_NOTICE not in plain.run(image, large)[1]


def test_cli_inpaint_with_onnx_and_export_refuses_overwrite(exported, tmp_path, capsys) -> None:
    checkpoint, onnx_path = exported
    Image.fromarray(smooth_image(np.random.default_rng(2), 30, 30)).save(tmp_path / "a.png")
    mask = np.zeros((30, 30), np.uint8)
    mask[10:20, 10:20] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    args = ["inpaint", "--image", str(tmp_path / "a.png"), "--mask", str(tmp_path / "m.png")]
    assert main([*args, "--output", str(tmp_path / "o.png"), "--onnx", str(onnx_path)]) == 0
    assert main([*args, "--output", str(tmp_path / "p.png"), "--checkpoint", str(checkpoint)]) == 0
    onnx_out = np.asarray(Image.open(tmp_path / "o.png")).astype(int)
    torch_out = np.asarray(Image.open(tmp_path / "p.png")).astype(int)
    assert np.abs(onnx_out - torch_out).max() <= 1
    capsys.readouterr()
    before = onnx_path.read_bytes()
    assert main(["export", "--checkpoint", str(checkpoint), "--output", str(onnx_path), "--no-verify"]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert onnx_path.read_bytes() == before


def test_a_classical_method_is_not_exported(tmp_path, capsys) -> None:
    checkpoint = save_checkpoint(create_model("telea"), tmp_path / "telea.safetensors")
    assert main(["export", "--checkpoint", str(checkpoint), "--output", str(tmp_path / "t.onnx"), "--no-verify"]) == 2
    assert "telea is a classical method, not a network: nothing to export" in capsys.readouterr().err
    assert not (tmp_path / "t.onnx").exists()


@pytest.mark.parametrize("flag", [["--device", "cuda"], ["--precision", "bf16"], ["--threads", "1"]])
def test_export_does_not_offer_flags_it_would_ignore(tmp_path, capsys, flag) -> None:
    """Export runs on the CPU in fp32: a --device or --precision that was silently ignored misled users."""
    with pytest.raises(SystemExit) as stop:
        main(["export", "--model", "default", "--output", str(tmp_path / "m.onnx"), *flag])
    assert stop.value.code == 2
    assert f"unrecognized arguments: {flag[0]}" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


def test_bad_onnx_files(tmp_path) -> None:
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(InputError, match="junk.onnx"):
        OnnxInpainter(tmp_path / "junk.onnx")
    with pytest.raises(InputError, match="not found"):
        OnnxInpainter(tmp_path / "missing.onnx")


@pytest.mark.parametrize(
    ("value", "message"), [("abc", "invalid size_multiple"), ("0", "invalid size_multiple"), ("3", "failed on a 53x37 input")]
)
def test_edited_onnx_metadata_is_a_clear_error(exported, tmp_path, value, message) -> None:
    import onnx

    proto = onnx.load(str(exported[1]))
    for entry in proto.metadata_props:
        if entry.key == "size_multiple":
            entry.value = value  # the tiny model needs a multiple of 4
    onnx.save(proto, str(tmp_path / "edited.onnx"))
    with pytest.raises(InputError, match=message):
        OnnxInpainter(tmp_path / "edited.onnx")(np.zeros((1, 3, 37, 53), np.float32), np.ones((1, 1, 37, 53), np.float32))


@pytest.mark.parametrize("prefill", ["push-pull", "telea"])
def test_prefilled_models_export_and_match(tmp_path, prefill):
    torch.manual_seed(0)
    model = create_model("wavemix-tiny", prefill=prefill).eval()
    for stage in model.stages:  # leave the zero-initialised head: make the network do something
        torch.nn.init.normal_(stage.head.weight, std=0.01)
    from wavemix_inpaint.onnx_runtime import export_onnx

    path = export_onnx(model, tmp_path / "m.onnx")
    runner = OnnxInpainter(path)
    image = torch.rand(1, 3, 29, 43)
    mask = torch.zeros(1, 1, 29, 43)
    mask[..., 5:20, 8:30] = 1
    with torch.inference_mode():
        expected = model(image, mask)
    assert float((runner(image, mask) - expected).abs().max()) < 1e-4


def test_a_failed_export_prints_one_line_not_the_exporters_graph(tmp_path, capfd) -> None:
    checkpoint = save_checkpoint(create_model("lama-tiny"), tmp_path / "lama.safetensors")  # FFTs: not exportable
    assert main(["export", "--format", "onnx", "--checkpoint", str(checkpoint), "--output", str(tmp_path / "l.onnx")]) == 2
    out, err = capfd.readouterr()
    assert out == "" and err.count("\n") == 1 and "aten::fft_rfftn" in err and not (tmp_path / "l.onnx").exists()
