"""The texture stage: structure from the network, fine detail copied from the photo itself.

A network trained with an L1/SSIM loss fills a hole with the *mean* of the plausible fills: the right
colours and edges, but no grain, so foliage, fur, stone or water come out as a smear. PatchMatch-style
fills (Photoshop's Content-Aware Fill, GIMP's Resynthesizer) copy real texture from the photo, but pick
their sources by appearance alone and get the large-scale structure wrong. This stage does both::

    smooth  = the network's composited fill (N x 3 x H x W in [0, 1])
    detail  = smooth - GaussianBlur(smooth, detail_sigma)          (the photo's grain, on known pixels)
    guide   = [GaussianBlur(smooth, guide_sigma),  local detail amplitude, filled into the hole]
    NNF     = PatchMatch: for every hole pixel, the known pixel whose patch best matches it on the guide
              (+ on the detail already synthesised around it, so copies join up; a few iterations)
    gain    = min(1, activity[target] / activity[source])          (a busy source is damped to a calm target)
    output  = smooth + strength * gain * detail[NNF]   inside the hole; the input elsewhere

The guide makes the texture follow the network's structure: a source is chosen because its blurred
colour matches the network's prediction *and* its neighbourhood is about as busy as the photo around
that part of the hole (the amplitude map is the known region's detail amplitude, smoothly extended into
the hole). Each hole pixel takes the detail of exactly one source pixel (no averaging of overlapping
patches, which would blur the grain away); PatchMatch's propagation keeps neighbouring sources coherent.

On a pyramid (a large hole filled coarse to fine) every level adds its own octave of detail, and a
level's search starts from the coarser level's matches (:func:`finer_sources`), so one iteration
suffices and the copies stay coherent across octaves. The activity map that damps each copy comes from
the finest level even at coarse levels: the thin known strips between brush strokes, which tell that a
sky is calm, vanish at a coarse level, where a sky pixel would otherwise copy a cloud's edges.

The search is our own PatchMatch (Barnes et al. 2009) in numba: pypatchmatch, the maintained C++
package, takes no guide image (``shared/research/texture.md``). It is deterministic for a given seed,
whatever the number of threads: random numbers come from a hash of (seed, iteration, pixel), and rows
are processed in parallel with vertical propagation from the previous iteration (Jacobi) and
horizontal propagation within the row (Gauss-Seidel).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numba
import numpy as np

from wavemix_inpaint.parallel import numba_on_torch_threads


@dataclass(frozen=True)
class TextureSettings:
    """Knobs of the texture stage (defaults chosen on BSDS500 ``val``, see docs/results.md)."""

    strength: float = 1.0  # how much of the copied detail is added (1 = the photo's own amplitude)
    coarse_strength: float = 1.0  # the same for the coarser octaves (pyramid levels above the finest)
    octaves: int = 1  # at least this many octaves of detail (halved levels are added where the fill had fewer)
    detail_sigma: float = 1.5  # Gaussian sigma separating detail (grain) from structure, in pixels
    guide_sigma: float = 3.0  # blur of the structure guide
    patch_radius: int = 3  # 7x7 patches
    iterations: int = 4
    seed_from_coarser: bool = True  # a pyramid level's search starts from the coarser level's matches...
    seeded_iterations: int = 1  # ...and then needs fewer iterations
    amplitude_weight: float = 4.0  # weight of the "how busy" guide channel against the colour channels
    detail_weight: float = 1.0  # weight of the already-synthesised detail (coherence of the copies)
    match_amplitude: bool = True  # a copy from a busier source is damped to the amplitude expected where it lands
    max_search_pixels: int = 20_000  # larger holes are searched on a coarser grid (offsets scaled back up)
    min_sources: int = 64  # fewer usable source pixels than this: no texture (the smooth fill is kept)


class Synthesis(NamedTuple):
    """The textured image and where each hole pixel's detail came from (seeds the next finer level)."""

    image: np.ndarray  # H x W x 3 float32 in [0, 1]
    sources: np.ndarray  # H x W x 2 int32: the (y, x) each hole pixel copied its detail from; -1 elsewhere


class TextureUnavailable(Exception):
    """The hole has too little usable known region around it to copy texture from."""


# --------------------------------------------------------------------------------------- numba kernels
# Compiled on first use and cached on disk (numba's cache=True), so later processes start at once.


