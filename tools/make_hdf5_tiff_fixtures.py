#!/usr/bin/env python3
"""Generate the HDF5 and TIFF-stack test fixtures for Penumbra's format readers.

Writes small HDF5 files, multi-page TIFFs and a folder of single-page TIFFs under
java/src/test/resources/formats/, each with its expected values, plus two manifests. Run from
anywhere (paths are relative to this file):

    /usr/bin/python3 tools/make_hdf5_tiff_fixtures.py

Needs numpy, scipy, h5py (3.7 / HDF5 1.10 tested) and tifffile (2023.2.3 tested); Debian:
python3-h5py, python3-tifffile. imagecodecs is not needed (and LZW is skipped without it).
Deterministic (fixed seeds; HDF5 files written with libver='earliest', track_order=False and
track_times=False so that no timestamps are embedded; tifffile writes no DateTime tag) and
re-runnable: the output directory is deleted and recreated on every run. The outputs are
committed so that the tests need no Python.

Layout of java/src/test/resources/formats/:
  <name>.h5 / <name>.tif        a valid fixture
  stack_dir/                    a folder of single-page TIFFs, slice_NNN.tif, z order = name order
                                (written in a shuffled order on purpose), plus notes.txt to ignore
  <name>.expected.npy           its values as h5py / tifffile read them: little-endian, C order
  <name>.gaussian1.npy          scipy.ndimage.gaussian_filter(expected, 1.0) as float32 (float64
                                for float64 input); only for float32/float64/uint16/int16/uint8
  damaged/                      broken inputs for error tests (see damaged.tsv)
  fixtures.tsv                  name kind path dataset dtype shape chunks note
  damaged.tsv                   name kind path dataset damage note

All HDF5 files use the earliest file format (superblock v0, v1 object headers, v1 B-tree chunk
index). Chunked datasets have chunk shapes that do not divide the array shape, so edge chunks are
partial (HDF5 stores every chunk at the full chunk shape). TIFFs are one page per z-slice,
planar-config contiguous, one sample per pixel, one strip per page, except for the tiled fixture.
"""
import hashlib
import os
import shutil
import sys
import zlib

import h5py
import numpy as np
import tifffile

import fixture_common  # tools/, beside this script
from fixture_common import GAUSS_KINDS, same

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'java', 'src', 'test', 'resources', 'formats')
DAMAGED = 'damaged'

fixtures = []   # rows of fixtures.tsv
damaged = []    # rows of damaged.tsv
surprises = []  # things worth telling the person running this


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------

def seed_of(name):
    return zlib.crc32(name.encode('utf-8'))


