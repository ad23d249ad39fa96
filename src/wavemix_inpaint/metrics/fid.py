"""Fréchet Inception Distance: the maths, streaming feature statistics and offline weight lookup.

The FID Inception weights (``pt_inception-2015-12-05-6726825d.pth``, ~95 MB) are never downloaded by this
library. :func:`find_inception_weights` looks, in order, at an explicit path, the ``WAVEMIX_FID_WEIGHTS``
environment variable and the torch hub cache (``$TORCH_HOME/hub/checkpoints``, default
``~/.cache/torch/hub/checkpoints``) under pytorch-fid's and torch-fidelity's file names, and raises
:class:`~wavemix_inpaint.errors.MissingWeightsError` explaining how to provide the file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import Tensor, nn

from wavemix_inpaint.errors import CheckpointError, InputError, MissingWeightsError
from wavemix_inpaint.metrics.inception import FIDInceptionV3

FID_WEIGHTS_ENV = "WAVEMIX_FID_WEIGHTS"
FID_WEIGHTS_FILENAMES = (
    "pt_inception-2015-12-05-6726825d.pth",  # pytorch-fid
    "weights-inception-2015-12-05-6726825d.pth",  # torch-fidelity / torchmetrics (same weights)
)
FID_WEIGHTS_URL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
FID_WEIGHTS_SHA256_PREFIX = "6726825d"

Array = NDArray[np.float64]


# --------------------------------------------------------------------------------------------- maths


def _as_float64(x: ArrayLike | Tensor) -> Array:
    if isinstance(x, Tensor):
        x = x.detach().to("cpu", torch.float64).numpy()
    return np.asarray(x, dtype=np.float64)


def _sqrt_psd(matrix: Array) -> Array:
    """Symmetric square root of a (numerically) positive semi-definite matrix; negative eigenvalues -> 0."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def trace_sqrt_product(sigma1: ArrayLike | Tensor, sigma2: ArrayLike | Tensor) -> float:
    """``Tr sqrt(sigma1 @ sigma2)`` for covariance matrices, in float64.

    ``sigma1 @ sigma2`` is similar to the symmetric PSD matrix ``S = sqrt(sigma1) sigma2 sqrt(sigma1)``, so
    its eigenvalues are those of ``S``: real and >= 0. Using ``eigvalsh(S)`` avoids the spurious imaginary
    parts and the singular-matrix retries of ``scipy.linalg.sqrtm``; tiny negative round-off is clipped.
    """
    s1 = _as_float64(sigma1)
    s2 = _as_float64(sigma2)
    root1 = _sqrt_psd((s1 + s1.T) / 2.0)
    middle = root1 @ ((s2 + s2.T) / 2.0) @ root1
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2.0)
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def frechet_distance(
    mu1: ArrayLike | Tensor, sigma1: ArrayLike | Tensor, mu2: ArrayLike | Tensor, sigma2: ArrayLike | Tensor
) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), computed in float64.

    ``||mu1 - mu2||^2 + Tr(sigma1) + Tr(sigma2) - 2 Tr sqrt(sigma1 sigma2)``, clipped at 0 (round-off).
    """
    m1, m2 = _as_float64(mu1).reshape(-1), _as_float64(mu2).reshape(-1)
    s1, s2 = np.atleast_2d(_as_float64(sigma1)), np.atleast_2d(_as_float64(sigma2))
    dim = m1.shape[0]
    if m2.shape != (dim,) or s1.shape != (dim, dim) or s2.shape != (dim, dim):
        raise InputError(f"FID statistics do not match: mu {m1.shape} / {m2.shape}, sigma {s1.shape} / {s2.shape}")
    diff = m1 - m2
    value = diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt_product(s1, s2)
    return max(float(value), 0.0)


def feature_statistics(features: ArrayLike | Tensor) -> tuple[Array, Array]:
    """Mean (``D``) and unbiased covariance (``D x D``, ``ddof=1`` as pytorch-fid) of ``N x D`` features."""
    x = _as_float64(features)
    if x.ndim != 2 or x.shape[0] < 2:
        raise InputError(f"feature statistics need an N x D array with N >= 2, got shape {x.shape}")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


class RunningStatistics:
    """Streaming mean and covariance of feature vectors (float64 sums; memory ``O(D^2)``, not ``O(N D)``)."""

    def __init__(self) -> None:
        self.count = 0
        self._sum: Array | None = None
        self._outer: Array | None = None

    def update(self, features: ArrayLike | Tensor) -> None:
        x = _as_float64(features)
        x = x.reshape(x.shape[0], -1)
        if self._sum is None:
            self._sum = np.zeros(x.shape[1])
            self._outer = np.zeros((x.shape[1], x.shape[1]))
        if x.shape[1] != self._sum.shape[0]:
            raise InputError(f"feature size changed from {self._sum.shape[0]} to {x.shape[1]}")
        self.count += x.shape[0]
        self._sum += x.sum(axis=0)
        self._outer += x.T @ x

    def compute(self) -> tuple[Array, Array]:
        """Mean and unbiased covariance (``ddof=1``) of everything seen so far."""
        if self.count < 2 or self._sum is None or self._outer is None:
            raise InputError(f"FID needs at least 2 images per set, got {self.count}")
        mu = self._sum / self.count
        sigma = (self._outer - self.count * np.outer(mu, mu)) / (self.count - 1)
        return mu, sigma


# ------------------------------------------------------------------------------------- weights lookup


def _hub_checkpoint_dir() -> Path:
    """``$TORCH_HOME/hub/checkpoints`` (default ``~/.cache/torch/hub/checkpoints``), read at call time."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def _resolve_given(path: Path, source: str) -> Path:
    """An explicitly given file, or a directory holding one of the known file names."""
    if path.is_file():
        return path
    if path.is_dir():
        for name in FID_WEIGHTS_FILENAMES:
            if (path / name).is_file():
                return path / name
    raise MissingWeightsError(
        f"FID Inception weights not found at {path} (given by {source}). Expected the file "
        f"{FID_WEIGHTS_FILENAMES[0]} (or {FID_WEIGHTS_FILENAMES[1]}), or a folder containing it. " + _how_to_provide()
    )


