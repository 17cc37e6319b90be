#!/usr/bin/env python3
"""Run ./penumbra on random inputs it has never seen and compare each result with scipy.ndimage.

    python3 tools/check_cli_vs_scipy.py [--cases 120] [--seed 7]

Random op, mode (also per axis), dtype, byte order, memory order, rank 1-4, shape (with axes of
length 1 and 2, radii longer than axes) and parameters; the CLI writes .npy outputs that are
compared with scipy's at 1e-5*max(1,|ref|) (float32) or 1e-10*max(1,|ref|) (float64). Prints one
line per failure and a summary 'N passed, N failed'; exits 1 if any failed.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.ndimage as ndi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODES = ['reflect', 'mirror', 'nearest', 'wrap', 'constant', 'grid-mirror', 'grid-constant', 'grid-wrap']
OPS = ['gaussian', 'uniform', 'sobel', 'prewitt', 'laplace', 'gaussian-laplace', 'gaussian-gradient-magnitude',
       'correlate1d']
CODES = ['u1', 'i1', 'u2', 'i2', 'u4', 'i4', 'i8', 'f4', 'f8']


def fmt(v):
    return ','.join(str(x) for x in v) if isinstance(v, (list, tuple)) else str(v)


def one(rng, tmp, k):
    rank = int(rng.integers(1, 5))
    shape = tuple(int(rng.choice([1, 2, 3, 5, 8, 13, 21])) for _ in range(rank))
    code = str(rng.choice(CODES))
    if code[0] in 'ui':
        info = np.iinfo(code)
        a = rng.integers(max(info.min, -1000), min(info.max, 1000), size=shape, endpoint=True).astype(code)
    else:
        a = (rng.standard_normal(shape) * 10).astype(code)
    if a.dtype.itemsize > 1 and rng.random() < 0.3:
        a = a.astype(a.dtype.newbyteorder('>'))
    if rng.random() < 0.3:
        a = np.asfortranarray(a)
    op = str(rng.choice(OPS))
    per_axis = rng.random() < 0.3 and op != 'correlate1d'
    mode = [str(rng.choice(MODES)) for _ in range(rank)] if per_axis else str(rng.choice(MODES))
    cval = float(np.round(rng.standard_normal(), 3))
    out_dtype = np.float64 if (code == 'f8' or rng.random() < 0.2) else np.float32
    args = ['--mode', fmt(mode), '--cval', str(cval), '--output-dtype', np.dtype(out_dtype).name]
    kw = dict(mode=mode, cval=cval, output=out_dtype)
    if op in ('gaussian', 'gaussian-laplace', 'gaussian-gradient-magnitude'):
        sigma = [float(np.round(rng.uniform(0, 4), 2)) for _ in range(rank)] if rng.random() < 0.5 \
            else float(np.round(rng.uniform(0.3, 5), 2))
        truncate = float(rng.choice([4.0, 2.5, 3.0]))
        args += ['--sigma', fmt(sigma), '--truncate', str(truncate)]
        kw.update(sigma=sigma, truncate=truncate)
        if op == 'gaussian':
            order = [int(x) for x in rng.integers(0, 4, size=rank)]
            args += ['--order', fmt(order)]
            kw.update(order=order)
            ref = ndi.gaussian_filter(a, **kw)
        elif op == 'gaussian-laplace':
            ref = ndi.gaussian_laplace(a, **kw)
        else:
            ref = ndi.gaussian_gradient_magnitude(a, **kw)
    elif op == 'uniform':
        size = [int(x) for x in rng.integers(1, 7, size=rank)]
        origin = [int(rng.integers(-(s // 2), (s - 1) // 2 + 1)) for s in size]
        args += ['--size', fmt(size), '--origin', fmt(origin)]
        ref = ndi.uniform_filter(a, size, origin=origin, **kw)
    elif op in ('sobel', 'prewitt'):
        axis = int(rng.integers(-rank, rank))
        args += ['--axis', str(axis)]
        ref = getattr(ndi, op)(a, axis, **kw)
    elif op == 'laplace':
        ref = ndi.laplace(a, **kw)
    else:
        n = int(rng.integers(1, 8))
        w = [float(x) for x in np.round(rng.standard_normal(n), 3)]
        axis = int(rng.integers(-rank, rank))
        origin = int(rng.integers(-(n // 2), (n - 1) // 2 + 1))
        args += ['--weights', fmt(w), '--axis', str(axis), '--origin', str(origin)]
        ref = ndi.correlate1d(a, w, axis, origin=origin, **kw)
    inp = os.path.join(tmp, 'in%d.npy' % k)
    out = os.path.join(tmp, 'out%d.npy' % k)
    np.save(inp, a)
    cmd = [os.path.join(ROOT, 'penumbra'), op] + args + ['-q', inp, out]
    p = subprocess.run(cmd, capture_output=True, text=True)
    desc = '%s %s %s%s %s' % (op, ' '.join(args), a.dtype.str, ' F' if a.flags.f_contiguous and rank > 1 else '',
                              shape)
    if p.returncode != 0:
        return 'exit %d: %s: %s' % (p.returncode, desc, p.stderr.strip())
    got = np.load(out)
    tol = 1e-10 if out_dtype == np.float64 else 1e-5
    if got.dtype != ref.dtype or got.shape != ref.shape:
        return 'dtype/shape %s%s vs %s%s: %s' % (got.dtype, got.shape, ref.dtype, ref.shape, desc)
    err = np.abs(got.astype(np.float64) - ref) / np.maximum(1, np.abs(ref))
    if not np.all(err <= tol):
        return 'max rel err %.3g: %s' % (err.max(), desc)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--cases', type=int, default=120)
    ap.add_argument('--seed', type=int, default=7)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(a.cases):
            msg = one(rng, tmp, k)
            if msg:
                failed += 1
                print('FAIL', msg)
    print('%d passed, %d failed' % (a.cases - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
