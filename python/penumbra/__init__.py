"""Penumbra from Python: scipy.ndimage's separable filters on Penumbra's engine, in-process.

    from penumbra import ndimage as ndi
    y = ndi.gaussian_filter(x, 3)                       # as scipy.ndimage, zero-copy, all cores
    penumbra.filter_file("gaussian", "in.npy", "out.npy", sigma=3)
    import penumbra.dask                                # the same on dask arrays, exact halos

The JVM (a JDK >= 22, found as the ./penumbra launcher finds it) starts in this process on the
first call, through JPype; the jars are those of the checkout in $PENUMBRA_HOME (else the one this
package lies in), built on first use.
"""

from ._jvm import JVMStartError, find_jdk, home

__all__ = ["JVMStartError", "backends", "filter_file", "find_jdk", "home", "ndimage"]
__version__ = "0.1.0"


def _seq(v, cast):
    if v is None:
        return []
    try:
        return [cast(x) for x in v]
    except TypeError:
        return [cast(v)]


def filter_file(op, input, output, *, sigma=None, order=None, truncate=4.0, size=None, origin=None, axis=-1,
                weights=None, mode="reflect", cval=0.0, output_dtype=None, raw_dtype=None, raw_shape=None,
                threads=None, backend=None, sync=True, dataset=None, zarr_format=None, out_chunks=None,
                compressor=None, shards=None):
    """Filters the file ``input`` (``.npy``; a Zarr array, v2 or v3, ``dataset`` naming it inside a group;
    raw with ``raw_dtype`` and ``raw_shape``) into ``output`` (``.npy`` by name; a Zarr array when named
    ``*.zarr`` or ``zarr_format`` is 2 or 3, with ``out_chunks``, ``compressor`` ``"NAME[:LEVEL]"``,
    default zstd:3, and for v3 ``shards`` (a multiple of the chunks); else raw), as ``./penumbra OP`` does: streamed, the output written atomically and
    only whole (``sync=False`` skips the final fsync). ``op`` as the CLI or scipy names
    it (``gaussian``, ``gaussian_laplace``, ...); parameters as scipy's; ``output_dtype`` None gives
    float32 (float64 for float64 input), ``"same"`` the input's dtype. Returns what ran, in words."""
    import os
    import jpype
    from . import _jvm
    b = _jvm.bridge()
    modes = [mode] if isinstance(mode, str) else list(mode)
    JArray, JInt, JLong, JDouble, JString = jpype.JArray, jpype.JInt, jpype.JLong, jpype.JDouble, jpype.JString
    if output_dtype is not None and output_dtype != "same":
        import numpy as np
        output_dtype = np.dtype(output_dtype).name
    try:
        r = b.filterFile(str(op), os.fspath(input), os.fspath(output), JArray(JDouble)(_seq(sigma, float)),
                         JArray(JInt)(_seq(order, int)), float(truncate), JArray(JInt)(_seq(size, int)),
                         JArray(JInt)(_seq(origin, int)), int(axis), JArray(JDouble)(_seq(weights, float)),
                         JArray(JString)(modes), float(cval), output_dtype or "", raw_dtype or "",
                         JArray(JLong)(_seq(raw_shape, int)), int(threads or 0), backend or "", bool(sync),
                         dataset or "", int(zarr_format or 0), JArray(JLong)(_seq(out_chunks, int)),
                         compressor or "", JArray(JLong)(_seq(shards, int)))
    except jpype.JException as e:
        raise ValueError("penumbra: " + _jvm.message(e)) from None
    return str(r)


def backends():
    """The backends this build and CPU run, by name."""
    from ._jvm import bridge
    return [str(s) for s in bridge().backends()]
