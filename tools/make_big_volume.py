#!/usr/bin/env python3
"""Write a large raw float32 volume (C order, little-endian) for out-of-core runs; not committed.

    python3 tools/make_big_volume.py OUT.vol [--shape 256,4096,4096] [--seed 0]

Standard normal values divided by 5 (fixed seed), written slab by slab along axis 0 so that the
script itself needs little memory. 256x4096x4096 float32 is 16 GiB.
"""
import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('out')
    ap.add_argument('--shape', default='256,4096,4096')
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    shape = tuple(int(x) for x in a.shape.split(','))
    rng = np.random.default_rng(a.seed)
    with open(a.out, 'wb') as f:
        for _ in range(shape[0]):
            slab = rng.standard_normal(shape[1:], dtype=np.float32)
            slab /= 5
            slab.astype('<f4', copy=False).tofile(f)
    print('%s: %s float32, %.1f GiB' % (a.out, shape, np.prod(shape) * 4 / 2**30))
    return 0


if __name__ == '__main__':
    sys.exit(main())
