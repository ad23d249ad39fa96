"""Shared fixtures: small synthetic photo-like images made on the fly (tests never read ../shared)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """The tests use tiny models: one intra-op thread is fastest for them, and on a busy 2-core machine
    two spinning OpenMP threads can make them 50-100x slower."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def smooth_image(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A smooth random colour field with a few edges: learnable, unlike white noise."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.02, 0.12), rng.uniform(0.02, 0.12), rng.uniform(0, 6.28)
        channels.append(0.5 + 0.35 * np.sin(fx * x + fy * y + phase))
    image = np.stack(channels, axis=-1)
    x0 = rng.integers(0, width)
    image[:, x0:] *= 0.7
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve 48x40 synthetic JPEG/PNG photos in a nested folder."""
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for index in range(12):
        folder = root / ("a" if index % 2 else "b")
        folder.mkdir(exist_ok=True)
        suffix = ".png" if index % 3 else ".jpg"
        Image.fromarray(smooth_image(rng, 40, 48)).save(folder / f"img{index:02d}{suffix}")
    return root


@pytest.fixture(scope="session")
def held_out_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six other 48x40 synthetic photos: evaluation images apart from :func:`image_folder`."""
    root = tmp_path_factory.mktemp("held-out")
    rng = np.random.default_rng(1)
    for index in range(6):
        Image.fromarray(smooth_image(rng, 40, 48)).save(root / f"test{index:02d}.png")
    return root
