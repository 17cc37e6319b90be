#!/usr/bin/env python3
"""Time scipy.ndimage.gaussian_filter(sigma=3) on the seed workload: a (50,1104,1104) float32 volume
of standard normal values divided by their largest magnitude (numpy's default_rng(0)), as the
SciPy 2017 notebook's experiment. Prints one JSON object: {"peer", "min_ms", "median_ms", "reps"}.

Usage: python3 tools/scipy_seed.py [--reps N] [--shape Z,Y,X]
Needs numpy and scipy (any python3 that has them; `penumbra bench --scipy` runs this script)."""
import argparse
import json
import time

import numpy as np
import scipy.ndimage as ndi


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3, help="timed runs (default 3)")
    ap.add_argument("--shape", default="50,1104,1104", help="volume shape (default the seed's)")
    a = ap.parse_args()
    shape = tuple(int(s) for s in a.shape.split(","))
    vol = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    vol /= np.abs(vol).max()
    times = []
    for _ in range(max(1, a.reps)):
        t = time.perf_counter()
        ndi.gaussian_filter(vol, 3)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(json.dumps({"peer": f"scipy {__import__('scipy').__version__} ndimage.gaussian_filter float32, 1 thread",
                      "min_ms": round(times[0], 1), "median_ms": round(times[len(times) // 2], 1),
                      "reps": len(times)}))


if __name__ == "__main__":
    main()
