"""scipy.ndimage's separable filters on Penumbra's engine, with scipy's signatures and behaviour.

    from penumbra import ndimage as ndi
    y = ndi.gaussian_filter(x, 3)          # scipy's result, on all cores, zero-copy on x

Every function takes scipy's arguments (scipy 1.17: ``radius`` and ``axes`` included) and returns
what scipy returns: the output array (``output=None``: the input's dtype, as scipy; a dtype; or an
array filled in place). Beyond scipy's, each takes ``threads=`` (default: all cores) and
``backend=`` ("native", "simd", "scalar", "blas"; default: the fastest this CPU runs).

Parameters are checked as scipy checks them and the same exception classes are raised. The arrays
are handed to the engine as they lie in memory (C or Fortran order, strided views, memmaps,
read-only inputs, either byte order): no copy. dtypes the engine does not run (bool, float16,
uint64, complex, object) and arrays of more than 8 axes are computed by scipy.ndimage, with one
warning, when scipy is installed.
"""

import numbers
import operator
import warnings
from collections.abc import Iterable

import numpy as np

from . import _jvm

__all__ = ["correlate1d", "gaussian_filter", "gaussian_filter1d", "gaussian_gradient_magnitude",
           "gaussian_laplace", "laplace", "prewitt", "sobel", "uniform_filter", "uniform_filter1d"]

_CODES = {"u1", "i1", "u2", "i2", "u4", "i4", "i8", "f4", "f8"}
_MODES = {"nearest", "wrap", "reflect", "grid-mirror", "mirror", "constant", "grid-wrap", "grid-constant"}
_MAX_RANK = 8
_warned = set()

try:
    from numpy.exceptions import AxisError
except ImportError:  # numpy < 1.25
    AxisError = np.AxisError


# ---- scipy's parameter rules (scipy.ndimage._ni_support), with its exception classes ----

def _mode(mode):
    if not isinstance(mode, str) or mode not in _MODES:
        raise RuntimeError("boundary mode not supported")
    return mode


def _normalize_sequence(value, rank):
    if not isinstance(value, str) and np.iterable(value):
        normalized = list(value)
        if len(normalized) != rank:
            raise RuntimeError("sequence argument must have length equal to input rank")
        return normalized
    return [value] * rank


def _check_axes(axes, ndim):
    if axes is None:
        return tuple(range(ndim))
    if np.isscalar(axes):
        axes = (operator.index(axes),)
    elif isinstance(axes, Iterable):
        axes = tuple(operator.index(ax) for ax in axes)
        for ax in axes:
            if ax < -ndim or ax > ndim - 1:
                raise ValueError(f"specified axis: {ax} is out of range")
        axes = tuple(ax % ndim if ax < 0 else ax for ax in axes)
    else:
        raise ValueError("axes must be an integer, iterable of integers, or None")
    if len(set(axes)) != len(axes):
        raise ValueError("axes must be unique")
    return axes


def _axis(axis, ndim):
    axis = operator.index(axis)
    if axis < -ndim or axis >= ndim:
        raise AxisError(f"axis {axis} is out of bounds for array of dimension {ndim}")
    return axis % ndim


def _get_output(output, input):
    shape = input.shape
    if output is None:
        return np.empty(shape, dtype=input.dtype.name)
    if isinstance(output, (type, np.dtype)):
        return np.empty(shape, dtype=output)
    if isinstance(output, str):
        dt = np.dtype(output)
        if not issubclass(dt.type, np.number):
            raise RuntimeError("output must have numeric dtype")
        return np.empty(shape, dtype=dt)
    if not isinstance(output, np.ndarray):  # an ndarray (a memmap too) is filled and returned as it is
        output = np.asarray(output)
    if output.shape != shape:
        raise RuntimeError("output shape not correct")
    return output


def _gaussian_kernel1d(sigma, order, radius):
    """scipy's Gaussian weights (the same numpy arithmetic, so the same bits)."""
    if order < 0:
        raise ValueError("order must be non-negative")
    exponent_range = np.arange(order + 1)
    sigma2 = sigma * sigma
    x = np.arange(-radius, radius + 1)
    phi_x = np.exp(-0.5 / sigma2 * x ** 2)
    phi_x = phi_x / phi_x.sum()
    if order == 0:
        return phi_x
    q = np.zeros(order + 1)
    q[0] = 1
    D = np.diag(exponent_range[1:], 1)
    P = np.diag(np.ones(order) / -sigma2, -1)
    Q_deriv = D + P
    for _ in range(order):
        q = Q_deriv.dot(q)
    q = (x[:, None] ** exponent_range).dot(q)
    return q * phi_x