@numba.njit(cache=True, inline="always")
def _hash_uniform(seed, iteration, y, x, k):  # noqa: ANN001, ANN202
    """A deterministic uniform number in [0, 1) from five integers (splitmix64 finaliser)."""
    z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15)
    z ^= np.uint64(iteration * 1000003 + k) * np.uint64(0xBF58476D1CE4E5B9)
    z ^= np.uint64(y * 65537 + x) * np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True, inline="always")
def _patch_cost(guide, detail, state, ty, tx, sy, sx, radius, detail_weight, use_hole_detail, best):  # noqa: ANN001, ANN202
    """Squared distance between the target patch at (ty, tx) and the source patch at (sy, sx): guide
    channels everywhere, detail where it is known (``state``), stopping early once above ``best``."""
    height, width = guide.shape[0], guide.shape[1]
    channels, detail_channels = guide.shape[2], detail.shape[2]
    total = 0.0
    for dy in range(-radius, radius + 1):
        y = ty + dy
        if y < 0 or y >= height:
            continue
        for dx in range(-radius, radius + 1):
            x = tx + dx
            if x < 0 or x >= width:
                continue
            for c in range(channels):
                diff = guide[y, x, c] - guide[sy + dy, sx + dx, c]
                total += diff * diff
            if state[y, x] == 2 or (state[y, x] == 1 and use_hole_detail):
                for c in range(detail_channels):
                    diff = detail[y, x, c] - detail[sy + dy, sx + dx, c]
                    total += detail_weight * diff * diff
        if total >= best:
            return total
    return total


@numba.njit(cache=True)
def _improve_row(
    guide,
    detail,
    state,
    hole,
    valid,
    nnf,
    previous,
    y,
    forward,
    radius,
    detail_weight,
    seed,
    iteration,
    max_jump,
    use_hole_detail,
):  # noqa: ANN001, ANN202
    """One PatchMatch sweep along row ``y``: propagation from the neighbours, then random search."""
    height, width = hole.shape
    for step in range(width):
        x = np.int64(step) if forward else np.int64(width - 1 - step)
        if not hole[y, x]:
            continue
        by, bx = nnf[y, x, 0], nnf[y, x, 1]
        best = _patch_cost(guide, detail, state, y, x, by, bx, radius, detail_weight, use_hole_detail, np.inf)
        # propagation: the neighbours' sources, shifted (horizontal: this row, already updated; vertical:
        # the previous iteration's field, so rows can run in parallel deterministically)
        for k in range(4):
            ny, nx, fresh = y, x, False
            if k == 0:
                nx, fresh = (x - 1 if forward else x + 1), True
            elif k == 1:
                ny = y - 1
            elif k == 2:
                ny = y + 1
            else:
                nx = x + 1 if forward else x - 1
            if ny < 0 or ny >= height or nx < 0 or nx >= width or not hole[ny, nx]:
                continue
            if fresh:
                cy, cx = nnf[ny, nx, 0] + (y - ny), nnf[ny, nx, 1] + (x - nx)
            else:
                cy, cx = previous[ny, nx, 0] + (y - ny), previous[ny, nx, 1] + (x - nx)
            if cy < 0 or cy >= height or cx < 0 or cx >= width or not valid[cy, cx]:
                continue
            candidate = _patch_cost(guide, detail, state, y, x, cy, cx, radius, detail_weight, use_hole_detail, best)
            if candidate < best:
                best, by, bx = candidate, cy, cx
        # random search around the best source, in shrinking windows
        jump = max_jump
        k = 1
        while jump >= 1:
            cy = by + int((2.0 * _hash_uniform(seed, iteration + 1, y, x, k) - 1.0) * jump)
            cx = bx + int((2.0 * _hash_uniform(seed, iteration + 1, y, x, k + 1) - 1.0) * jump)
            k += 2
            if 0 <= cy < height and 0 <= cx < width and valid[cy, cx]:
                candidate = _patch_cost(guide, detail, state, y, x, cy, cx, radius, detail_weight, use_hole_detail, best)
                if candidate < best:
                    best, by, bx = candidate, cy, cx
            jump //= 2
        nnf[y, x, 0], nnf[y, x, 1] = by, bx


