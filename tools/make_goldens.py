#!/usr/bin/env python3
"""Generate the scipy.ndimage goldens Penumbra's tests compare against.

Writes small .npy inputs and expected outputs under java/src/test/resources/goldens/ and a
manifest, cases.tsv, one case a line:  id  op  input  expected  params
params are key=value pairs separated by ';' (sigma, order, truncate, size, origin, axis, weights,
mode, cval, out: a numpy dtype name or 'same'); lists are comma-separated. Run from the repository root:

    python3 tools/make_goldens.py

The outputs are committed so that the tests need no Python. Deterministic (fixed seeds).
"""
import io
import os
import shutil
import sys

import numpy as np
import scipy
import scipy.ndimage as ndi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'java', 'src', 'test', 'resources', 'goldens')
MODES = ['reflect', 'mirror', 'nearest', 'wrap', 'constant', 'grid-mirror', 'grid-constant', 'grid-wrap']

inputs = {}
cases = []


def add_input(name, arr, version=None):
    if name not in inputs:
        path = os.path.join(OUT, name + '.npy')
        with open(path, 'wb') as f:
            np.lib.format.write_array(f, arr, version=version, allow_pickle=False)
        inputs[name] = arr
    return name


def num(x):
    # Java's Double.parseDouble spells the special values NaN, Infinity, -Infinity
    if isinstance(x, float) and (x != x or x in (float('inf'), float('-inf'))):
        return 'NaN' if x != x else ('Infinity' if x > 0 else '-Infinity')
    return repr(float(x)) if isinstance(x, float) else str(x)


def lst(v):
    if isinstance(v, (list, tuple)):
        return ','.join(num(x) for x in v)
    return num(v)


def out_dtype(a, p):
    """float32 unless asked; 'same' is the input's dtype (native byte order), else any numpy dtype."""
    o = p.get('out', 'float32')
    return a.dtype.newbyteorder('=') if o == 'same' else np.dtype(o)


def run(op, a, p):
    out = out_dtype(a, p)
    mode = p.get('mode', 'reflect')
    if isinstance(mode, str) and ',' in mode:
        mode = mode.split(',')
    cval = p.get('cval', 0.0)
    if op == 'gaussian':
        return ndi.gaussian_filter(a, p['sigma'], order=p.get('order', 0), mode=mode, cval=cval,
                                   truncate=p.get('truncate', 4.0), output=out)
    if op == 'uniform':
        return ndi.uniform_filter(a, p.get('size', 3), mode=mode, cval=cval, origin=p.get('origin', 0), output=out)
    if op == 'sobel':
        return ndi.sobel(a, p.get('axis', -1), mode=mode, cval=cval, output=out)
    if op == 'prewitt':
        return ndi.prewitt(a, p.get('axis', -1), mode=mode, cval=cval, output=out)
    if op == 'laplace':
        return ndi.laplace(a, mode=mode, cval=cval, output=out)
    if op == 'gaussian-laplace':
        return ndi.gaussian_laplace(a, p['sigma'], mode=mode, cval=cval, truncate=p.get('truncate', 4.0), output=out)
    if op == 'gaussian-gradient-magnitude':
        return ndi.gaussian_gradient_magnitude(a, p['sigma'], mode=mode, cval=cval, truncate=p.get('truncate', 4.0),
                                               output=out)
    if op == 'correlate1d':
        return ndi.correlate1d(a, p['weights'], p.get('axis', -1), mode=mode, cval=cval, origin=p.get('origin', 0),
                               output=out)
    raise ValueError(op)


def case(op, inp, **p):
    a = inputs[inp]
    r = run(op, a, p)
    cid = 'c%04d' % len(cases)
    np.save(os.path.join(OUT, cid + '.npy'), r)
    params = ';'.join('%s=%s' % (k, lst(v)) for k, v in sorted(p.items()))
    cases.append('\t'.join([cid, op, inp, cid, params]))


