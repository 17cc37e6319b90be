#!/usr/bin/env python3
"""Generate the Zarr v2/v3 test fixtures Penumbra's Zarr reader/writer tests compare against.

Writes small Zarr containers (directory stores) under java/src/test/resources/zarr/, each with its
expected values, plus two manifests. Run from anywhere (paths are relative to this file):

    /usr/bin/python3 tools/make_zarr_fixtures.py

Needs numpy, scipy, zarr 2.x (2.13 tested) and numcodecs (Debian: python3-zarr, python3-numcodecs).
Deterministic (fixed seeds; gzip mtime pinned to 0) and re-runnable: the output directory is deleted
and recreated on every run. The outputs are committed so that the tests need no Python.

Layout of java/src/test/resources/zarr/:
  <name>/                       a valid fixture (Zarr v2 or v3 directory store)
  <name>.expected.npy           its values: little-endian, C order
  <name>.gaussian1.npy          scipy.ndimage.gaussian_filter(expected, 1.0) as float32 (float64
                                for float64 input); only for float32/float64/uint16/int16/uint8
  damaged/<name>/               broken containers for error tests (see damaged.tsv)
  fixtures.tsv                  name path dataset format dtype shape chunks note
  damaged.tsv                   name path dataset damage chunk_key codec_or_dtype

v2 fixtures are written by zarr-python 2.x. v3 fixtures are written by hand from the Zarr v3 core
spec (zarr 2.x cannot write v3) and re-read by an independent decoder below before being accepted.
Every chunk of a v3 array is stored at the full chunk shape (edge chunks padded with fill_value).
"""
import gzip
import json
import math
import os
import shutil
import sys
import zlib

import numpy as np
import zarr
import numcodecs
import numcodecs.blosc

import fixture_common  # tools/, beside this script
from fixture_common import le, same, save_npy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'java', 'src', 'test', 'resources', 'zarr')
DAMAGED = 'damaged'

# single-threaded blosc: same bytes either way, but no reliance on thread scheduling
numcodecs.blosc.use_threads = False

fixtures = []   # rows of fixtures.tsv
damaged = []    # rows of damaged.tsv


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------

def seed_of(name):
    return zlib.crc32(name.encode('utf-8'))