@numba.njit(cache=True, parallel=True)
def _patchmatch(guide, detail, state, hole, valid, sources, initial, seeded, radius, iterations, detail_weight, seed, max_jump):  # noqa: ANN001, ANN202
    """NNF (absolute source coordinates, H x W x 2) for the hole pixels, starting from ``initial`` where it
    names a valid source (random sources elsewhere); ``detail`` is updated in place in the hole with the
    copied detail after every iteration. ``state``: 2 where the detail is the photo's own, 1 in the hole
    (its detail counts from the second iteration on, or at once when seeded), 0 elsewhere."""
    height, width = hole.shape
    nnf = np.zeros((height, width, 2), dtype=np.int32)
    count = sources.shape[0]
    for row in numba.prange(height):
        for x in range(width):
            if hole[row, x]:
                sy, sx = initial[row, x, 0], initial[row, x, 1]
                if 0 <= sy < height and 0 <= sx < width and valid[sy, sx]:
                    nnf[row, x, 0], nnf[row, x, 1] = sy, sx
                else:
                    pick = int(_hash_uniform(seed, 0, row, x, 0) * count)
                    nnf[row, x, 0], nnf[row, x, 1] = sources[pick, 0], sources[pick, 1]
    if seeded:
        _copy_into_hole(detail, hole, nnf)
    for iteration in range(iterations):
        previous = nnf.copy()
        forward = iteration % 2 == 0
        for row in numba.prange(height):
            _improve_row(
                guide,
                detail,
                state,
                hole,
                valid,
                nnf,
                previous,
                np.int64(row),
                forward,
                radius,
                detail_weight,
                seed,
                iteration,
                max_jump,
                seeded or iteration > 0,
            )
        _copy_into_hole(detail, hole, nnf)
    return nnf


@numba.njit(cache=True, parallel=True)
def _copy_into_hole(detail, hole, nnf):  # noqa: ANN001, ANN202
    """Every hole pixel's detail becomes its source's (sources are known pixels, so order does not matter)."""
    for row in numba.prange(hole.shape[0]):
        for x in range(hole.shape[1]):
            if hole[row, x]:
                for c in range(detail.shape[2]):
                    detail[row, x, c] = detail[nnf[row, x, 0], nnf[row, x, 1], c]


# ------------------------------------------------------------------------------------------ the stage


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT)


def _amplitude_guide(detail: np.ndarray, reliable: np.ndarray, hole: np.ndarray, sigma: float) -> np.ndarray:
    """Local detail amplitude (RMS over a ~``sigma`` neighbourhood) of the reliable known pixels, extended
    smoothly into the rest of the image (a normalised blur from the reliable pixels, coarse to fine)."""
    energy = (detail**2).sum(axis=2)
    weight = reliable.astype(np.float32)
    value = _blur(energy * weight, sigma)
    norm = _blur(weight, sigma)
    amplitude = np.sqrt(np.where(norm > 1e-3, value / np.maximum(norm, 1e-3), 0.0)).astype(np.float32)
    defined = norm > 0.05
    if defined.all():
        return amplitude
    filled = amplitude.copy()
    scale = sigma
    while not defined.all() and scale < 4 * max(hole.shape):  # normalised blurs of growing width
        scale *= 2
        wide_value, wide_norm = _wide_blur(filled * defined, scale), _wide_blur(defined.astype(np.float32), scale)
        reach = wide_norm > 1e-4
        take = reach & ~defined
        filled[take] = wide_value[take] / wide_norm[take]
        defined = defined | reach
    return filled