OP_PARAMS = {
    'gaussian': dict(sigma=1.5),
    'uniform': dict(size=3),
    'sobel': dict(axis=-1),
    'prewitt': dict(axis=0),
    'laplace': dict(),
    'gaussian-laplace': dict(sigma=1.0),
    'gaussian-gradient-magnitude': dict(sigma=1.0),
    'correlate1d': dict(weights=[1.0, -2.0, 0.5, 3.0], axis=1),
}


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    rng = np.random.default_rng(20171)
    f3 = add_input('f4_6x7x8', rng.standard_normal((6, 7, 8)).astype(np.float32))

    # every op x every mode (and the grid aliases), with a non-zero cval for the constant ones
    for op, p in OP_PARAMS.items():
        for mode in MODES:
            case(op, f3, mode=mode, cval=0.75 if 'constant' in mode else 0.0, **p)

    # gaussian: per-axis sigma (one skipped), orders 0..3, truncates, small sigma
    case('gaussian', f3, sigma=[1.0, 0.0, 2.0])
    case('gaussian', f3, sigma=[0.7, 1.3, 2.1], order=[0, 1, 2])
    case('gaussian', f3, sigma=1.2, order=[3, 0, 1], mode='wrap')
    case('gaussian', f3, sigma=1.0, order=1, mode='mirror')
    case('gaussian', f3, sigma=2.0, truncate=2.0)
    case('gaussian', f3, sigma=1.7, truncate=3.5, mode='nearest')
    case('gaussian', f3, sigma=0.3)
    case('gaussian', f3, sigma=0.0)
    case('gaussian', f3, sigma=1.0, mode='reflect,wrap,constant', cval=-1.5)
    case('gaussian-laplace', f3, sigma=[1.0, 2.0, 0.5])
    case('gaussian-gradient-magnitude', f3, sigma=[1.5, 0.8, 1.1], truncate=3.0, mode='wrap')
    case('gaussian-laplace', f3, sigma=1.0, mode='wrap,nearest,constant', cval=0.5)
    case('gaussian-gradient-magnitude', f3, sigma=1.0, mode='mirror,reflect,wrap')
    case('laplace', f3, mode='constant,wrap,mirror', cval=2.0)
    case('sobel', f3, axis=1, mode='nearest,constant,wrap', cval=1.0)

    # radius larger than the axis: (3,4,2) with sigma 3 -> radius 12, every mode
    small = add_input('f4_3x4x2', rng.standard_normal((3, 4, 2)).astype(np.float32))
    for mode in MODES[:5]:
        case('gaussian', small, sigma=3.0, mode=mode, cval=0.25)
        case('gaussian', small, sigma=[2.0, 3.0, 5.0], order=[1, 0, 2], mode=mode)
        case('uniform', small, size=[7, 9, 5], mode=mode)

    # lengths 1 and 2
    tiny = add_input('f4_1x2x5', rng.standard_normal((1, 2, 5)).astype(np.float32))
    for op, p in OP_PARAMS.items():
        for mode in ['reflect', 'mirror', 'wrap', 'nearest', 'constant']:
            case(op, tiny, mode=mode, **p)

    # extension tables: a one-hot kernel of 19 taps picks x[i + s] for s in -9..9 on 1-D lines of 1..4
    for n in range(1, 5):
        line = add_input('f8_line%d' % n, np.arange(1, n + 1, dtype=np.float64))
        for mode in ['reflect', 'mirror', 'nearest', 'wrap', 'constant']:
            for pos in (0, 4, 11, 18):
                w = [0.0] * 19
                w[pos] = 1.0
                case('correlate1d', line, weights=w, mode=mode, cval=-1.0, out='float64')

    # every dtype, both byte orders, C and Fortran order
    for code in ['u1', 'i1', 'u2', 'i2', 'u4', 'i4', 'i8', 'f4', 'f8']:
        info = np.iinfo(code) if code[0] in 'ui' else None
        if info is not None:
            lo, hi = max(info.min, -10**6), min(info.max, 10**6)
            base = rng.integers(lo, hi, size=(5, 6, 7), endpoint=True).astype(code)
        else:
            base = (rng.standard_normal((5, 6, 7)) * 50).astype(code)
        variants = [('<', 'C'), ('>', 'C'), ('<', 'F')] if base.dtype.itemsize > 1 else [('|', 'C'), ('|', 'F')]
        for bo, order in variants:
            arr = base.astype(base.dtype.newbyteorder(bo) if bo != '|' else base.dtype)
            arr = np.asfortranarray(arr) if order == 'F' else np.ascontiguousarray(arr)
            name = add_input('%s%s_%s_5x6x7' % ({'<': 'le', '>': 'be', '|': 'na'}[bo], code, order), arr)
            out = 'float64' if code == 'f8' else 'float32'
            case('gaussian', name, sigma=1.3, out=out)
            case('sobel', name, axis=0, mode='nearest', out=out)
        case('uniform', name, size=[2, 3, 4], out='float64')

    # ranks 1 to 4
    r1 = add_input('f4_13', rng.standard_normal(13).astype(np.float32))
    r2 = add_input('f4_9x10', rng.standard_normal((9, 10)).astype(np.float32))
    r4 = add_input('f4_3x4x5x6', rng.standard_normal((3, 4, 5, 6)).astype(np.float32))
    for inp in (r1, r2, r4):
        for op, p in OP_PARAMS.items():
            if op == 'correlate1d':
                p = dict(p, axis=0)
            if op == 'prewitt' and inp == r1:
                p = dict(p, axis=0)
            case(op, inp, **p)
        case('gaussian', inp, sigma=2.5, mode='wrap')
    case('gaussian', r4, sigma=[1.0, 0.0, 1.5, 0.7], order=[1, 0, 0, 2], mode='mirror')
    # trailing axes of length 1 make an outer axis contiguous
    tall = add_input('f4_21x1x1', rng.standard_normal((21, 1, 1)).astype(np.float32))
    case('correlate1d', tall, weights=[-0.926], axis=0, mode='constant', cval=1.0)
    case('gaussian', tall, sigma=2.0, mode='mirror')
    case('sobel', tall, axis=0)
    # streaming along axis 0 with one pass after it along axis 1 (a rows pass on the output slab)
    wide = add_input('f4_9x4x21', rng.standard_normal((9, 4, 21)).astype(np.float32))
    case('sobel', wide, axis=2)
    case('prewitt', wide, axis=2, mode='constant', cval=0.5)
    case('gaussian', wide, sigma=1.0, order=[0, 0, 1], mode='mirror')
    # ranks 5 and 8 (the largest Penumbra takes)
    r5 = add_input('f4_2x3x4x3x5', rng.standard_normal((2, 3, 4, 3, 5)).astype(np.float32))
    r8 = add_input('f4_rank8', rng.standard_normal((2, 3, 2, 2, 3, 2, 2, 4)).astype(np.float32))
    for inp in (r5, r8):
        case('gaussian', inp, sigma=0.8, mode='wrap')
        case('laplace', inp, mode='nearest')
        case('gaussian-gradient-magnitude', inp, sigma=0.6)
        case('sobel', inp, axis=2, mode='reflect')
        case('uniform', inp, size=2, mode='constant', cval=1.0)

    # float64 output asked for float32 input; float64 input
    f8 = add_input('f8_6x7x8', rng.standard_normal((6, 7, 8)))
    for op, p in OP_PARAMS.items():
        case(op, f3, out='float64', **p)
        case(op, f8, out='float64', mode='wrap', **p)

    # uniform sizes and origins, correlate1d weights of every shape and origins
    for size, origin in [(2, 0), (4, 0), (4, -2), (4, 1), (5, 2), (5, -2), ([2, 3, 4], [0, -1, 1]), (1, 0)]:
        case('uniform', f3, size=size, origin=origin, mode='mirror')
    for w, origins in [([1.0, 2.0], (-1, 0)), ([1.0, 2.0, 1.0], (-1, 0, 1)), ([-1.0, 0.0, 1.0], (0,)),
                       ([3.0], (0,)), ([0.5, -1.0, 2.0, 4.0, -3.0, 1.0], (-3, 0, 2)),
                       ([1.0, 2.0, 3.0, 2.0, 1.0], (-2, 2)), ([2.0, -1.0, 0.0, 1.0, -2.0], (0, 1))]:
        for o in origins:
            for axis in (0, 2):
                case('correlate1d', f3, weights=w, origin=o, axis=axis, mode='reflect')
    case('correlate1d', f3, weights=[1.0, 2.0, 3.0, 4.0], axis=-1, origin=-2, mode='wrap')

    # the golden of the design notes: gaussian_filter1d([1,2,3,4,5], 1)
    d = add_input('f8_design', np.array([1, 2, 3, 4, 5], dtype=np.float64))
    case('gaussian', d, sigma=1.0, out='float64')

    # .npy format versions 2.0 and 3.0
    add_input('v2_f4_4x5', rng.standard_normal((4, 5)).astype(np.float32), version=(2, 0))
    add_input('v3_f4_4x5', rng.standard_normal((4, 5)).astype(np.float32), version=(3, 0))
    case('gaussian', 'v2_f4_4x5', sigma=1.0)
    case('gaussian', 'v3_f4_4x5', sigma=1.0)

    # NaN and infinities reach what they reach in scipy, in every op and in three modes; a NaN and an
    # infinite cval
    sp = rng.standard_normal((6, 7, 8)).astype(np.float32)
    sp[1, 2, 3] = np.nan
    sp[4, 5, 0] = np.inf
    sp[0, 6, 7] = -np.inf
    sp[3, 0, 4] = np.nan
    special = add_input('f4_special_6x7x8', sp)
    for op, p in OP_PARAMS.items():
        # (uniform_filter1d keeps a running sum: one NaN or inf poisons the rest of its whole line)
        for mode in ['reflect', 'constant', 'wrap']:
            case(op, special, mode=mode, **p)
    special8 = add_input('f8_special_6x7x8', sp.astype(np.float64))
    case('gaussian', special8, sigma=1.0, out='float64')
    case('sobel', special8, axis=1, out='float64')
    case('gaussian', f3, sigma=1.0, mode='constant', cval=float('nan'))
    case('gaussian-gradient-magnitude', f3, sigma=1.0, mode='constant', cval=float('-inf'))
    case('uniform', f3, size=3, mode='constant', cval=float('inf'))
    case('uniform', special8, size=[3, 4, 2], origin=[0, 1, -1], mode='mirror', out='float64')

    # integer outputs, as scipy makes them: every pass cast to the output dtype like C (truncation
    # toward zero, modular wrap-around), products and sums of the compound filters in that dtype
    spike = add_input('u1_spike', np.array([0, 0, 10, 0, 0], dtype=np.uint8))
    case('sobel', spike, axis=0, out='same')
    ints = {code: ('le%s_C_5x6x7' % code) if code != 'u1' else 'nau1_C_5x6x7' for code in ['u1', 'i2', 'u2', 'i4']}
    for code, name in ints.items():
        case('gaussian', name, sigma=1.3, out='same')
        case('sobel', name, axis=0, out='same')
        case('laplace', name, out='same')
        case('uniform', name, size=3, out='same')
        case('gaussian-laplace', name, sigma=1.0, out='same')
        case('gaussian-gradient-magnitude', name, sigma=1.0, out='same')
    case('gaussian', ints['i2'], sigma=1.3, out='int32')
    case('sobel', ints['u1'], axis=1, mode='constant', cval=7.0, out='same')
    case('prewitt', ints['u2'], axis=2, mode='wrap', out='same')
    case('correlate1d', ints['i2'], weights=[1.0, -2.0, 0.5, 3.0], axis=1, out='same')
    case('gaussian', f3, sigma=1.0, out='int16')
    case('sobel', f3, axis=0, out='uint8')
    case('gaussian-gradient-magnitude', 'lef8_C_5x6x7', sigma=1.0, out='int32')
    case('uniform', 'lei8_C_5x6x7', size=3, out='same')
    case('laplace', ints['i2'], out='int8')
    case('sobel', ints['i2'], axis=2, out='uint32')
    case('gaussian-gradient-magnitude', ints['u2'], sigma=1.5, out='uint32')
    case('laplace', 'lef8_C_5x6x7', out='int64')
    # short kernels with fractional weights on plateaus: a sum that is an integer in exact arithmetic
    # lands a last bit below it or not depending on whether products are rounded before they are
    # added (scipy's C) or fused, and truncation shows that bit
    rs = np.random.RandomState(17)
    plateau = np.kron(rs.randint(0, 256, (3, 4, 4)), np.ones((4, 4, 4)))[:10, :13, :15]
    plateau[rs.rand(*plateau.shape) < 0.1] += 1
    for code, dt in [('u1', np.uint8), ('u2', np.uint16), ('i2', np.int16)]:
        name = add_input('plateau_%s_10x13x15' % code, (plateau * (1 if code == 'u1' else 97)).astype(dt))
        case('gaussian', name, sigma=1.5, truncate=1.5, out='same')
        case('gaussian', name, sigma=0.7, out='same')
        case('gaussian-laplace', name, sigma=0.5, truncate=3.0, out='same')
        case('gaussian-gradient-magnitude', name, sigma=1.0, truncate=3.0, out='same')

    # gaussian kernels as scipy builds them (weights already reversed as gaussian_filter1d uses them)
    with open(os.path.join(OUT, 'kernels.tsv'), 'w') as f:
        for sigma, order, truncate in [(1.0, 0, 4.0), (3.0, 0, 4.0), (3.0, 1, 4.0), (2.5, 2, 4.0), (0.8, 3, 3.0),
                                       (1.5, 4, 4.0), (0.2, 0, 4.0), (10.0, 0, 4.0)]:
            r = int(truncate * sigma + 0.5)
            w = ndi._filters._gaussian_kernel1d(sigma, order, r)[::-1]
            f.write('%r\t%d\t%r\t%s\n' % (sigma, order, truncate, ','.join(repr(float(x)) for x in w)))

    with open(os.path.join(OUT, 'cases.tsv'), 'w') as f:
        f.write('# generated by tools/make_goldens.py with scipy %s, numpy %s\n' % (scipy.__version__, np.__version__))
        f.write('\n'.join(cases) + '\n')
    print('%d cases, %d inputs in %s' % (len(cases), len(inputs), OUT))


if __name__ == '__main__':
    sys.exit(main())