# ---- passes: what one 1-D filter along one axis is ----

class _Pass:
    __slots__ = ("axis", "mode", "origin", "size", "weights")

    def __init__(self, axis, mode, origin=0, size=0, weights=None):
        self.axis, self.mode, self.origin, self.size = axis, mode, origin, size
        self.weights = weights


def _correlate_pass(weights, axis, mode, origin):
    """scipy's correlate1d checks, in its order (the output is made and checked before)."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 1 or weights.shape[0] < 1:
        raise RuntimeError("no filter weights given")
    n = len(weights)
    origin = operator.index(origin)
    if origin < -(n // 2) or origin > (n - 1) // 2:
        raise ValueError("Invalid origin; origin must satisfy -(len(weights) // 2) <= origin <= "
                         "(len(weights)-1) // 2")
    return _Pass(axis, _mode(mode), origin, 0, np.ascontiguousarray(weights))


def _gaussian_pass(sigma, axis, order, mode, truncate, radius):
    sd = float(sigma)
    lw = int(truncate * sd + 0.5)
    if radius is not None:
        lw = radius
    if not isinstance(lw, numbers.Integral) or lw < 0:
        raise ValueError("Radius must be a nonnegative integer.")
    weights = _gaussian_kernel1d(sigma, order, lw)[::-1]
    return _correlate_pass(weights, axis, mode, 0)


def _uniform_pass(size, axis, mode, origin):
    if size < 1:
        raise RuntimeError("incorrect filter size")
    size = int(size)
    if (size // 2 + origin < 0) or (size // 2 + origin >= size):
        raise ValueError("invalid origin")
    return _Pass(axis, _mode(mode), int(origin), size)


def _gaussian_term(ndim, sigma, order, mode, truncate, radius, axes=None):
    """gaussian_filter's passes (scipy skips axes with sigma <= 1e-15, NaN and negative included)."""
    axes = _check_axes(axes, ndim)
    n = len(axes)
    orders = _normalize_sequence(order, n)
    sigmas = _normalize_sequence(sigma, n)
    modes = _normalize_sequence(mode, n)
    radii = _normalize_sequence(radius, n)
    return [_gaussian_pass(sigmas[i], axes[i], orders[i], modes[i], truncate, radii[i])
            for i in range(n) if sigmas[i] > 1e-15]


# ---- running a plan ----

def _runs(dtype):
    return dtype.kind in "uif" and dtype.str[1:] in _CODES


def _fallback(name, reason, args, kwargs):
    try:
        import scipy.ndimage as sndi
    except ImportError:
        raise TypeError("penumbra: %s, and scipy is not installed to compute it" % reason) from None
    if reason not in _warned:
        _warned.add(reason)
        warnings.warn("penumbra: %s; computed by scipy.ndimage" % reason, RuntimeWarning, stacklevel=3)
    return getattr(sndi, name)(*args, **kwargs)


def _unsupported(input, output=None, weights=None):
    """Why the engine does not run these arrays (scipy does), or None."""
    if input.dtype.kind not in "uif" or not _runs(input.dtype):
        return "input dtype %s is not one Penumbra runs" % input.dtype
    if input.ndim > _MAX_RANK:
        return "arrays of more than %d axes are not run by Penumbra" % _MAX_RANK
    if output is not None:
        if isinstance(output, (type, np.dtype, str)):
            try:
                dt = np.dtype(output)
            except TypeError:
                return None
        else:
            dt = getattr(output, "dtype", None)
        if dt is not None and not _runs(dt):
            return "output dtype %s is not one Penumbra runs" % dt
    if weights is not None:
        w = np.asarray(weights)
        if w.dtype.kind == "c":
            return "complex weights are not run by Penumbra"
        if w.dtype.kind in "uifb" and w.size and not np.all(np.isfinite(w.astype(np.float64))):
            return "weights that are not finite are not run by Penumbra"
    return None


