#!/usr/bin/env python3
"""Time scipy.ndimage on the grid `penumbra bench --matrix` runs: seven ops on the seed's shape in
five dtypes, on smoothed random data scaled to each dtype's range (the same recipe as the Java side,
MatrixData). One JSON object a line: {"op", "dtype", "min_ms", "median_ms", "reps", "scipy"}.
The output is float32 as Penumbra gives it (float64 for float64 input).

Usage: python3 tools/scipy_matrix.py [--shape Z,Y,X] [--reps N] [--ops a,b] [--dtypes a,b]"""
import argparse
import json
import time

import numpy as np
import scipy
import scipy.ndimage as ndi

OPS = {
    "gaussian": lambda v, o: ndi.gaussian_filter(v, 3, output=o),
    "gaussian-d": lambda v, o: ndi.gaussian_filter(v, 3, order=(0, 0, 1), output=o),
    "uniform": lambda v, o: ndi.uniform_filter(v, 5, output=o),
    "sobel": lambda v, o: ndi.sobel(v, axis=0, output=o),
    "laplace": lambda v, o: ndi.laplace(v, output=o),
    "gaussian-laplace": lambda v, o: ndi.gaussian_laplace(v, 2, output=o),
    "gaussian-gradient-magnitude": lambda v, o: ndi.gaussian_gradient_magnitude(v, 2, output=o),
}
DTYPES = ["float32", "uint16", "uint8", "int16", "float64"]


def volume(shape, dtype):
    """Standard normal values smoothed by a sigma-1 Gaussian, standardised; integers scaled to span
    5 %..95 % of the dtype's range."""
    v = np.random.default_rng(7).standard_normal(shape, dtype=np.float32)
    v = ndi.gaussian_filter(v, 1)
    v = (v - v.mean()) / v.std()
    if dtype in ("float32", "float64"):
        return v.astype(dtype)
    info = np.iinfo(dtype)
    lo, hi = info.min + 0.05 * (info.max - info.min), info.min + 0.95 * (info.max - info.min)
    scaled = lo + (np.clip(v, -4, 4) + 4) / 8 * (hi - lo)
    return np.round(scaled).astype(dtype)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", default="50,1104,1104")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--dtypes", default=",".join(DTYPES))
    a = ap.parse_args()
    shape = tuple(int(s) for s in a.shape.split(","))
    for dtype in a.dtypes.split(","):
        v = volume(shape, dtype)
        out = np.empty(shape, dtype=np.float64 if dtype == "float64" else np.float32)
        for op in a.ops.split(","):
            times = []
            for _ in range(max(1, a.reps)):
                t = time.perf_counter()
                OPS[op](v, out)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            print(json.dumps({"op": op, "dtype": dtype, "min_ms": round(times[0], 1),
                              "median_ms": round(times[len(times) // 2], 1), "reps": len(times),
                              "scipy": scipy.__version__}), flush=True)


if __name__ == "__main__":
    main()
