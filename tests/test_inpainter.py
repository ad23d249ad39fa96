"""The Inpainter API: input/output types, masks, compositing, strategies, weights loading."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import smooth_image
from PIL import Image

from wavemix_inpaint import pretrained
from wavemix_inpaint.checkpoint import save_checkpoint
from wavemix_inpaint.errors import InputError, NothingKnownError, SizeMismatchError
from wavemix_inpaint.inference import crop_boxes, crop_windows
from wavemix_inpaint.inpainter import EMPTY_MASK_NOTICE, Inpainter, InpaintNotice
from wavemix_inpaint.models import create_model


class Spy:
    """Records the input shape of every network call."""

    def __init__(self, model: torch.nn.Module, monkeypatch: pytest.MonkeyPatch) -> None:
        self.shapes: list[tuple[int, ...]] = []
        forward = model.forward

        def spy(image, mask, *args, **kwargs):  # noqa: ANN001, ANN202
            self.shapes.append(tuple(image.shape))
            return forward(image, mask, *args, **kwargs)

        monkeypatch.setattr(model, "forward", spy)


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model("wavemix-tiny").eval()


@pytest.fixture
def inpainter(model) -> Inpainter:
    return Inpainter(model, device="cpu")


@pytest.fixture
def image() -> np.ndarray:
    return smooth_image(np.random.default_rng(3), 36, 52)


@pytest.fixture
def hole() -> np.ndarray:
    mask = np.zeros((36, 52), bool)
    mask[10:20, 15:35] = True
    return mask


def test_numpy_uint8_composited_bit_exact(inpainter, image, hole) -> None:
    out = inpainter(image, hole)
    assert out.dtype == np.uint8 and out.shape == image.shape
    np.testing.assert_array_equal(out[~hole], image[~hole])
    assert (out[hole] != image[hole]).any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint16])
def test_numpy_dtypes_round_trip(inpainter, image, hole, dtype) -> None:
    values = image.astype(np.uint16) * 257 if dtype == np.uint16 else (image / 255.0).astype(dtype)
    out = inpainter(values, hole)
    assert out.dtype == dtype and out.shape == values.shape
    np.testing.assert_array_equal(out[~hole], values[~hole])
    if dtype != np.uint16:
        assert 0 <= out.min() and out.max() <= 1


def test_numpy_shape_and_byte_order_come_back_as_given(inpainter, image, hole) -> None:
    column = image[..., :1]  # H x W x 1
    assert inpainter(column, hole).shape == column.shape == inpainter(column, np.zeros_like(hole)).shape
    big_endian = (image.astype(np.uint16) * 257).astype(">u2")  # as some TIFF / FITS readers give it
    out = inpainter(big_endian, hole)
    assert out.dtype == big_endian.dtype and np.array_equal(out[~hole], big_endian[~hole])


def test_pil_results_keep_metadata_and_the_same_mode_with_or_without_a_hole(inpainter, image, hole) -> None:
    photo = Image.fromarray(image)
    photo.info.update(dpi=(300, 300), icc_profile=b"profile bytes")
    filled = inpainter(photo, hole)
    assert filled.info["dpi"] == (300, 300) and filled.info["icc_profile"] == b"profile bytes"
    cmyk = photo.convert("CMYK")
    assert inpainter(cmyk, hole).mode == inpainter(cmyk, np.zeros_like(hole)).mode == "RGB"
    keyed = Image.fromarray(image[..., 0])  # grey with a transparent key value: alpha, not a lost key
    keyed.info["transparency"] = int(image[0, 0, 0])
    out = inpainter(keyed, hole)
    assert out.mode == "RGBA" and np.asarray(out)[0, 0, 3] == 0 and np.asarray(out)[hole][:, 3].min() == 255


def test_numpy_grey_and_alpha(inpainter, image, hole) -> None:
    grey = image[..., 0]
    out = inpainter(grey, hole)
    assert out.shape == grey.shape
    np.testing.assert_array_equal(out[~hole], grey[~hole])
    rgba = np.dstack([image, np.full(image.shape[:2], 77, np.uint8)])
    out = inpainter(rgba, hole)
    assert out.shape == rgba.shape and (out[..., 3] == 77).all()


def test_pil_round_trip_keeps_mode(inpainter, image, hole) -> None:
    mask = Image.fromarray(hole.astype(np.uint8) * 255)
    for mode in ("RGB", "RGBA", "L", "LA"):
        source = Image.fromarray(image).convert(mode)
        out = inpainter(source, mask)
        assert isinstance(out, Image.Image) and out.mode == mode and out.size == source.size
        np.testing.assert_array_equal(np.asarray(out)[~hole], np.asarray(source)[~hole])
    out = inpainter(Image.fromarray(image).convert("P"), mask)
    assert out.mode == "RGB"


def test_tensor_round_trip(inpainter, image, hole) -> None:
    chw = torch.from_numpy(image).permute(2, 0, 1).float() / 255
    out = inpainter(chw, torch.from_numpy(hole))
    assert out.shape == chw.shape and out.dtype == chw.dtype
    known = ~torch.from_numpy(hole).expand(3, -1, -1)
    assert torch.equal(out[known], chw[known])

    batch = torch.stack([chw, chw.flip(-1)])
    masks = torch.zeros(2, 1, 36, 52)
    masks[0, 0, 2:8, 2:8] = 1
    masks[1, 0, 20:30, 30:40] = 1
    out = inpainter(batch, masks)
    assert out.shape == batch.shape
    assert torch.equal(out[masks.expand(-1, 3, -1, -1) == 0], batch[masks.expand(-1, 3, -1, -1) == 0])
    single = inpainter(batch[1], masks[1])
    assert torch.allclose(out[1], single, atol=1e-6)
    as_uint8 = inpainter(torch.from_numpy(image).permute(2, 0, 1).contiguous(), torch.from_numpy(hole))
    assert as_uint8.dtype == torch.uint8


def test_mask_forms_agree(inpainter, image, hole) -> None:
    reference = inpainter(image, hole)
    rgba = np.zeros((36, 52, 4), np.uint8)
    rgba[..., 3] = hole * 255
    forms = [
        hole.astype(np.uint8),
        hole.astype(np.uint8) * 255,
        hole.astype(np.float32),
        hole[..., None],
        Image.fromarray(hole.astype(np.uint8) * 255, "L"),
        Image.fromarray(hole).convert("1"),
        Image.fromarray(rgba, "RGBA"),
        torch.from_numpy(hole)[None].float(),
        torch.from_numpy(hole)[None, None],
    ]
    for form in forms:
        np.testing.assert_array_equal(inpainter(image, form), reference)
    np.testing.assert_array_equal(inpainter(image, ~hole, invert_mask=True), reference)


def test_dilate_grows_the_filled_area(inpainter, image, hole) -> None:
    out = inpainter(image, hole, dilate=3)
    changed = (out != image).any(axis=2)
    assert changed[7:10].any() and not changed[:6].any()


def test_empty_mask_returns_input_without_model_call(inpainter, model, image, monkeypatch) -> None:
    spy = Spy(inpainter.model, monkeypatch)
    with pytest.warns(InpaintNotice, match="unchanged"):
        out = inpainter(image, np.zeros((36, 52), np.uint8))
    np.testing.assert_array_equal(out, image)
    assert out is not image and spy.shapes == []
    pil = Image.fromarray(image)
    result, notices = inpainter.run(pil, np.zeros((36, 52)))
    assert np.array_equal(np.asarray(result), image) and notices == [EMPTY_MASK_NOTICE]


def test_empty_mask_file_gives_back_the_source_bytes(inpainter, tmp_path) -> None:
    source = tmp_path / "photo.jpg"
    Image.fromarray(smooth_image(np.random.default_rng(4), 40, 56)).save(source, quality=70)
    Image.new("L", (56, 40), 0).save(tmp_path / "mask.png")
    with pytest.warns(InpaintNotice, match="unchanged"):
        written = inpainter.inpaint_file(source, tmp_path / "mask.png", tmp_path / "out.jpg")
    assert written.read_bytes() == source.read_bytes()  # no re-encoding: not one pixel changes


def test_all_hole_mask_is_refused_not_blacked_out(inpainter, image) -> None:
    # nothing is known, so there is nothing to inpaint from: a clear error, not an all-black image
    with pytest.raises(NothingKnownError, match="nothing is known"):
        inpainter(image, np.ones((36, 52), bool))
    with pytest.raises(NothingKnownError, match=r"image 1"):
        inpainter(torch.rand(2, 3, 8, 8), torch.stack([torch.zeros(1, 8, 8), torch.ones(1, 8, 8)]))


def test_invalid_inputs(inpainter, image, hole) -> None:
    bad = image / 255.0
    bad[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        inpainter(bad, hole)
    with pytest.raises(InputError, match="NaN"):
        inpainter(torch.full((3, 8, 8), float("inf")), np.ones((8, 8)))
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        inpainter(image.astype(np.float32), hole)
    with pytest.raises(SizeMismatchError, match=r"mask is 10x20 but the image is 52x36"):
        inpainter(image, np.ones((20, 10)))
    for options in ({"strategy": "full"}, "crop"):  # options given positionally as something else
        with pytest.raises(InputError, match="options must be an InpaintOptions.*or give its fields as keywords"):
            inpainter(image, hole, options)
    with pytest.raises(InputError, match="tensor image is empty"):
        inpainter(torch.zeros(3, 0, 0), hole)
    with pytest.raises(InputError, match="tensor image must be float16/bfloat16/float32/float64"):
        inpainter(torch.zeros(3, 8, 8, dtype=torch.float8_e4m3fn), np.ones((8, 8)))
    with pytest.raises(InputError, match="mask must hold numbers or booleans"):
        inpainter(image, np.full(hole.shape, "x"))
    with pytest.raises(InputError, match=r"Identity cannot inpaint: its forward must take \(image, mask\)"):
        Inpainter(torch.nn.Identity())
    with pytest.raises(InputError, match="strategy"):
        inpainter(image, hole, strategy="tile")
    with pytest.raises(InputError, match="image must be"):
        inpainter([[1, 2]], hole)
    with pytest.raises(InputError, match="seed must be an integer from 0 to 9223372036854775807"):
        inpainter(image, hole, texture=True, seed=2**63)  # numba's int64: it crashed the texture stage
    with pytest.raises(InputError, match="crop_margin must be an integer >= 1"):
        inpainter(image, hole, crop_margin=0)  # a window of the hole alone has nothing known in it


def test_the_low_level_tensor_call_checks_its_inputs(inpainter, image, hole) -> None:
    batch = torch.from_numpy(image).permute(2, 0, 1)[None]
    holes = torch.from_numpy(hole)[None, None]
    with pytest.raises(InputError, match=r"N x 3 x H x W float tensor in \[0, 1\], got torch.uint8"):
        inpainter.inpaint_tensor(batch, holes)  # uint8 values were clamped to 1 as if they were floats
    with pytest.raises(NothingKnownError):
        inpainter.inpaint_tensor(batch / 255.0, torch.ones_like(holes))
    with pytest.raises(InputError, match="N x 3 x H x W"):
        inpainter.inpaint_tensor(batch[0] / 255.0, holes)
    two = torch.cat([batch, batch]) / 255.0  # one mask for a batch of two
    filled = inpainter.inpaint_tensor(two, holes)
    assert filled.shape == two.shape and torch.equal(filled[:, :, ~torch.from_numpy(hole)], two[:, :, ~torch.from_numpy(hole)])


def test_a_premultiplied_la_image_and_a_tensor_mask_for_a_file(inpainter, image, hole, tmp_path) -> None:
    grey = Image.fromarray(image).convert("LA").convert("La")
    assert inpainter(grey, hole).mode == "LA"
    Image.fromarray(image).save(tmp_path / "in.png")
    for mask in (torch.from_numpy(hole), Image.fromarray(hole.astype(np.uint8) * 255)):
        written = inpainter.inpaint_file(tmp_path / "in.png", mask, tmp_path / "out.png", overwrite=True)
        assert np.array_equal(np.asarray(Image.open(written))[~hole], image[~hole])


def test_options_take_numpy_numbers_as_plain_ones() -> None:
    from wavemix_inpaint.inference import InpaintOptions

    flag = InpaintOptions(invert_mask=np.bool_(True))  # a flag computed from an array
    assert flag.invert_mask is True
    options = InpaintOptions(seed=np.int64(3), texture_strength=np.float32(0.5), dilate=np.uint8(2))
    assert (options.seed, options.texture_strength, options.dilate) == (3, 0.5, 2)
    assert all(type(value) in (int, float) for value in (options.seed, options.texture_strength, options.dilate))
    with pytest.raises(InputError, match="seed must be an integer"):
        InpaintOptions(seed=np.True_)


# --------------------------------------------------------------------------------------- strategies


def test_crop_boxes_shift_inward_and_merge() -> None:
    hole = np.zeros((100, 200), bool)
    hole[2:6, 3:9] = True  # near the top-left corner
    assert crop_boxes(hole, 10) == [(0, 24, 0, 26)]  # 4+20 rows, 6+20 cols, shifted to stay inside
    hole[2:6, 30:34] = True  # grown windows overlap: merged
    hole[80:90, 180:190] = True
    boxes = crop_boxes(hole, 10)
    assert boxes == [(0, 24, 0, 44), (70, 100, 170, 200)]
    assert crop_boxes(np.zeros((5, 5), bool), 3) == []


def test_crop_windows_give_small_holes_context_in_proportion() -> None:
    hole = np.zeros((1000, 1000), bool)
    hole[100:104, 100:104] = True  # a 4 px speck: the minimum context, 32 px
    hole[500:700, 500:600] = True  # a 200 px hole: 2x its size exceeds the crop margin, which caps it
    assert crop_windows(hole, 128) == [(68, 136, 68, 136), (372, 828, 372, 728)]
    assert crop_windows(hole, 16) == [(84, 120, 84, 120), (484, 716, 484, 616)]  # the margin caps both
    assert crop_boxes(hole, 128, context_scale=2.0, min_context=32) == crop_windows(hole, 128)


def test_many_specks_keep_separate_windows_and_overlapping_ones_merge() -> None:
    rng = np.random.default_rng(3)
    hole = np.zeros((3000, 4000), bool)
    for row, col in zip(rng.integers(0, 3000, 300), rng.integers(0, 4000, 300), strict=True):
        hole[row : row + 5, col : col + 5] = True
    boxes = crop_windows(hole, 128)
    covered = np.zeros_like(hole)
    for top, bottom, left, right in boxes:
        assert not covered[top:bottom, left:right].any()  # disjoint
        covered[top:bottom, left:right] = True
    assert covered[hole].all() and covered.mean() < 0.25
    assert len(crop_boxes(hole, 128)) < len(boxes) / 10  # the fixed margin merges most of them


def test_crop_strategy_uses_small_windows(inpainter, model, monkeypatch) -> None:
    big = smooth_image(np.random.default_rng(5), 180, 400)
    hole = np.zeros((180, 400), bool)
    hole[20:35, 30:50] = True
    hole[140:170, 340:390] = True
    spy = Spy(inpainter.model, monkeypatch)
    out = inpainter(big, hole, strategy="crop", crop_trigger=300, crop_margin=16)
    assert len(spy.shapes) == 2
    for shape in spy.shapes:
        assert shape[2] < 180 and shape[3] < 400
    np.testing.assert_array_equal(out[~hole], big[~hole])
    for region in ((slice(20, 35), slice(30, 50)), (slice(140, 170), slice(340, 390))):
        assert (out[region] != big[region]).any()

    spy.shapes.clear()
    inpainter(big, hole, strategy="crop", crop_trigger=1000)
    assert spy.shapes == [(1, 3, 180, 400)]  # below the trigger: whole image


def test_resize_and_full_strategies(inpainter, model, monkeypatch) -> None:
    big = smooth_image(np.random.default_rng(6), 120, 300)
    hole = np.zeros((120, 300), bool)
    hole[50:60, 100:140] = True
    spy = Spy(inpainter.model, monkeypatch)
    out = inpainter(big, hole, strategy="resize", resize_limit=150)
    assert spy.shapes == [(1, 3, 60, 150)]
    np.testing.assert_array_equal(out[~hole], big[~hole])
    assert (out[hole] != big[hole]).any()
    spy.shapes.clear()
    inpainter(big, hole, strategy="full")
    assert spy.shapes == [(1, 3, 120, 300)]


# --------------------------------------------------------------------------------------- weights


def test_from_checkpoint_and_pretrained(tmp_path, model, image, hole, monkeypatch) -> None:
    save_checkpoint(model, tmp_path / "default.safetensors")
    reference = Inpainter(model, "cpu")(image, hole)
    loaded = Inpainter.from_checkpoint(tmp_path / "default.safetensors", device="cpu")
    np.testing.assert_array_equal(loaded(image, hole), reference)

    monkeypatch.setattr(pretrained, "weights_dir", lambda: tmp_path / "missing")
    with pytest.raises(InputError, match=r"default\.safetensors.*--checkpoint PATH"):
        Inpainter.from_pretrained()
    assert [(i.name, i.present) for i in pretrained.list_pretrained()] == [("default", False)]

    monkeypatch.setattr(pretrained, "weights_dir", lambda: tmp_path)
    info = pretrained.list_pretrained()[0]
    assert info.present and info.architecture == "wavemix-tiny"
    inpainter = Inpainter.from_pretrained("default", device="cpu")
    assert "pretrained" in inpainter.description and inpainter.name == "wavemix-tiny"
    np.testing.assert_array_equal(inpainter(image, hole), reference)
    with pytest.raises(InputError, match="unknown pretrained model 'nope'"):
        Inpainter.from_pretrained("nope")
    with pytest.raises(InputError, match="'telea' is an architecture, not trained weights: here it needs a checkpoint"):
        Inpainter.from_pretrained("telea")


def test_public_api_exports_inpainter() -> None:
    import wavemix_inpaint

    assert wavemix_inpaint.Inpainter is Inpainter
    assert "Inpainter" in wavemix_inpaint.__all__
    for name in ("InpaintOptions", "InpaintNotice", "load_model", "save_checkpoint"):
        assert name in wavemix_inpaint.__all__ and getattr(wavemix_inpaint, name) is not None


def test_inpaint_file_keeps_format_and_refuses_inputs(tmp_path, inpainter, image, hole) -> None:
    source = tmp_path / "photo.jpg"
    Image.fromarray(image).save(source, quality=70)
    Image.fromarray(hole.astype(np.uint8) * 255).save(tmp_path / "mask.png")
    out = inpainter.inpaint_file(source, tmp_path / "mask.png", tmp_path / "out.jpg")
    with Image.open(out) as written, Image.open(source) as original:
        assert written.format == "JPEG" and written.quantization == original.quantization
    with pytest.raises(InputError, match="input file"):
        inpainter.inpaint_file(source, tmp_path / "mask.png", source, overwrite=True)
    with pytest.raises(InputError, match="refusing to overwrite"):
        inpainter.inpaint_file(source, tmp_path / "mask.png", out)


def test_bf16_precision_is_close_and_keeps_known_pixels(model, image) -> None:
    hole = np.zeros(image.shape[:2], bool)
    hole[8:28, 10:40] = True
    reference = Inpainter(model, device="cpu")(image, hole)
    fast = Inpainter(model, device="cpu", precision="bf16")(image, hole)
    np.testing.assert_array_equal(fast[~hole], image[~hole])
    assert np.abs(fast.astype(int) - reference.astype(int)).mean() < 3  # uint8 levels
    with pytest.raises(InputError, match="precision"):
        Inpainter(model, device="cpu", precision="fp8")
