"""penumbra.ndimage's functions on dask arrays: each block read with exactly the filter's halo.

    import penumbra.dask as pd
    y = pd.gaussian_filter(x, 3)      # x a dask array; y lazy, equal to the whole-array result

The seed notebook's ``x.map_overlap(gaussian, depth=9, boundary='none')`` chose a depth (9) below the
kernel's reach (12 for sigma 3) and so had seams; here the depth comes from the filter itself, each
axis's boundary from its mode (``wrap`` reads the far side: dask's ``periodic``; the other modes
extend the array's own edge, which the edge blocks hold), and every block computes in the arithmetic
the whole array would (float32 or float64, chosen once from the array's range). Blocks are filtered
by the engine on ``threads`` threads each (default 1: dask runs one block per core).
"""

import numpy as np
import dask.array as da

from . import _jvm
from . import ndimage as _ndi

__all__ = list(_ndi.__all__)


def _halo(terms, ndim):
    """The reach of the plan on each axis, before and after: the engine's own (Plan.haloLeft/Right)."""
    h = list(_jvm.bridge().halo(ndim, *_ndi._flatten(terms)))
    return h[0::2], h[1::2]


def _arithmetic(x, terms, combine, cval, out_dtype, backend):
    """float32 or float64 for every block: the rule of one run over the whole array, on its range."""
    if not (x.dtype.str[1:] in ("f4", "u1", "i1", "u2", "i2") and np.dtype(out_dtype) == np.float32):
        return "float64"
    import dask

    def block_range(b):  # one pass over the block, in the engine (min and max at once)
        return _ndi._range(b, backend) if b.size else (np.inf, -np.inf)
    ranges = np.array(dask.compute(*[dask.delayed(block_range)(d) for d in x.to_delayed().ravel()]),
                      dtype=np.float64)
    lo, hi = ranges[:, 0].min(), ranges[:, 1].max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "float64"
    return str(_jvm.bridge().arithmetic(x.ndim, *_ndi._flatten(terms), combine, float(cval), x.dtype.str,
                                        np.dtype(out_dtype).str, float(lo), float(hi), backend or ""))


def _apply(name, x, output, plan, plan_args, cval, threads, backend):
    x = da.asarray(x)
    if output is not None and not isinstance(output, (type, np.dtype, str)):
        raise TypeError("penumbra.dask.%s: output must be a dtype (the result is a new dask array)" % name)
    out_dtype = np.dtype(x.dtype.name if output is None else output)
    terms, combine = plan(x.ndim, *plan_args)
    if not terms or (len(terms) == 1 and not terms[0]) or x.size == 0 \
            or not (_ndi._runs(x.dtype) and _ndi._runs(out_dtype)) or x.ndim > _ndi._MAX_RANK:
        # a copy, an empty array, or dtypes the engine does not run: one block, penumbra.ndimage's rules
        return _whole(name, x, out_dtype, terms, combine, cval, threads, backend)
    left, right = _halo(terms, x.ndim)
    depth, boundary, chunks = {}, {}, list(x.chunks)
    for a in range(x.ndim):
        modes = {p.mode for t in terms for p in t if p.axis == a}
        wraps = {m in ("wrap", "grid-wrap") for m in modes}
        d = max(left[a], right[a])
        if d and (len(wraps) > 1 or min(x.chunks[a]) < d):
            chunks[a] = (x.shape[a],)  # mixed modes on one axis, or blocks thinner than the halo: whole axis
        depth[a] = d if len(chunks[a]) > 1 else 0
        boundary[a] = "periodic" if wraps == {True} else "none"
    if tuple(chunks) != x.chunks:
        x = x.rechunk(tuple(chunks))
    arithmetic = _arithmetic(x, terms, combine, cval, out_dtype, backend)
    t = 1 if threads is None else threads

    def block(b):
        out = np.empty(b.shape, dtype=out_dtype)
        return _ndi._run(b, out, terms, combine, cval, t, backend, arithmetic)

    if not any(depth.values()):
        return x.map_blocks(block, dtype=out_dtype)
    return x.map_overlap(block, depth=depth, boundary=boundary, trim=True, dtype=out_dtype)