def _describe(a):
    """(address of the lowest byte, extent in bytes, origin offset, strides) of a numpy array."""
    lo = hi = 0
    for n, s in zip(a.shape, a.strides):
        span = (n - 1) * s
        if span < 0:
            lo += span
        else:
            hi += span
    addr = a.__array_interface__["data"][0]
    return addr + lo, hi - lo + a.itemsize, -lo, list(a.strides)


def _engine_ready(a):
    return all(s % a.itemsize == 0 for s in a.strides)


def _flatten(terms):
    """The plan as ArrayBridge takes it, as Java arrays: passes per term, axes, modes, origins,
    running-mean sizes, weight counts, weights (concatenated)."""
    import jpype
    axes, modes, origins, sizes, counts, weights, per_term = [], [], [], [], [], [], []
    for t in terms:
        per_term.append(len(t))
        for p in t:
            axes.append(p.axis)
            modes.append(p.mode)
            origins.append(p.origin)
            sizes.append(p.size)
            counts.append(0 if p.size else len(p.weights))
            if not p.size:
                weights.append(p.weights)
    ints = jpype.JArray(jpype.JInt)
    return (ints(per_term), ints(axes), jpype.JArray(jpype.JString)(modes), ints(origins), ints(sizes), ints(counts),
            jpype.JArray(jpype.JDouble)(np.concatenate(weights) if weights else np.zeros(0)))


def _range(a, backend=None):
    """(min, max) of an array as float32 reads it, one pass in the engine; NaN when it holds NaN."""
    import jpype
    if not _engine_ready(a):
        a = np.ascontiguousarray(a)
    addr, extent, origin, strides = _describe(a)
    r = _jvm.bridge().range(addr, extent, a.dtype.str, jpype.JArray(jpype.JLong)(list(a.shape)),
                            jpype.JArray(jpype.JLong)(strides), origin, 1, backend or "")
    return float(r[0]), float(r[1])


def _call(input, output, terms, combine, cval, threads, backend, arithmetic=None):
    """One engine run of ``terms`` from ``input`` into ``output`` (same shape, supported dtypes)."""
    if input.size == 0:
        return
    if not output.flags.writeable:
        raise ValueError("output array is read-only.")
    if np.may_share_memory(input, output) or not _engine_ready(input):
        input = np.array(input, copy=True)
    target = output
    if not _engine_ready(output):
        output = np.empty(output.shape, dtype=output.dtype)
    import jpype
    b = _jvm.bridge()
    if backend in ("simd", "scalar", "blas") and _jvm.c1_only() and "c1" not in _warned:
        _warned.add("c1")
        warnings.warn("penumbra: the JVM runs C1 alone (set PENUMBRA_JIT=full before the first call for the %s "
                      "backend's speed)" % backend, RuntimeWarning, stacklevel=4)
    ia, ie, io, istr = _describe(input)
    oa, oe, oo, ostr = _describe(output)
    JLong = jpype.JArray(jpype.JLong)
    try:
        b.filter(ia, ie, input.dtype.str, JLong(list(input.shape)), JLong(istr), io, oa, oe, output.dtype.str,
                 JLong(ostr), oo, *_flatten(terms), combine, float(cval), int(threads or 0), backend or "",
                 arithmetic or "")
    except jpype.JException as e:
        raise RuntimeError("penumbra: " + _jvm.message(e)) from None
    if output is not target:
        target[...] = output


def _compose(input, output, terms, combine, cval, threads, backend, arithmetic=None):
    """scipy's generic_laplace / generic_gradient_magnitude step by step: term 0 into the output,
    each further term into a temporary of the output's dtype, summed (squares for the gradient
    magnitude) in that dtype. Reads ``input`` as it is at each step, so an output that is the input
    gives scipy's bytes; terms without passes are copies, as scipy's gaussian_filter makes them."""
    def term(t, out):
        if t:
            _call(input, out, [t], "single", cval, threads, backend, arithmetic)
        else:
            out[...] = input
    term(terms[0], output)
    if combine == "hypot":
        np.multiply(output, output, output)
    for t in terms[1:]:
        tmp = np.empty(output.shape, dtype=output.dtype)
        term(t, tmp)
        if combine == "hypot":
            np.multiply(tmp, tmp, tmp)
        output += tmp
    if combine == "hypot":
        np.sqrt(output, output, casting="unsafe")


