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
    w = np.concatenate(weights) if weights else np.zeros(0)
    ia, ie, io, istr = _describe(input)
    oa, oe, oo, ostr = _describe(output)
    JLong, JInt, JDouble, JString = jpype.JLong, jpype.JInt, jpype.JDouble, jpype.JString
    try:
        b.filter(ia, ie, input.dtype.str, jpype.JArray(JLong)(list(input.shape)), jpype.JArray(JLong)(istr), io,
                 oa, oe, output.dtype.str, jpype.JArray(JLong)(ostr), oo,
                 jpype.JArray(JInt)(per_term), jpype.JArray(JInt)(axes), jpype.JArray(JString)(modes),
                 jpype.JArray(JInt)(origins), jpype.JArray(JInt)(sizes), jpype.JArray(JInt)(counts),
                 jpype.JArray(JDouble)(w), combine, float(cval), int(threads or 0), backend or "",
                 arithmetic or "")
    except jpype.JException as e:
        msg = str(e.getMessage()) if e.getMessage() is not None else type(e).__name__
        raise RuntimeError("penumbra: " + msg.splitlines()[0]) from None
    finally:
        # the engine read and wrote these arrays: they live until here
        del input
    if output is not target:
        target[...] = output


def _compose(input, output, terms, combine, cval, threads, backend):
    """scipy's generic_laplace / generic_gradient_magnitude step by step: term 0 into the output,
    each further term into a temporary of the output's dtype, summed (squares for the gradient
    magnitude) in that dtype. Reads ``input`` as it is at each step, so an output that is the input
    gives scipy's bytes; terms without passes are copies, as scipy's gaussian_filter makes them."""
    def term(t, out):
        if t:
            _call(input, out, [t], "single", cval, threads, backend)
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


def _run(input, output, terms, combine, cval, threads, backend):
    if input.size == 0:
        return output
    if len(terms) == 1:
        _call(input, output, terms, "single", cval, threads, backend)
    elif any(not t for t in terms) or np.may_share_memory(input, output):
        _compose(input, output, terms, combine, cval, threads, backend)
    else:
        _call(input, output, terms, combine, cval, threads, backend)
    return output


def _strip(kwargs):
    return {k: v for k, v in kwargs.items() if k not in ("threads", "backend")}


# ---- scipy.ndimage's functions ----

def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *, threads=None,
                backend=None):
    """scipy.ndimage.correlate1d."""
    input = np.asarray(input)
    why = _unsupported(input, output, weights)
    if why:
        return _fallback("correlate1d", why, (input, weights, axis, output, mode, cval, origin), {})
    output = _get_output(output, input)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 1 or weights.shape[0] < 1:
        raise RuntimeError("no filter weights given")
    axis = _axis(axis, input.ndim)
    p = _correlate_pass(weights, axis, mode, origin)
    return _run(input, output, [[p]], "single", cval, threads, backend)


def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *,
                      radius=None, threads=None, backend=None):
    """scipy.ndimage.gaussian_filter1d."""
    input = np.asarray(input)
    why = _unsupported(input, output)
    if why:
        return _fallback("gaussian_filter1d", why, (input, sigma, axis, order, output, mode, cval, truncate),
                         {"radius": radius})
    sd = float(sigma)
    lw = int(truncate * sd + 0.5)
    if radius is not None:
        lw = radius
    if not isinstance(lw, numbers.Integral) or lw < 0:
        raise ValueError("Radius must be a nonnegative integer.")
    weights = _gaussian_kernel1d(sigma, order, lw)[::-1]
    output = _get_output(output, input)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape[0] < 1:
        raise RuntimeError("no filter weights given")
    axis = _axis(axis, input.ndim)
    p = _correlate_pass(weights, axis, mode, 0)
    return _run(input, output, [[p]], "single", cval, threads, backend)


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0, *, radius=None,
                    axes=None, threads=None, backend=None):
    """scipy.ndimage.gaussian_filter."""
    input = np.asarray(input)
    why = _unsupported(input, output)
    if why:
        kw = {"radius": radius}
        if axes is not None:
            kw["axes"] = axes
        return _fallback("gaussian_filter", why, (input, sigma, order, output, mode, cval, truncate), kw)
    output = _get_output(output, input)
    passes = _gaussian_term(input.ndim, sigma, order, mode, truncate, radius, axes)
    if not passes:
        output[...] = input[...]
        return output
    return _run(input, output, [passes], "single", cval, threads, backend)


def uniform_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0, *, threads=None,
                     backend=None):
    """scipy.ndimage.uniform_filter1d."""
    input = np.asarray(input)
    why = _unsupported(input, output)
    if why:
        return _fallback("uniform_filter1d", why, (input, size, axis, output, mode, cval, origin), {})
    axis = _axis(axis, input.ndim)
    if size < 1:
        raise RuntimeError("incorrect filter size")
    output = _get_output(output, input)
    p = _uniform_pass(size, axis, mode, origin)
    return _run(input, output, [[p]], "single", cval, threads, backend)


