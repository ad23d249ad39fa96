"""Tests for wavemix_inpaint.data (synthetic files only; nothing outside tmp_path is read)."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from wavemix_inpaint.data import (
    ImageFolder,
    MaskedImageDataset,
    STL10Binary,
    Subset,
    build_dataset,
    get_augmentation,
    list_images,
    open_rgb,
    sample_rngs,
    split_indices,
    split_sizes,
    stl10,
    worker_init_fn,
    write_stl10_binary,
)
from wavemix_inpaint.data import augment as aug
from wavemix_inpaint.errors import InputError

# --------------------------------------------------------------------------------------------- helpers


def stl_pattern(n: int) -> np.ndarray:
    """NHWC images with R = row index, G = column index, B = image index (a transpose shows at once)."""
    rows, cols = np.meshgrid(np.arange(96), np.arange(96), indexing="ij")
    images = np.empty((n, 96, 96, 3), dtype=np.uint8)
    images[..., 0] = rows
    images[..., 1] = cols
    images[..., 2] = np.arange(n, dtype=np.uint8)[:, None, None]
    return images


def box_masks(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A stand-in for wavemix_inpaint.masks generators: one random box (top level, so it pickles)."""
    mask = np.zeros((height, width), dtype=np.float32)
    top, left = rng.integers(0, height // 2), rng.integers(0, width // 2)
    mask[top : top + rng.integers(4, height // 2), left : left + rng.integers(4, width // 2)] = 1
    return mask


def gradient(width: int, height: int, seed: int = 0) -> np.ndarray:
    """HxWx3 uint8 image with a unique-ish value per position (so different crops differ)."""
    y, x = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(seed).integers(0, 40, size=(height, width))
    return np.stack([(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), noise], axis=-1).astype(np.uint8)


@pytest.fixture()
def stl_root(tmp_path: Path) -> Path:
    write_stl10_binary(tmp_path / "stl10_binary" / "unlabeled_X.bin", stl_pattern(10))
    return tmp_path


@pytest.fixture()
def photo_dir(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    (root / "a" / "b").mkdir(parents=True)
    (root / "c").mkdir()
    (root / ".cache").mkdir()
    Image.fromarray(gradient(160, 120)).save(root / "a" / "rgb.jpg", quality=95)
    Image.fromarray(gradient(100, 110)[..., 0]).save(root / "a" / "b" / "grey.png")
    rgba = np.zeros((100, 100, 4), dtype=np.uint8)
    rgba[:, :50] = (255, 0, 0, 0)  # transparent red: must come out white
    rgba[:, 50:] = (0, 0, 255, 255)
    Image.fromarray(rgba).save(root / "rgba.png")
    Image.fromarray(gradient(128, 96)).save(root / "c" / "pic.webp", lossless=True)
    Image.fromarray(gradient(40, 30)).save(root / "small.png")
    Image.fromarray(gradient(100, 100)).convert("P").save(root / "palette.png")
    Image.fromarray(gradient(100, 100)).convert("CMYK").save(root / "cmyk.jpg")
    Image.fromarray(gradient(100, 100)).save(root / "c" / "UPPER.PNG")
    (root / "notes.txt").write_text("not an image")
    Image.fromarray(gradient(100, 100)).save(root / ".hidden.png")
    Image.fromarray(gradient(100, 100)).save(root / ".cache" / "thumb.png")
    return root


# --------------------------------------------------------------------------------------------- STL-10


def test_stl10_writer_uses_column_major_planes(stl_root: Path) -> None:
    raw = np.fromfile(stl_root / "stl10_binary" / "unlabeled_X.bin", dtype=np.uint8)
    assert raw.size == 10 * 27648
    assert raw[:96].tolist() == list(range(96))  # red channel of column 0, top to bottom (R = row)
    assert raw[96:192].tolist() == list(range(96))  # red channel of column 1 is again rows 0..95
    assert raw[96 * 96 : 96 * 96 + 96].tolist() == [0] * 96  # green plane starts with column 0
    assert raw[96 * 96 + 96] == 1  # green of column 1, row 0


@pytest.mark.parametrize("form", ["root", "folder", "file"])
def test_stl10_reads_pattern(stl_root: Path, form: str) -> None:
    folder = stl_root / "stl10_binary"
    dataset = STL10Binary({"root": stl_root, "folder": folder, "file": folder / "unlabeled_X.bin"}[form])
    assert len(dataset) == 10
    item = dataset[3]
    assert item.shape == (3, 96, 96) and item.dtype == torch.float32
    rows, cols = torch.meshgrid(torch.arange(96), torch.arange(96), indexing="ij")
    assert torch.equal((item * 255).round().long(), torch.stack([rows, cols, torch.full_like(rows, 3)]))
    batch = dataset.read_uint8([7, 2, 2])
    assert batch.shape == (3, 96, 96, 3) and batch.dtype == np.uint8
    np.testing.assert_array_equal(batch, stl_pattern(10)[[7, 2, 2]])
    np.testing.assert_array_equal(dataset.read_uint8(slice(0, 10, 4)), stl_pattern(10)[0:10:4])
    np.testing.assert_array_equal(dataset.read_uint8(5)[0], dataset.get_uint8(5))
    with pytest.raises(IndexError):
        dataset.read_uint8([10])


def test_stl10_pickles_without_the_data(stl_root: Path) -> None:
    dataset = STL10Binary(stl_root)
    _ = dataset[0]
    blob = pickle.dumps(dataset)
    assert len(blob) < 2000
    assert torch.equal(pickle.loads(blob)[9], dataset[9])


def test_stl10_bad_size(tmp_path: Path) -> None:
    bad = tmp_path / "stl10_binary" / "unlabeled_X.bin"
    bad.parent.mkdir()
    bad.write_bytes(bytes(27648 * 2 + 5))
    with pytest.raises(InputError, match="unlabeled_X.bin.*27648"):
        STL10Binary(tmp_path)


def test_stl10_missing_file_message(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        STL10Binary(tmp_path)
    message = str(info.value)
    assert "unlabeled_X.bin" in message and "<root>/stl10_binary/unlabeled_X.bin" in message
    assert "stl10_binary.tar.gz" in message and "never downloads" in message
    with pytest.raises(InputError, match="train_X.bin"):
        STL10Binary(tmp_path, split="train")
    with pytest.raises(InputError, match="unknown STL-10 split"):
        STL10Binary(tmp_path, split="extra")


def test_stl10_md5(stl_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="MD5"):
        STL10Binary(stl_root, verify_md5=True)
    actual = stl10.md5_file(stl_root / "stl10_binary" / "unlabeled_X.bin")
    monkeypatch.setitem(stl10.STL10_MD5, "unlabeled_X.bin", actual)
    assert len(STL10Binary(stl_root, verify_md5=True)) == 10


def test_write_stl10_rejects_wrong_shape(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_stl10_binary(tmp_path / "x.bin", np.zeros((2, 64, 64, 3), dtype=np.uint8))


# --------------------------------------------------------------------------------------------- split


def test_split_sizes() -> None:
    assert split_sizes(100000) == {"train": 80000, "val": 10000, "test": 10000}
    assert split_sizes(10) == {"train": 8, "val": 1, "test": 1}
    assert split_sizes(7) == {"train": 7, "val": 0, "test": 0}
    assert split_sizes(100, (0.42, 0.29, 0.29)) == {"train": 42, "val": 29, "test": 29}
    with pytest.raises(ValueError):
        split_sizes(10, (0.5, 0.5, 0.5))


@pytest.mark.parametrize("n", [0, 1, 13, 1000])
def test_split_disjoint_covering_sorted(n: int) -> None:
    parts = split_indices(n, seed=3)
    joined = np.concatenate([parts["train"], parts["val"], parts["test"]])
    assert np.array_equal(np.sort(joined), np.arange(n))
    for part in parts.values():
        assert part.dtype == np.int64 and np.all(np.diff(part) > 0)
    assert {k: len(v) for k, v in parts.items()} == split_sizes(n)


def test_split_pinned_and_reproducible() -> None:
    parts = split_indices(100000, seed=0)
    assert parts["train"][:5].tolist() == [0, 2, 3, 5, 6]
    assert parts["val"][:5].tolist() == [1, 30, 31, 48, 78]
    assert parts["test"][:5].tolist() == [4, 10, 16, 20, 27]
    again = split_indices(100000, seed=0)
    assert all(np.array_equal(parts[k], again[k]) for k in parts)
    other = split_indices(100000, seed=1)
    assert not np.array_equal(parts["val"], other["val"])


def test_subset_maps_indices(stl_root: Path) -> None:
    subset = Subset(STL10Binary(stl_root), [9, 4])
    assert len(subset) == 2
    assert int(round(subset[0][2, 0, 0].item() * 255)) == 9
    assert subset.get_uint8(1)[0, 0, 2] == 4


# --------------------------------------------------------------------------------------------- augment


@pytest.mark.parametrize("name", ["none", "light", "distortions"])
@pytest.mark.parametrize("shape", [(96, 96, 3), (40, 64, 3)])
def test_augmentations_shape_dtype_seeded(name: str, shape: tuple[int, int, int]) -> None:
    image = gradient(shape[1], shape[0])
    augmentation = get_augmentation(name)
    for seed in range(6):
        out = augmentation(image, np.random.default_rng(seed))
        assert out.shape == shape and out.dtype == np.uint8
        np.testing.assert_array_equal(out, augmentation(image, np.random.default_rng(seed)))
    if name != "none":
        outputs = {augmentation(image, np.random.default_rng(seed)).tobytes() for seed in range(6)}
        assert len(outputs) > 1


def test_none_is_identity_and_unknown_rejected() -> None:
    image = gradient(50, 40)
    assert get_augmentation("none")(image, np.random.default_rng(0)) is image
    with pytest.raises(InputError, match="unknown augmentation"):
        get_augmentation("heavy")


def test_primitives() -> None:
    image = gradient(64, 48)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(aug.hflip(image, rng), image[:, ::-1])
    np.testing.assert_array_equal(aug.perspective(image, rng, scale=(0.0, 0.0)), image)
    np.testing.assert_array_equal(aug.affine(image, rng, scale=(1.0, 1.0), rotate=(0.0, 0.0)), image)
    np.testing.assert_array_equal(aug.brightness_contrast(image, rng, 0.0, 0.0), image)
    rotated = aug.affine(image, rng, scale=(1.0, 1.0), rotate=(30.0, 30.0))
    assert rotated.shape == image.shape and not np.array_equal(rotated, image)
    brighter = aug.brightness_contrast(np.full((4, 4, 3), 100, np.uint8), np.random.default_rng(1), 0.2, 0.0)
    assert len(np.unique(brighter)) == 1 and abs(int(brighter[0, 0, 0]) - 100) <= 51
    grey = np.full((4, 4, 3), 128, np.uint8)  # zero saturation: value shift only, at most 5 levels
    shifted = aug.hsv_shift(grey, np.random.default_rng(2))
    assert np.all(np.abs(shifted.astype(int) - 128) <= 5)


# --------------------------------------------------------------------------------------------- folder


def test_image_folder_listing(photo_dir: Path) -> None:
    files = [path.relative_to(photo_dir).as_posix() for path in list_images(photo_dir)]
    assert files == [
        "a/b/grey.png",
        "a/rgb.jpg",
        "c/UPPER.PNG",
        "c/pic.webp",
        "cmyk.jpg",
        "palette.png",
        "rgba.png",
        "small.png",
    ]
    assert [p.name for p in list_images(photo_dir, extensions=("webp",))] == ["pic.webp"]


@pytest.mark.parametrize("crop", ["random", "center", "resize-center"])
def test_image_folder_items(photo_dir: Path, crop: str) -> None:
    dataset = ImageFolder(photo_dir, size=96, crop=crop)
    for index in range(len(dataset)):
        item = dataset[index]
        assert item.shape == (3, 96, 96) and item.dtype == torch.float32
        assert 0.0 <= item.min() and item.max() <= 1.0
    grey = dataset[0]
    assert torch.equal(grey[0], grey[1]) and torch.equal(grey[1], grey[2])


def test_image_folder_conversions(photo_dir: Path, tmp_path: Path) -> None:
    rgba = ImageFolder(photo_dir, crop="center").get_uint8(6)  # rgba.png, crop offset 2
    assert np.all(rgba[:, :40] == 255)  # transparent half composited on white
    assert np.all(rgba[:, 60:] == (0, 0, 255))
    assert open_rgb(photo_dir / "cmyk.jpg").mode == "RGB"
    assert open_rgb(photo_dir / "small.png").size == (40, 30)
    deep = np.array([[0, 257 * 100], [65535, 257 * 7]], dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    np.testing.assert_array_equal(np.asarray(open_rgb(tmp_path / "deep.png"))[..., 1], [[0, 100], [255, 7]])
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    Image.fromarray(gradient(60, 30)).save(tmp_path / "rotated.jpg", exif=exif)
    assert open_rgb(tmp_path / "rotated.jpg").size == (30, 60)


def test_image_folder_crops(photo_dir: Path) -> None:
    dataset = ImageFolder(photo_dir, crop="random")
    rgb = 1  # a/rgb.jpg, 160x120
    crops = {dataset.get_uint8(rgb, np.random.default_rng(seed)).tobytes() for seed in range(5)}
    assert len(crops) > 1
    np.testing.assert_array_equal(
        dataset.get_uint8(rgb, np.random.default_rng(7)), dataset.get_uint8(rgb, np.random.default_rng(7))
    )
    assert torch.equal(dataset[rgb], dataset[rgb])
    center = ImageFolder(photo_dir, crop="center").get_uint8(rgb)
    np.testing.assert_array_equal(center, np.asarray(open_rgb(photo_dir / "a" / "rgb.jpg"))[12:108, 32:128])
    with pytest.raises(InputError, match="small.png"):
        ImageFolder(photo_dir, crop="center", min_side_resize=False)[7]


def test_image_folder_resize_center(tmp_path: Path) -> None:
    stripes = np.zeros((100, 300, 3), dtype=np.uint8)
    stripes[:, :100] = (255, 0, 0)
    stripes[:, 100:200] = (0, 255, 0)
    stripes[:, 200:] = (0, 0, 255)
    Image.fromarray(stripes).save(tmp_path / "stripes.png")
    crop = ImageFolder(tmp_path, size=48, crop="resize-center").get_uint8(0)
    assert crop.shape == (48, 48, 3)
    assert np.all(crop[:, 2:-2] == (0, 255, 0))  # 300x100 -> 144x48, centre 48 columns are the green third


def test_image_folder_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no images")
    with pytest.raises(InputError, match=r"empty.*\.jpg"):
        ImageFolder(empty)
    with pytest.raises(InputError, match="does not exist"):
        ImageFolder(tmp_path / "missing")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.png").write_bytes(b"certainly not a png")
    Image.fromarray(gradient(120, 120)).save(broken / "cut.jpg")
    (broken / "cut.jpg").write_bytes((broken / "cut.jpg").read_bytes()[:600])
    dataset = ImageFolder(broken)
    for index, name in enumerate(["bad.png", "cut.jpg"]):
        with pytest.raises(InputError, match=name):
            dataset[index]
    with pytest.raises(InputError, match="crop mode"):
        ImageFolder(broken, crop="middle")


# --------------------------------------------------------------------------------------------- masked


def assert_same_item(a: dict, b: dict) -> None:
    assert a["index"] == b["index"]
    assert torch.equal(a["image"], b["image"]) and torch.equal(a["mask"], b["mask"])


def test_masked_dataset_items_and_determinism(stl_root: Path) -> None:
    images = Subset(STL10Binary(stl_root), np.arange(6))
    dataset = MaskedImageDataset(images, mask_generator=box_masks, seed=5, augment="distortions")
    item = dataset[2]
    assert set(item) == {"image", "mask", "index"} and item["index"] == 2
    assert item["image"].shape == (3, 96, 96) and item["mask"].shape == (1, 96, 96)
    assert item["mask"].dtype == torch.float32 and set(item["mask"].unique().tolist()) <= {0.0, 1.0}
    epoch0 = [dataset[i] for i in range(6)]
    fresh = MaskedImageDataset(images, mask_generator=box_masks, seed=5, augment="distortions")
    for i in reversed(range(6)):  # request order does not matter
        assert_same_item(fresh[i], epoch0[i])
    dataset.set_epoch(1)
    epoch1 = [dataset[i] for i in range(6)]
    assert sum(not torch.equal(a["mask"], b["mask"]) for a, b in zip(epoch0, epoch1)) >= 5
    dataset.set_epoch(0)
    assert_same_item(dataset[4], epoch0[4])
    other_seed = MaskedImageDataset(images, mask_generator=box_masks, seed=6, augment="distortions")
    assert sum(not torch.equal(other_seed[i]["mask"], epoch0[i]["mask"]) for i in range(6)) >= 5
    plain = MaskedImageDataset(images, mask_generator=box_masks, seed=5)  # masks ignore the augmentation
    assert all(torch.equal(plain[i]["mask"], epoch0[i]["mask"]) for i in range(6))
    assert torch.equal(plain[3]["image"], images[3])
    again = dataset[6]  # photo 0 drawn a second time in one epoch: its own crop, augmentation and mask
    assert again["index"] == 0 and not torch.equal(again["mask"], dataset[0]["mask"])
    with pytest.raises(IndexError):
        dataset[-1]


def test_masked_dataset_same_batches_for_any_worker_count(photo_dir: Path) -> None:
    dataset = MaskedImageDataset(ImageFolder(photo_dir, crop="random"), box_masks, seed=1, augment="light")
    dataset.set_epoch(3)

    def batches(workers: int) -> list[dict]:
        loader = DataLoader(dataset, batch_size=3, num_workers=workers, worker_init_fn=worker_init_fn)
        return list(loader)

    serial, parallel = batches(0), batches(2)
    assert len(serial) == len(parallel) == 3
    for a, b in zip(serial, parallel):
        assert torch.equal(a["index"], b["index"])
        assert torch.equal(a["image"], b["image"]) and torch.equal(a["mask"], b["mask"])


def test_masked_dataset_fixed_masks(stl_root: Path, tmp_path: Path) -> None:
    mask_dir = tmp_path / "masks"
    mask_dir.mkdir()
    rng = np.random.default_rng(0)
    expected = []
    for number in (0, 1, 2, 10):  # natural order: mask_2 before mask_10
        mask = box_masks(rng, 96, 96)
        Image.fromarray((mask * 255).astype(np.uint8)).save(mask_dir / f"mask_{number}.png")
        expected.append(mask)
    (mask_dir / "other.png").write_bytes(b"ignored")
    dataset = MaskedImageDataset(STL10Binary(stl_root), mask_dir=mask_dir)
    for index in range(10):
        np.testing.assert_array_equal(dataset[index]["mask"][0].numpy(), expected[index % 4])
    dataset.set_epoch(2)
    np.testing.assert_array_equal(dataset[5]["mask"][0].numpy(), expected[1])
    small = tmp_path / "small_masks"
    small.mkdir()
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(small / "mask_0.png")
    with pytest.raises(InputError, match="mask_0.png"):
        MaskedImageDataset(STL10Binary(stl_root), mask_dir=small)[0]
    empty = tmp_path / "no_masks"
    empty.mkdir()
    with pytest.raises(InputError, match="mask_"):
        MaskedImageDataset(STL10Binary(stl_root), mask_dir=empty)
    with pytest.raises(InputError, match="exactly one"):
        MaskedImageDataset(STL10Binary(stl_root))
    with pytest.raises(InputError, match="exactly one"):
        MaskedImageDataset(STL10Binary(stl_root), mask_generator=box_masks, mask_dir=mask_dir)


def test_masked_dataset_accepts_plain_tensors() -> None:
    images = [torch.rand(3, 32, 48) for _ in range(3)]
    item = MaskedImageDataset(images, mask_generator=box_masks)[1]
    assert item["mask"].shape == (1, 32, 48)
    assert torch.allclose(item["image"], images[1], atol=0.5 / 255 + 1e-6)


def test_sample_rngs_and_worker_init_fn() -> None:
    a, b = sample_rngs(0, 1, 2), sample_rngs(0, 1, 2)
    assert a.keys() == {"image", "augment", "mask"}
    assert all(a[k].random() == b[k].random() for k in a)
    assert a["image"].random() != a["mask"].random()
    states = torch.get_rng_state(), np.random.get_state(), random.getstate()
    try:
        worker_init_fn(0)
        first = np.random.random(), random.random()
        worker_init_fn(0)
        assert (np.random.random(), random.random()) == first
    finally:
        torch.set_rng_state(states[0])
        np.random.set_state(states[1])
        random.setstate(states[2])


# --------------------------------------------------------------------------------------------- build


def test_build_dataset(stl_root: Path, photo_dir: Path) -> None:
    parts = {split: build_dataset(f"stl10:{stl_root}", split, 96) for split in ("train", "val", "test")}
    assert {k: len(v) for k, v in parts.items()} == {"train": 8, "val": 1, "test": 1}
    seen = sorted(int(round(ds[i][2, 0, 0].item() * 255)) for ds in parts.values() for i in range(len(ds)))
    assert seen == list(range(10))
    with pytest.raises(InputError, match="96"):
        build_dataset(f"stl10:{stl_root}", "train", 64)
    train, val = build_dataset(str(photo_dir), "train", 64), build_dataset(str(photo_dir), "val", 64)
    assert isinstance(train, ImageFolder) and train.crop == "random" and val.crop == "center"
    assert train[0].shape == (3, 64, 64)
    assert build_dataset(str(photo_dir), "test", 64, crop="resize-center").crop == "resize-center"
    with pytest.raises(InputError, match="neither"):
        build_dataset("imagenet:/nowhere", "train", 96)
    with pytest.raises(InputError, match="unknown split"):
        build_dataset(str(photo_dir), "holdout", 96)
