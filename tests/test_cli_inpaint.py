"""``wavemix-inpaint inpaint``, ``demo`` and ``models`` (pretrained listing) from the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import smooth_image
from PIL import Image

from wavemix_inpaint import pretrained
from wavemix_inpaint.checkpoint import save_checkpoint
from wavemix_inpaint.cli.main import main
from wavemix_inpaint.inpainter import Inpainter
from wavemix_inpaint.models import create_model


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    return save_checkpoint(create_model("wavemix-tiny"), tmp_path_factory.mktemp("ckpt") / "tiny.safetensors")


def _photo(path: Path, seed: int = 0, size: tuple[int, int] = (32, 44), **save) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(smooth_image(np.random.default_rng(seed), *size)).save(path, **save)
    return path


def _mask(path: Path, size: tuple[int, int] = (32, 44)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    mask = np.zeros(size, np.uint8)
    mask[8:16, 10:30] = 255
    Image.fromarray(mask).save(path)
    return path


def _run(*args: object) -> int:
    return main([str(a) for a in args])


def test_single_image(tmp_path, checkpoint, capsys) -> None:
    image = _photo(tmp_path / "photo.jpg", quality=75)
    mask = _mask(tmp_path / "mask.png")
    out = tmp_path / "out" / "photo.jpg"
    assert _run("inpaint", "--image", image, "--mask", mask, "--output", out, "--checkpoint", checkpoint) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    with Image.open(out) as written, Image.open(image) as original:
        assert written.format == "JPEG" and written.size == original.size
        assert written.quantization == original.quantization

    # an existing output is refused without --overwrite
    before = out.read_bytes()
    assert _run("inpaint", "--image", image, "--mask", mask, "--output", out, "--checkpoint", checkpoint) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: refusing to overwrite") and error.count("\n") == 1
    assert out.read_bytes() == before
    assert _run("inpaint", "--image", image, "--mask", mask, "--output", out, "--checkpoint", checkpoint, "--overwrite") == 0

    # the input is never written, even with --overwrite
    original = image.read_bytes()
    assert _run("inpaint", "--image", image, "--mask", mask, "--output", image, "--checkpoint", checkpoint, "--overwrite") == 2
    assert "input file" in capsys.readouterr().err
    assert image.read_bytes() == original

    # an existing folder as --output receives IMAGE_NAME; a PNG output converts
    folder = tmp_path / "folder"
    folder.mkdir()
    assert _run("inpaint", "--image", image, "--mask", mask, "--output", folder, "--checkpoint", checkpoint) == 0
    assert (folder / "photo.jpg").is_file()
    assert _run("inpaint", "--image", image, "--mask", mask, "--output", tmp_path / "x.png", "--checkpoint", checkpoint) == 0
    assert Image.open(tmp_path / "x.png").format == "PNG"


def test_single_image_errors(tmp_path, checkpoint, capsys, monkeypatch) -> None:
    image = _photo(tmp_path / "photo.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    small_mask = _mask(tmp_path / "small.png", size=(16, 22))
    cases = [
        (["--image", tmp_path / "broken.png", "--mask", small_mask], "broken.png"),
        (["--image", image, "--mask", small_mask], "22x16 but the image is 44x32"),
        (["--image", image, "--mask", tmp_path / "nope.png"], "mask path not found"),
        (["--image", image, "--mask", small_mask, "--max-pixels", "100"], "too large"),
    ]
    for args, message in cases:
        assert _run("inpaint", *args, "--output", tmp_path / "o.png", "--checkpoint", checkpoint) == 2
        error = capsys.readouterr().err
        assert message in error and error.startswith("error: "), error
    assert not (tmp_path / "o.png").exists()
    loads = []
    monkeypatch.setattr(Inpainter, "_run", lambda *args: loads.append(args))  # the model must not run
    unsupported = {"--image": image, "--mask": _mask(tmp_path / "m.png"), "--output": tmp_path / "o.xbm"}
    assert _run("inpaint", *[part for pair in unsupported.items() for part in pair], "--checkpoint", checkpoint) == 2
    assert "the extension .xbm is not a supported output format" in capsys.readouterr().err and not loads
    monkeypatch.undo()
    # --resize-mask accepts the smaller mask
    assert (
        _run(
            "inpaint",
            "--image",
            image,
            "--mask",
            small_mask,
            "--output",
            tmp_path / "o.png",
            "--checkpoint",
            checkpoint,
            "--resize-mask",
            "--dilate",
            "2",
            "--invert-mask",
        )
        == 0
    )


def test_missing_pretrained_weights_suggest_checkpoint(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(pretrained, "weights_dir", lambda: tmp_path / "weights")
    image, mask = _photo(tmp_path / "a.png"), _mask(tmp_path / "m.png")
    assert _run("inpaint", "--image", image, "--mask", mask, "--output", tmp_path / "o.png") == 2
    error = capsys.readouterr().err
    assert "default.safetensors" in error and "--checkpoint PATH" in error


def test_folder_with_matched_masks(tmp_path, checkpoint, capsys) -> None:
    images, masks, out = tmp_path / "images", tmp_path / "masks", tmp_path / "out"
    _photo(images / "a.jpg", 1, quality=80)
    _photo(images / "sub" / "b.png", 2)
    _photo(images / "c.webp", 3, lossless=True)
    _mask(masks / "a.png")
    _mask(masks / "sub" / "b_mask.png")
    _mask(masks / "c_mask.png")  # flat mask folder also matches
    assert _run("inpaint", "--image", images, "--mask", masks, "--output", out, "--checkpoint", checkpoint) == 0
    assert "inpainted 3 of 3 images" in capsys.readouterr().out
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == ["a.jpg", "c.webp", "sub/b.png"]
    assert Image.open(out / "a.jpg").format == "JPEG" and Image.open(out / "c.webp").format == "WEBP"

    # outputs exist now: refused per image, the others go on, exit code 1; --skip-existing skips them
    _photo(images / "d.png", 4)
    _mask(masks / "d.png")
    assert _run("inpaint", "--image", images, "--mask", masks, "--output", out, "--checkpoint", checkpoint) == 1
    captured = capsys.readouterr()
    assert captured.err.count("refusing to overwrite") == 3 and (out / "d.png").is_file()
    assert (
        _run("inpaint", "--image", images, "--mask", masks, "--output", out, "--checkpoint", checkpoint, "--skip-existing") == 0
    )
    assert "4 skipped" in capsys.readouterr().out


def test_folder_with_one_mask_and_failures(tmp_path, checkpoint, capsys) -> None:
    images, out = tmp_path / "images", tmp_path / "out"
    _photo(images / "a.png", 1)
    _photo(images / "b.jpg", 2)
    (images / "corrupt.jpg").write_bytes(b"not a jpeg at all")
    _photo(images / "other_size.png", 3, size=(20, 20))
    mask = _mask(tmp_path / "mask.png")
    assert _run("inpaint", "--image", images, "--mask", mask, "--output", out, "--checkpoint", checkpoint) == 1
    captured = capsys.readouterr()
    assert "corrupt.jpg" in captured.err and "other_size.png" in captured.err
    assert "2 image(s) failed" in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.jpg"]


def test_folder_masks_next_to_images_and_output_inside(tmp_path, checkpoint, capsys) -> None:
    folder = tmp_path / "photos"
    _photo(folder / "a.png", 1)
    _mask(folder / "a_mask.png")
    _photo(folder / "b.png", 2)  # no b_mask.png: reported, not fatal
    assert _run("inpaint", "--image", folder, "--mask", folder, "--output", folder / "done", "--checkpoint", checkpoint) == 1
    captured = capsys.readouterr()
    assert "no mask for b.png" in captured.err and "a_mask" not in captured.err
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["a.png"]
    # a second run does not pick up its own outputs as inputs, and refuses the input folder as output
    assert _run("inpaint", "--image", folder, "--mask", folder, "--output", folder, "--checkpoint", checkpoint) == 2
    assert "input folder" in capsys.readouterr().err


def test_demo_writes_a_new_file_each_run(tmp_path, checkpoint, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    for expected in ("wavemix-demo.png", "wavemix-demo-1.png", "wavemix-demo-2.png"):
        assert _run("demo", "--checkpoint", checkpoint, "--seed", "3") == 0
        out = capsys.readouterr().out
        assert f"wrote demo-output/{expected}" in out and "Telea" in out and "dB" in out
    folder = tmp_path / "demo-output"  # the README's place for it (ignored by git)
    with Image.open(folder / "wavemix-demo.png") as panel:
        assert panel.size[0] > 3 * 384 and panel.size[1] >= 384
    a, b = (np.asarray(Image.open(folder / name)) for name in ("wavemix-demo.png", "wavemix-demo-1.png"))
    np.testing.assert_array_equal(a, b)  # same seed, same picture
    assert (
        _run("demo", "--checkpoint", checkpoint, "--output", folder / "wavemix-demo.png" / "x.png") == 2
    )  # a file, not a folder
    assert "error: cannot write into the output folder" in capsys.readouterr().err


def test_models_lists_pretrained(tmp_path, checkpoint, monkeypatch, capsys) -> None:
    monkeypatch.setattr(pretrained, "weights_dir", lambda: tmp_path)
    assert _run("models") == 0
    assert "MISSING" in capsys.readouterr().out
    save_checkpoint(create_model("wavemix-tiny"), tmp_path / "default.safetensors")
    assert _run("models") == 0
    out = capsys.readouterr().out
    assert "pretrained weights" in out and "default.safetensors" in out and "present (wavemix-tiny)" in out


def test_all_white_mask_exits_2_with_one_clear_line(tmp_path, checkpoint, capsys) -> None:
    image = _photo(tmp_path / "photo.png")
    Image.new("L", (44, 32), 255).save(tmp_path / "white.png")
    out = tmp_path / "out.png"
    assert _run("inpaint", "--image", image, "--mask", tmp_path / "white.png", "--output", out, "--checkpoint", checkpoint) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: the mask covers the whole image") and error.count("\n") == 1
    assert not out.exists()


def test_empty_mask_copies_the_input_and_says_so(tmp_path, checkpoint, capsys) -> None:
    image = _photo(tmp_path / "photo.jpg", quality=70)
    Image.new("L", (44, 32), 0).save(tmp_path / "empty.png")
    out = tmp_path / "out.jpg"
    assert _run("inpaint", "--image", image, "--mask", tmp_path / "empty.png", "--output", out, "--checkpoint", checkpoint) == 0
    assert "notice: " in capsys.readouterr().err and out.read_bytes() == image.read_bytes()


def test_unwritable_output_fails_before_any_work(tmp_path, checkpoint, capsys, monkeypatch) -> None:
    from wavemix_inpaint.inpainter import Inpainter

    calls = []
    monkeypatch.setattr(Inpainter, "inpaint_file", lambda *a, **k: calls.append(a))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    image, mask = _photo(tmp_path / "in" / "a.png"), _mask(tmp_path / "mask.png")
    _photo(tmp_path / "in" / "b.png", seed=1)
    for output in (blocker / "out.png", blocker / "folder/"):
        source = image if output.suffix else image.parent
        assert _run("inpaint", "--image", source, "--mask", mask, "--output", str(output), "--checkpoint", checkpoint) == 2
        error = capsys.readouterr().err
        assert error.startswith("error: cannot write into the output folder") and error.count("\n") == 1
    assert calls == []  # the model never ran


def test_texture_flag_is_seeded_and_changes_only_the_hole(tmp_path, checkpoint) -> None:
    rng = np.random.default_rng(5)
    grainy = np.clip(smooth_image(rng, 48, 64).astype(int) + rng.integers(-30, 31, (48, 64, 1)), 0, 255).astype(np.uint8)
    Image.fromarray(grainy).save(tmp_path / "grainy.png")
    mask = np.zeros((48, 64), np.uint8)
    mask[14:34, 18:46] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    outputs = {}
    for name, flags in (
        ("smooth", ["--no-texture"]),
        ("a", ["--texture"]),
        ("b", ["--texture"]),
        ("c", ["--texture", "--seed", "9"]),
        ("light", ["--texture", "--texture-strength", "0.3"]),
    ):
        out = tmp_path / f"{name}.png"
        assert (
            _run(
                "inpaint",
                "--image",
                tmp_path / "grainy.png",
                "--mask",
                tmp_path / "mask.png",
                "--output",
                out,
                "--checkpoint",
                checkpoint,
                *flags,
            )
            == 0
        )
        outputs[name] = np.asarray(Image.open(out)).astype(int)
    hole = mask > 0
    assert np.array_equal(outputs["a"], outputs["b"]) and not np.array_equal(outputs["a"], outputs["c"])
    for result in outputs.values():
        assert np.array_equal(result[~hole], grainy[~hole])
    assert not np.array_equal(outputs["a"][hole], outputs["smooth"][hole])
    added = {name: np.abs(outputs[name] - outputs["smooth"])[hole].mean() for name in ("a", "light")}
    assert 0 < added["light"] < 0.6 * added["a"]  # a lighter grain


def test_texture_strength_out_of_range_is_a_clean_error(tmp_path, checkpoint, capsys) -> None:
    Image.fromarray(smooth_image(np.random.default_rng(2), 32, 32)).save(tmp_path / "photo.png")
    mask = np.zeros((32, 32), np.uint8)
    mask[8:20, 8:20] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    args = ["--image", tmp_path / "photo.png", "--mask", tmp_path / "mask.png", "--output", tmp_path / "out.png"]
    for value in ("0", "1.5"):
        assert _run("inpaint", *args, "--checkpoint", checkpoint, "--texture", "--texture-strength", value) == 2
        assert "error: texture_strength must be a number above 0 and at most 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # argparse's own usage error, also exit code 2
        _run("inpaint", *args, "--checkpoint", checkpoint, "--texture-strength", "lots")
    assert exit_info.value.code == 2 and "invalid float value: 'lots'" in capsys.readouterr().err
    assert not (tmp_path / "out.png").exists()


def test_mask_on_the_stored_layout_of_an_exif_rotated_jpeg_is_accepted_like_the_server(tmp_path, checkpoint) -> None:
    from PIL import ImageOps

    stored = Image.fromarray(smooth_image(np.random.default_rng(7), 48, 64))  # stored 64x48, shown 48x64
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / "phone.jpg", quality=95, exif=exif.tobytes())
    stored_mask = np.zeros((48, 64), np.uint8)
    stored_mask[12:30, 20:44] = 255
    Image.fromarray(stored_mask).save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    assert (
        _run(
            "inpaint",
            "--image",
            tmp_path / "phone.jpg",
            "--mask",
            tmp_path / "mask.png",
            "--output",
            out,
            "--checkpoint",
            checkpoint,
        )
        == 0
    )
    upright = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "phone.jpg")))
    hole = np.asarray(Image.fromarray(stored_mask).transpose(Image.Transpose.ROTATE_270)) > 0
    result = np.asarray(Image.open(out))
    changed = np.any(result != upright, axis=-1)
    assert result.shape == upright.shape and changed[hole].any() and not changed[~hole].any()
    # a mask of neither layout is still refused with both sizes
    Image.new("L", (50, 50)).save(tmp_path / "odd.png")
    assert (
        _run(
            "inpaint",
            "--image",
            tmp_path / "phone.jpg",
            "--mask",
            tmp_path / "odd.png",
            "--output",
            tmp_path / "x.png",
            "--checkpoint",
            checkpoint,
        )
        == 2
    )


def test_checkpoint_run_folder_works_for_inpaint_like_evaluate(tmp_path, checkpoint) -> None:
    run = tmp_path / "run"
    run.mkdir()
    for name in ("best", "last"):  # a training run folder holds two checkpoints: best is meant
        (run / f"{name}.safetensors").write_bytes(checkpoint.read_bytes())
    image, mask = _photo(tmp_path / "photo.png"), _mask(tmp_path / "mask.png")
    assert _run("inpaint", "--image", image, "--mask", mask, "--output", tmp_path / "out.png", "--checkpoint", run) == 0


def test_serve_shares_the_model_and_pipeline_flags_of_inpaint() -> None:
    import argparse

    from wavemix_inpaint.cli import serve

    parser = argparse.ArgumentParser()
    serve.add_arguments(parser)
    args = parser.parse_args(
        ["--onnx", "m.onnx", "--precision", "bf16", "--max-pixels", "1000", "--texture", "--strategy", "full", "--threads", "3"]
    )
    assert (args.onnx, args.precision, args.max_pixels, args.texture, args.strategy) == ("m.onnx", "bf16", 1000, True, "full")
    assert args.threads == 3


def test_threads_sets_the_budget_and_rejects_non_positive_counts(tmp_path, checkpoint, capsys) -> None:
    args = ["--image", _photo(tmp_path / "photo.png"), "--mask", _mask(tmp_path / "mask.png"), "--checkpoint", checkpoint]
    try:
        assert _run("inpaint", *args, "--output", tmp_path / "out.png", "--threads", "2") == 0
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)  # the suite's budget (conftest.py)
    for command, value in (("inpaint", "0"), ("evaluate", "-1")):
        with pytest.raises(SystemExit) as exit_info:
            _run(command, *(args if command == "inpaint" else []), "--output", tmp_path / "x.png", "--threads", value)
        assert exit_info.value.code == 2 and f"--threads: must be a positive integer, got {value}" in capsys.readouterr().err
