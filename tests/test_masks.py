"""Tests for wavemix_inpaint.masks and the ``masks`` CLI sub-command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

from wavemix_inpaint.cli.main import main
from wavemix_inpaint.errors import InputError
from wavemix_inpaint.imageio import read_mask
from wavemix_inpaint.masks import (
    MANIFEST_NAME,
    BoxMaskGenerator,
    BoxParams,
    IrregularMaskGenerator,
    IrregularParams,
    MaskGenerator,
    MixedMaskGenerator,
    generate_eval_masks,
    get_mask_generator,
    hole_fraction,
    list_mask_presets,
    parse_size,
)
from wavemix_inpaint.masks.lama import render_strokes, sample_boxes, sample_strokes

LAMA_PRESETS = ["train", "thick", "medium", "thin"]
ALL_PRESETS = [*LAMA_PRESETS, "wavemix-paper-96", "wavemix-paper-96-nonempty", "square:8"]
N_STAT = 2000


def mean_area(preset: str, size: int, native: bool, n: int = N_STAT, seed: int = 0) -> np.ndarray:
    generator = get_mask_generator(preset, native=native)
    rng = np.random.default_rng(seed)
    return np.array([hole_fraction(generator(rng, size, size)) for _ in range(n)])


# (a) area statistics against the research table (lama_iopaint.md section 1.1)


@pytest.mark.parametrize(
    ("preset", "size", "native", "expected"),
    [
        ("train", 256, True, 0.351),
        ("thick", 256, True, 0.404),
        ("medium", 256, True, 0.238),
        ("thin", 256, True, 0.295),
        ("train", 96, False, 0.357),
        ("thick", 96, False, 0.405),
        ("medium", 96, False, 0.242),
        ("thin", 96, False, 0.293),
    ],
)
def test_lama_mean_hole_area(preset: str, size: int, native: bool, expected: float) -> None:
    assert mean_area(preset, size, native).mean() == pytest.approx(expected, abs=0.02)


def test_wavemix_paper_96_area_and_empty_masks() -> None:
    # 40 x 2000 draws give 0.262 +- 0.005 (sd of a 2000-mask mean) and 10.0 % empty (analytic: 0.5 * 1/5).
    areas = mean_area("wavemix-paper-96", 96, native=False)
    assert areas.mean() == pytest.approx(0.268, abs=0.02)
    assert np.mean(areas == 0) == pytest.approx(0.094, abs=0.03)


def test_wavemix_paper_96_nonempty_has_no_empty_masks() -> None:
    assert (mean_area("wavemix-paper-96-nonempty", 96, native=False, n=300) > 0).all()


def test_native_mode_differs_from_scale_faithful_at_96() -> None:
    # Unscaled 10 px / 5 px stroke minimums make thin masks far denser when drawn natively at 96 px.
    assert mean_area("thin", 96, native=True, n=200).mean() > 0.5


# (b) output format and determinism


@pytest.mark.parametrize("preset", ALL_PRESETS)
@pytest.mark.parametrize("shape", [(96, 96), (64, 112), (112, 64)])
def test_masks_are_binary_float32(preset: str, shape: tuple[int, int]) -> None:
    generator = get_mask_generator(preset)
    assert isinstance(generator, MaskGenerator)
    mask = generator(np.random.default_rng(0), *shape)
    assert mask.dtype == np.float32
    assert mask.shape == shape
    assert set(np.unique(mask)) <= {0.0, 1.0}


@pytest.mark.parametrize("preset", ALL_PRESETS)
def test_same_seed_same_masks_different_seed_different(preset: str) -> None:
    def draw(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        generator = get_mask_generator(preset)
        return np.stack([generator(rng, 96, 96) for _ in range(8)])

    np.testing.assert_array_equal(draw(7), draw(7))
    assert not np.array_equal(draw(7), draw(8))


def test_generator_does_not_touch_global_numpy_state() -> None:
    np.random.seed(0)
    expected = np.random.random()
    np.random.seed(0)
    get_mask_generator("train")(np.random.default_rng(1), 96, 96)
    assert np.random.random() == expected


# (c) LaMa quirks on the low-level functions


def collect_strokes(params: IrregularParams, n: int = 400, size: tuple[int, int] = (256, 256)) -> list:
    rng = np.random.default_rng(5)
    return [sample_strokes(rng, *size, params) for _ in range(n)]


def test_stroke_count_is_min_times_to_max_times_plus_one() -> None:
    counts = {s.count for s in collect_strokes(IrregularParams(max_len=20, max_width=5, min_times=2, max_times=4))}
    assert counts == {2, 3, 4, 5}


def test_segments_angles_lengths_widths() -> None:
    params = IrregularParams(max_len=3, max_width=4, min_times=1, max_times=5)
    strokes = collect_strokes(params)
    base = {0.01, 1.01, 2.01, 3.01}
    mirrored = {round(2 * math.pi - a, 9) for a in base}
    for s in strokes:
        assert len(s.stroke) == len(s.angle)
        per_stroke = np.bincount(s.stroke, minlength=s.count)
        assert per_stroke.min() >= 1 and per_stroke.max() <= 5
        for index, angle in zip(s.stroke.tolist(), s.angle.tolist()):
            assert round(angle, 9) in (mirrored if index % 2 == 0 else base)
    all_angles = {round(a, 9) for s in strokes for a in s.angle.tolist()}
    assert all_angles == base | mirrored
    assert {int(v) for s in strokes for v in s.length} == {10, 11, 12}
    assert {int(v) for s in strokes for v in s.width} == {5, 6, 7, 8}
    assert {int(v) for s in strokes for v in np.bincount(s.stroke)} == {1, 2, 3, 4, 5}


def test_segments_are_chained_and_clipped() -> None:
    height, width = 40, 60
    for s in collect_strokes(IrregularParams(max_len=80, max_width=5, min_times=1, max_times=5), size=(height, width)):
        same_stroke = s.stroke[1:] == s.stroke[:-1]
        np.testing.assert_array_equal(s.x0[1:][same_stroke], s.x1[:-1][same_stroke])
        np.testing.assert_array_equal(s.y0[1:][same_stroke], s.y1[:-1][same_stroke])
        expected_x = np.clip((s.x0 + s.length * np.sin(s.angle)).astype(np.int32), 0, width)
        expected_y = np.clip((s.y0 + s.length * np.cos(s.angle)).astype(np.int32), 0, height)
        np.testing.assert_array_equal(s.x1, expected_x)
        np.testing.assert_array_equal(s.y1, expected_y)
        assert s.x1.max(initial=0) <= width and s.y1.max(initial=0) <= height


def test_render_stays_near_the_polyline() -> None:
    params = IrregularParams(max_len=1, max_width=1, min_times=0, max_times=0)
    rng = np.random.default_rng(0)
    strokes = next(s for s in (sample_strokes(rng, 64, 64, params) for _ in range(200)) if s.count == 1)
    mask = render_strokes(strokes, 64, 64)
    assert mask.any()
    ys, xs = np.nonzero(mask)
    # a 5 px brush around segments of length 10: the hole stays close to the polyline
    assert xs.min() >= min(strokes.x0.min(), strokes.x1.min()) - 3
    assert ys.max() <= max(strokes.y0.max(), strokes.y1.max()) + 3


def test_irregular_generator_with_zero_strokes_possible() -> None:
    params = IrregularParams(max_len=10, max_width=5, min_times=0, max_times=0)
    generator = IrregularMaskGenerator(params)
    rng = np.random.default_rng(1)
    areas = [hole_fraction(generator(rng, 32, 32)) for _ in range(50)]
    assert 0.0 in areas and max(areas) > 0  # counts {0, 1}


def test_box_sizes_are_inclusive() -> None:
    params = BoxParams(margin=10, bbox_min_size=20, bbox_max_size=20, min_times=1, max_times=1)
    generator = BoxMaskGenerator(params)
    rng = np.random.default_rng(3)
    for _ in range(20):
        mask = generator(rng, 64, 80)
        ys, xs = np.nonzero(mask)
        assert mask.sum() == 400
        assert (ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) == (20, 20)
        assert ys.min() >= 10 and xs.min() >= 10 and ys.max() < 54 and xs.max() < 70


def test_box_size_and_count_ranges() -> None:
    rng = np.random.default_rng(4)
    params = BoxParams(margin=0, bbox_min_size=3, bbox_max_size=5, min_times=1, max_times=3)
    boxes = [sample_boxes(rng, 50, 50, params) for _ in range(300)]
    assert {len(b) for b in boxes} == {1, 2, 3}
    sides = np.concatenate([b[:, 2:] for b in boxes])
    assert set(sides.ravel().tolist()) == {3, 4, 5}


def test_box_max_is_clamped_by_margin() -> None:
    rng = np.random.default_rng(6)
    params = BoxParams(margin=10, bbox_min_size=5, bbox_max_size=150, min_times=1, max_times=1)
    boxes = np.concatenate([sample_boxes(rng, 40, 60, params) for _ in range(500)])
    x, y, w, h = boxes.T
    assert w.max() == 19 and h.max() == 19  # min(151, 40 - 20, 60 - 20) exclusive
    assert (x >= 10).all() and (y >= 10).all()
    assert (x + w <= 50).all() and (y + h <= 30).all()


def test_box_too_small_image_raises_input_error() -> None:
    params = BoxParams(margin=10, bbox_min_size=30, bbox_max_size=150, min_times=1, max_times=1)
    with pytest.raises(InputError):
        BoxMaskGenerator(params)(np.random.default_rng(0), 20, 20)


class _Constant(MaskGenerator):
    def __init__(self, column: int) -> None:
        self.column = column

    def __call__(self, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
        mask = np.zeros((height, width), np.float32)
        mask[:, self.column] = 1
        return mask


def test_mixed_picks_one_generator_with_normalised_probabilities() -> None:
    mixed = MixedMaskGenerator([(3.0, _Constant(0)), (1.0, _Constant(1)), (0.0, _Constant(2))])
    rng = np.random.default_rng(0)
    masks = np.stack([mixed(rng, 4, 4) for _ in range(2000)])
    first = masks[:, 0, 0] == 1
    assert ((masks[:, 0, 1] == 1) != first).all()  # exactly one generator per sample
    assert not masks[:, :, 2].any()
    assert first.mean() == pytest.approx(0.75, abs=0.03)


# (d) square presets


@pytest.mark.parametrize("n", [8, 12])
@pytest.mark.parametrize("shape", [(96, 96), (40, 100)])
def test_square_preset_exact_area(n: int, shape: tuple[int, int]) -> None:
    generator = get_mask_generator(f"square:{n}")
    rng = np.random.default_rng(n)
    tops = set()
    for _ in range(100):
        mask = generator(rng, *shape)
        ys, xs = np.nonzero(mask)
        assert mask.sum() == n * n
        assert (ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) == (n, n)
        tops.add(int(ys.min()))
    assert len(tops) > 10


def test_square_must_fit() -> None:
    with pytest.raises(InputError):
        get_mask_generator("square:50")(np.random.default_rng(0), 40, 100)


@pytest.mark.parametrize("bad", ["nope", "square:0", "square:x", "square:", "squares:8", "THICKER"])
def test_unknown_preset_names_choices(bad: str) -> None:
    with pytest.raises(InputError, match=r"thick.*square:N"):
        get_mask_generator(bad)


# (e) mixtures of presets


def test_mixture_picks_presets_by_weight() -> None:
    # square:3 and square:5 holes are told apart by their area: each mask is one preset, never a union.
    generator = get_mask_generator("3*square:3 + square:5")
    rng = np.random.default_rng(0)
    areas = np.array([generator(rng, 20, 20).sum() for _ in range(2000)])
    assert set(np.unique(areas)) == {9, 25}
    assert (areas == 9).mean() == pytest.approx(0.75, abs=0.03)


def test_mixture_keeps_each_preset_scale_faithful() -> None:
    # thin strokes are drawn on LaMa's 256 px canvas inside a mixture too (natively at 96 px they are far denser)
    mixed = mean_area("thin+thin", 96, native=False, n=300).mean()
    assert mixed == pytest.approx(mean_area("thin", 96, native=False, n=300).mean(), abs=0.03)
    assert mixed < 0.5


def test_mixture_manifest_records_native_only_when_all_parts_are(tmp_path) -> None:
    generate_eval_masks("0.5*thin+0.5*square:8", 32, 2, 0, tmp_path / "mixed")
    generate_eval_masks("square:4+wavemix-paper-96", 32, 2, 0, tmp_path / "native")
    assert json.loads((tmp_path / "mixed" / MANIFEST_NAME).read_text())["native"] is False
    assert json.loads((tmp_path / "native" / MANIFEST_NAME).read_text())["native"] is True


@pytest.mark.parametrize(
    ("bad", "message"),
    [("x*train+thin", "not a number"), ("0*train+thin", "positive"), ("-1*train+thin", "positive"), ("train+", "unknown")],
)
def test_mixture_rejects_bad_terms(bad: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        get_mask_generator(bad)


def test_list_mask_presets() -> None:
    presets = list_mask_presets()
    assert {"train", "thick", "medium", "thin", "wavemix-paper-96", "wavemix-paper-96-nonempty"} <= set(presets)
    for name in presets:
        get_mask_generator(name)


def test_parse_size() -> None:
    assert parse_size(96) == (96, 96)
    assert parse_size("96") == (96, 96)
    assert parse_size("128x96") == (96, 128)
    assert parse_size((32, 48)) == (32, 48)
    for bad in ("0", "96x", "ax3", -1, "12x0"):
        with pytest.raises(InputError):
            parse_size(bad)


# (e) fixed evaluation sets


def test_eval_set_files_manifest_and_reproducibility(tmp_path) -> None:
    first = generate_eval_masks("thick", 64, 24, seed=3, output_dir=tmp_path / "a")
    second = generate_eval_masks("thick", 64, 24, seed=3, output_dir=tmp_path / "b")
    other = generate_eval_masks("thick", 64, 24, seed=4, output_dir=tmp_path / "c")
    assert [p.name for p in first] == [f"mask_{i:05d}.png" for i in range(24)]
    fractions = []
    for path in first:
        with Image.open(path) as image:
            assert image.mode == "L" and image.size == (64, 64)
            pixels = np.asarray(image)
        assert set(np.unique(pixels)) <= {0, 255}
        fraction = float(np.mean(pixels == 255))
        assert fraction <= 0.5
        assert hole_fraction(read_mask(path)) == fraction
        fractions.append(fraction)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert [p.read_bytes() for p in first] != [p.read_bytes() for p in other]
    manifest_a = (tmp_path / "a" / MANIFEST_NAME).read_bytes()
    assert manifest_a == (tmp_path / "b" / MANIFEST_NAME).read_bytes()
    manifest = json.loads(manifest_a)
    assert manifest["preset"] == "thick" and manifest["seed"] == 3 and manifest["count"] == 24
    assert manifest["candidates"] == 5 and manifest["max_hole_fraction"] == 0.5
    assert (manifest["height"], manifest["width"]) == (64, 64)
    assert [f["file"] for f in manifest["files"]] == [p.name for p in first]
    assert [f["hole_fraction"] for f in manifest["files"]] == pytest.approx(fractions)
    assert manifest["mean_hole_fraction"] == pytest.approx(np.mean(fractions))


@pytest.mark.parametrize(
    ("preset", "native", "recorded"),
    [("thick", False, False), ("thick", True, True), ("wavemix-paper-96", False, True), ("square:8", False, True)],
)
def test_eval_set_manifest_records_how_the_masks_were_drawn(tmp_path, preset, native, recorded) -> None:
    generate_eval_masks(preset, 32, 2, 1, tmp_path, native=native)
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())["native"] is recorded


def test_eval_set_filter_removes_large_holes(tmp_path) -> None:
    paths = generate_eval_masks("thick", 48, 60, seed=0, output_dir=tmp_path, max_hole_fraction=0.2)
    assert max(hole_fraction(read_mask(p)) for p in paths) <= 0.2


def test_eval_set_refuses_existing_masks_unless_overwrite(tmp_path) -> None:
    generate_eval_masks("medium", 32, 6, seed=1, output_dir=tmp_path)
    with pytest.raises(InputError, match="overwrite"):
        generate_eval_masks("medium", 32, 6, seed=2, output_dir=tmp_path)
    paths = generate_eval_masks("medium", 32, 3, seed=2, output_dir=tmp_path, overwrite=True)
    assert sorted(p.name for p in tmp_path.glob("mask_*.png")) == [p.name for p in paths]
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())["count"] == 3


def test_eval_set_impossible_filter_raises(tmp_path) -> None:
    with pytest.raises(InputError, match="hole fraction"):
        generate_eval_masks("square:30", 32, 1, seed=0, output_dir=tmp_path, candidates=1)


@pytest.mark.parametrize("kwargs", [{"count": 0}, {"candidates": 0}, {"max_hole_fraction": 0.0}, {"seed": -1}])
def test_eval_set_bad_arguments(tmp_path, kwargs: dict) -> None:
    arguments = {"preset": "thin", "size": 32, "count": 2, "seed": 0, "output_dir": tmp_path, **kwargs}
    with pytest.raises(InputError):
        generate_eval_masks(**arguments)


# (f) command line


def test_cli_masks_writes_files(tmp_path, capsys) -> None:
    out = tmp_path / "masks"
    argv = ["masks", "--preset", "thick", "--size", "48x32", "--count", "5", "--seed", "9", "--output", str(out)]
    assert main(argv) == 0
    files = sorted(out.glob("mask_*.png"))
    assert len(files) == 5
    with Image.open(files[0]) as image:
        assert image.size == (48, 32)
    printed = capsys.readouterr().out
    assert "5 masks" in printed and "mean hole fraction" in printed and str(out) in printed
    assert main(argv) != 0
    assert "overwrite" in capsys.readouterr().err
    assert main([*argv, "--overwrite", "--native"]) == 0


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--preset", "bogus", "unknown mask preset"), ("--size", "96x", "invalid size")],
)
def test_cli_masks_bad_input(tmp_path, capsys, option: str, value: str, message: str) -> None:
    argv = {"--preset": "thin", "--size": "32", "--count": "2", "--seed": "0", "--output": str(tmp_path)}
    argv[option] = value
    code = main(["masks", *(item for pair in argv.items() for item in pair)])
    err = capsys.readouterr().err
    assert code != 0
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not list(tmp_path.glob("mask_*.png"))


# (g) loading masks


def _save(path, array: np.ndarray, mode: str | None = None) -> None:
    image = Image.fromarray(array)
    (image.convert(mode) if mode else image).save(path)


def test_read_mask_variants(tmp_path) -> None:
    expected = np.zeros((10, 12), np.float32)
    expected[2:5, 3:9] = 1
    _save(tmp_path / "01.png", expected.astype(np.uint8))
    _save(tmp_path / "0255.png", (expected * 255).astype(np.uint8))
    _save(tmp_path / "rgb.png", (expected * 255).astype(np.uint8), "RGB")
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[..., :3] = 40  # colour is irrelevant, the alpha channel is the mask
    rgba[..., 3] = (expected * 255).astype(np.uint8)
    _save(tmp_path / "rgba.png", rgba)
    _save(tmp_path / "grey.png", np.where(expected > 0, 200, 30).astype(np.uint8))
    red = np.zeros((10, 12, 3), np.uint8)
    red[expected > 0] = (255, 0, 0)  # a stroke painted pure red: grey level 76, still a hole
    _save(tmp_path / "red.png", red)
    Image.fromarray(red).convert("P", palette=Image.Palette.ADAPTIVE, colors=2).save(tmp_path / "red-palette.png")
    for name in ("01.png", "0255.png", "rgb.png", "rgba.png", "grey.png", "red.png", "red-palette.png"):
        mask = read_mask(tmp_path / name)
        assert mask.dtype == np.float32
        np.testing.assert_array_equal(mask, expected, err_msg=name)
        np.testing.assert_array_equal(read_mask(tmp_path / name, invert=True), 1 - expected, err_msg=name)
    resized = read_mask(tmp_path / "0255.png", size=(20, 24), resize=True)
    np.testing.assert_array_equal(resized, np.kron(expected, np.ones((2, 2), np.float32)))
    assert hole_fraction(expected) == pytest.approx(18 / 120)


def test_read_mask_errors(tmp_path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_mask(tmp_path / "missing.png")
    (tmp_path / "junk.png").write_bytes(b"not an image")
    with pytest.raises(InputError):
        read_mask(tmp_path / "junk.png")
