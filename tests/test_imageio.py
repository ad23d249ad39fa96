"""Image and mask files for inference: orientation, alpha, metadata, formats, bit depths, bad files."""

from __future__ import annotations

import functools
import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from conftest import smooth_image
from PIL import ExifTags, Image, ImageCms, ImageOps, JpegImagePlugin, PngImagePlugin

from wavemix_inpaint.errors import InputError, SizeMismatchError
from wavemix_inpaint.imageio import (
    encode_png16,
    format_for_path,
    read_image,
    read_mask,
    reset_exif_orientation,
    save_image,
)


@pytest.fixture
def rgb() -> np.ndarray:
    return smooth_image(np.random.default_rng(1), 30, 40)


@pytest.fixture
def hole() -> np.ndarray:
    mask = np.zeros((30, 40), np.float32)
    mask[8:16, 10:25] = 1
    return mask


def _fill(pixels: np.ndarray, hole: np.ndarray, value: int = 7) -> np.ndarray:
    """Stand-in for an inpainting result: ``value`` in the hole, the input elsewhere."""
    out = pixels.copy()
    out[hole > 0.5] = value
    return out


@functools.cache
def _srgb_icc() -> bytes:
    """One sRGB profile for the whole module (a new one embeds the current time, so bytes differ)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestCam"
    exif.get_ifd(0x8769)[0x9003] = "2021:02:03 04:05:06"
    return exif


# ----------------------------------------------------------------------------------------- orientation


def test_exif_orientation_applied_and_reset(tmp_path, rgb, hole) -> None:
    source = tmp_path / "rotated.jpg"
    Image.fromarray(rgb).save(source, exif=_exif(6), quality=95)
    upright = np.asarray(ImageOps.exif_transpose(Image.open(source)))
    loaded = read_image(source)
    assert loaded.pixels.shape == (40, 30, 3)  # 30x40 rotated by 90 degrees
    np.testing.assert_array_equal(loaded.pixels, upright)

    out = save_image(tmp_path / "out.jpg", loaded.pixels, loaded)
    with Image.open(out) as image:
        exif = image.getexif()
        assert image.size == (30, 40)
        assert exif[0x0112] == 1
        assert exif[0x010F] == "TestCam"
        assert exif.get_ifd(0x8769)[0x9003] == "2021:02:03 04:05:06"


def test_reset_exif_orientation_patches_in_place() -> None:
    raw = _exif(8).tobytes()
    patched = reset_exif_orientation(raw)
    assert patched.startswith(b"Exif\x00\x00")
    exif = Image.Exif()
    exif.load(patched)
    assert exif[0x0112] == 1 and exif[0x010F] == "TestCam"
    assert len(patched) == len(raw if raw.startswith(b"Exif") else b"Exif\x00\x00" + raw)
    assert reset_exif_orientation(b"garbage") == b"Exif\x00\x00garbage"


def test_the_orientation_of_a_truncated_ifd_is_reset() -> None:
    # IFD0 says 3 entries but holds only the orientation: Pillow still reads it, so it must still be reset
    raw = b"II" + struct.pack("<HI", 42, 8) + struct.pack("<HHHIH", 3, 0x0112, 3, 1, 6) + b"\x00\x00"
    exif = Image.Exif()
    exif.load(reset_exif_orientation(raw, transposed=True))
    assert exif[0x0112] == 1


@pytest.mark.parametrize("order", ["<", ">"])
def test_an_orientation_stored_as_long_is_reset_too(tmp_path, rgb, order) -> None:
    # IFD0 with one entry, Orientation = 6 as type LONG (4) instead of SHORT: some writers do that
    header = (b"II" if order == "<" else b"MM") + struct.pack(order + "HI", 42, 8)
    raw = header + struct.pack(order + "HHHII", 1, 0x0112, 4, 1, 6) + struct.pack(order + "I", 0)
    source = tmp_path / "long.jpg"
    Image.fromarray(rgb).save(source, exif=b"Exif\x00\x00" + raw, quality=95)
    loaded = read_image(source)
    assert loaded.pixels.shape == (40, 30, 3)
    with Image.open(save_image(tmp_path / "out.jpg", loaded.pixels, loaded)) as out:
        assert out.getexif()[0x0112] == 1 and ImageOps.exif_transpose(out).size == (30, 40)


def test_a_quarter_turn_swaps_the_resolution_and_the_exif_pixel_dimensions(tmp_path, rgb) -> None:
    exif = _exif(6)
    exif.get_ifd(0x8769).update({0xA002: 30, 0xA003: 40})
    exif[0x011A], exif[0x011B] = 300.0, 150.0
    source = tmp_path / "rotated.jpg"
    Image.fromarray(rgb).save(source, exif=exif, dpi=(300, 150), quality=95)  # stored 30x40, shown 40x30
    loaded = read_image(source)
    with Image.open(save_image(tmp_path / "out.jpg", loaded.pixels, loaded)) as out:
        written = out.getexif()
        assert out.size == (30, 40) and out.info["dpi"] == pytest.approx((150, 300))
        assert (written[0x011A], written[0x011B]) == (150.0, 300.0)
        assert (written.get_ifd(0x8769)[0xA002], written.get_ifd(0x8769)[0xA003]) == (40, 30)


def test_the_orientation_in_a_png_raw_exif_profile_is_applied_and_reset(tmp_path, rgb) -> None:
    data = _exif(6).tobytes()
    text = PngImagePlugin.PngInfo()
    text.add_text("Raw profile type exif", f"\nexif\n{len(data):8}\n{data.hex()}\n")  # as ImageMagick writes it
    source = tmp_path / "magick.png"
    Image.fromarray(rgb).save(source, pnginfo=text)
    loaded = read_image(source)
    assert loaded.pixels.shape == (40, 30, 3)
    with Image.open(save_image(tmp_path / "out.png", loaded.pixels, loaded)) as out:
        assert out.getexif()[0x0112] == 1 and out.getexif()[0x010F] == "TestCam"
        assert "Raw profile type exif" not in out.info and ImageOps.exif_transpose(out).size == (30, 40)


def test_mask_orientation_follows_exif(tmp_path) -> None:
    mask = np.zeros((10, 20), np.uint8)
    mask[:, :5] = 255
    Image.fromarray(mask).save(tmp_path / "m.jpg", exif=_exif(6), quality=100)
    read = read_mask(tmp_path / "m.jpg")
    assert read.shape == (20, 10)
    assert read[:5].all() and not read[10:].any()  # rotated 90 degrees clockwise: left band -> top band


# ------------------------------------------------------------------------------- alpha, ICC, EXIF, PNG


def test_png_colour_chunks_and_tiff_xmp_are_kept(tmp_path, rgb) -> None:
    chunks = PngImagePlugin.PngInfo()
    chunks.add(b"gAMA", struct.pack(">I", 100_000))  # linear values: viewers show them differently
    chunks.add(b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000))
    Image.fromarray(rgb).save(tmp_path / "linear.png", pnginfo=chunks)
    loaded = read_image(tmp_path / "linear.png")
    with Image.open(save_image(tmp_path / "out.png", loaded.pixels, loaded)) as out:
        assert out.info["gamma"] == 1.0 and out.info["chromaticity"] == pytest.approx(
            (0.3127, 0.329, 0.64, 0.33, 0.3, 0.6, 0.15, 0.06)
        )
    with Image.open(io.BytesIO(encode_png16(np.zeros((4, 4, 3), np.uint16), {"gamma": 1.0, "srgb": 0}))) as out16:
        assert out16.info["gamma"] == 1.0 and out16.info["srgb"] == 0
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    Image.fromarray(rgb).save(tmp_path / "tagged.tif", tiffinfo={700: xmp})
    loaded = read_image(tmp_path / "tagged.tif")
    with Image.open(save_image(tmp_path / "out.tif", loaded.pixels, loaded)) as out:
        assert out.info["xmp"] == xmp


def test_iptc_captions_of_a_jpeg_are_kept_and_its_photoshop_thumbnail_dropped(tmp_path, rgb) -> None:
    from PIL import IptcImagePlugin

    def resource(number: int, body: bytes) -> bytes:  # an 8BIM block with an empty name
        return b"8BIM" + struct.pack(">HHI", number, 0, len(body)) + body + b"\x00" * (len(body) % 2)

    iptc = b"\x1c\x02\x78" + struct.pack(">H", 7) + b"caption" + b"\x1c\x02\x74" + struct.pack(">H", 3) + b"(c)"
    segment = b"Photoshop 3.0\x00" + resource(0x0404, iptc) + resource(0x040C, b"the photo before inpainting")
    plain = io.BytesIO()
    Image.fromarray(rgb).save(plain, "JPEG", quality=90)
    data = plain.getvalue()
    (tmp_path / "iptc.jpg").write_bytes(data[:2] + b"\xff\xed" + struct.pack(">H", 2 + len(segment)) + segment + data[2:])
    loaded = read_image(tmp_path / "iptc.jpg")
    with Image.open(save_image(tmp_path / "out.jpg", loaded.pixels, loaded)) as out:
        assert IptcImagePlugin.getiptcinfo(out) == {(2, 120): b"caption", (2, 116): b"(c)"}
        assert sorted(out.info["photoshop"]) == [0x0404] and out.size == (rgb.shape[1], rgb.shape[0])
        out.load()


def test_png_alpha_icc_exif_text_preserved(tmp_path, rgb, hole) -> None:
    alpha = np.tile(np.linspace(0, 255, 40).astype(np.uint8), (30, 1))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone")
    source = tmp_path / "alpha.png"
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(source, icc_profile=_srgb_icc(), exif=_exif(1), pnginfo=info)

    loaded = read_image(source)
    assert loaded.format == "PNG" and loaded.mode == "RGBA"
    np.testing.assert_array_equal(loaded.alpha, alpha)
    np.testing.assert_array_equal(loaded.pixels, rgb)

    result = _fill(loaded.pixels, hole)
    out = save_image(tmp_path / "out.png", result, loaded, mask=hole)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.mode == "RGBA"
        assert image.info["icc_profile"] == _srgb_icc()
        assert image.getexif()[0x010F] == "TestCam"
        assert image.text["Author"] == "someone"
        array = np.asarray(image)
    np.testing.assert_array_equal(array[..., 3], alpha)
    np.testing.assert_array_equal(array[..., :3], result)


def test_jpeg_output_of_alpha_source_is_flattened_on_white(tmp_path) -> None:
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent black
    source = tmp_path / "clear.png"
    Image.fromarray(rgba, "RGBA").save(source)
    out = save_image(tmp_path / "out.jpg", read_image(source).pixels, read_image(source))
    assert np.asarray(Image.open(out)).min() > 240


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_bmp_and_gif_outputs_keep_the_alpha(tmp_path, rgb, hole, mode) -> None:
    """BMP stores the alpha exactly (a header with an alpha mask) and the DPI; GIF keeps it as one
    transparent index. Pillow's own encoders wrote BMP opaque (showing the colours hidden under
    transparent pixels) and made only fully transparent GIF pixels transparent. A grey source keeps a grey fill."""
    alpha = np.tile(np.linspace(0, 255, 40).astype(np.uint8), (30, 1))
    source = tmp_path / "clear.png"
    pixels = rgb if mode == "RGBA" else rgb[..., :1]
    Image.fromarray(np.dstack([pixels, alpha]).squeeze(), mode).save(source, dpi=(300, 300))
    loaded = read_image(source)
    result = _fill(loaded.pixels, hole)
    result[hole > 0] = (200, 40, 40)  # a coloured fill
    expected = loaded.pixels.copy()
    expected[hole > 0] = (200, 40, 40) if mode == "RGBA" else 88  # ITU-R 601 luma of the fill: .299 R + .587 G + .114 B
    with Image.open(save_image(tmp_path / "out.bmp", result, loaded, mask=hole)) as image:
        assert image.mode == "RGBA" and round(image.info["dpi"][0]) == 300
        array = np.asarray(image)
    np.testing.assert_array_equal(array[..., 3], alpha)
    np.testing.assert_array_equal(array[..., :3], expected)
    with Image.open(save_image(tmp_path / "out.gif", result, loaded, mask=hole)) as image:
        gif = np.asarray(image.convert("RGBA"))
    visible = alpha >= 128
    np.testing.assert_array_equal(gif[..., 3], np.where(visible, 255, 0))
    if len(np.unique(expected[visible], axis=0)) <= 255:  # few enough visible colours: exact
        np.testing.assert_array_equal(gif[visible][:, :3], expected[visible])


def test_png_stays_png_and_known_pixels_exact(tmp_path, rgb, hole) -> None:
    source = tmp_path / "photo.png"
    Image.fromarray(rgb).save(source)
    loaded = read_image(source)
    result = _fill(loaded.pixels, hole)
    out = save_image(tmp_path / "out.png", result, loaded, mask=hole)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image), result)


# ------------------------------------------------------------------------------------------ JPEG quality


def test_jpeg_quantisation_and_subsampling_kept(tmp_path, rgb) -> None:
    source = tmp_path / "q60.jpg"
    Image.fromarray(rgb).save(source, quality=60, subsampling="4:4:4", icc_profile=_srgb_icc())
    loaded = read_image(source)
    assert loaded.jpeg is not None
    out = save_image(tmp_path / "kept.jpg", loaded.pixels, loaded)
    with Image.open(source) as original, Image.open(out) as written:
        assert written.quantization == original.quantization
        assert JpegImagePlugin.get_sampling(written) == JpegImagePlugin.get_sampling(original) == 0
        assert written.info["icc_profile"] == _srgb_icc()
    explicit = save_image(tmp_path / "q95.jpg", loaded.pixels, loaded, quality=95)
    with Image.open(explicit) as written:
        assert written.quantization != Image.open(source).quantization


def test_png_source_written_as_jpeg_uses_quality_95(tmp_path, rgb) -> None:
    source = tmp_path / "a.png"
    Image.fromarray(rgb).save(source)
    out = save_image(tmp_path / "a.jpg", rgb, read_image(source))
    reference = io.BytesIO()
    Image.fromarray(rgb).save(reference, format="JPEG", quality=95)
    with Image.open(out) as written:
        assert written.format == "JPEG"
        assert written.quantization == Image.open(reference).quantization


def test_webp_lossless_kept(tmp_path, rgb, hole) -> None:
    source = tmp_path / "a.webp"
    Image.fromarray(rgb).save(source, lossless=True)
    loaded = read_image(source)
    assert loaded.webp_lossless
    result = _fill(loaded.pixels, hole)
    out = save_image(tmp_path / "out.webp", result, loaded, mask=hole)
    np.testing.assert_array_equal(np.asarray(Image.open(out).convert("RGB")), result)
    lossy = tmp_path / "lossy.webp"
    Image.fromarray(rgb).save(lossy, quality=50)
    assert not read_image(lossy).webp_lossless


def test_existing_output_refused(tmp_path, rgb) -> None:
    target = tmp_path / "exists.png"
    target.write_bytes(b"keep me")
    with pytest.raises(InputError, match="refusing to overwrite"):
        save_image(target, rgb)
    assert target.read_bytes() == b"keep me"
    save_image(target, rgb, overwrite=True)
    assert Image.open(target).size == (40, 30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists.png"]  # no temporary files left


# ------------------------------------------------------------------------------ bit depths and modes


def test_16bit_colour_png_round_trip(tmp_path, hole) -> None:
    rng = np.random.default_rng(0)
    rgb16 = (rng.random((30, 40, 3)) * 65535).astype(np.uint16)
    source = tmp_path / "deep.png"
    cv2.imwrite(str(source), rgb16[..., ::-1])
    loaded = read_image(source)
    assert loaded.pixels.dtype == np.uint16 and loaded.bit_depth == 16 and loaded.mode == "RGB;16"
    np.testing.assert_array_equal(loaded.pixels, rgb16)

    result = _fill(loaded.pixels, hole, 1234)
    out = save_image(tmp_path / "out.png", result, loaded, mask=hole)
    back = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)[..., ::-1]
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, result)
    eight = save_image(tmp_path / "out.jpg", result, loaded, quality=100)
    assert Image.open(eight).mode == "RGB"


def test_16bit_grey_round_trip_keeps_metadata(tmp_path, hole) -> None:
    grey = (np.random.default_rng(0).random((30, 40)) * 65535).astype(np.uint16)
    source = tmp_path / "grey16.png"
    Image.fromarray(grey).save(source, icc_profile=_srgb_icc())
    loaded = read_image(source)
    assert loaded.mode == "I;16" and loaded.pixels.dtype == np.uint16
    np.testing.assert_array_equal(loaded.pixels[..., 1], grey)
    result = _fill(loaded.pixels, hole, 40000)
    out = save_image(tmp_path / "out.png", result, loaded, mask=hole)
    with Image.open(out) as image:
        assert image.mode.startswith("I;16")
        assert image.info["icc_profile"] == _srgb_icc()
        back = np.asarray(image)
    np.testing.assert_array_equal(back[hole == 0], grey[hole == 0])
    assert (back[hole > 0] == 40000).all()


@pytest.mark.parametrize("suffix", [".png", ".tif", ".webp"])
def test_16bit_grey_tRNS_key_is_kept(tmp_path, suffix) -> None:
    """A 16-bit grey PNG's transparent key used to be dropped. PNG keeps the key (a fill over transparent
    pixels takes it; an opaque fill equal to it is nudged off), 8-bit outputs get an alpha channel, and
    TIFF, which cannot store a key, stays 16-bit grey and opaque."""
    grey = np.tile(np.arange(0, 65536, 2048, dtype=np.uint16), (30, 2))[:, :40]  # 30 x 40, two key columns
    key = 2048
    source = tmp_path / "grey16-key.png"
    Image.fromarray(grey).save(source, transparency=key)
    loaded = read_image(source)
    transparent = grey == key
    assert transparent.any() and (loaded.alpha == np.where(transparent, 0, 65535)).all()
    hole = np.zeros((30, 40), np.float32)
    hole[5:10, 0:20] = 1  # over the transparent column 1 and opaque ones
    result = _fill(loaded.pixels, hole, key)  # a fill equal to the key
    out = save_image(tmp_path / f"out{suffix}", result, loaded, mask=hole)
    back = read_image(out)
    if suffix == ".tif":
        assert back.mode == "I;16" and back.alpha is None
        return
    np.testing.assert_array_equal(back.alpha > back.alpha.max() // 2, ~transparent)
    if suffix == ".png":
        assert back.mode == "I;16" and back.info["transparency"] == key
        filled = back.native[hole > 0]
        assert set(np.unique(filled)) == {key, key + 1}  # key where transparent, nudged where opaque
        np.testing.assert_array_equal(back.native[hole == 0], grey[hole == 0])


def test_encode_png16_with_alpha_is_readable() -> None:
    array = (np.arange(2 * 3 * 4).reshape(2, 3, 4) * 1000).astype(np.uint16)
    decoded = cv2.imdecode(np.frombuffer(encode_png16(array), np.uint8), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(decoded[..., [2, 1, 0, 3]], array)


def test_cmyk_round_trip(tmp_path, rgb, hole) -> None:
    cmyk = Image.fromarray(rgb).convert("CMYK")
    source = tmp_path / "cmyk.tif"
    cmyk.save(source)
    loaded = read_image(source)
    assert loaded.mode == "CMYK" and loaded.pixels.shape == (30, 40, 3)
    out = save_image(tmp_path / "out.tif", _fill(loaded.pixels, hole), loaded, mask=hole)
    with Image.open(out) as image:
        assert image.mode == "CMYK"
        back = np.asarray(image)
    np.testing.assert_array_equal(back[hole == 0], np.asarray(cmyk)[hole == 0])
    jpeg = tmp_path / "cmyk.jpg"
    cmyk.save(jpeg, quality=90)
    loaded = read_image(jpeg)
    assert Image.open(save_image(tmp_path / "out.jpg", loaded.pixels, loaded)).mode == "CMYK"
    assert Image.open(save_image(tmp_path / "out.png", loaded.pixels, loaded)).mode == "RGB"  # PNG has no CMYK


def test_palette_keeps_palette_and_known_indices(tmp_path, rgb, hole) -> None:
    palette_image = Image.fromarray(rgb).quantize(16)
    source = tmp_path / "pal.png"
    palette_image.save(source)
    loaded = read_image(source)
    assert loaded.mode == "P" and loaded.alpha is None
    out = save_image(tmp_path / "out.png", _fill(loaded.pixels, hole, 200), loaded, mask=hole)
    with Image.open(out) as image:
        assert image.mode == "P"
        assert image.getpalette()[:48] == palette_image.getpalette()[:48]
        np.testing.assert_array_equal(np.asarray(image)[hole == 0], np.asarray(palette_image)[hole == 0])


def test_gif_transparency_index_kept(tmp_path, hole) -> None:
    indices = np.zeros((30, 40), np.uint8)
    indices[:, 20:] = 1
    indices[:5] = 2
    image = Image.fromarray(indices, "P")
    image.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)
    source = tmp_path / "t.gif"
    image.save(source, transparency=2)
    loaded = read_image(source)
    assert loaded.alpha is not None and (loaded.alpha[:5] == 0).all()
    out = save_image(tmp_path / "out.gif", _fill(loaded.pixels, hole, 0), loaded, mask=hole)
    with Image.open(out) as written:
        assert written.mode == "P" and written.info.get("transparency") == 2
        np.testing.assert_array_equal(np.asarray(written)[hole == 0], indices[hole == 0])


def test_greyscale_stays_greyscale(tmp_path, rgb, hole) -> None:
    grey = Image.fromarray(rgb).convert("L")
    source = tmp_path / "grey.png"
    grey.save(source)
    loaded = read_image(source)
    assert loaded.mode == "L" and loaded.pixels.shape == (30, 40, 3)
    out = save_image(tmp_path / "out.png", _fill(loaded.pixels, hole, 90), loaded, mask=hole)
    with Image.open(out) as image:
        assert image.mode == "L"
        back = np.asarray(image)
    np.testing.assert_array_equal(back[hole == 0], np.asarray(grey)[hole == 0])
    assert (back[hole > 0] == 90).all()


# ------------------------------------------------------------------------------------------- bad files


def test_bad_files_raise_input_errors_naming_the_file(tmp_path, rgb) -> None:
    (tmp_path / "noise.png").write_bytes(np.random.default_rng(0).bytes(500))
    (tmp_path / "notes.jpg").write_text("this is not an image")
    full = io.BytesIO()
    Image.fromarray(rgb).save(full, format="JPEG")
    (tmp_path / "cut.jpg").write_bytes(full.getvalue()[: len(full.getvalue()) // 2])
    png = io.BytesIO()
    Image.fromarray(rgb).save(png, format="PNG")
    (tmp_path / "cut.png").write_bytes(png.getvalue()[:-40])
    for name in ("noise.png", "notes.jpg", "cut.jpg", "cut.png", "missing.png"):
        with pytest.raises(InputError, match=name.replace(".", r"\.")):
            read_image(tmp_path / name)
    with pytest.raises(InputError, match="not an image"):
        read_image(tmp_path / "notes.jpg")
    with pytest.raises(InputError, match="directory"):
        read_image(tmp_path)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_decompression_bombs_refused_before_decoding(tmp_path, rgb) -> None:
    pillow_limit = Image.MAX_IMAGE_PIXELS
    (tmp_path / "bomb.png").write_bytes(_png_header_only(100_000, 100_000))  # 10 gigapixels
    (tmp_path / "big.png").write_bytes(_png_header_only(15_000, 10_000))  # 150 MP
    for name in ("bomb.png", "big.png"):
        with pytest.raises(InputError, match=rf"{name}.*too large.*decompression bomb"):
            read_image(tmp_path / name)
        with pytest.raises(InputError, match="too large"):
            read_mask(tmp_path / name)
    Image.fromarray(rgb).save(tmp_path / "small.png")
    with pytest.raises(InputError, match=r"40x30 = 0.0 MP"):
        read_image(tmp_path / "small.png", max_pixels=1000)
    assert read_image(tmp_path / "small.png", max_pixels=None).size == (30, 40)
    assert Image.MAX_IMAGE_PIXELS == pillow_limit  # Pillow's global limit is restored


def test_animated_gif_refused(tmp_path) -> None:
    frames = [Image.new("RGB", (8, 8), (80 * i, 0, 0)) for i in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    with pytest.raises(InputError, match="3 frames"):
        read_image(tmp_path / "anim.gif")


def test_read_from_bytes(rgb) -> None:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    loaded = read_image(buffer.getvalue())
    assert loaded.format == "PNG"
    np.testing.assert_array_equal(loaded.pixels, rgb)


# ------------------------------------------------------------------------------------------------ masks


def _expected_mask() -> np.ndarray:
    mask = np.zeros((20, 24), np.float32)
    mask[4:10, 6:18] = 1
    return mask


@pytest.mark.parametrize("kind", ["0255", "01", "rgba", "grey", "bilevel", "rgb"])
def test_mask_formats(tmp_path, kind) -> None:
    expected = _expected_mask()
    hole = expected > 0
    if kind == "0255":
        image = Image.fromarray(np.where(hole, 255, 0).astype(np.uint8))
    elif kind == "01":
        image = Image.fromarray(hole.astype(np.uint8))
    elif kind == "rgba":  # painted overlay: opaque = hole, colours irrelevant
        rgba = np.zeros((20, 24, 4), np.uint8)
        rgba[..., :3] = 200
        rgba[..., 3] = np.where(hole, 255, 0)
        image = Image.fromarray(rgba, "RGBA")
    elif kind == "grey":  # anti-aliased greyscale: thresholded at half range
        image = Image.fromarray(np.where(hole, 200, 100).astype(np.uint8))
    elif kind == "bilevel":
        image = Image.fromarray(hole).convert("1")
    else:
        image = Image.fromarray(np.where(hole, 255, 0).astype(np.uint8)).convert("RGB")
    image.save(tmp_path / "mask.png")
    np.testing.assert_array_equal(read_mask(tmp_path / "mask.png"), expected)
    np.testing.assert_array_equal(read_mask(tmp_path / "mask.png", invert=True), 1 - expected)


def test_mask_dilate_grows_holes_by_a_euclidean_radius(tmp_path) -> None:
    mask = np.zeros((21, 21), np.uint8)
    mask[10, 10] = 255
    Image.fromarray(mask).save(tmp_path / "dot.png")
    grown = read_mask(tmp_path / "dot.png", dilate=3)
    assert grown[10, 7] == 1 and grown[13, 10] == 1 and grown[10, 6] == 0
    assert grown[7, 7] == 0  # corner of the 7x7 square: 4.2 px away
    assert grown.sum() == 29  # the lattice points within 3 px of the dot
    huge = read_mask(tmp_path / "dot.png", dilate=3_000_000_000)  # no kernel of that size: the whole image
    assert huge.all()
    with pytest.raises(InputError, match="dilate"):
        read_mask(tmp_path / "dot.png", dilate=-1)


def test_mask_size_mismatch(tmp_path) -> None:
    Image.fromarray(np.full((24, 32), 255, np.uint8)).save(tmp_path / "m.png")
    with pytest.raises(InputError, match=r"32x24.*40x30"):
        read_mask(tmp_path / "m.png", size=(30, 40))
    resized = read_mask(tmp_path / "m.png", size=(30, 40), resize=True)
    assert resized.shape == (30, 40) and resized.all()
    Image.fromarray(np.full((20, 24), 255, np.uint8)).save(tmp_path / "other.png")  # 6:5, not 4:3
    with pytest.raises(SizeMismatchError, match="aspect ratios differ, so resizing would stretch the holes"):
        read_mask(tmp_path / "other.png", size=(30, 40), resize=True)


def test_a_tiff_whose_frame_count_cannot_be_read_is_a_clean_error() -> None:
    # found by benchmarks/decoder_fuzz.py: Pillow raised TypeError("Missing dimensions") counting frames
    import io as _io
    import sys as _sys
    from pathlib import Path as _Path

    _sys.path.insert(0, str(_Path(__file__).resolve().parents[1] / "benchmarks"))
    from decoder_fuzz import make_corpus

    tiffs = [data for ext, data, _ in make_corpus(3000, seed=0) if ext == "tif"]
    for data in tiffs:
        try:
            read_image(_io.BytesIO(data))
        except InputError:
            pass


# ----------------------------------------------------------------------------- fixes from a review


def test_palette_alpha_table_preserved(tmp_path) -> None:
    indices = np.zeros((6, 8), np.uint8)
    indices[:, 2:4], indices[:, 4:6], indices[:, 6:] = 1, 2, 3
    image = Image.fromarray(indices, "P")
    image.putpalette([200, 0, 0, 0, 200, 0, 0, 0, 200, 90, 90, 90])
    source = tmp_path / "table.png"
    image.save(source, transparency=bytes([255, 128, 0, 255]))  # per-entry alpha (a tRNS table)
    loaded = read_image(source)
    assert isinstance(loaded.info["transparency"], bytes)
    hole = np.zeros((6, 8), np.float32)
    hole[1:5, 1:7] = 1
    out = save_image(tmp_path / "out.png", _fill(loaded.pixels, hole, 10), loaded, mask=hole)
    with Image.open(out) as written, Image.open(source) as original:
        back, expected = np.asarray(written.convert("RGBA")), np.asarray(original.convert("RGBA"))
    np.testing.assert_array_equal(back[..., 3], loaded.alpha)  # alpha kept everywhere, holes included
    np.testing.assert_array_equal(back[hole == 0], expected[hole == 0])


def _keyed_source(tmp_path, kind: str) -> tuple:
    """A small image whose transparency is a colour key; the key colour is (7, 7, 7) / index 2."""
    indices = np.zeros((6, 8), np.uint8)
    indices[:, 4:] = 1
    indices[:2] = 2  # transparent rows, partly inside the hole
    if kind == "gif":
        image = Image.fromarray(indices, "P")
        image.putpalette([200, 0, 0, 0, 200, 0, 7, 7, 7])
        image.save(tmp_path / "key.gif", transparency=2)
        return tmp_path / "key.gif", tmp_path / "out.gif"
    grey = np.choose(indices, [60, 120, 7]).astype(np.uint8)
    image = Image.fromarray(grey) if kind == "L" else Image.fromarray(np.dstack([grey] * 3))
    image.save(tmp_path / "key.png", transparency=7 if kind == "L" else (7, 7, 7))
    return tmp_path / "key.png", tmp_path / "out.png"


@pytest.mark.parametrize("kind", ["gif", "L", "RGB"])
def test_colour_key_transparency_follows_source_alpha(tmp_path, kind) -> None:
    source, target = _keyed_source(tmp_path, kind)
    loaded = read_image(source)
    assert loaded.alpha is not None and (loaded.alpha[:2] == 0).all() and (loaded.alpha[2:] == 255).all()
    hole = np.zeros((6, 8), np.float32)
    hole[1:5, 2:7] = 1
    result = loaded.pixels.copy()
    result[hole > 0] = 7  # the key colour: opaque hole pixels must not turn see-through
    result[(hole > 0) & (loaded.alpha == 0)] = 200  # and transparent ones must stay transparent
    out = save_image(target, result, loaded, mask=hole)
    with Image.open(out) as written, Image.open(source) as original:
        assert written.mode == original.mode
        back, expected = np.asarray(written), np.asarray(original)
        alpha = np.asarray(written.convert("RGBA"))[..., 3]
    np.testing.assert_array_equal(alpha, loaded.alpha)
    np.testing.assert_array_equal(back[hole == 0], expected[hole == 0])


def _exif_with_thumbnail(thumbnail: bytes) -> bytes:
    """EXIF (IFD0, Exif IFD) plus an IFD1 holding a JPEG thumbnail, as cameras write it."""
    body = bytearray(_exif(6).tobytes())
    body = body[6:] if body.startswith(b"Exif\x00\x00") else body
    order = "<" if body[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(order + "I", body, 4)
    (count,) = struct.unpack_from(order + "H", body, ifd0)
    struct.pack_into(order + "I", body, ifd0 + 2 + 12 * count, len(body))  # IFD0's next-IFD pointer -> IFD1
    data_at = len(body) + 2 + 2 * 12 + 4
    body += struct.pack(order + "H", 2)
    body += struct.pack(order + "HHII", 0x0201, 4, 1, data_at) + struct.pack(order + "HHII", 0x0202, 4, 1, len(thumbnail))
    body += struct.pack(order + "I", 0) + thumbnail
    return b"Exif\x00\x00" + bytes(body)


def test_exif_thumbnail_dropped(tmp_path, rgb, hole) -> None:
    thumb = io.BytesIO()
    Image.new("RGB", (8, 6), (255, 0, 0)).save(thumb, format="JPEG")
    source = tmp_path / "thumb.jpg"
    Image.fromarray(rgb).save(source, exif=_exif_with_thumbnail(thumb.getvalue()), quality=95)
    with Image.open(source) as image:
        assert image.getexif().get_ifd(ExifTags.IFD.IFD1)  # the source really has a thumbnail
    loaded = read_image(source)
    for name in ("out.jpg", "out.png"):
        out = save_image(tmp_path / name, _fill(loaded.pixels, hole.T), loaded, mask=hole.T)
        assert thumb.getvalue()[20:-2] not in out.read_bytes()  # the old picture is gone, not just unlinked
        with Image.open(out) as image:
            exif = image.getexif()
            assert not exif.get_ifd(ExifTags.IFD.IFD1)
            assert exif[0x0112] == 1 and exif[0x010F] == "TestCam"
            assert exif.get_ifd(0x8769)[0x9003] == "2021:02:03 04:05:06"


_TIFF_TAGS = {270: "a description", 271: "Maker", 272: "Model X", 306: "2021:02:03 04:05:06", 315: "An Artist", 33432: "(c) me"}


def test_tiff_metadata_tags_kept(tmp_path, rgb, hole) -> None:
    source = tmp_path / "tags.tif"
    Image.fromarray(rgb).save(source, tiffinfo=dict(_TIFF_TAGS))
    loaded = read_image(source)
    out = save_image(tmp_path / "out.tif", _fill(loaded.pixels, hole), loaded, mask=hole)
    with Image.open(out) as image:
        assert {tag: image.tag_v2.get(tag) for tag in _TIFF_TAGS} == _TIFF_TAGS
        np.testing.assert_array_equal(np.asarray(image)[hole == 0], rgb[hole == 0])
    with Image.open(save_image(tmp_path / "out.jpg", loaded.pixels, loaded)) as image:
        assert image.getexif()[271] == "Maker" and image.getexif()[33432] == "(c) me"


def _tiff_jpeg_tables(pixels: np.ndarray, quality: int | None = None) -> bytes:
    """The JPEG tables (tag 347) of a JPEG-compressed TIFF written by Pillow at ``quality``."""
    buffer = io.BytesIO()
    extra = {} if quality is None else {"quality": quality}
    Image.fromarray(pixels).save(buffer, format="TIFF", compression="jpeg", **extra)
    return Image.open(buffer).tag_v2[347]


def test_jpeg_compressed_tiff_keeps_quality(tmp_path, rgb, hole) -> None:
    source = tmp_path / "jpeg.tif"
    Image.fromarray(rgb).save(source, compression="jpeg", quality=95)
    loaded = read_image(source)
    default = save_image(tmp_path / "default.tif", _fill(loaded.pixels, hole), loaded, mask=hole)
    explicit = save_image(tmp_path / "q40.tif", _fill(loaded.pixels, hole), loaded, mask=hole, quality=40)
    with Image.open(default) as image:
        assert image.info["compression"] == "jpeg" and image.tag_v2[347] == _tiff_jpeg_tables(rgb, 95)
    with Image.open(explicit) as image:
        assert image.tag_v2[347] == _tiff_jpeg_tables(rgb, 40)
    assert _tiff_jpeg_tables(rgb, 95) != _tiff_jpeg_tables(rgb)  # Pillow's default (75) differs


def test_jpeg_quality_keeps_chroma_subsampling(tmp_path, rgb) -> None:
    source = tmp_path / "444.jpg"
    Image.fromarray(rgb).save(source, quality=90, subsampling="4:4:4")
    loaded = read_image(source)
    with Image.open(save_image(tmp_path / "q80.jpg", loaded.pixels, loaded, quality=80)) as written:
        assert JpegImagePlugin.get_sampling(written) == 0


@pytest.mark.parametrize("extension", [".xbm", ".pcx", ".msp", ".eps", ".blp", ".palm", ".ico", ".pdf"])
def test_unsupported_output_formats_refused(tmp_path, rgb, extension) -> None:
    with pytest.raises(InputError, match=r"\.png"):
        format_for_path(tmp_path / f"out{extension}")
    with pytest.raises(InputError):
        save_image(tmp_path / f"out{extension}", rgb)
    assert not list(tmp_path.iterdir())


def test_every_mode_writes_to_every_output_format(tmp_path) -> None:
    pixels = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3) * 3
    sources = {mode: Image.fromarray(pixels).convert(mode) for mode in ("RGB", "RGBA", "L", "LA", "1", "P", "CMYK")}
    for mode, image in sources.items():
        buffer = io.BytesIO()
        image.save(buffer, format="TIFF")
        loaded = read_image(buffer.getvalue())
        for extension in (".png", ".jpg", ".webp", ".bmp", ".tif", ".gif"):
            assert format_for_path(f"x{extension}")
            out = save_image(tmp_path / f"{mode}{extension}", loaded.pixels, loaded)
            assert Image.open(out).size == (6, 4)


def test_encoder_errors_are_input_errors_naming_file_and_format(tmp_path) -> None:
    wide = np.zeros((1, 16384, 3), np.uint8)  # beyond WebP's 16383-pixel limit
    with pytest.raises(InputError, match=r"wide\.webp.*WEBP"):
        save_image(tmp_path / "wide.webp", wide)
    assert not list(tmp_path.iterdir())


def test_resized_mask_follows_exif_rotation(tmp_path) -> None:
    size = (20, 10)  # the image as shown (height, width); stored 20 wide x 10 high, EXIF orientation 6
    stored = np.zeros((5, 10), np.uint8)  # half size, drawn on the stored layout
    stored[:, :2] = 255
    Image.fromarray(stored).save(tmp_path / "stored.png")
    mask = read_mask(tmp_path / "stored.png", size=size, resize=True, orientation=6)
    assert mask.shape == size
    assert mask[:4].all() and not mask[4:].any()  # rotated like the image: left band -> top band
    shown = np.zeros((10, 5), np.uint8)  # half size, drawn on the image as shown
    shown[:2] = 255
    Image.fromarray(shown).save(tmp_path / "shown.png")
    mask = read_mask(tmp_path / "shown.png", size=size, resize=True, orientation=6)
    assert mask[:4].all() and not mask[4:].any()
    Image.fromarray(np.zeros((9, 9), np.uint8)).save(tmp_path / "square.png")
    with pytest.raises(SizeMismatchError, match=r"square\.png.*9x9.*aspect"):
        read_mask(tmp_path / "square.png", size=size, resize=True, orientation=6)
    assert read_mask(tmp_path / "square.png", size=(12, 12), resize=True, orientation=6).shape == (12, 12)