def _run(input, output, terms, combine, cval, threads, backend, arithmetic=None):
    """Fills ``output`` with the plan: no terms (or one without passes) is scipy's copy."""
    if not terms or (len(terms) == 1 and not terms[0]):
        output[...] = input[...]
    elif input.size == 0:
        pass
    elif len(terms) == 1:
        _call(input, output, terms, "single", cval, threads, backend, arithmetic)
    elif any(not t for t in terms) or np.may_share_memory(input, output):
        _compose(input, output, terms, combine, cval, threads, backend, arithmetic)
    else:
        _call(input, output, terms, combine, cval, threads, backend, arithmetic)
    return output


# ---- plans: scipy's parameter handling for each function, on the rank alone (shared with penumbra.dask) ----

def _plan_correlate1d(ndim, weights, axis, mode, origin):
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 1 or weights.shape[0] < 1:
        raise RuntimeError("no filter weights given")
    axis = _axis(axis, ndim)
    return [[_correlate_pass(weights, axis, mode, origin)]], "single"


def _plan_gaussian_filter1d(ndim, sigma, axis, order, mode, truncate, radius):
    p = _gaussian_pass(sigma, axis, order, mode, truncate, radius)  # scipy: the weights before the axis
    p.axis = _axis(axis, ndim)
    return [[p]], "single"


def _plan_gaussian_filter(ndim, sigma, order, mode, truncate, radius, axes):
    return [_gaussian_term(ndim, sigma, order, mode, truncate, radius, axes)], "single"


def _plan_uniform_filter1d(ndim, size, axis, mode, origin):
    axis = _axis(axis, ndim)
    return [[_uniform_pass(size, axis, mode, origin)]], "single"


def _plan_uniform_filter(ndim, size, mode, origin, axes):
    axes = _check_axes(axes, ndim)
    n = len(axes)
    sizes = _normalize_sequence(size, n)
    origins = _normalize_sequence(origin, n)
    modes = _normalize_sequence(mode, n)
    return [[_uniform_pass(sizes[i], axes[i], modes[i], origins[i]) for i in range(n) if sizes[i] > 1]], "single"


def _plan_edge(ndim, smooth, axis, mode):
    axis = _axis(axis, ndim)
    modes = _normalize_sequence(mode, ndim)
    passes = [_correlate_pass([-1.0, 0.0, 1.0], axis, modes[axis], 0)]
    passes += [_correlate_pass(smooth, ii, modes[ii], 0) for ii in range(ndim) if ii != axis]
    return [passes], "single"


def _plan_laplace(ndim, mode, axes):
    axes = _check_axes(axes, ndim)
    if not axes:
        return [], "single"
    modes = _normalize_sequence(mode, len(axes))
    return [[_correlate_pass([1.0, -2.0, 1.0], axes[i], modes[i], 0)] for i in range(len(axes))], "sum"


def _gaussian_kwargs(kwargs):
    extra = set(kwargs) - {"truncate", "radius"}
    if extra:
        raise TypeError("gaussian_filter() got an unexpected keyword argument '%s'" % sorted(extra)[0])
    return kwargs.get("truncate", 4.0), kwargs.get("radius")


def _derivative_terms(ndim, sigma, mode, axes, derivative, truncate, radius):
    """generic_laplace's / generic_gradient_magnitude's terms: for axes[i], gaussian_filter over every
    axis with ``sigma``, that derivative order along axes[i], and modes[i] on every axis."""
    modes = _normalize_sequence(mode, len(axes))
    terms = []
    for i, ax in enumerate(axes):
        order = [0] * ndim
        order[ax] = derivative
        terms.append(_gaussian_term(ndim, sigma, order, modes[i], truncate, radius))
    return terms


def _plan_gaussian_laplace(ndim, sigma, mode, axes, kwargs):
    truncate, radius = _gaussian_kwargs(kwargs)
    axes = _check_axes(axes, ndim)
    n = len(axes)
    sigma = _normalize_sequence(sigma, n)
    if n < ndim:
        full = [0] * ndim
        for s_, ax in zip(sigma, axes):
            full[ax] = s_
        sigma = full
    if not axes:
        return [], "sum"
    return _derivative_terms(ndim, sigma, mode, axes, 2, truncate, radius), "sum"


def _plan_gaussian_gradient_magnitude(ndim, sigma, mode, axes, kwargs):
    truncate, radius = _gaussian_kwargs(kwargs)
    axes = _check_axes(axes, ndim)
    if not axes:
        return [], "hypot"
    return _derivative_terms(ndim, sigma, mode, axes, 1, truncate, radius), "hypot"