def _how_to_provide() -> str:
    return (
        f"wavemix-inpaint never downloads it. On a machine with internet access fetch {FID_WEIGHTS_URL} "
        f"and either copy it into {_hub_checkpoint_dir()}, set the environment variable {FID_WEIGHTS_ENV} "
        f"to its path, or pass weights_path=... explicitly."
    )


def find_inception_weights(weights_path: str | os.PathLike[str] | None = None) -> Path:
    """Locate the FID Inception weights without downloading anything.

    Order: ``weights_path``; ``$WAVEMIX_FID_WEIGHTS``; ``$TORCH_HOME/hub/checkpoints/`` under
    ``pt_inception-2015-12-05-6726825d.pth`` then ``weights-inception-2015-12-05-6726825d.pth``. An explicit
    path or environment variable that points nowhere is an error (no silent fallback). Both may also name a
    folder that contains the file.

    Raises:
        MissingWeightsError: naming the file, every place searched and how to provide it.
    """
    if weights_path is not None:
        return _resolve_given(Path(weights_path).expanduser(), "weights_path")
    env_value = os.environ.get(FID_WEIGHTS_ENV)
    if env_value:
        return _resolve_given(Path(env_value).expanduser(), f"${FID_WEIGHTS_ENV}")
    hub = _hub_checkpoint_dir()
    candidates = [hub / name for name in FID_WEIGHTS_FILENAMES]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    searched = "; ".join(["weights_path argument (not given)", f"${FID_WEIGHTS_ENV} (not set)"] + [str(c) for c in candidates])
    raise MissingWeightsError(
        f"FID Inception weights {FID_WEIGHTS_FILENAMES[0]} not found. Searched: {searched}. " + _how_to_provide()
    )


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_fid_inception(
    weights_path: str | os.PathLike[str] | None = None,
    *,
    device: torch.device | str = "cpu",
    check_hash: bool = False,
) -> FIDInceptionV3:
    """Build :class:`FIDInceptionV3`, load the pretrained weights strictly and return it in eval mode.

    The file is read with ``torch.load(..., map_location="cpu", weights_only=True)``. With ``check_hash`` the
    file's SHA-256 must start with ``6726825d`` (the published files' hash prefix).

    Raises:
        MissingWeightsError: the file cannot be found (see :func:`find_inception_weights`).
        CheckpointError: the file is unreadable, has the wrong hash or does not match the architecture.
    """
    path = find_inception_weights(weights_path)
    if check_hash and not sha256_of(path).startswith(FID_WEIGHTS_SHA256_PREFIX):
        raise CheckpointError(f"{path}: SHA-256 does not start with {FID_WEIGHTS_SHA256_PREFIX}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling errors have no common base class
        raise CheckpointError(f"cannot read FID Inception weights {path}: {exc}") from exc
    if isinstance(state, Mapping) and "state_dict" in state and isinstance(state["state_dict"], Mapping):
        state = state["state_dict"]
    if not isinstance(state, Mapping):
        raise CheckpointError(f"{path} does not contain a state dict (got {type(state).__name__})")

    model = FIDInceptionV3()
    state = dict(state)
    for key, buffer in model.state_dict().items():
        # Files converted from TensorFlow may lack BatchNorm's step counter; it has no effect in eval mode.
        if key.endswith("num_batches_tracked") and key not in state:
            state[key] = torch.zeros_like(buffer)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{path} does not match the FID Inception-v3 architecture: {exc}") from exc
    model.requires_grad_(False)
    return model.to(device).eval()


# --------------------------------------------------------------------------------------------- metric


class FIDMetric:
    """FID between a set of real and a set of generated images, accumulated batch by batch.

    Args:
        feature_extractor: module mapping ``N x 3 x H x W`` images in [0, 1] to ``N x D`` features. ``None``
            loads the FID Inception-v3 (:func:`load_fid_inception`), raising ``MissingWeightsError`` if the
            weights are not available locally.
        weights_path: explicit location of the Inception weights (only used when ``feature_extractor`` is None).
        device: where the feature extractor runs.

    Real-set statistics can be cached with :meth:`statistics` and restored with :meth:`set_statistics`.
    """

    def __init__(
        self,
        feature_extractor: nn.Module | None = None,
        weights_path: str | os.PathLike[str] | None = None,
        device: torch.device | str = "cpu",
    ) -> None:
        self.device = torch.device(device)
        if feature_extractor is None:
            feature_extractor = load_fid_inception(weights_path, device=self.device)
        self.feature_extractor = feature_extractor.to(self.device).eval()
        self._running = {True: RunningStatistics(), False: RunningStatistics()}
        self._fixed: dict[bool, tuple[Array, Array]] = {}

    def reset(self, real: bool | None = None) -> None:
        """Forget accumulated images of one set (``real=True/False``) or of both (``None``)."""
        for which in (True, False) if real is None else (real,):
            self._running[which] = RunningStatistics()
            self._fixed.pop(which, None)

    @torch.inference_mode()
    def update(self, images: Tensor, real: bool) -> None:
        """Add a batch of ``N x 3 x H x W`` images (float in [0, 1], or uint8) to the real or generated set."""
        if images.ndim != 4:
            raise InputError(f"FID expects N x C x H x W images, got shape {tuple(images.shape)}")
        if images.dtype == torch.uint8:
            images = images.float() / 255.0
        elif not images.is_floating_point():
            raise InputError(f"FID expects float images in [0, 1] or uint8, got {images.dtype}")
        if real in self._fixed:
            raise InputError("statistics of this set were set explicitly; call reset() before adding images")
        features = self.feature_extractor(images.to(self.device))
        self._running[real].update(features.reshape(features.shape[0], -1))

    def statistics(self, real: bool) -> tuple[Array, Array]:
        """``(mu, sigma)`` of the real or generated set (float64 arrays)."""
        if real in self._fixed:
            return self._fixed[real]
        return self._running[real].compute()

    def set_statistics(self, real: bool, mu: ArrayLike | Tensor, sigma: ArrayLike | Tensor) -> None:
        """Use precomputed statistics (e.g. cached real-set ``mu, sigma``) instead of accumulating images."""
        self._running[real] = RunningStatistics()
        self._fixed[real] = (_as_float64(mu).reshape(-1), np.atleast_2d(_as_float64(sigma)))

    def compute(self) -> float:
        """FID between the real and the generated set (each needs at least 2 images)."""
        mu_real, sigma_real = self.statistics(True)
        mu_fake, sigma_fake = self.statistics(False)
        return frechet_distance(mu_real, sigma_real, mu_fake, sigma_fake)