def make_data(dtype, shape, name):
    """Deterministic values for `dtype`: a smooth field plus a little noise. Floats are rounded to
    quarter steps (low mantissa bits zero, so compressors have something to do); integers span a
    good part of the type's range on a coarse grid, negatives for signed types, and hold the
    type's min and max (and -1 for signed types) at single positions."""
    rng = np.random.default_rng(seed_of(name))
    nat = np.dtype(dtype).newbyteorder('=')
    idx = np.indices(shape, dtype=np.float64)
    field = np.zeros(shape)
    for ax in range(len(shape)):
        field += np.sin(idx[ax] * (0.45 + 0.2 * ax) + 0.5 * ax)
    field /= len(shape)                       # in [-1, 1]
    if nat.kind == 'f':
        a = np.round((100.0 * field + rng.normal(0.0, 2.0, shape)) * 4.0) / 4.0
        return a.astype(nat)
    info = np.iinfo(nat)
    lo, hi = int(info.min), int(info.max)
    mid = (lo + hi) / 2.0
    half = (hi - lo) / 2.0
    # integer analogue of quarter steps: values on a coarse grid (multiples of `step`; low byte
    # zero for 16/32-bit types) so that deflate/LZF/shuffle have redundancy to find
    step = 4 if nat.itemsize == 1 else 1 << (8 * nat.itemsize - 8)
    a = (mid + 0.7 * half * field) / step + rng.normal(0.0, 0.3, shape)
    a = np.clip(np.rint(a) * step, lo, hi).astype(nat)
    flat = a.reshape(-1)
    flat[0] = lo
    flat[-1] = hi
    if lo < 0:
        flat[flat.size // 2] = -1
    return a


def save_expected(name, arr):
    return fixture_common.save_expected(OUT, name, arr)


def csv(t):
    return ','.join(str(int(x)) for x in t) if t else '-'


def check(cond, msg):
    if not cond:
        raise SystemExit('FAILED: ' + msg)


def h5file(path):
    # earliest format + no creation-order tracking; datasets get track_times=False (no mtimes)
    return h5py.File(path, 'w', libver='earliest', track_order=False)


def filters_of(ds):
    plist = ds.id.get_create_plist()
    names = []
    for i in range(plist.get_nfilters()):
        code, flags, values, fname = plist.get_filter(i)
        label = {1: 'deflate', 2: 'shuffle', 32000: 'lzf'}.get(code, 'filter%d' % code)
        if code == 1:
            label += '(level=%d)' % values[0]
        names.append('%s[id=%d]' % (label, code))
    return names


# ----------------------------------------------------------------------------------------------
# HDF5
# ----------------------------------------------------------------------------------------------

def hdf5_fixture(name, dataset, dtype, shape, chunks=None, compression=None, compression_opts=None,
                 shuffle=False, note=''):
    """One dataset in its own file <name>.h5 (or use add_hdf5_dataset for several per file)."""
    path = name + '.h5'
    data = make_data(dtype, shape, name)
    with h5file(os.path.join(OUT, path)) as f:
        add_dataset(f, dataset, data, dtype, chunks, compression, compression_opts, shuffle)
    record_hdf5(name, path, dataset, data, note)


def add_dataset(f, dataset, data, dtype, chunks=None, compression=None, compression_opts=None,
                shuffle=False):
    kw = dict(dtype=np.dtype(dtype), track_times=False)
    if chunks is not None:
        kw['chunks'] = tuple(chunks)
    if compression is not None:
        kw['compression'] = compression
    if compression_opts is not None:
        kw['compression_opts'] = compression_opts
    if shuffle:
        kw['shuffle'] = True
    f.create_dataset(dataset, data=np.asarray(data).astype(np.dtype(dtype)), **kw)


def record_hdf5(name, path, dataset, data, note, expect_chunks_stored=None):
    """Re-read with h5py, check against `data`, save expected + gaussian, add a manifest row."""
    with h5py.File(os.path.join(OUT, path), 'r') as f:
        ds = f[dataset]
        got = ds[()]
        check(same(got, data), '%s: h5py re-read differs' % name)
        stored = ds.dtype.str
        layout = ds.id.get_create_plist().get_layout()
        parts = []
        if layout == h5py.h5d.CONTIGUOUS:
            parts.append('contiguous at byte %d' % ds.id.get_offset())
            check(ds.chunks is None, name + ': expected contiguous')
        elif layout == h5py.h5d.CHUNKED:
            grid = [-(-s // c) for s, c in zip(ds.shape, ds.chunks)]
            n = int(np.prod(grid))
            nstored = ds.id.get_num_chunks()
            partial = any(s % c for s, c in zip(ds.shape, ds.chunks))
            parts.append('chunked grid %s = %d chunks, %d stored%s'
                         % ('x'.join(map(str, grid)), n, nstored,
                            ', edge chunks partial' if partial else ''))
            if expect_chunks_stored is not None:
                check(nstored == expect_chunks_stored,
                      '%s: %d chunks stored, expected %d' % (name, nstored, expect_chunks_stored))
            else:
                check(nstored == n, '%s: %d of %d chunks stored' % (name, nstored, n))
            fl = filters_of(ds)
            parts.append('filters ' + '+'.join(fl) if fl else 'no filters')
        else:
            raise SystemExit('%s: unexpected layout %r' % (name, layout))
        if ds.dtype.byteorder == '>':
            parts.append('big-endian datatype, raw bytes big-endian')
        chunks = ds.chunks
        shape = ds.shape
    exp = save_expected(name, got)
    check(same(exp, data), name + ': expected.npy differs')
    full_note = '; '.join(p for p in [note] + parts if p)
    fixtures.append([name, 'hdf5', path, dataset, stored, csv(shape), csv(chunks), full_note])


def make_hdf5():
    # contiguous
    hdf5_fixture('h5_f4_contig', '/data', '<f4', (6, 7, 9), note='float32 LE')
    hdf5_fixture('h5_f8_nested', '/entry/data', '<f8', (4, 6, 8), note='float64 in nested groups')
    hdf5_fixture('h5_u2_contig', '/x', '<u2', (5, 11, 13), note='uint16')
    hdf5_fixture('h5_i2_be', '/be', '>i2', (5, 11, 13), note='int16 big-endian (H5T_STD_I16BE)')
    # chunked
    hdf5_fixture('h5_f4_chunked', '/data', '<f4', (6, 7, 9), chunks=(2, 4, 5),
                 note='float32 chunked, no compression')
    hdf5_fixture('h5_f4_gzip', '/data', '<f4', (5, 11, 13), chunks=(2, 4, 6),
                 compression='gzip', compression_opts=4, note='float32 gzip level 4')
    hdf5_fixture('h5_u2_shuffle_gzip', '/data', '<u2', (5, 11, 13), chunks=(3, 4, 5),
                 compression='gzip', shuffle=True, note='uint16 shuffle then gzip (default level 4)')
    hdf5_fixture('h5_i2_lzf', '/data', '<i2', (4, 6, 8), chunks=(3, 4, 5),
                 compression='lzf', note='int16 LZF (h5py filter 32000)')
    hdf5_fixture('h5_u1_gzip', '/data', '|u1', (5, 11, 13), chunks=(2, 5, 6),
                 compression='gzip', note='uint8 gzip (default level 4)')
    hdf5_fixture('h5_f8_gzip', '/data', '<f8', (4, 6, 8), chunks=(3, 4, 5),
                 compression='gzip', note='float64 gzip (default level 4)')
    hdf5_fixture('h5_i4_chunked', '/data', '<i4', (6, 7, 9), chunks=(4, 3, 5),
                 note='int32 chunked, no compression (no gaussian1)')

    # sparse: chunks never written read as the fill value
    name, path, shape, chunks = 'h5_f4_sparse', 'h5_f4_sparse.h5', (6, 7, 9), (2, 4, 5)
    region = (slice(0, 3), slice(0, 4), slice(0, 9))   # touches z-chunks 0,1 x y-chunk 0 x x 0,1
    vals = make_data('<f4', shape, name)
    with h5file(os.path.join(OUT, path)) as f:
        ds = f.create_dataset('/data', shape=shape, dtype='<f4', chunks=chunks, fillvalue=7,
                              compression='gzip', compression_opts=4, track_times=False)
        ds[region] = vals[region]
        nstored = ds.id.get_num_chunks()
    data = np.full(shape, 7, dtype='<f4')
    data[region] = vals[region]
    check(nstored == 4, '%s: %d chunks stored, expected 4' % (name, nstored))
    record_hdf5(name, path, '/data', data,
                'float32 gzip, fillvalue=7, only [0:3,0:4,0:9] written so only 4 of 12 chunks '
                'exist (chunk origins (0,0,0),(0,0,5),(2,0,0),(2,0,5)); the rest read as 7.0 '
                '(chunk (2,0,*) covers z 2..3 and is partly fill)',
                expect_chunks_stored=4)

    # one file, two datasets
    path = 'h5_two.h5'
    a = make_data('<f4', (6, 7, 9), 'h5_two_a')
    c = make_data('<u2', (4, 6, 8), 'h5_two_b_c')
    with h5file(os.path.join(OUT, path)) as f:
        add_dataset(f, '/a', a, '<f4')
        add_dataset(f, '/b/c', c, '<u2', chunks=(3, 4, 5), compression='gzip')
    record_hdf5('h5_two_a', path, '/a', a, 'same file as h5_two_b_c; float32')
    record_hdf5('h5_two_b_c', path, '/b/c', c, 'same file as h5_two_a; uint16 in group /b')

    # 2-D
    hdf5_fixture('h5_f4_2d', '/img', '<f4', (11, 13), chunks=(4, 5), compression='gzip',
                 note='2-D float32 gzip')

    # how big-endian is stored (for the summary)
    with h5py.File(os.path.join(OUT, 'h5_i2_be.h5'), 'r') as f:
        ds = f['/be']
        off = ds.id.get_offset()
        order = ds.id.get_type().get_order()
        first = ds[0, 0, 0]
    with open(os.path.join(OUT, 'h5_i2_be.h5'), 'rb') as fh:
        fh.seek(off)
        raw = fh.read(2)
    check(order == h5py.h5t.ORDER_BE and raw == np.array([first], '>i2').tobytes(),
          'h5_i2_be not stored big-endian')
    surprises.append('h5py keeps >i2 as an H5T_STD_I16BE datatype and writes the raw bytes '
                     'big-endian (first value %d stored as %s); h5py reads it back as dtype >i2'
                     % (first, raw.hex()))


# ----------------------------------------------------------------------------------------------
# TIFF
# ----------------------------------------------------------------------------------------------

TIFF_COMP = {1: 'none', 5: 'LZW', 8: 'deflate (Adobe, 8)', 32946: 'deflate (32946)'}


def tiff_facts(path, expect_pages, tiled=False):
    """Open with tifffile, check page structure, return (array, facts string)."""
    with tifffile.TiffFile(path) as t:
        pages = t.pages
        check(len(pages) == expect_pages, '%s: %d pages, expected %d'
              % (path, len(pages), expect_pages))
        p0 = pages[0]
        for p in pages:
            check(p.samplesperpixel == 1, path + ': samples per pixel != 1')
            check(p.planarconfig == 1, path + ': not planar-config contiguous')
            check(p.is_tiled == tiled, path + ': tiled=%s' % p.is_tiled)
        arr = t.asarray()
        order = t.byteorder
        sf = p0.tags.get('SampleFormat')
        sf = sf.value if sf is not None else None
        comp = p0.tags['Compression'].value
        bits = p0.tags['BitsPerSample'].value
        if tiled:
            layout = 'tiles %dx%d, %d per page' % (p0.tilelength, p0.tilewidth,
                                                   len(p0.dataoffsets))
        else:
            layout = '%d strip(s) per page, RowsPerStrip %s' % (
                len(p0.dataoffsets), p0.tags['RowsPerStrip'].value
                if 'RowsPerStrip' in p0.tags else '-')
        if len(pages) > 1:
            after = all(p.offset > p.dataoffsets[-1] for p in pages[1:])
            layout += (', IFD 0 then all pixel data then IFDs 1..%d' % (len(pages) - 1) if after
                       else ', each IFD followed by its data')
        facts = '%s %s-endian, %d pages, BitsPerSample %d, SampleFormat %s, Compression %d %s, %s' % (
            'BigTIFF' if t.is_bigtiff else 'classic TIFF', 'big' if order == '>' else 'little',
            len(pages), bits, 'absent(=1 uint)' if sf is None else '%d' % int(sf),
            comp, TIFF_COMP.get(int(comp), ''), layout)
    return arr, facts


def tiff_fixture(name, dtype, shape, note='', tiled=False, **kw):
    path = name + '.tif'
    dt = np.dtype(dtype)
    data = make_data(dt, shape, name)
    full = os.path.join(OUT, path)
    byteorder = '>' if dt.byteorder == '>' else '<'
    try:
        tifffile.imwrite(full, data.astype(dt.newbyteorder('=')), photometric='minisblack',
                         byteorder=byteorder, **kw)
    except Exception as e:      # e.g. a codec tifffile needs imagecodecs for
        if os.path.exists(full):
            os.remove(full)
        surprises.append('skipped %s: tifffile refused (%s: %s)' % (name, type(e).__name__, e))
        return False
    got, facts = tiff_facts(full, shape[0], tiled=tiled)
    check(same(got, data), name + ': tifffile re-read differs')
    exp = save_expected(name, got)
    check(same(exp, data), name + ': expected.npy differs')
    chunks = '-'
    if tiled:
        chunks = csv((1,) + tuple(kw['tile']))
    stored = dt.newbyteorder(byteorder).str if dt.itemsize > 1 else dt.str
    fixtures.append([name, 'tiff', path, '-', stored, csv(shape), chunks,
                     '; '.join(p for p in [note, facts] if p)])
    return True


STACK_ORDER = [3, 0, 4, 1, 2]   # z indices in the order the slice files are created


def make_stack_dir(name, rel, dtype, shape, order=STACK_ORDER):
    data = make_data(dtype, shape, name)
    d = os.path.join(OUT, rel)
    os.makedirs(d)
    for z in order:
        tifffile.imwrite(os.path.join(d, 'slice_%03d.tif' % z), data[z], photometric='minisblack')
    with open(os.path.join(d, 'notes.txt'), 'w', newline='\n') as fh:
        fh.write('Not a TIFF: readers must ignore this file.\n'
                 'Slices are slice_000.tif .. slice_%03d.tif; z order = file-name order.\n'
                 'They were created in the order z = %s.\n'
                 % (shape[0] - 1, ', '.join(map(str, order))))
    names = sorted(n for n in os.listdir(d) if n.endswith('.tif'))
    check(len(names) == shape[0], name + ': slice count')
    slices = []
    for n in names:
        arr, facts = tiff_facts(os.path.join(d, n), 1)
        slices.append(arr)
    got = np.stack(slices)
    check(same(got, data), name + ': stack re-read differs')
    save_expected(name, got)
    fixtures.append([name, 'tiffdir', rel, '-', np.dtype(dtype).str, csv(shape), '-',
                     'one single-page TIFF per z: slice_000.tif..slice_%03d.tif, z = name order '
                     '(created in z order %s); also holds notes.txt (not a TIFF, ignore); '
                     'each slice: %s' % (shape[0] - 1, ','.join(map(str, order)), facts)])


def make_tiff():
    s = (5, 11, 13)
    tiff_fixture('tif_u1', '|u1', s, note='uint8 uncompressed')
    tiff_fixture('tif_u2_zlib', '<u2', s, compression='zlib', note='uint16 zlib')
    tiff_fixture('tif_i2', '<i2', s, note='int16 uncompressed')
    tiff_fixture('tif_f4', '<f4', s, note='float32 uncompressed')
    tiff_fixture('tif_f4_zlib', '<f4', s, compression='zlib', note='float32 zlib')
    tiff_fixture('tif_u2_lzw', '<u2', s, compression='lzw', note='uint16 LZW')
    tiff_fixture('tif_f4_bigtiff', '<f4', s, bigtiff=True, note='float32 BigTIFF')
    tiff_fixture('tif_i2_be', '>i2', s, note='int16 big-endian file (MM)')
    tiff_fixture('tif_f4_be', '>f4', s, note='float32 big-endian file (MM)')
    tiff_fixture('tif_u2_tiled', '<u2', (3, 40, 40), tiled=True, tile=(16, 16),
                 note='uint16 tiled 16x16 (edge tiles padded to 16x16 in the file)')
    make_stack_dir('stack_dir', 'stack_dir', '<u2', s)


# ----------------------------------------------------------------------------------------------
# damaged
# ----------------------------------------------------------------------------------------------

def make_damaged():
    dd = os.path.join(OUT, DAMAGED)
    os.makedirs(dd)

    # HDF5 truncated to half its size
    rel = DAMAGED + '/h5_truncated.h5'
    full = os.path.join(OUT, rel)
    with h5file(full) as f:
        add_dataset(f, '/data', make_data('<f4', (6, 7, 9), 'dmg_h5_truncated'), '<f4')
    size = os.path.getsize(full)
    with open(full, 'r+b') as fh:
        fh.truncate(size // 2)
    try:
        with h5py.File(full, 'r') as f:
            f['/data'][()]
        how = 'h5py still opened it (!)'
    except Exception as e:
        how = 'h5py: %s' % str(e).splitlines()[0][:120]
    damaged.append(['dmg_h5_truncated', 'hdf5', rel, '/data', 'truncated',
                    'valid contiguous float32 (6,7,9) file of %d bytes cut to %d; %s'
                    % (size, size // 2, how)])

    # valid file, missing dataset path
    rel = DAMAGED + '/h5_no_dataset.h5'
    with h5file(os.path.join(OUT, rel)) as f:
        add_dataset(f, '/data', make_data('<f4', (4, 6, 8), 'dmg_h5_no_dataset'), '<f4')
    damaged.append(['dmg_h5_no_dataset', 'hdf5', rel, '/nope', 'no-dataset',
                    'valid file holding only /data (float32 4,6,8); /nope does not exist'])

    # unsupported element types
    rel = DAMAGED + '/h5_compound.h5'
    ct = np.dtype([('a', '<i4'), ('b', '<f4')])
    comp = np.zeros((4, 6, 8), ct)
    comp['a'] = make_data('<i4', (4, 6, 8), 'dmg_h5_compound_a')
    comp['b'] = make_data('<f4', (4, 6, 8), 'dmg_h5_compound_b')
    with h5file(os.path.join(OUT, rel)) as f:
        f.create_dataset('/data', data=comp, track_times=False)
    damaged.append(['dmg_h5_compound', 'hdf5', rel, '/data', 'unsupported-type',
                    'compound {a: <i4, b: <f4} (4,6,8), contiguous (HDF5 class H5T_COMPOUND)'])
    rel = DAMAGED + '/h5_string.h5'
    strs = np.array([[b'v%03d' % (i * 6 + j) for j in range(6)] for i in range(4)], dtype='S8')
    with h5file(os.path.join(OUT, rel)) as f:
        f.create_dataset('/data', data=strs, track_times=False)
    damaged.append(['dmg_h5_string', 'hdf5', rel, '/data', 'unsupported-type',
                    'fixed-length string S8 (4,6), contiguous (HDF5 class H5T_STRING, '
                    'null-padded ASCII)'])

    # multi-page TIFF truncated inside the last page's strip
    rel = DAMAGED + '/tif_truncated.tif'
    full = os.path.join(OUT, rel)
    # tifffile.imwrite of a 3-D array puts IFD 0, then all pages' data back to back, then IFDs
    # 1..4 at the end; truncating there would lose IFDs. Writing page by page with
    # contiguous=False lays out IFD, data, IFD, data, ... so the last strip ends the file.
    dmg = make_data('<u2', (5, 11, 13), 'dmg_tif_truncated')
    with tifffile.TiffWriter(full) as w:
        for z in range(dmg.shape[0]):
            w.write(dmg[z], photometric='minisblack', contiguous=False)
    with tifffile.TiffFile(full) as t:
        last = t.pages[-1]
        off, cnt = last.dataoffsets[0], last.databytecounts[0]
        ifd_offsets = [p.offset for p in t.pages]
        size = os.path.getsize(full)
    cut = off + cnt // 2
    check(max(ifd_offsets) < off, 'tif_truncated: an IFD lies after the last page data')
    with open(full, 'r+b') as fh:
        fh.truncate(cut)
    damaged.append(['dmg_tif_truncated', 'tiff', rel, '-', 'truncated-page',
                    'uint16 (5,11,13) uncompressed, 5 pages written one by one (IFD then its '
                    'strip, each page its own tifffile series), %d bytes cut to %d: last page '
                    'strip at offset %d, %d bytes, only %d present; all 5 IFDs intact (last IFD '
                    'at %d)' % (size, cut, off, cnt, cut - off, max(ifd_offsets))])

    # directory of slices with mixed sizes
    rel = DAMAGED + '/tifdir_mixed'
    d = os.path.join(OUT, rel)
    os.makedirs(d)
    shapes = [(11, 13), (11, 12), (11, 13)]
    for i, sh in enumerate(shapes):
        tifffile.imwrite(os.path.join(d, 'slice_%03d.tif' % i),
                         make_data('<u2', sh, 'dmg_tifdir_mixed_%d' % i), photometric='minisblack')
    damaged.append(['dmg_tifdir_mixed', 'tiffdir', rel, '-', 'mixed-sizes',
                    'uint16 single-page slices: slice_000.tif 11x13, slice_001.tif 11x12 '
                    '(rows x cols), slice_002.tif 11x13'])

    # RGB
    rel = DAMAGED + '/tif_rgb.tif'
    full = os.path.join(OUT, rel)
    tifffile.imwrite(full, make_data('|u1', (2, 11, 13, 3), 'dmg_tif_rgb'), photometric='rgb')
    with tifffile.TiffFile(full) as t:
        p = t.pages[0]
        facts = '%d pages, SamplesPerPixel %d, PlanarConfiguration %d, Photometric %d' % (
            len(t.pages), p.samplesperpixel, p.planarconfig, p.photometric)
    check('SamplesPerPixel 3' in facts, 'tif_rgb: not 3 samples')
    damaged.append(['dmg_tif_rgb', 'tiff', rel, '-', 'rgb',
                    'uint8 (2,11,13,3) written photometric=rgb: %s' % facts])


# ----------------------------------------------------------------------------------------------

def write_tsv(path, header, rows):
    with open(path, 'w', newline='\n') as fh:
        fh.write('#' + '\t'.join(header) + '\n')
        for r in rows:
            for c in r:
                check('\t' not in str(c) and '\n' not in str(c), 'tab/newline in manifest cell')
            fh.write('\t'.join(str(c) for c in r) + '\n')


def verify_all():
    """Re-read every fixture from disk (independently of the writers) against its .npy."""
    for name, kind, path, dataset, dtype, shape, chunks, note in fixtures:
        exp = np.load(os.path.join(OUT, name + '.expected.npy'))
        check(exp.dtype.byteorder in '<|=' and exp.flags.c_contiguous, name + ': npy not LE/C')
        check(csv(exp.shape) == shape, name + ': shape mismatch in manifest')
        full = os.path.join(OUT, path)
        if kind == 'hdf5':
            with h5py.File(full, 'r') as f:
                got = f[dataset][()]
                check(f[dataset].dtype.str == dtype, name + ': manifest dtype')
        elif kind == 'tiff':
            got = tifffile.imread(full)
        else:
            got = np.stack([tifffile.imread(os.path.join(full, n))
                            for n in sorted(os.listdir(full)) if n.endswith('.tif')])
        check(same(got, exp), name + ': re-read differs from expected.npy')
        g = os.path.join(OUT, name + '.gaussian1.npy')
        if exp.dtype in GAUSS_KINDS:
            gg = np.load(g)
            want = np.float64 if exp.dtype == np.float64 else np.float32
            check(gg.dtype == want and gg.shape == exp.shape, name + ': gaussian1 dtype/shape')
        else:
            check(not os.path.exists(g), name + ': unexpected gaussian1')


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    make_hdf5()
    make_tiff()
    make_damaged()
    write_tsv(os.path.join(OUT, 'fixtures.tsv'),
              ['name', 'kind', 'path', 'dataset', 'dtype', 'shape', 'chunks', 'note'], fixtures)
    write_tsv(os.path.join(OUT, 'damaged.tsv'),
              ['name', 'kind', 'path', 'dataset', 'damage', 'note'], damaged)
    verify_all()

    total = 0
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(OUT):
        dirnames.sort()
        for fn in sorted(filenames):
            p = os.path.join(dirpath, fn)
            total += os.path.getsize(p)
            digest.update(os.path.relpath(p, OUT).encode() + b'\0')
            with open(p, 'rb') as fh:
                digest.update(hashlib.sha256(fh.read()).digest())
    print('wrote %d fixtures, %d damaged, %d bytes under %s' % (
        len(fixtures), len(damaged), total, os.path.relpath(OUT, ROOT)))
    print('tree sha256 %s' % digest.hexdigest())
    for s in surprises:
        print('note: ' + s)
    check(total < 2 * 1024 * 1024, 'output larger than 2 MB')


if __name__ == '__main__':
    sys.exit(main())
