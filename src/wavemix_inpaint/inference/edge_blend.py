"""Edge blend: near the hole's edge, the fill is blended with a biharmonic continuation of the photo.

Why: on thin holes (scratches, wires, thin strokes) scikit-image's biharmonic fill beats the network, and
the two make different errors. Blended by the distance to the nearest known pixel,

    output = w * network + (1 - w) * biharmonic,    w = min(1, distance / ramp)   (ramp = 4 px)

they beat both: on BSDS500 `val` thin masks the network alone scores 21.31 dB of hole PSNR, biharmonic
21.47 and the blend 21.96 (thick masks: 18.86 -> 18.91; docs/results.md, "Edge blend"). Deep inside a
large hole the network's fill is kept as it is.

The biharmonic continuation is solved only on the *band* of hole pixels within ``band`` px of the known
region, with the network's fill as the boundary value deeper inside: a sparse least-squares problem
(minimise the squared discrete Laplacian, i.e. a biharmonic equation) the size of the band, not of the
hole, so a 400x400 hole costs a ring of 12,544 unknowns (0.09 s). Written with SciPy's sparse LU rather than
scikit-image's ``inpaint_biharmonic``, which solves the whole hole.
"""

from __future__ import annotations

import warnings

import cv2
import numpy as np
from scipy import sparse
from scipy.sparse.linalg import SuperLU, cg, splu

#: bands with more unknowns than this are solved iteratively (60 thin strokes in a 4000x3000 photo, 365,000
#: unknowns: the direct solve takes 4.0 s and 1.2 GB, 100 conjugate-gradient steps from the fill 2.8-3.4 s and
#: 0.9 GB; benchmarks/experiments/edge_blend_solver.py)
DIRECT_LIMIT = 60_000
#: conjugate-gradient steps for the larger bands (relative residual 1e-3; a shortfall is warned about, and
#: the result is then between the fill it started from and the continuation)
CG_MAX_STEPS = 100

#: (dy, dx) of the 4 neighbours of the discrete Laplacian
_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def distance_to_known(hole: np.ndarray, mask_size: int = 3) -> np.ndarray:
    """H x W float32: for each hole pixel, the Euclidean distance (px) to the nearest known pixel; 0 elsewhere
    (OpenCV's approximation with a ``mask_size`` x ``mask_size`` mask: 3, or 5 for a closer one)."""
    return cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, mask_size)


def _laplacian_rows(unknown: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, ...]:
    """The discrete Laplacian (each pixel's existing 4-neighbours minus their count times the pixel) at
    every pixel whose stencil touches an unknown: returns (row pixel y, x, column = unknown index or -1,
    neighbour y, x, coefficient) as flat arrays, one entry per (row, stencil tap)."""
    height, width = unknown.shape
    touched = cv2.dilate(unknown.astype(np.uint8), np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)) > 0
    rows_y, rows_x = np.nonzero(touched)
    taps = []
    count = np.zeros(len(rows_y), np.float64)
    for dy, dx in _NEIGHBOURS:
        ny, nx = rows_y + dy, rows_x + dx
        inside = (ny >= 0) & (ny < height) & (nx >= 0) & (nx < width)
        count += inside
        taps.append((np.nonzero(inside)[0], ny[inside], nx[inside], np.ones(int(inside.sum()))))
    taps.append((np.arange(len(rows_y)), rows_y, rows_x, -count))
    row = np.concatenate([t[0] for t in taps])
    tap_y, tap_x = np.concatenate([t[1] for t in taps]), np.concatenate([t[2] for t in taps])
    return row, index[tap_y, tap_x], tap_y, tap_x, np.concatenate([t[3] for t in taps]), len(rows_y)


def biharmonic_band(values: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """``values`` (H x W x C float) with its ``unknown`` pixels replaced by the smoothest continuation of
    the others: the minimiser of the summed squared discrete Laplacian (a biharmonic equation)."""
    result = values.astype(np.float64)
    if unknown.any():
        result[unknown] = _solve_band(values, unknown)
    return result


def band_factors(system: sparse.spmatrix) -> SuperLU:
    """The sparse LU of the band's symmetric positive definite system: a minimum-degree ordering of
    A^T + A keeps it sparse, and no row pivoting may undo that ordering (SuperLU's default pivoting took
    88 s instead of 0.63 s for 57,861 scattered pixels, 519 s instead of about 1 s for a 250x250 photo with
    90% of its pixels to fill; benchmarks/experiments/edge_blend_solver.py)."""
    return splu(system.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})


def _solve_band(values: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """The biharmonic continuation at the ``unknown`` pixels only (count x C float64, in row-major order),
    reading ``values`` only around them: no full-size float64 copy of a large photo."""
    count = int(unknown.sum())
    index = np.full(unknown.shape, -1, np.int64 if count > 2**31 - 1 else np.int32)
    index[unknown] = np.arange(count)
    row, column, tap_y, tap_x, coefficient, rows = _laplacian_rows(unknown, index)
    free = column >= 0
    laplacian = sparse.csr_matrix((coefficient[free], (row[free], column[free])), shape=(rows, count))
    channels = values.shape[2]
    constant = np.zeros((rows, channels))  # the Laplacian's known part, per channel
    np.add.at(constant, row[~free], coefficient[~free, None] * values[tap_y[~free], tap_x[~free]].astype(np.float64))
    # normal equations; a tiny pull towards the given values keeps the system regular everywhere
    regular = 1e-8
    start = values[unknown].astype(np.float64)
    system = laplacian.T @ laplacian + regular * sparse.identity(count)
    right = -(laplacian.T @ constant) + regular * start
    if count <= DIRECT_LIMIT:
        return band_factors(system).solve(right)
    # started from the fill; the band is thin, so the smooth continuation converges quickly
    system = system.tocsr()
    solved = [cg(system, right[:, c], x0=start[:, c], rtol=1e-3, maxiter=CG_MAX_STEPS) for c in range(channels)]
    if any(info != 0 for _, info in solved):
        warnings.warn(
            f"edge blend: the conjugate-gradient solve of {count} band pixels stopped after {CG_MAX_STEPS} steps "
            "short of its tolerance; the blend near the hole's edge is smoother than the fill but not fully so",
            RuntimeWarning,
            stacklevel=2,
        )
    return np.stack([solution for solution, _ in solved], axis=1)


def edge_blend(filled: np.ndarray, hole: np.ndarray, ramp: float = 4.0, band: int = 8) -> np.ndarray:
    """``filled`` (H x W x C float, the composited fill) blended with a biharmonic continuation of the
    photo near the edge of ``hole`` (H x W bool): ``w * filled + (1 - w) * biharmonic`` with
    ``w = min(1, distance to the nearest known pixel / ramp)``. Known pixels, and hole pixels at least
    ``ramp`` px from the known region, come back unchanged. ``band`` (>= ``ramp``) is how deep into the
    hole the biharmonic continuation is solved (the fill is its boundary value beyond)."""
    hole = np.asarray(hole, dtype=bool)
    result = filled.copy()
    if not hole.any() or hole.all():
        return result
    distance = distance_to_known(hole)
    unknown = hole & (distance <= max(band, ramp))
    smooth = _solve_band(filled, unknown)  # unknown pixels, row-major
    depth = distance[unknown]
    near = depth < ramp  # the pixels that take part of it
    weight = (depth[near] / ramp)[:, None]
    ys, xs = np.nonzero(unknown)
    ys, xs = ys[near], xs[near]
    blended = weight * filled[ys, xs] + (1.0 - weight) * smooth[near]
    result[ys, xs] = np.clip(blended, 0.0, 1.0)
    return result
