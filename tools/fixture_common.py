"""What the fixture generators share (make_zarr_fixtures.py, make_hdf5_tiff_fixtures.py): the expected
arrays as the tests read them, and the comparison used to check what a format library wrote."""
import os

import numpy as np
import scipy.ndimage as ndi

# dtypes whose Gaussian result is committed beside the expected array (`NAME.gaussian1.npy`)
GAUSS_KINDS = {np.dtype(t) for t in ('<f4', '<f8', '<u2', '<i2', '|u1')}


def le(a):
    """Native little-endian, C-order copy (what the .npy files hold)."""
    a = np.asarray(a)
    return np.ascontiguousarray(a.astype(a.dtype.newbyteorder('<')))


def same(a, b):
    """Equal shape, dtype up to byte order, and values (NaN equal to NaN)."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.dtype.newbyteorder('<') != b.dtype.newbyteorder('<'):
        return False
    if a.dtype.kind in 'fc':
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def save_npy(path, arr):
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, arr, allow_pickle=False)


def save_expected(out, name, arr):
    """OUT/NAME.expected.npy, and for GAUSS_KINDS OUT/NAME.gaussian1.npy (scipy, sigma 1, float32 output;
    float64 for float64). Returns the expected array."""
    exp = le(arr)
    save_npy(os.path.join(out, name + '.expected.npy'), exp)
    if exp.dtype in GAUSS_KINDS:
        dt = np.float64 if exp.dtype == np.float64 else np.float32
        g = ndi.gaussian_filter(exp, 1.0, output=dt)
        save_npy(os.path.join(out, name + '.gaussian1.npy'), np.ascontiguousarray(g))
    return exp
