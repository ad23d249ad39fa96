"""Edge blend: time of the band solve, direct (sparse LU) against 100 conjugate-gradient steps.

An experiment script (not part of the library), kept so that the numbers in docs/results.md and the
DIRECT_LIMIT in inference/edge_blend.py can be re-checked. Cases: benchmarks/large_photo.py's
656x656 window around a 400x400 hole, a 4000x3000 photo with 60 thin strokes (9 px wide), and a 340x340
photo with half of its pixels, scattered at random, to fill (dead pixels). Each case runs
in a fresh process (peak memory is per process).

    python benchmarks/experiments/edge_blend_solver.py
"""

import json
import resource
import subprocess
import sys
import time

import cv2
import numpy as np

import wavemix_inpaint.inference.edge_blend as edge


def case(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "656x656 window, 400x400 hole":
        hole = np.zeros((656, 656), bool)
        hole[128:528, 128:528] = True
    elif name == "340x340, scattered pixels (50%)":
        hole = np.random.default_rng(4).random((340, 340)) < 0.5
    else:
        rng = np.random.default_rng(0)
        strokes = np.zeros((3000, 4000), np.uint8)
        for _ in range(60):
            start = rng.integers(0, [4000, 3000], size=2)
            end = start + rng.integers(-800, 800, size=2)
            cv2.line(strokes, (int(start[0]), int(start[1])), (int(end[0]), int(end[1])), 1, 9)
        hole = strokes > 0
    return np.random.default_rng(1).random((*hole.shape, 3)).astype(np.float32), hole


if len(sys.argv) == 3:  # child: one case, one solver
    filled, hole = case(sys.argv[1])
    edge.DIRECT_LIMIT = 10**9 if sys.argv[2] == "direct" else 0
    start = time.perf_counter()
    edge.edge_blend(filled, hole)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "unknown": int((edge.distance_to_known(hole) <= 8).sum() - (~hole).sum()),
            }
        )
    )
else:
    for name in ("656x656 window, 400x400 hole", "4000x3000, thin strokes", "340x340, scattered pixels (50%)"):
        for solver in ("direct", "iterative"):
            out = json.loads(
                subprocess.run([sys.executable, __file__, name, solver], check=True, capture_output=True, text=True).stdout
            )
            print(
                f"{name}: {solver} {out['seconds']:.2f} s, peak {out['peak_mb']:,.0f} MB, {out['unknown']:,} unknowns", flush=True
            )