def _wide_blur(image: np.ndarray, sigma: float, max_sigma: float = 4.0) -> np.ndarray:
    """A Gaussian blur of large ``sigma`` computed on a grid shrunk so that its sigma is at most
    ``max_sigma`` pixels, then enlarged back: the result is smooth, and a full-size kernel of
    sigma 100 would cost more than the whole search."""
    shrink = max(1, int(sigma // max_sigma))
    if shrink == 1:
        return _blur(image, sigma)
    height, width = image.shape[:2]
    small = cv2.resize(image, (max(1, width // shrink), max(1, height // shrink)), interpolation=cv2.INTER_AREA)
    return cv2.resize(_blur(small, sigma / shrink), (width, height), interpolation=cv2.INTER_LINEAR)


def _search_scale(hole_pixels: int, max_pixels: int) -> int:
    """Integer factor by which the search resolution is reduced (1 = full resolution) so that the hole
    has at most about ``max_pixels`` pixels on the search grid."""
    return max(1, math.ceil(math.sqrt(hole_pixels / max_pixels)))


def _detail_and_amplitude(smooth: np.ndarray, hole: np.ndarray, settings: TextureSettings) -> tuple[np.ndarray, ...]:
    """The detail band (zero where the blur reached into the hole), where it is reliable, and its local
    amplitude extended into the hole (all H x W [x 3] float32 / bool)."""
    detail = smooth - _blur(smooth, settings.detail_sigma)
    guard = int(math.ceil(3 * settings.detail_sigma))
    reliable = cv2.erode((~hole).astype(np.uint8), np.ones((2 * guard + 1, 2 * guard + 1), np.uint8)) > 0
    detail[~reliable] = 0.0
    return detail, reliable, _amplitude_guide(detail, reliable, hole, 2 * settings.guide_sigma)


def detail_activity(smooth: np.ndarray, hole: np.ndarray, settings: TextureSettings = TextureSettings()) -> np.ndarray:
    """How busy the photo is around each pixel (H x W float32): the fine detail's local amplitude on the
    known pixels, extended smoothly into the hole."""
    return _detail_and_amplitude(np.ascontiguousarray(smooth, dtype=np.float32), np.asarray(hole, bool), settings)[2]


def synthesize_texture(
    smooth: np.ndarray,
    hole: np.ndarray,
    seed: int = 0,
    settings: TextureSettings = TextureSettings(),
    prior: np.ndarray | None = None,
    activity: np.ndarray | None = None,
) -> Synthesis:
    """Add copied photo detail to ``smooth`` (H x W x 3 float32 in [0, 1], the composited smooth fill)
    inside ``hole`` (H x W bool); returns a new array and the sources it copied from. ``prior`` (H x W x 2,
    e.g. :func:`finer_sources` of the coarser pyramid level's) starts the search from known-good matches,
    so ``settings.seeded_iterations`` suffice. ``activity`` (any size, resized to H x W): how busy each
    place is, for ``settings.match_amplitude`` (default: this level's own detail amplitude; a coarse
    pyramid level passes the finest level's :func:`detail_activity`, because thin known strips between
    strokes vanish at coarse levels). Raises :class:`TextureUnavailable` when the known region offers
    fewer than ``settings.min_sources`` usable sources."""
    smooth = np.ascontiguousarray(smooth, dtype=np.float32)
    hole = np.asarray(hole, dtype=bool)
    detail, reliable, amplitude = _detail_and_amplitude(smooth, hole, settings)
    if activity is None:
        activity = amplitude
    elif activity.shape != hole.shape:
        activity = cv2.resize(activity, hole.shape[::-1], interpolation=cv2.INTER_AREA)
    guide = np.concatenate([_blur(smooth, settings.guide_sigma), settings.amplitude_weight * amplitude[..., None]], axis=2)

    factor = _search_scale(int(hole.sum()), settings.max_search_pixels)
    if factor > 1:  # search on a reduced grid; each reduced pixel is exactly one factor x factor block
        s_guide = _blocks(guide, factor).mean(axis=(2, 3))
        # averaging shrinks zero-mean detail by about the factor: scaled back for the coherence term
        s_detail = _blocks(detail, factor).mean(axis=(2, 3)) * factor
        s_hole = _blocks(hole, factor, pad_value=False).any(axis=(2, 3))  # a block with any hole pixel is searched
        s_reliable = _blocks(reliable, factor, pad_value=False).all(axis=(2, 3))  # a source block is all reliable
    else:
        s_guide, s_detail, s_hole, s_reliable = guide, detail.copy(), hole, reliable
    radius = settings.patch_radius
    valid = cv2.erode(s_reliable.astype(np.uint8), np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)) > 0
    valid[:radius], valid[-radius:], valid[:, :radius], valid[:, -radius:] = False, False, False, False
    sources = np.argwhere(valid).astype(np.int32)
    if len(sources) < settings.min_sources or not s_hole.any():
        raise TextureUnavailable(f"only {len(sources)} usable source pixels around the hole")
    state = np.where(s_hole, 1, np.where(s_reliable, 2, 0)).astype(np.int8)
    initial = _on_grid(prior, s_hole.shape, factor) if prior is not None else np.full((*s_hole.shape, 2), -1, np.int32)
    with numba_on_torch_threads():
        nnf = _patchmatch(
            np.ascontiguousarray(s_guide, dtype=np.float32),
            np.ascontiguousarray(s_detail, dtype=np.float32),
            state,
            s_hole,
            valid,
            sources,
            initial,
            prior is not None,
            radius,
            settings.seeded_iterations if prior is not None else settings.iterations,
            settings.detail_weight,
            int(seed),
            max(s_hole.shape),
        )
    source_map = _full_resolution_sources(hole, nnf, factor)
    ys, xs = np.nonzero(hole)
    copied = detail[source_map[ys, xs, 0], source_map[ys, xs, 1]]
    if settings.match_amplitude:  # e.g. a sky pixel that found its best match in a cloud's edge
        expected, found = activity[ys, xs], activity[source_map[ys, xs, 0], source_map[ys, xs, 1]]
        copied *= np.minimum(1.0, expected / np.maximum(found, 1e-6))[:, None]
    copied -= copied.mean(axis=0)  # detail only: the network's mean colour stays
    out = smooth.copy()
    out[ys, xs] = np.clip(smooth[ys, xs] + settings.strength * copied, 0.0, 1.0)
    return Synthesis(out, source_map)


def _blocks(array: np.ndarray, factor: int, pad_value: object = None) -> np.ndarray:
    """``array`` (H x W [x C]) as exact ``factor`` x ``factor`` blocks, shape (ceil(H/f), ceil(W/f), f, f [, C]),
    so block (y // f, x // f) holds pixel (y, x); the last blocks are padded by repeating the edge (or with
    ``pad_value``). An area resize to ceil(H/f) x ceil(W/f) does not cut at those lines when H or W is
    not a multiple of f: hole pixels then fell in blocks that were never searched."""
    height, width = array.shape[:2]
    rows, cols = -(-height // factor), -(-width // factor)
    pad = [(0, rows * factor - height), (0, cols * factor - width)] + [(0, 0)] * (array.ndim - 2)
    padded = np.pad(array, pad, mode="edge") if pad_value is None else np.pad(array, pad, constant_values=pad_value)
    return padded.reshape(rows, factor, cols, factor, *array.shape[2:]).swapaxes(1, 2)


def _full_resolution_sources(hole: np.ndarray, nnf: np.ndarray, factor: int) -> np.ndarray:
    """H x W x 2 source of every hole pixel (-1 elsewhere): its block's source on the (possibly reduced)
    search grid, scaled back up, with the offset inside the block kept."""
    ys, xs = np.nonzero(hole)
    grid_y, grid_x = np.minimum(ys // factor, nnf.shape[0] - 1), np.minimum(xs // factor, nnf.shape[1] - 1)
    source_map = np.full((*hole.shape, 2), -1, np.int32)
    source_map[ys, xs, 0] = np.clip(nnf[grid_y, grid_x, 0].astype(np.int64) * factor + ys % factor, 0, hole.shape[0] - 1)
    source_map[ys, xs, 1] = np.clip(nnf[grid_y, grid_x, 1].astype(np.int64) * factor + xs % factor, 0, hole.shape[1] - 1)
    return source_map


def finer_sources(sources: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A level's source map (h x w x 2) carried to the next finer pyramid level (``shape`` = about 2h x 2w):
    pixel (y, x) starts from twice its parent's source plus its own offset inside the parent."""
    ys, xs = np.mgrid[: shape[0], : shape[1]]
    parent = sources[np.minimum(ys // 2, sources.shape[0] - 1), np.minimum(xs // 2, sources.shape[1] - 1)]
    finer = np.stack([2 * parent[..., 0] + ys % 2, 2 * parent[..., 1] + xs % 2], axis=-1).astype(np.int32)
    finer[parent[..., 0] < 0] = -1
    return finer


def _on_grid(prior: np.ndarray, grid_shape: tuple[int, int], factor: int) -> np.ndarray:
    """A full-resolution source map sampled at the search grid's block corners, in grid coordinates."""
    rows = np.minimum(np.arange(grid_shape[0]) * factor, prior.shape[0] - 1)
    cols = np.minimum(np.arange(grid_shape[1]) * factor, prior.shape[1] - 1)
    sampled = prior[rows[:, None], cols[None, :]]
    return np.where(sampled >= 0, sampled // factor, -1).astype(np.int32)