def make_data(dtype, shape, name):
    """Deterministic values for `dtype`: a smooth field plus noise (so compressors have something to
    do) with a sprinkling of full-range values and the type's extremes; negatives for signed types."""
    rng = np.random.default_rng(seed_of(name))
    dt = np.dtype(dtype)
    nat = dt.newbyteorder('=')
    idx = np.indices(shape, dtype=np.float64)
    field = np.zeros(shape)
    for ax in range(len(shape)):
        field += np.sin(idx[ax] * (0.7 + 0.3 * ax) + ax)
    field /= len(shape)                       # in [-1, 1]
    if nat.kind == 'f':
        # quarter steps: low mantissa bytes are zero, so shuffle + compressors have work to do
        a = np.round((100.0 * field + rng.normal(0.0, 5.0, shape)) * 4.0) / 4.0
        a = a.astype(nat)
        flat = a.reshape(-1)
        flat[1] = -0.0
        flat[2] = 1.0e-20
        flat[3] = -12345.678
        return a
    info = np.iinfo(nat)
    lo, hi = int(info.min), int(info.max)
    mid = (lo + hi) / 2.0
    quarter = (hi - lo) / 4.0
    a = mid + quarter * field + rng.normal(0.0, quarter / 50.0, shape)
    a = np.clip(np.rint(a), mid - 2 * quarter * 0.9, mid + 2 * quarter * 0.9)
    a = a.astype(nat)
    if nat.itemsize > 1:                      # low half of each value zero (compressible)
        step = 1 << (4 * nat.itemsize)
        a = (a // step) * step
    flat = a.reshape(-1)
    n = flat.size
    pick = rng.choice(n, size=max(2, n // 20), replace=False)
    flat[pick] = rng.integers(lo, hi, size=pick.size, endpoint=True, dtype=nat)
    flat[0] = lo
    flat[n - 1] = hi
    if lo < 0:
        flat[n // 2] = -1
    return a


def save_expected(name, arr):
    return fixture_common.save_expected(OUT, name, arr)


def csv(t):
    return ','.join(str(int(x)) for x in t)


def fill_array(shape, dtype, fill):
    return np.full(shape, fill, dtype=np.dtype(dtype).newbyteorder('='))


def zero_gzip_mtime(path):
    """numcodecs.GZip writes the current time into the gzip header (bytes 4..7). Zero it so the
    fixtures are byte-for-byte reproducible; the gzip CRC covers only the payload, so the member stays
    valid and is exactly what GzipFile(mtime=0) would have produced."""
    for dirpath, _, files in os.walk(path):
        for fn in files:
            if fn.startswith('.'):
                continue
            p = os.path.join(dirpath, fn)
            with open(p, 'rb') as f:
                b = bytearray(f.read())
            if len(b) >= 10 and b[0] == 0x1f and b[1] == 0x8b:
                b[4:8] = b'\0\0\0\0'
                with open(p, 'wb') as f:
                    f.write(bytes(b))


blosc_stats = {}   # fixture name -> (chunks really compressed, chunks stored verbatim by blosc)


def check_blosc(name, path):
    """Count blosc chunk files whose header has the MEMCPYED flag (0x02: stored uncompressed). Each
    blosc fixture must have at least one chunk that really went through the compressor."""
    comp = verb = 0
    for dirpath, _, files in os.walk(path):
        for fn in files:
            if fn.startswith('.') or fn == 'zarr.json':
                continue
            with open(os.path.join(dirpath, fn), 'rb') as f:
                h = f.read(16)
            assert len(h) == 16 and h[0] in (1, 2), (name, fn)
            if h[2] & 0x02:
                verb += 1
            else:
                comp += 1
    assert comp > 0, 'blosc stored every chunk of %s verbatim' % name
    blosc_stats[name] = (comp, verb)


# ----------------------------------------------------------------------------------------------
# CRC32C (Castagnoli, reflected polynomial 0x82F63B78), pure Python
# ----------------------------------------------------------------------------------------------

def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC = _crc_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b'123456789') == 0xE3069283, hex(crc32c(b'123456789'))
assert crc32c(b'') == 0


# ----------------------------------------------------------------------------------------------
# Zarr v2 via zarr-python
# ----------------------------------------------------------------------------------------------

def v2(name, dtype, shape, chunks, compressor, note, order='C', fill_value=0, sep=None,
       region=None, group_path=None, filters=None, data=None, base=OUT, record=True):
    """Write a v2 array with zarr-python; check zarr reads back the intended values; save expected."""
    path = os.path.join(base, name)
    kw = dict(shape=shape, chunks=chunks, dtype=dtype, compressor=compressor, order=order,
              fill_value=fill_value, filters=filters)
    if sep is not None:
        kw['dimension_separator'] = sep
    if group_path:
        g = zarr.open_group(path, mode='w')
        z = g.create_dataset(group_path, **kw)
    else:
        z = zarr.open(path, mode='w', **kw)
    if data is None:
        data = make_data(dtype, shape, name)
    if region is None:
        z[...] = data
        intended = data
    else:
        z[region] = data[region]
        intended = fill_array(shape, dtype, fill_value)
        intended[region] = data[region]
    if isinstance(compressor, numcodecs.GZip):
        zero_gzip_mtime(path)
    if isinstance(compressor, numcodecs.Blosc):
        check_blosc(name, path)
    # read back through a fresh handle
    if group_path:
        back = zarr.open_group(path, mode='r')[group_path][...]
    else:
        back = zarr.open(path, mode='r')[...]
    assert same(back, intended), name
    if record:
        save_expected(name, back)
        fixtures.append((name, name, group_path or '-', 2, np.dtype(dtype).str, csv(shape),
                         csv(chunks), note))
    return path, back


def v2_chunk_path(path, key_parts, sep='.'):
    return os.path.join(path, *key_parts.split('/')) if sep == '/' else os.path.join(path, key_parts)


# ----------------------------------------------------------------------------------------------
# Zarr v3 writer (by hand, per the v3 core spec)
# ----------------------------------------------------------------------------------------------

V3_TYPES = {'float32': 'f4', 'float64': 'f8', 'uint16': 'u2', 'int16': 'i2', 'uint8': 'u1',
            'int32': 'i4', 'uint32': 'u4', 'int64': 'i8', 'int8': 'i1'}


def v3_fill_json(fill):
    if isinstance(fill, float):
        if math.isnan(fill):
            return 'NaN'
        if math.isinf(fill):
            return 'Infinity' if fill > 0 else '-Infinity'
    return fill


def is_all_fill(a, fill):
    if isinstance(fill, float) and math.isnan(fill):
        return bool(np.isnan(a).all())
    return bool((a == fill).all())


def encode_v3(a, codecs, fill):
    """Encode one chunk (numpy array at full chunk shape) through the codec chain."""
    b = None
    for c in codecs:
        n = c['name']
        cfg = c.get('configuration', {})
        if n == 'transpose':
            a = a.transpose(cfg['order'])
        elif n == 'bytes':
            endian = cfg.get('endian', 'little')
            dt = a.dtype.newbyteorder('<' if endian == 'little' else '>')
            b = np.ascontiguousarray(a).astype(dt).tobytes(order='C')
        elif n == 'sharding_indexed':
            b = encode_shard(a, cfg, fill)
        elif n == 'gzip':
            b = gzip.compress(b, compresslevel=cfg['level'], mtime=0)
        elif n == 'zstd':
            assert not cfg.get('checksum', False)
            b = bytes(numcodecs.Zstd(level=cfg['level']).encode(b))
        elif n == 'blosc':
            shuffle = {'noshuffle': numcodecs.Blosc.NOSHUFFLE, 'shuffle': numcodecs.Blosc.SHUFFLE,
                       'bitshuffle': numcodecs.Blosc.BITSHUFFLE}[cfg['shuffle']]
            ts = cfg['typesize']
            typed = np.frombuffer(b, dtype='u%d' % ts) if ts > 1 else np.frombuffer(b, 'u1')
            b = bytes(numcodecs.Blosc(cname=cfg['cname'], clevel=cfg['clevel'], shuffle=shuffle,
                                      blocksize=cfg['blocksize']).encode(typed))
        elif n == 'crc32c':
            b = b + crc32c(b).to_bytes(4, 'little')
        else:
            raise ValueError('writer: unknown codec ' + n)
    return b


EMPTY = 2 ** 64 - 1


def encode_shard(a, cfg, fill):
    inner = tuple(cfg['chunk_shape'])
    grid = tuple(s // c for s, c in zip(a.shape, inner))
    assert all(s % c == 0 for s, c in zip(a.shape, inner)), (a.shape, inner)
    parts = []
    index = np.zeros(grid + (2,), dtype='<u8')
    for ij in np.ndindex(*grid):
        sl = tuple(slice(i * c, (i + 1) * c) for i, c in zip(ij, inner))
        sub = a[sl]
        if is_all_fill(sub, fill):
            index[ij] = (EMPTY, EMPTY)
            parts.append(None)
        else:
            parts.append(encode_v3(np.ascontiguousarray(sub), cfg['codecs'], fill))
    loc = cfg.get('index_location', 'end')
    idx_len = len(encode_v3(index, cfg['index_codecs'], fill))
    off = idx_len if loc == 'start' else 0
    body = b''
    for ij, p in zip(np.ndindex(*grid), parts):
        if p is None:
            continue
        index[ij] = (off, len(p))
        off += len(p)
        body += p
    idx = encode_v3(index, cfg['index_codecs'], fill)
    assert len(idx) == idx_len
    return idx + body if loc == 'start' else body + idx


def chunk_key(ij, enc):
    name = enc['name']
    sep = enc.get('configuration', {}).get('separator', '/' if name == 'default' else '.')
    parts = [str(i) for i in ij]
    if name == 'default':
        return sep.join(['c'] + parts)
    return sep.join(parts) if parts else '0'


def v3(name, data_type, shape, chunk_shape, codecs, note, fill=0, data=None, region=None,
       omit_fill_chunks=False, key_encoding=None, group_path=None, dimension_names=None,
       stored_dtype=None, inner_chunks=None, base=OUT, record=True):
    """Write a v3 array by hand. region: only that part holds data, the rest is fill value.
    omit_fill_chunks: chunks (shards) that are entirely fill are not written."""
    path = os.path.join(base, name)
    nat = np.dtype(V3_TYPES[data_type])
    if data is None:
        data = make_data(nat, shape, name)
    data = data.astype(nat)
    if region is not None:
        intended = fill_array(shape, nat, fill)
        intended[region] = data[region]
    else:
        intended = data
    if key_encoding is None:
        key_encoding = {'name': 'default', 'configuration': {'separator': '/'}}
    if group_path:
        os.makedirs(path)
        with open(os.path.join(path, 'zarr.json'), 'w') as f:
            json.dump({'zarr_format': 3, 'node_type': 'group', 'attributes': {}}, f, indent=2)
        parts = group_path.split('/')
        for k in range(1, len(parts)):
            gp = os.path.join(path, *parts[:k])
            os.makedirs(gp, exist_ok=True)
            with open(os.path.join(gp, 'zarr.json'), 'w') as f:
                json.dump({'zarr_format': 3, 'node_type': 'group', 'attributes': {}}, f, indent=2)
        apath = os.path.join(path, *parts)
    else:
        apath = path
    os.makedirs(apath, exist_ok=True)
    meta = {
        'zarr_format': 3,
        'node_type': 'array',
        'shape': list(shape),
        'data_type': data_type,
        'chunk_grid': {'name': 'regular', 'configuration': {'chunk_shape': list(chunk_shape)}},
        'chunk_key_encoding': key_encoding,
        'fill_value': v3_fill_json(fill),
        'codecs': codecs,
        'attributes': {},
    }
    if dimension_names is not None:
        meta['dimension_names'] = dimension_names
    with open(os.path.join(apath, 'zarr.json'), 'w') as f:
        json.dump(meta, f, indent=2)
    grid = tuple(-(-s // c) for s, c in zip(shape, chunk_shape))
    written, skipped = [], []
    for ij in np.ndindex(*grid):
        chunk = fill_array(chunk_shape, nat, fill)
        src = tuple(slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(ij, chunk_shape, shape))
        dst = tuple(slice(0, sl.stop - sl.start) for sl in src)
        chunk[dst] = intended[src]
        key = chunk_key(ij, key_encoding)
        if omit_fill_chunks and is_all_fill(chunk, fill):
            skipped.append(key)
            continue
        enc = encode_v3(chunk, codecs, fill)
        p = os.path.join(apath, *key.split('/'))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'wb') as f:
            f.write(enc)
        written.append(key)
    if any(c['name'] == 'blosc' for c in codecs):
        check_blosc(name, apath)
    # independent read-back
    back = read_v3(apath)
    assert same(back, intended), name
    if record:
        save_expected(name, back)
        sdt = stored_dtype or nat.str
        fixtures.append((name, name, group_path or '-', 3, sdt, csv(shape),
                         csv(inner_chunks or chunk_shape), note))
    return path, apath, back, written, skipped


# ----------------------------------------------------------------------------------------------
# Independent v3 reader (decode direction only, written from the spec, used to check the writer)
# ----------------------------------------------------------------------------------------------

def _parse_fill(v, dt):
    if isinstance(v, str):
        return {'NaN': np.nan, 'Infinity': np.inf, '-Infinity': -np.inf}[v]
    return dt.type(v)


def _split_chain(codecs):
    kinds = {'transpose': 'aa', 'bytes': 'ab', 'sharding_indexed': 'ab'}
    aa, ab, bb = [], None, []
    for c in codecs:
        k = kinds.get(c['name'], 'bb')
        if k == 'aa':
            assert ab is None
            aa.append(c)
        elif k == 'ab':
            assert ab is None
            ab = c
        else:
            assert ab is not None
            bb.append(c)
    assert ab is not None
    return aa, ab, bb


def _decode(raw, codecs, shape, dt, fill):
    aa, ab, bb = _split_chain(codecs)
    b = bytes(raw)
    for c in reversed(bb):
        n, cfg = c['name'], c.get('configuration', {})
        if n == 'crc32c':
            body, tail = b[:-4], b[-4:]
            if int.from_bytes(tail, 'little') != crc32c(body):
                raise ValueError('crc32c mismatch')
            b = body
        elif n == 'gzip':
            b = gzip.decompress(b)
        elif n == 'zstd':
            b = bytes(numcodecs.Zstd().decode(b))
        elif n == 'blosc':
            b = bytes(numcodecs.Blosc().decode(b))
        else:
            raise ValueError('reader: unknown codec ' + n)
    # shape seen by the array->bytes codec
    s = list(shape)
    for c in aa:
        order = c['configuration']['order']
        s = [s[o] for o in order]
    if ab['name'] == 'bytes':
        endian = ab.get('configuration', {}).get('endian', 'little')
        bdt = dt.newbyteorder('<' if endian == 'little' else '>')
        if len(b) != int(np.prod(s)) * bdt.itemsize:
            raise ValueError('chunk has %d bytes, expected %d' % (len(b), int(np.prod(s)) * bdt.itemsize))
        a = np.frombuffer(b, dtype=bdt).reshape(s).astype(dt)
    else:
        a = _decode_shard(b, ab['configuration'], s, dt, fill)
    for c in reversed(aa):
        a = a.transpose(np.argsort(c['configuration']['order']))
    return a


def _decode_shard(b, cfg, shape, dt, fill):
    inner = cfg['chunk_shape']
    grid = [s // c for s, c in zip(shape, inner)]
    n = int(np.prod(grid))
    idx_size = 16 * n + sum(4 for c in cfg['index_codecs'] if c['name'] == 'crc32c')
    if cfg.get('index_location', 'end') == 'start':
        idx_raw = b[:idx_size]
    else:
        idx_raw = b[len(b) - idx_size:]
    index = _decode(idx_raw, cfg['index_codecs'], grid + [2], np.dtype('u8'), 0)
    out = np.full(shape, fill, dtype=dt)
    for ij in np.ndindex(*grid):
        off, nb = (int(x) for x in index[ij])
        if off == EMPTY and nb == EMPTY:
            continue
        if off + nb > len(b):
            raise ValueError('shard index points past end')
        sub = _decode(b[off:off + nb], cfg['codecs'], inner, dt, fill)
        out[tuple(slice(i * c, (i + 1) * c) for i, c in zip(ij, inner))] = sub
    return out


def read_v3(apath):
    with open(os.path.join(apath, 'zarr.json')) as f:
        m = json.load(f)
    assert m['zarr_format'] == 3 and m['node_type'] == 'array'
    dt = np.dtype(V3_TYPES[m['data_type']])
    shape = m['shape']
    cs = m['chunk_grid']['configuration']['chunk_shape']
    fill = _parse_fill(m['fill_value'], dt)
    enc = m['chunk_key_encoding']
    sep = enc.get('configuration', {}).get('separator', '/' if enc['name'] == 'default' else '.')
    out = np.full(shape, fill, dtype=dt)
    grid = [-(-s // c) for s, c in zip(shape, cs)]
    for ij in np.ndindex(*grid):
        key = sep.join((['c'] if enc['name'] == 'default' else []) + [str(i) for i in ij])
        p = os.path.join(apath, *key.split('/'))
        if not os.path.exists(p):
            continue
        with open(p, 'rb') as f:
            chunk = _decode(f.read(), m['codecs'], cs, dt, fill)
        src = tuple(slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(ij, cs, shape))
        out[src] = chunk[tuple(slice(0, sl.stop - sl.start) for sl in src)]
    return out


# ----------------------------------------------------------------------------------------------
# fixtures
# ----------------------------------------------------------------------------------------------

B = numcodecs.Blosc
BYTES_LE = {'name': 'bytes', 'configuration': {'endian': 'little'}}
BYTES_BE = {'name': 'bytes', 'configuration': {'endian': 'big'}}
BYTES_1 = {'name': 'bytes'}   # single-byte types: zarr-python 3 writes no endian


def gen_v2():
    S1, C1 = (6, 7, 9), (4, 3, 5)
    S2, C2 = (5, 11, 13), (2, 4, 6)
    S3, C3 = (4, 6, 8), (3, 4, 5)
    S4, C4 = (7, 12, 13), (4, 8, 6)   # blosc: chunks >= 128 bytes, else c-blosc always stores verbatim
    v2('v2_f4_raw', '<f4', S1, C1, None, 'raw (compressor null)')
    v2('v2_f4be_zlib', '>f4', S1, C1, numcodecs.Zlib(level=5), 'zlib big endian')
    v2('v2_f8_gzip', '<f8', S3, C3, numcodecs.GZip(level=5), 'gzip (header mtime zeroed)')
    v2('v2_u2_zstd', '<u2', S2, C2, numcodecs.Zstd(level=3), 'zstd')
    v2('v2_i2be_blosc_lz4_shuffle', '>i2', S4, C4, B(cname='lz4', clevel=5, shuffle=B.SHUFFLE),
       'blosc lz4 shuffle big endian')
    v2('v2_u1_blosc_blosclz_noshuffle', '|u1', S4, C4, B(cname='blosclz', clevel=5, shuffle=B.NOSHUFFLE),
       'blosc blosclz noshuffle')
    v2('v2_i1_raw', '|i1', S3, C3, None, 'raw int8')
    v2('v2_i4_blosc_zstd_bitshuffle', '<i4', S4, C4, B(cname='zstd', clevel=5, shuffle=B.BITSHUFFLE),
       'blosc zstd bitshuffle')
    v2('v2_u4_blosc_lz4_bitshuffle', '<u4', S4, C4, B(cname='lz4', clevel=5, shuffle=B.BITSHUFFLE),
       'blosc lz4 bitshuffle')
    v2('v2_i8_zlib', '<i8', S3, C3, numcodecs.Zlib(level=5), 'zlib int64 (values beyond 2^53)')
    v2('v2_f4_blosc_zstd_shuffle', '<f4', S4, C4, B(cname='zstd', clevel=5, shuffle=B.SHUFFLE),
       'blosc zstd shuffle')
    v2('v2_u2_blosc_blosclz_bitshuffle', '<u2', S4, C4, B(cname='blosclz', clevel=5, shuffle=B.BITSHUFFLE),
       'blosc blosclz bitshuffle')
    v2('v2_f4_blosc_lz4_noshuffle', '<f4', S4, C4, B(cname='lz4', clevel=5, shuffle=B.NOSHUFFLE),
       'blosc lz4 noshuffle')
    v2('v2_i2_blosc_zstd_noshuffle', '<i2', S4, C4, B(cname='zstd', clevel=5, shuffle=B.NOSHUFFLE),
       'blosc zstd noshuffle')
    v2('v2_f4_order_f_raw', '<f4', S1, C1, None, 'order F raw', order='F')
    v2('v2_i2be_order_f_zstd', '>i2', S2, C2, numcodecs.Zstd(level=3), 'order F zstd big endian', order='F')
    v2('v2_f8_order_f_blosc', '<f8', S4, C4, B(cname='lz4', clevel=5, shuffle=B.SHUFFLE),
       'order F blosc lz4 shuffle', order='F')
    v2('v2_f4_nested', '<f4', S1, C1, numcodecs.Zlib(level=5), 'dimension_separator / (nested keys) zlib',
       sep='/')
    v2('v2_f4_dotsep', '<f4', S3, C3, numcodecs.Zlib(level=5), 'dimension_separator . written explicitly',
       sep='.')
    # missing chunks: only a sub-region assigned, rest never written
    v2('v2_i2_missing_fill7', '<i2', S2, C2, numcodecs.Zlib(level=5),
       'missing chunks fill_value 7', fill_value=7, region=(slice(0, 2), slice(2, 7), slice(0, 13)))
    v2('v2_f4_missing_fillnan', '<f4', S1, C1, B(cname='lz4', clevel=5, shuffle=B.SHUFFLE),
       'missing chunks fill_value NaN', fill_value=np.nan, region=(slice(1, 4), slice(0, 3), slice(4, 9)))
    v2('v2_f4_fill_null', '<f4', S3, C3, None, 'fill_value null (all chunks written)', fill_value=None)
    v2('v2_group', '<f4', S1, C1, numcodecs.Zstd(level=3), 'group, dataset entry/data zstd',
       group_path='entry/data')
    v2('v2_u2_2d', '<u2', (11, 13), (4, 5), numcodecs.Zlib(level=5), '2-D zlib')
    v2('v2_f4_4d', '<f4', (3, 4, 5, 6), (2, 3, 2, 4), B(cname='lz4', clevel=5, shuffle=B.SHUFFLE),
       '4-D blosc lz4 shuffle')


def shard_cfg(inner, loc, inner_codecs=None):
    return {'name': 'sharding_indexed', 'configuration': {
        'chunk_shape': list(inner),
        'codecs': inner_codecs or [BYTES_LE, {'name': 'zstd', 'configuration': {'level': 3, 'checksum': False}}],
        'index_codecs': [BYTES_LE, {'name': 'crc32c'}],
        'index_location': loc}}


def gen_v3():
    S1, C1 = (6, 7, 9), (4, 3, 5)
    S2, C2 = (5, 11, 13), (2, 4, 6)
    S3, C3 = (4, 6, 8), (3, 4, 5)
    S4, C4 = (7, 12, 13), (4, 8, 6)   # blosc: chunks >= 128 bytes, else c-blosc always stores verbatim
    zstd = {'name': 'zstd', 'configuration': {'level': 3, 'checksum': False}}
    v3('v3_f4_bytes', 'float32', S1, C1, [BYTES_LE], 'bytes little', fill=0.0)
    v3('v3_i2be_bytes', 'int16', S2, C2, [BYTES_BE], 'bytes big endian', fill=0, stored_dtype='>i2')
    v3('v3_f8_gzip', 'float64', S3, C3, [BYTES_LE, {'name': 'gzip', 'configuration': {'level': 5}}],
       'gzip; dimension_names', fill=0.0, dimension_names=['z', 'y', 'x'])
    v3('v3_u2_zstd', 'uint16', S2, C2, [BYTES_LE, zstd], 'zstd', fill=0)
    v3('v3_f4_blosc_lz4_shuffle', 'float32', S4, C4,
       [BYTES_LE, {'name': 'blosc', 'configuration': {'cname': 'lz4', 'clevel': 5, 'shuffle': 'shuffle',
                                                      'typesize': 4, 'blocksize': 0}}],
       'blosc lz4 shuffle', fill=0.0)
    v3('v3_i4_blosc_bitshuffle', 'int32', S4, C4,
       [BYTES_LE, {'name': 'blosc', 'configuration': {'cname': 'zstd', 'clevel': 5, 'shuffle': 'bitshuffle',
                                                      'typesize': 4, 'blocksize': 0}}],
       'blosc zstd bitshuffle', fill=0)
    v3('v3_u2_blosc_noshuffle', 'uint16', S4, C4,
       [BYTES_LE, {'name': 'blosc', 'configuration': {'cname': 'blosclz', 'clevel': 5, 'shuffle': 'noshuffle',
                                                      'typesize': 2, 'blocksize': 0}}],
       'blosc blosclz noshuffle', fill=0)
    v3('v3_f4_crc32c', 'float32', S1, C1, [BYTES_LE, {'name': 'crc32c'}], 'crc32c', fill=0.0)
    v3('v3_u2_transpose', 'uint16', S2, C2,
       [{'name': 'transpose', 'configuration': {'order': [2, 0, 1]}}, BYTES_LE],
       'transpose [2,0,1]', fill=0)
    v3('v3_f4_transpose_gzip', 'float32', S3, C3,
       [{'name': 'transpose', 'configuration': {'order': [1, 2, 0]}}, BYTES_BE,
        {'name': 'gzip', 'configuration': {'level': 5}}],
       'transpose [1,2,0] bytes big gzip', fill=0.0, stored_dtype='>f4')
    v3('v3_u1_bytes', 'uint8', S3, C3, [BYTES_1], 'bytes without configuration (uint8)', fill=0)

    # sharding, index at end; shape (5,11,13), shards (4,6,8), inner (2,3,4).
    # Interior inner chunk [0:2,0:3,0:4] of shard 0/0/0 set to fill -> left out; inner chunks that are
    # pure padding of edge shards are left out too.
    d = make_data('f4', (5, 11, 13), 'v3_f4_sharded_end')
    d[0:2, 0:3, 0:4] = 1.5
    _, _, _, written, skipped = v3('v3_f4_sharded_end', 'float32', (5, 11, 13), (4, 6, 8),
                                   [shard_cfg((2, 3, 4), 'end')],
                                   'sharding_indexed shards 4,6,8 index end, inner bytes+zstd, index bytes+crc32c, empty inner chunks, fill 1.5',
                                   fill=1.5, data=d, inner_chunks=(2, 3, 4))
    # sharding, index at start; one shard entirely fill -> shard file absent
    d = make_data('i2', (6, 8, 9), 'v3_i2_sharded_start')
    v3('v3_i2_sharded_start', 'int16', (6, 8, 9), (4, 4, 6), [shard_cfg((2, 2, 3), 'start')],
       'sharding_indexed shards 4,4,6 index start, inner bytes+zstd, index bytes+crc32c, missing shard, fill -5', fill=-5, data=d,
       region=(slice(0, 6), slice(0, 4), slice(0, 9)), omit_fill_chunks=True, inner_chunks=(2, 2, 3))

    v3('v3_u1_missing_fill7', 'uint8', S2, C2, [BYTES_1, zstd], 'missing chunks fill_value 7', fill=7,
       region=(slice(0, 2), slice(2, 7), slice(0, 13)), omit_fill_chunks=True)
    v3('v3_f8_missing_fillnan', 'float64', S1, C1, [BYTES_LE, {'name': 'gzip', 'configuration': {'level': 5}}],
       'missing chunks fill_value "NaN"', fill=float('nan'),
       region=(slice(1, 4), slice(0, 3), slice(4, 9)), omit_fill_chunks=True)
    v3('v3_i4_v2keys', 'int32', S3, C3, [BYTES_LE], 'chunk_key_encoding v2 separator .', fill=0,
       key_encoding={'name': 'v2', 'configuration': {'separator': '.'}})
    v3('v3_u2_dotkeys', 'uint16', S3, C3, [BYTES_LE], 'chunk_key_encoding default separator . (c.i.j.k)',
       fill=0, key_encoding={'name': 'default', 'configuration': {'separator': '.'}})
    v3('v3_group', 'float32', S1, C1, [BYTES_LE, zstd], 'group, dataset entry/data zstd', fill=0.0,
       group_path='entry/data')
    v3('v3_f4_2d', 'float32', (11, 13), (4, 5), [BYTES_LE, zstd], '2-D zstd', fill=0.0)
    v3('v3_i2_4d', 'int16', (3, 4, 5, 6), (2, 3, 2, 4), [BYTES_LE], '4-D bytes', fill=0)
    return written, skipped


# ----------------------------------------------------------------------------------------------
# damaged fixtures
# ----------------------------------------------------------------------------------------------

def dmg(name, dataset, damage, key, codec):
    damaged.append((name, DAMAGED + '/' + name, dataset, damage, key, codec))


def edit_json(path, fn):
    with open(path) as f:
        m = json.load(f)
    fn(m)
    with open(path, 'w') as f:
        json.dump(m, f, indent=4, sort_keys=True)


def zarr_read_fails(path):
    try:
        zarr.open(path, mode='r')[...]
    except Exception:
        return True
    return False


def gen_damaged():
    base = os.path.join(OUT, DAMAGED)
    os.makedirs(base)
    S, C = (4, 6, 8), (3, 4, 5)

    # (a) zstd chunk with bytes flipped in the middle
    name = 'dmg_v2_zstd_corrupt'
    p, _ = v2(name, '<u2', S, C, numcodecs.Zstd(level=3), '', base=base, record=False)
    key = '0.1.0'
    cp = os.path.join(p, key)
    with open(cp, 'rb') as f:
        orig = f.read()
    # flip bytes around the middle; pick the first (deterministic) position numcodecs rejects
    for delta in range(0, len(orig) // 2 - 4):
        b = bytearray(orig)
        mid = len(orig) // 2 + delta
        for k in range(4):
            b[mid + k] ^= 0xFF
        try:
            numcodecs.Zstd().decode(bytes(b))
        except Exception:
            break
    else:
        raise AssertionError('could not corrupt the zstd chunk detectably')
    with open(cp, 'wb') as f:
        f.write(bytes(b))
    assert zarr_read_fails(p)
    dmg(name, '-', 'corrupt-chunk', key, 'zstd')

    # (b) zlib chunk truncated to half its length
    name = 'dmg_v2_zlib_truncated'
    p, _ = v2(name, '<f4', S, C, numcodecs.Zlib(level=5), '', base=base, record=False)
    key = '1.0.1'
    cp = os.path.join(p, key)
    with open(cp, 'rb') as f:
        orig = f.read()
    with open(cp, 'wb') as f:
        f.write(orig[:len(orig) // 2])
    assert zarr_read_fails(p)
    dmg(name, '-', 'truncated-chunk', key, 'zlib')

    # (c) uncompressed chunk shorter than chunk size * itemsize
    name = 'dmg_v2_raw_short'
    p, _ = v2(name, '<f4', S, C, None, '', base=base, record=False)
    key = '0.0.1'
    cp = os.path.join(p, key)
    with open(cp, 'rb') as f:
        orig = f.read()
    assert len(orig) == int(np.prod(C)) * 4
    with open(cp, 'wb') as f:
        f.write(orig[:(len(orig) // 2) // 4 * 4])
    assert zarr_read_fails(p)
    dmg(name, '-', 'short-chunk', key, '-')

    # (d) unknown compressor id
    name = 'dmg_v2_unknown_compressor'
    p, _ = v2(name, '<f4', S, C, numcodecs.Zlib(level=5), '', base=base, record=False)
    edit_json(os.path.join(p, '.zarray'), lambda m: m.__setitem__('compressor', {'id': 'lzma_unknown', 'level': 5}))
    assert zarr_read_fails(p)
    dmg(name, '-', 'unknown-codec', '-', 'lzma_unknown')

    # (e) complex dtype (a genuine complex64 array written by zarr)
    name = 'dmg_v2_complex'
    p = os.path.join(base, name)
    z = zarr.open(p, mode='w', shape=S, chunks=C, dtype='<c8', compressor=None)
    rng = np.random.default_rng(seed_of(name))
    z[...] = (rng.normal(size=S) + 1j * rng.normal(size=S)).astype('<c8')
    dmg(name, '-', 'unsupported-dtype', '-', '<c8')

    # (f) v3 crc32c with one data byte flipped
    name = 'dmg_v3_crc32c_mismatch'
    _, ap, _, _, _ = v3(name, 'float32', S, C, [BYTES_LE, {'name': 'crc32c'}], '', fill=0.0,
                        base=base, record=False)
    key = 'c/0/1/0'
    cp = os.path.join(ap, *key.split('/'))
    with open(cp, 'rb') as f:
        b = bytearray(f.read())
    b[len(b) // 3] ^= 0x01
    with open(cp, 'wb') as f:
        f.write(bytes(b))
    try:
        read_v3(ap)
        raise AssertionError('crc32c damage not detected')
    except ValueError:
        pass
    dmg(name, '-', 'checksum', key, 'crc32c')

    # (g) v3 unknown codec name
    name = 'dmg_v3_unknown_codec'
    _, ap, _, _, _ = v3(name, 'float32', S, C, [BYTES_LE, {'name': 'gzip', 'configuration': {'level': 5}}],
                        '', fill=0.0, base=base, record=False)

    def frob(m):
        m['codecs'][1] = {'name': 'frobnicate', 'configuration': {'level': 5}}
    with open(os.path.join(ap, 'zarr.json')) as f:
        m = json.load(f)
    frob(m)
    with open(os.path.join(ap, 'zarr.json'), 'w') as f:
        json.dump(m, f, indent=2)
    dmg(name, '-', 'unknown-v3-codec', '-', 'frobnicate')

    # (h) v2 filter (delta) -- genuine zarr output, valid data; a reader may not support filters
    name = 'dmg_v2_delta_filter'
    # integer-valued floats so that delta encoding round-trips exactly
    ints = np.random.default_rng(seed_of(name)).integers(-1000, 1000, size=S).astype('<f4')
    p, back = v2(name, '<f4', S, C, numcodecs.Zlib(level=5), '', filters=[numcodecs.Delta(dtype='<f4')],
                 data=ints, base=base, record=False)
    save_npy(os.path.join(base, name + '.expected.npy'), le(back))
    dmg(name, '-', 'unsupported-filter', '-', 'delta')

    # (i) not a zarr container: no .zarray / .zgroup / zarr.json (a placeholder file so that git and
    # Maven keep the directory)
    name = 'dmg_not_zarr'
    p = os.path.join(base, name)
    os.makedirs(p)
    with open(os.path.join(p, 'not-a-zarr.txt'), 'w') as f:
        f.write('This directory intentionally holds no .zarray, .zgroup or zarr.json.\n')
    dmg(name, '-', 'not-zarr', '-', '-')

    # (j) group without the requested dataset entry/data (it holds entry/other instead)
    name = 'dmg_v2_group_no_dataset'
    v2(name, '<f4', S, C, None, '', group_path='entry/other', base=base, record=False)
    g = zarr.open_group(os.path.join(base, name), mode='r')
    assert 'entry/data' not in g
    dmg(name, 'entry/data', 'no-dataset', '-', '-')


# ----------------------------------------------------------------------------------------------

def write_tsv(fn, header, rows):
    with open(os.path.join(OUT, fn), 'w', newline='\n') as f:
        f.write('#' + '\t'.join(header) + '\n')
        for r in rows:
            f.write('\t'.join(str(x) for x in r) + '\n')


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    gen_v2()
    written, skipped = gen_v3()
    gen_damaged()
    names = [r[0] for r in fixtures] + [r[0] for r in damaged]
    assert len(names) == len(set(names)), 'duplicate fixture names'
    write_tsv('fixtures.tsv', ['name', 'path', 'dataset', 'format', 'dtype', 'shape', 'chunks', 'note'],
              fixtures)
    write_tsv('damaged.tsv', ['name', 'path', 'dataset', 'damage', 'chunk_key', 'codec_or_dtype'], damaged)
    total, nfiles = 0, 0
    for dirpath, _, files in os.walk(OUT):
        for fn in files:
            total += os.path.getsize(os.path.join(dirpath, fn))
            nfiles += 1
    n2 = sum(1 for r in fixtures if r[3] == 2)
    print('zarr fixtures: %d valid (%d v2, %d v3), %d damaged; %d files, %d bytes in %s'
          % (len(fixtures), n2, len(fixtures) - n2, len(damaged), nfiles, total, os.path.relpath(OUT, ROOT)))
    print('blosc chunks (compressed/verbatim): ' + ', '.join('%s %d/%d' % (k, c, v) for k, (c, v) in blosc_stats.items()))
    print('zarr %s, numcodecs %s, numpy %s' % (zarr.__version__, numcodecs.__version__, np.__version__))


if __name__ == '__main__':
    sys.exit(main())