def _filter(name, input, output, fallback_args, fallback_kwargs, plan, plan_args, cval, threads, backend,
            weights=None):
    """The common body: scipy's input and output handling, the plan, the run (or scipy's, for arrays the
    engine does not run)."""
    input = np.asarray(input)
    why = _unsupported(input, output, weights)
    if why:
        return _fallback(name, why, (input,) + fallback_args, fallback_kwargs)
    output = _get_output(output, input)
    terms, combine = plan(input.ndim, *plan_args)
    return _run(input, output, terms, combine, cval, threads, backend)


def _kw(**kw):
    return {k: v for k, v in kw.items() if v is not None}


# ---- scipy.ndimage's functions ----

def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *, threads=None,
                backend=None):
    """scipy.ndimage.correlate1d."""
    return _filter("correlate1d", input, output, (weights, axis, output, mode, cval, origin), {},
                   _plan_correlate1d, (weights, axis, mode, origin), cval, threads, backend, weights=weights)


def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *,
                      radius=None, threads=None, backend=None):
    """scipy.ndimage.gaussian_filter1d."""
    return _filter("gaussian_filter1d", input, output, (sigma, axis, order, output, mode, cval, truncate),
                   _kw(radius=radius), _plan_gaussian_filter1d, (sigma, axis, order, mode, truncate, radius), cval,
                   threads, backend)


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *, radius=None,
                    axes=None, threads=None, backend=None):
    """scipy.ndimage.gaussian_filter."""
    return _filter("gaussian_filter", input, output, (sigma, order, output, mode, cval, truncate),
                   _kw(radius=radius, axes=axes), _plan_gaussian_filter, (sigma, order, mode, truncate, radius, axes),
                   cval, threads, backend)


def uniform_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *, threads=None,
                     backend=None):
    """scipy.ndimage.uniform_filter1d."""
    return _filter("uniform_filter1d", input, output, (size, axis, output, mode, cval, origin), {},
                   _plan_uniform_filter1d, (size, axis, mode, origin), cval, threads, backend)


def uniform_filter(input, size=3, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None, threads=None,
                   backend=None):
    """scipy.ndimage.uniform_filter."""
    return _filter("uniform_filter", input, output, (size, output, mode, cval, origin), _kw(axes=axes),
                   _plan_uniform_filter, (size, mode, origin, axes), cval, threads, backend)


def sobel(input, axis=-1, output=None, mode="reflect", cval=0.0, *, threads=None, backend=None):
    """scipy.ndimage.sobel."""
    return _filter("sobel", input, output, (axis, output, mode, cval), {}, _plan_edge, ([1.0, 2.0, 1.0], axis, mode),
                   cval, threads, backend)


def prewitt(input, axis=-1, output=None, mode="reflect", cval=0.0, *, threads=None, backend=None):
    """scipy.ndimage.prewitt."""
    return _filter("prewitt", input, output, (axis, output, mode, cval), {}, _plan_edge,
                   ([1.0, 1.0, 1.0], axis, mode), cval, threads, backend)


def laplace(input, output=None, mode="reflect", cval=0.0, *, axes=None, threads=None, backend=None):
    """scipy.ndimage.laplace."""
    return _filter("laplace", input, output, (output, mode, cval), _kw(axes=axes), _plan_laplace, (mode, axes), cval,
                   threads, backend)


def gaussian_laplace(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None, threads=None,
                     backend=None, **kwargs):
    """scipy.ndimage.gaussian_laplace."""
    return _filter("gaussian_laplace", input, output, (sigma, output, mode, cval), dict(kwargs, **_kw(axes=axes)),
                   _plan_gaussian_laplace, (sigma, mode, axes, kwargs), cval, threads, backend)


def gaussian_gradient_magnitude(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None, threads=None,
                                backend=None, **kwargs):
    """scipy.ndimage.gaussian_gradient_magnitude."""
    return _filter("gaussian_gradient_magnitude", input, output, (sigma, output, mode, cval),
                   dict(kwargs, **_kw(axes=axes)), _plan_gaussian_gradient_magnitude, (sigma, mode, axes, kwargs),
                   cval, threads, backend)


_jvm.start_early()