def _whole(name, x, out_dtype, terms, combine, cval, threads, backend):
    """One block holding the whole array (copies, and dtypes penumbra.ndimage hands to scipy)."""
    def block(b):
        out = np.empty(b.shape, dtype=out_dtype)
        if _ndi._runs(b.dtype) and _ndi._runs(out_dtype):
            return _ndi._run(b, out, terms, combine, cval, threads, backend)
        raise TypeError("penumbra.dask.%s: dtype %s -> %s is not one Penumbra runs (use scipy.ndimage through "
                        "dask's map_overlap)" % (name, b.dtype, out_dtype))
    return x.rechunk(x.shape).map_blocks(block, dtype=out_dtype)


def correlate1d(x, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *, threads=None, backend=None):
    """scipy.ndimage.correlate1d on a dask array."""
    return _apply("correlate1d", x, output, _ndi._plan_correlate1d, (weights, axis, mode, origin), cval, threads,
                  backend)


def gaussian_filter1d(x, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *,
                      radius=None, threads=None, backend=None):
    """scipy.ndimage.gaussian_filter1d on a dask array."""
    return _apply("gaussian_filter1d", x, output, _ndi._plan_gaussian_filter1d,
                  (sigma, axis, order, mode, truncate, radius), cval, threads, backend)


def gaussian_filter(x, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *, radius=None,
                    axes=None, threads=None, backend=None):
    """scipy.ndimage.gaussian_filter on a dask array."""
    return _apply("gaussian_filter", x, output, _ndi._plan_gaussian_filter,
                  (sigma, order, mode, truncate, radius, axes), cval, threads, backend)


def uniform_filter1d(x, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *, threads=None,
                     backend=None):
    """scipy.ndimage.uniform_filter1d on a dask array."""
    return _apply("uniform_filter1d", x, output, _ndi._plan_uniform_filter1d, (size, axis, mode, origin), cval,
                  threads, backend)


def uniform_filter(x, size=3, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None, threads=None,
                   backend=None):
    """scipy.ndimage.uniform_filter on a dask array."""
    return _apply("uniform_filter", x, output, _ndi._plan_uniform_filter, (size, mode, origin, axes), cval, threads,
                  backend)


def sobel(x, axis=-1, output=None, mode="reflect", cval=0.0, *, threads=None, backend=None):
    """scipy.ndimage.sobel on a dask array."""
    return _apply("sobel", x, output, _ndi._plan_edge, ([1.0, 2.0, 1.0], axis, mode), cval, threads, backend)


def prewitt(x, axis=-1, output=None, mode="reflect", cval=0.0, *, threads=None, backend=None):
    """scipy.ndimage.prewitt on a dask array."""
    return _apply("prewitt", x, output, _ndi._plan_edge, ([1.0, 1.0, 1.0], axis, mode), cval, threads, backend)


def laplace(x, output=None, mode="reflect", cval=0.0, *, axes=None, threads=None, backend=None):
    """scipy.ndimage.laplace on a dask array."""
    return _apply("laplace", x, output, _ndi._plan_laplace, (mode, axes), cval, threads, backend)


def gaussian_laplace(x, sigma, output=None, mode="reflect", cval=0.0, *, axes=None, threads=None, backend=None,
                     **kwargs):
    """scipy.ndimage.gaussian_laplace on a dask array."""
    return _apply("gaussian_laplace", x, output, _ndi._plan_gaussian_laplace, (sigma, mode, axes, kwargs), cval,
                  threads, backend)


def gaussian_gradient_magnitude(x, sigma, output=None, mode="reflect", cval=0.0, *, axes=None, threads=None,
                                backend=None, **kwargs):
    """scipy.ndimage.gaussian_gradient_magnitude on a dask array."""
    return _apply("gaussian_gradient_magnitude", x, output, _ndi._plan_gaussian_gradient_magnitude,
                  (sigma, mode, axes, kwargs), cval, threads, backend)
