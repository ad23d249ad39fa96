"""Statistics of the training masks (preset ``train``, as the training configs use it): hole area and thickness.

Draws ``--count`` seeded masks (``numpy.random.default_rng(seed)``, seeds 0..count-1) at each size and prints
the mean hole area, the median / 90th percentile of the hole thickness (the largest distance from a hole
pixel to the nearest known pixel, :func:`wavemix_inpaint.models.pyramid.hole_thickness`) and the share of
masks at most ``--thickness`` px thick (the coarse-to-fine threshold, ``DEFAULT_TARGET_THICKNESS``).
An experiment script (not part of the library), kept so that the numbers in docs/model.md, the model card
and models/pyramid.py can be re-run; about 30 s on one core (10,000 masks per size; 2,000 move the
shares by about a point):

    OMP_NUM_THREADS=1 python benchmarks/experiments/mask_stats.py [--count 10000] [--sizes 96 256]
"""

import argparse

import numpy as np

from wavemix_inpaint.masks import get_mask_generator
from wavemix_inpaint.models.pyramid import DEFAULT_TARGET_THICKNESS, hole_thickness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[96, 256])
    parser.add_argument("--thickness", type=float, default=DEFAULT_TARGET_THICKNESS)
    args = parser.parse_args()
    generator = get_mask_generator("train")
    for size in args.sizes:
        masks = [generator(np.random.default_rng(seed), size, size) for seed in range(args.count)]
        area = np.array([mask.mean() for mask in masks])
        thickness = np.array([hole_thickness(mask) for mask in masks])
        print(
            f"{size}x{size}, {args.count} masks: mean hole {area.mean():.1%} (median {np.median(area):.1%}); "
            f"thickness median {np.median(thickness):.1f} px, 90th percentile {np.percentile(thickness, 90):.1f} px, "
            f"{(thickness <= args.thickness).mean():.1%} at most {args.thickness:g} px"
        )


if __name__ == "__main__":
    main()
