package dev.penumbra.formats;

import dev.penumbra.engine.Engine;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Madvise;
import dev.penumbra.volume.Source;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.Widen;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A chunked array ({@link ChunkStore}: Zarr, chunked HDF5, TIFF stacks) as the engine's
 * {@link Source}: each run along the last axis is served from the decoded chunks it crosses. A chunk is decoded once, by the first thread that needs it (others
 * wait for it), into off-heap memory, and kept in a cache of decoded chunks bounded by
 * {@code budget} bytes (least recently used first out, never one being read); chunks that were
 * never written read as the fill value without being stored. {@link #decodedChunks()} against
 * {@link #chunkCount()} says whether any chunk was decoded twice.
 */
public final class ChunkedSource implements Source, AutoCloseable {
    private final ChunkStore array;
    private final long[] grid;
    private final long budget;
    private final int rank;
    private final long[] chunk;
    private final long[] shape;
    private final LinkedHashMap<Long, Entry> cache = new LinkedHashMap<>(64, 0.75f, true);
    private final Map<Long, CompletableFuture<Entry>> loading = new HashMap<>();
    private long cachedBytes;
    private final AtomicLong decoded = new AtomicLong();
    private final AtomicLong decodeNanos = new AtomicLong();
    private final Arena fillArena = Arena.ofShared();
    private volatile Volume fillUnit;
    private boolean closed;

    private final ChunkBuffers buffers;
    /** A chunk's stored (compressed) bytes, read here before they are decoded. */
    private final ChunkBuffers staging;

    private static final class Entry {
        final MemorySegment buffer;
        final Volume unit;
        final long bytes;
        int users;

        Entry(MemorySegment buffer, Volume unit, long bytes) {
            this.buffer = buffer;
            this.unit = unit;
            this.bytes = bytes;
        }
    }

    private ChunkedSource(ChunkStore array, long budget) {
        this.array = array;
        this.budget = budget;
        this.rank = array.shape().length;
        this.chunk = array.chunks();
        this.shape = array.shape();
        this.grid = ChunkRuns.grid(shape, chunk);
        this.buffers = new ChunkBuffers(array.unitBytes());
        this.staging = new ChunkBuffers(array.unitBytes() + array.unitBytes() / 64 + 4096);
    }

    /**
     * Reads {@code a} with a cache of decoded chunks as large as the array when that is at most an
     * eighth of the memory; else as large as a stream needs to decode every chunk once — two layers
     * of chunks across the axis the engine streams (a slab with its halo crosses at most two when
     * the halo is shorter than a chunk) — at least 256 MiB and at most half the memory. The system
     * property {@code penumbra.chunkCacheBytes} sets the budget.
     */
    public static ChunkedSource of(ChunkStore a) {
        long[] grid = ChunkRuns.grid(a.shape(), a.chunks());
        long all = a.unitBytes();
        for (long g : grid) {
            all = Math.multiplyHigh(all, g) != 0 ? Long.MAX_VALUE : all * g;
        }
        long memory = Madvise.physicalMemory();
        // small beside the memory: all of it (decoded ahead, prefetch()); else what a stream holds,
        // so that a 6 GiB array neither fills 24 GiB (7.6 GB resident, 83 s) nor thrashes in 3 GiB
        long budget = all <= memory / 8 ? all : Math.min(all, Math.max(256L << 20, Math.min(memory / 2,
                streamWindowBytes(a, grid))));
        String set = System.getProperty("penumbra.chunkCacheBytes");
        if (set != null) {
            budget = Long.parseLong(set.trim());
        }
        return new ChunkedSource(a, budget);
    }

    /**
     * Two layers of chunks across the axis a stream runs along ({@link Engine#streamAxis}), and one
     * chunk more: what a stream holds at a layer boundary.
     */
    static long streamWindowBytes(ChunkStore a, long[] grid) {
        long[] shape = a.shape();
        if (shape.length < 2) {
            return a.unitBytes();
        }
        int axis = Engine.streamAxis(shape);
        long layer = a.unitBytes();
        for (int d = 0; d < grid.length; d++) {
            if (d != axis) {
                layer = Math.multiplyHigh(layer, grid[d]) != 0 ? Long.MAX_VALUE / 4 : layer * grid[d];
            }
        }
        return 2 * layer + a.unitBytes();
    }

    /** The array read. */
    public ChunkStore store() {
        return array;
    }

    @Override
    public DType dtype() {
        return array.dtype();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A scattered row costs its whole chunk's decoding. */
    @Override
    public boolean costlyToSample() {
        return true;
    }

    /** Chunks decoded so far (a chunk decoded twice counts twice). */
    public long decodedChunks() {
        return decoded.get();
    }

    /** Chunks (inner chunks of a sharded array) in the array, stored or not. */
    public long chunkCount() {
        return ChunkRuns.count(grid);
    }

    /** Time spent reading and decoding chunks, summed over threads. */
    public long decodeNanos() {
        return decodeNanos.get();
    }

    @Override
    public void read(long[] at, int count, double[] dst, int dstPos) {
        read(at, count, dst, dstPos, (Widen) null);
    }

    @Override
    public void readFloat(long[] at, int count, float[] dst, int dstPos) {
        readFloat(at, count, dst, dstPos, (Widen) null);
    }

    @Override
    public void read(long[] at, int count, double[] dst, int dstPos, Widen widen) {
        run(at, count, (unit, local, n, off) -> unit.read(local, n, dst, dstPos + off, widen));
    }

    @Override
    public void readFloat(long[] at, int count, float[] dst, int dstPos, Widen widen) {
        run(at, count, (unit, local, n, off) -> unit.readFloat(local, n, dst, dstPos + off, widen));
    }

    private interface Piece {
        void copy(Volume unit, long[] local, int n, int off);
    }

    /** Splits a run along the last axis at chunk borders and copies each piece from its chunk. */
    private void run(long[] at, int count, Piece piece) {
        if (!prefetching.get() && prefetching.compareAndSet(false, true)) {
            prefetch();
        }
        ChunkRuns.split(at, count, chunk, (u, local, n, off) -> {
            Entry e = acquire(u);
            try {
                piece.copy(e.unit == null ? fill() : e.unit, local, n, off);
            } finally {
                release(e);
            }
        });
    }

    private final java.util.concurrent.atomic.AtomicBoolean prefetching = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * When every chunk the run reads fits the cache, decodes them all ahead of the readers, one thread per core,
     * in key order: a stream's first slab often crosses every chunk (along axis 0 through chunks
     * deeper than the slab), and its readers would otherwise wait for one chunk after another.
     * Failures are left to the reader that needs the chunk (it decodes it again and reports).
     */
    private void prefetch() {
        long[] lo;
        long[] hi;
        synchronized (this) {
            lo = readLo;
            hi = readHi;
        }
        // the chunks the run may read: all, or those crossing the box it said it reads within
        long[] first = new long[rank];
        long[] span = grid.clone();
        if (lo != null) {
            for (int a = 0; a < rank; a++) {
                first[a] = lo[a] / chunk[a];
                span[a] = hi[a] <= lo[a] ? 0 : (hi[a] - 1) / chunk[a] + 1 - first[a];
            }
        }
        long units = ChunkRuns.count(span);
        if (units < 2 || units * array.unitBytes() > budget) {
            return;
        }
        java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
        int workers = (int) Math.min(units, Runtime.getRuntime().availableProcessors());
        for (int w = 0; w < workers; w++) {
            Thread t = new Thread(() -> {
                long i;
                while ((i = next.getAndIncrement()) < units) {
                    long[] u = ChunkRuns.coordinates(i, span);
                    for (int a = 0; a < rank; a++) {
                        u[a] += first[a];
                    }
                    try {
                        release(acquire(u));
                    } catch (RuntimeException e) {
                        if (closedNow()) {
                            return;
                        }
                    }
                }
            }, "penumbra-zarr-prefetch-" + w);
            t.setDaemon(true);
            t.start();
        }
    }

    private long[] readLo;
    private long[] readHi;

    /** Prefetching (on the first read after this) covers only the chunks crossing {@code [lo, hi)}. */
    @Override
    public synchronized void runReadsWithin(long[] lo, long[] hi) {
        readLo = lo.clone();
        readHi = hi.clone();
        prefetching.set(false); // a new run: prefetch for it
    }

    private synchronized boolean closedNow() {
        return closed;
    }

    private Volume fill() {
        Volume f = fillUnit;
        if (f == null) {
            synchronized (fillArena) {
                f = fillUnit;
                if (f == null) {
                    fillUnit = f = array.fillUnit(fillArena);
                }
            }
        }
        return f;
    }

    /** The decoded unit at grid coordinates {@code u} (in use until released; its unit null: the fill value). */
    private Entry acquire(long[] u) {
        long key = ChunkRuns.index(u, grid);
        while (true) {
            CompletableFuture<Entry> f;
            boolean mine = false;
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException("the Zarr source is closed");
                }
                Entry e = cache.get(key);
                if (e != null) {
                    e.users++;
                    return e;
                }
                f = loading.get(key);
                if (f == null) {
                    f = new CompletableFuture<>();
                    loading.put(key, f);
                    mine = true;
                }
            }
            if (mine) {
                return load(key, u.clone(), f);
            }
            Entry e;
            try {
                e = f.join();
            } catch (CompletionException x) {
                throw x.getCause() instanceof RuntimeException r ? r : x;
            }
            synchronized (this) {
                if (cache.get(key) == e) {
                    e.users++;
                    return e;
                }
            }
            // evicted between its loading and this reader: load it again
        }
    }

    private Entry load(long key, long[] u, CompletableFuture<Entry> f) {
        long t0 = System.nanoTime();
        MemorySegment buf = buffers.take();
        MemorySegment stage = staging.take();
        Entry e;
        try {
            Volume unit = array.readUnit(u, buf, stage);
            if (unit == null) {
                // not stored: the fill value, remembered so that the file is looked for once
                buffers.give(buf);
                e = new Entry(null, null, 0);
            } else {
                e = new Entry(buf, unit, array.unitBytes());
            }
        } catch (RuntimeException x) {
            buffers.give(buf);
            synchronized (this) {
                loading.remove(key);
            }
            f.completeExceptionally(x);
            throw x;
        } finally {
            staging.give(stage);
            decodeNanos.addAndGet(System.nanoTime() - t0);
        }
        decoded.incrementAndGet();
        synchronized (this) {
            loading.remove(key);
            e.users++;
            cache.put(key, e);
            cachedBytes += e.bytes;
            evict();
        }
        f.complete(e);
        return e;
    }

    /** Drops least recently used chunks no one is reading while the cache is over budget. */
    private void evict() {
        Iterator<Entry> it = cache.values().iterator();
        while (cachedBytes > budget && it.hasNext()) {
            Entry e = it.next();
            if (e.users == 0) {
                it.remove();
                cachedBytes -= e.bytes;
                if (e.buffer != null) {
                    buffers.give(e.buffer);
                }
            }
        }
    }

    private void release(Entry e) {
        synchronized (this) {
            e.users--;
            if (e.users == 0 && cachedBytes > budget) {
                evict();
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        cache.clear();
        buffers.close();
        staging.close();
        array.close();
        cachedBytes = 0;
        fillArena.close();
    }

    @Override
    public String toString() {
        return array.describe();
    }
}