def uniform_filter(input, size=3, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None, threads=None,
                   backend=None):
    """scipy.ndimage.uniform_filter."""
    input = np.asarray(input)
    why = _unsupported(input, output)
    if why:
        kw = {} if axes is None else {"axes": axes}
        return _fallback("uniform_filter", why, (input, size, output, mode, cval, origin), kw)
    output = _get_output(output, input)
    axes = _check_axes(axes, input.ndim)
    n = len(axes)
    sizes = _normalize_sequence(size, n)
    origins = _normalize_sequence(origin, n)
    modes = _normalize_sequence(mode, n)
    passes = [_uniform_pass(sizes[i], axes[i], modes[i], origins[i]) for i in range(n) if sizes[i] > 1]
    if not passes:
        output[...] = input[...]
        return output
    return _run(input, output, [passes], "single", cval, threads, backend)


def _edge(name, smooth, input, axis, output, mode, cval, threads, backend):
    input = np.asarray(input)
    why = _unsupported(input, output)
    if why:
        return _fallback(name, why, (input, axis, output, mode, cval), {})
    axis = _axis(axis, input.ndim)
    output = _get_output(output, input)
    modes = _normalize_sequence(mode, input.ndim)
    passes = [_correlate_pass([-1.0, 0.0, 1.0], axis, modes[axis], 0)]
    passes += [_correlate_pass(smooth, ii, modes[ii], 0) for ii in range(input.ndim) if ii != axis]
    return _run(input, output, [passes], "single", cval, threads, backend)


def sobel(input, axis=-1, output=None, mode="reflect", cval=0.0, *, threads=None, backend=None):
    """scipy.ndimage.sobel."""
    return _edge("sobel", [1.0, 2.0, 1.0], input, axis, output, mode, cval, threads, backend)


def prewitt(input, axis=-1, output=None, mode="reflect", cval=0.0, *, threads=None, backend=None):
    """scipy.ndimage.prewitt."""
    return _edge("prewitt", [1.0, 1.0, 1.0], input, axis, output, mode, cval, threads, backend)


def laplace(input, output=None, mode="reflect", cval=0.0, *, axes=None, threads=None, backend=None):
    """scipy.ndimage.laplace."""
    input = np.asarray(input)
    why = _unsupported(input, output)
    if why:
        kw = {} if axes is None else {"axes": axes}
        return _fallback("laplace", why, (input, output, mode, cval), kw)
    output = _get_output(output, input)
    axes = _check_axes(axes, input.ndim)
    if not axes:
        output[...] = input[...]
        return output
    modes = _normalize_sequence(mode, len(axes))
    terms = [[_correlate_pass([1.0, -2.0, 1.0], axes[i], modes[i], 0)] for i in range(len(axes))]
    return _run(input, output, terms, "sum", cval, threads, backend)


def _gaussian_kwargs(name, kwargs):
    extra = set(kwargs) - {"truncate", "radius"}
    if extra:
        raise TypeError("gaussian_filter() got an unexpected keyword argument '%s'" % sorted(extra)[0])
    return kwargs.get("truncate", 4.0), kwargs.get("radius")


def gaussian_laplace(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None, threads=None,
                     backend=None, **kwargs):
    """scipy.ndimage.gaussian_laplace."""
    input = np.asarray(input)
    why = _unsupported(input, output)
    if why:
        kw = dict(kwargs) if axes is None else dict(kwargs, axes=axes)
        return _fallback("gaussian_laplace", why, (input, sigma, output, mode, cval), kw)
    truncate, radius = _gaussian_kwargs("gaussian_laplace", kwargs)
    axes = _check_axes(axes, input.ndim)
    n = len(axes)
    sigma = _normalize_sequence(sigma, n)
    if n < input.ndim:
        full = [0] * input.ndim
        for s, ax in zip(sigma, axes):
            full[ax] = s
        sigma = full
    output = _get_output(output, input)
    if not axes:
        output[...] = input[...]
        return output
    modes = _normalize_sequence(mode, n)
    terms = []
    for i in range(n):
        order = [0] * input.ndim
        order[axes[i]] = 2
        terms.append(_gaussian_term(input.ndim, sigma, order, modes[i], truncate, radius))
    return _run(input, output, terms, "sum", cval, threads, backend)


def gaussian_gradient_magnitude(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None, threads=None,
                                backend=None, **kwargs):
    """scipy.ndimage.gaussian_gradient_magnitude."""
    input = np.asarray(input)
    why = _unsupported(input, output)
    if why:
        kw = dict(kwargs) if axes is None else dict(kwargs, axes=axes)
        return _fallback("gaussian_gradient_magnitude", why, (input, sigma, output, mode, cval), kw)
    truncate, radius = _gaussian_kwargs("gaussian_gradient_magnitude", kwargs)
    output = _get_output(output, input)
    axes = _check_axes(axes, input.ndim)
    if not axes:
        output[...] = input[...]
        return output
    n = len(axes)
    modes = _normalize_sequence(mode, n)
    terms = []
    for i in range(n):
        order = [0] * input.ndim
        order[axes[i]] = 1
        terms.append(_gaussian_term(input.ndim, sigma, order, modes[i], truncate, radius))
    return _run(input, output, terms, "hypot", cval, threads, backend)
