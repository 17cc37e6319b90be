"""Zarr through penumbra.filter_file against zarr-python (Debian's 2.13, v2) and scipy.ndimage."""
import os

import numpy as np
import pytest
import scipy.ndimage as sndi

zarr = pytest.importorskip("zarr")
numcodecs = pytest.importorskip("numcodecs")

import penumbra  # noqa: E402


def assert_close(got, ref):
    assert got.dtype == ref.dtype and got.shape == ref.shape
    bound = 1e-5 * np.maximum(1, np.abs(ref.astype(np.float64)))
    assert np.all(np.abs(got.astype(np.float64) - ref) <= bound)


@pytest.fixture
def volume():
    rng = np.random.default_rng(5)
    return sndi.gaussian_filter(rng.standard_normal((17, 23, 29)), 1).astype(np.float32)


@pytest.mark.parametrize("compressor", [None, numcodecs.Zstd(level=1), numcodecs.Zlib(level=4),
                                        numcodecs.Blosc("lz4", 5, numcodecs.Blosc.BITSHUFFLE)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_zarr_python_writes_penumbra_filters_zarr_python_reads(tmp_path, volume, compressor, order):
    src = str(tmp_path / "in.zarr")
    z = zarr.open(src, mode="w", shape=volume.shape, chunks=(5, 8, 10), dtype="<f4", compressor=compressor,
                  order=order)
    z[...] = volume
    out = str(tmp_path / "out.zarr")
    penumbra.filter_file("gaussian", src, out, sigma=2.0, zarr_format=2)
    back = zarr.open(out, mode="r")
    assert back.chunks == (5, 8, 10)
    assert back.compressor.codec_id == "zstd"
    assert_close(back[...], sndi.gaussian_filter(volume, 2.0))


def test_v3_output_reads_back_and_v2_blosc_for_zarr_python(tmp_path, volume):
    np.save(tmp_path / "in.npy", volume)
    v3 = str(tmp_path / "v3.zarr")
    penumbra.filter_file("sobel", str(tmp_path / "in.npy"), v3, axis=0, out_chunks=(4, 16, 16))
    assert os.path.isfile(os.path.join(v3, "zarr.json")) and os.path.isdir(os.path.join(v3, "c"))
    # Penumbra reads its v3 output back (size-1 uniform is scipy's copy) and writes v2 blosc for zarr-python
    v2 = str(tmp_path / "v2.zarr")
    penumbra.filter_file("uniform", v3, v2, size=1, zarr_format=2, compressor="blosc-lz4:5")
    back = zarr.open(v2, mode="r")
    assert back.chunks == (4, 16, 16) and back.compressor.codec_id == "blosc"
    assert_close(back[...], sndi.sobel(volume, axis=0))


def read_sharded_v3(path):
    """An independent reader of the v3 spec's sharding_indexed (index at the end, then its crc32c), zstd
    inner chunks, C order: numpy and numcodecs only."""
    import itertools
    import json
    meta = json.load(open(os.path.join(path, "zarr.json")))
    shape = meta["shape"]
    shard = meta["chunk_grid"]["configuration"]["chunk_shape"]
    (sh,) = meta["codecs"]
    cfg = sh["configuration"]
    assert sh["name"] == "sharding_indexed" and cfg["index_location"] == "end"
    assert [c["name"] for c in cfg["index_codecs"]] == ["bytes", "crc32c"]
    inner = cfg["chunk_shape"]
    names = [c["name"] for c in cfg["codecs"]]
    assert names == ["bytes", "zstd"]
    per = [s // c for s, c in zip(shard, inner)]
    dt = np.dtype(meta["data_type"]).newbyteorder("<")
    out = np.zeros(shape, dt)
    grid = [-(-n // s) for n, s in zip(shape, shard)]
    zstd = numcodecs.Zstd()
    for sc in itertools.product(*map(range, grid)):
        data = open(os.path.join(path, "c", *map(str, sc)), "rb").read()
        n = int(np.prod(per))
        index = np.frombuffer(data[len(data) - 16 * n - 4:len(data) - 4], "<u8").reshape(n, 2)
        for i, ic in enumerate(itertools.product(*map(range, per))):
            off, nb = index[i]
            lo = [s * sh_ + c * k for s, sh_, c, k in zip(sc, shard, ic, inner)]
            if off == 2 ** 64 - 1:
                assert any(x >= e for x, e in zip(lo, shape)), "a chunk inside the array is missing"
                continue
            chunk = np.frombuffer(zstd.decode(data[off:off + nb]), dt).reshape(inner)
            box = tuple(slice(x, min(x + k, e)) for x, k, e in zip(lo, inner, shape))
            out[box] = chunk[tuple(slice(0, b.stop - b.start) for b in box)]
    return out


def test_sharded_v3_output_follows_the_spec(tmp_path, volume):
    np.save(tmp_path / "in.npy", volume)
    out = str(tmp_path / "sharded.zarr")
    penumbra.filter_file("gaussian", str(tmp_path / "in.npy"), out, sigma=1.5, out_chunks=(4, 8, 8),
                         shards=(8, 16, 16))
    assert_close(read_sharded_v3(out), sndi.gaussian_filter(volume, 1.5))
    with pytest.raises(ValueError, match="shards: Zarr v2 has no shards"):
        penumbra.filter_file("gaussian", str(tmp_path / "in.npy"), str(tmp_path / "v2.zarr"), sigma=1.5,
                             zarr_format=2, shards=(8, 16, 16))
    assert not os.path.exists(tmp_path / "v2.zarr")


def test_group_dataset_and_same_dtype(tmp_path):
    rng = np.random.default_rng(6)
    data = rng.integers(0, 4000, (9, 12, 14)).astype(np.uint16)
    g = zarr.open_group(str(tmp_path / "scan.zarr"), mode="w")
    g.create_dataset("entry/data", data=data, chunks=(4, 5, 6))
    out = str(tmp_path / "out.zarr")
    penumbra.filter_file("gaussian", str(tmp_path / "scan.zarr"), out, sigma=1.5, dataset="entry/data",
                         output_dtype="same", zarr_format=2)
    np.testing.assert_array_equal(zarr.open(out, mode="r")[...], sndi.gaussian_filter(data, 1.5))
    with pytest.raises(ValueError, match="name an array in it with --dataset.*entry/data"):
        penumbra.filter_file("gaussian", str(tmp_path / "scan.zarr"), str(tmp_path / "o2.zarr"), sigma=1.0)


def test_damaged_chunk_names_it_and_leaves_nothing(tmp_path, volume):
    src = str(tmp_path / "in.zarr")
    z = zarr.open(src, mode="w", shape=volume.shape, chunks=(5, 8, 10), dtype="<f4",
                  compressor=numcodecs.Zstd(level=1))
    z[...] = volume
    chunk = os.path.join(src, "1.1.1")
    with open(chunk, "r+b") as f:
        f.truncate(os.path.getsize(chunk) // 2)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError, match=r"zarr chunk .*1\.1\.1: zstd"):
        penumbra.filter_file("gaussian", src, str(out / "r.zarr"), sigma=1.0)
    assert os.listdir(out) == []
