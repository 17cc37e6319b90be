package dev.penumbra.zarr;

import dev.penumbra.OutputException;
import dev.penumbra.formats.ChunkBuffers;
import dev.penumbra.formats.ChunkRuns;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.OutputFile;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Volume;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A new Zarr array as the engine's {@link Sink}, written chunk by chunk while the run goes on: a
 * chunk's values gather in off-heap memory, and the thread whose write completes a chunk encodes it
 * and writes it to a temporary file that it then renames to the chunk's key — each chunk has one
 * writer, and no reader ever sees a partial chunk. Everything goes into a private folder beside the
 * target ({@value OutputFile#TEMP_PREFIX}...); {@link #commit} checks that every chunk was written
 * whole, writes the metadata last and only then renames the folder into place (replacing an
 * existing Zarr array only now, when the new one is complete). A run that fails or is killed leaves
 * no array at the target: at most the temporary folder, whose name says what it is, and which holds
 * no metadata until the very end.
 *
 * <p>Completed chunks are encoded by a pool of encoder threads (one a core) while the engine's
 * threads go on computing; when twice as many chunks as cores wait, the completing thread encodes
 * its own. An encoder's failure stops the run at its next write. A sharded array ({@code
 * sharding_indexed}, v3) keeps each shard's encoded inner chunks until its last one is in, and the
 * encoder that adds it writes the shard — one writer a shard, as a chunk has one.
 *
 * <p>A run that is redone (the float path's bound failing) writes every chunk again: the first
 * round's chunks are all stored before the second begins ({@link #beforeRewrite}), so the last
 * round's bytes are the ones kept.
 */
public final class ZarrSink implements Sink, AutoCloseable {
    private final Path target;
    private final Path tmpDir;
    private final ZarrArray array;
    private final boolean durable;
    /** Forces the chunk files of a durable output while the run goes on (null otherwise). */
    private final FileSyncer syncer;
    private final int rank;
    private final ConcurrentHashMap<Long, Slot> slots = new ConcurrentHashMap<>();
    private final AtomicLong encodeNanos = new AtomicLong();
    private final AtomicLong storedBytes = new AtomicLong();
    private final AtomicLong chunkWrites = new AtomicLong();
    private boolean committed;
    /** Encoders of completed chunks, so that the engine's threads go on computing; null: encode inline. */
    private final ExecutorService encoders;
    private final int maxPending;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile RuntimeException failure;
    /** The shards of a sharded array being assembled, by shard index. */
    private final ConcurrentHashMap<Long, Shard> shards = new ConcurrentHashMap<>();
    private final ChunkBuffers buffers;
    /** Encoding scratch: two stages of a chunk's worst-case encoded size (zstd's bound, a checksum). */
    private final ChunkBuffers scratch;

    private static final class Slot {
        final long[] u;
        final long valid;
        final AtomicLong written = new AtomicLong();
        MemorySegment buffer;
        Volume unit;
        volatile boolean stored;

        Slot(long[] u, long valid) {
            this.u = u;
            this.valid = valid;
        }
    }

    /** A shard's encoded inner chunks, gathered until the last one is in; then one writer writes the shard. */
    private static final class Shard {
        final byte[][] parts;
        final int expected;
        final AtomicInteger done = new AtomicInteger();

        Shard(int inner, int expected) {
            this.parts = new byte[inner][];
            this.expected = expected;
        }
    }

    /** False for a sink attached to another process's temporary folder: it never removes or commits it. */
    private final boolean owner;

    private ZarrSink(Path target, Path tmpDir, ZarrArray array, boolean durable) {
        this(target, tmpDir, array, durable, true);
    }

    private ZarrSink(Path target, Path tmpDir, ZarrArray array, boolean durable, boolean owner) {
        this.owner = owner;
        int cores = Runtime.getRuntime().availableProcessors();
        this.encoders = cores < 2 ? null : Executors.newFixedThreadPool(cores, r -> {
            Thread t = new Thread(r, "penumbra-zarr-encode");
            t.setDaemon(true);
            return t;
        });
        this.maxPending = 2 * cores;
        this.target = target;
        this.tmpDir = tmpDir;
        this.array = array;
        this.durable = durable;
        this.syncer = durable ? new FileSyncer("output " + target) : null;
        this.rank = array.shape.length;
        this.buffers = new ChunkBuffers(array.unitBytes());
        this.scratch = new ChunkBuffers(2 * (array.unitBytes() + array.unitBytes() / 128 + 4096));
    }

    /**
     * Starts a Zarr array for {@code target}: {@code format} 2 or 3, {@code chunks} per axis, {@code
     * codec} one of {@link Codecs#parse}'s (null: uncompressed); {@code durable}: every file forced
     * to disk before the array appears. An existing target must be a Zarr array or group (it is
     * replaced only by a complete result); anything else there is refused.
     */
    public static ZarrSink create(Path target, int format, DType dtype, long[] shape, long[] chunks, String compressor,
                                  boolean durable) {
        return create(target, format, dtype, shape, chunks, null, compressor, durable);
    }

    /**
     * {@link #create(Path, int, DType, long[], long[], String, boolean)} with {@code shards} (null:
     * none): a v3 array of shards of that shape, each holding inner chunks of {@code chunks}
     * ({@code sharding_indexed}, index at the end with a crc32c); a shard is written once, whole, by
     * the thread that encodes its last inner chunk.
     */
    public static ZarrSink create(Path target, int format, DType dtype, long[] shape, long[] chunks, long[] shards,
                                  String compressor, boolean durable) {
        BytesCodec codec = compressor == null ? new Codecs.ZstdCodec(3) : Codecs.parse(compressor, format, dtype.size());
        ZarrArray a = ZarrArray.forWriting(target, format, dtype, shape, chunks, shards, codec);
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new OutputException("output " + target + ": the folder " + parent + " does not exist");
        }
        if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS) && !ZarrArray.isZarr(abs)) {
            throw new OutputException("output " + target + " exists and is not a Zarr array: not replaced (remove it"
                    + " or choose another name)");
        }
        Path tmp = parent.resolve(OutputFile.TEMP_PREFIX + abs.getFileName() + "-" + random());
        try {
            Files.createDirectory(tmp);
        } catch (IOException e) {
            throw new OutputException("output " + target + ": cannot create " + tmp + " (" + e.getMessage() + ")", e);
        }
        return new ZarrSink(abs, tmp, a.in(tmp), durable);
    }

    /**
     * A sink writing chunks into the temporary folder of a sink created elsewhere (a Spark driver's,
     * {@link #tempDir}), described by the same arguments: for executors that each write their own
     * chunks (or shards), which the creator then commits with {@link #commitStoredElsewhere}.
     * Closing it never removes the folder.
     */
    public static ZarrSink attach(Path tmpDir, int format, DType dtype, long[] shape, long[] chunks, long[] shards,
                                  String compressor, boolean durable) {
        if (!Files.isDirectory(tmpDir)) {
            throw new OutputException("output: the temporary folder " + tmpDir + " is gone (was the run stopped?)");
        }
        BytesCodec codec = compressor == null ? new Codecs.ZstdCodec(3) : Codecs.parse(compressor, format, dtype.size());
        ZarrArray a = ZarrArray.forWriting(tmpDir, format, dtype, shape, chunks, shards, codec);
        return new ZarrSink(tmpDir, tmpDir, a, durable, false);
    }

    /** The private folder the array is written into until {@link #commit}. */
    public Path tempDir() {
        return tmpDir;
    }

    private static String random() {
        byte[] b = new byte[6];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    @Override
    public DType dtype() {
        return array.dtype;
    }

    @Override
    public long[] shape() {
        return array.shape.clone();
    }

    /** The array being written. */
    public ZarrArray array() {
        return array;
    }

    /** Time spent encoding and writing chunks, summed over threads. */
    public long encodeNanos() {
        return encodeNanos.get();
    }

    /** Bytes of the chunk (shard) files written, summed over rounds (a redone run writes each again). */
    public long storedBytes() {
        return storedBytes.get();
    }

    /** Chunk files written (a redone run writes each again). */
    public long chunkWrites() {
        return chunkWrites.get();
    }

    @Override
    public void write(long[] at, int count, double[] src, int srcPos) {
        run(at, count, (unit, local, n, off) -> unit.write(local, n, src, srcPos + off));
    }

    @Override
    public void writeFloat(long[] at, int count, float[] src, int srcPos) {
        run(at, count, (unit, local, n, off) -> unit.writeFloat(local, n, src, srcPos + off));
    }

    private interface Piece {
        void copy(Volume unit, long[] local, int n, int off);
    }

    private void run(long[] at, int count, Piece piece) {
        RuntimeException f = failure;
        if (f != null) {
            throw new OutputException(f.getMessage(), f);
        }
        ChunkRuns.split(at, count, array.chunk, (u, local, n, off) -> {
            Slot s = slot(u);
            Volume unit;
            synchronized (s) {
                if (s.unit == null) {
                    s.buffer = buffers.take().asSlice(0, array.unitBytes());
                    if (s.valid < array.unitElements()) {
                        s.buffer.fill((byte) 0); // an edge chunk's padding: the fill value, 0
                    }
                    s.unit = Volume.wrap(s.buffer, array.dtype, array.order, array.chunk, array.unitStrides, 0);
                }
                unit = s.unit;
            }
            piece.copy(unit, local, n, off);
            if (s.written.addAndGet(n) % s.valid == 0) {
                complete(s);
            }
        });
    }

    private Slot slot(long[] u) {
        long key = array.index(u);
        Slot s = slots.get(key);
        if (s != null) {
            return s;
        }
        long valid = 1;
        for (int a = 0; a < rank; a++) {
            valid *= Math.min(array.chunk[a], array.shape[a] - u[a] * array.chunk[a]);
        }
        long v = valid;
        return slots.computeIfAbsent(key, k -> new Slot(u.clone(), v));
    }

    /**
     * Hands a complete chunk to an encoder, or encodes it here when as many are waiting as there are
     * cores twice over (their buffers are memory the run holds).
     */
    private void complete(Slot s) {
        s.stored = false; // this round's bytes are not stored yet (a redone run completes each chunk again)
        if (encoders == null || pending.get() >= maxPending) {
            storeOrFail(s, true);
            return;
        }
        pending.incrementAndGet();
        try {
            encoders.execute(() -> {
                try {
                    storeOrFail(s, false);
                } finally {
                    finishedOne();
                }
            });
        } catch (RuntimeException rejected) {
            finishedOne();
            storeOrFail(s, true);
        }
    }

    private void finishedOne() {
        synchronized (pending) {
            if (pending.decrementAndGet() == 0) {
                pending.notifyAll();
            }
        }
    }

    /** Stores a chunk; any failure (an Error too) is remembered, and rethrown when {@code rethrow}. */
    private void storeOrFail(Slot s, boolean rethrow) {
        try {
            store(s);
        } catch (RuntimeException e) {
            fail(e);
            if (rethrow) {
                throw e;
            }
        } catch (Error e) {
            OutputException x = new OutputException("output " + target + ": storing chunk " + array.key(s.u)
                    + " failed (" + e + ")", e);
            fail(x);
            if (rethrow) {
                throw x;
            }
        }
    }

    @Override
    public void beforeRewrite() {
        drain(true);
    }

    /**
     * Waits until every chunk completed so far is stored (and, for a durable output, forced to the
     * disk); throws an encoder's failure.
     */
    public void awaitStored() {
        drain(true);
        awaitForced();
    }

    /** Waits until the syncer has forced every chunk file written so far; its failure thrown. */
    private void awaitForced() {
        if (syncer != null) {
            try {
                syncer.await();
            } catch (IOException e) {
                throw new OutputException("output " + target + ": forcing a chunk file to the disk failed ("
                        + e.getMessage() + ")", e);
            }
        }
    }

    /** Remembers the first chunk that could not be stored: every later write and the commit throw it. */
    private void fail(RuntimeException e) {
        synchronized (pending) {
            if (failure == null) {
                failure = e;
            }
        }
    }

    /** Waits until no chunk is being encoded; rethrows the first encoder's failure. */
    private void drain(boolean rethrow) {
        synchronized (pending) {
            boolean interrupted = false;
            while (pending.get() > 0) {
                try {
                    pending.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the chunks in hand finish: their buffers must not be freed under them
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        RuntimeException f = failure;
        if (rethrow && f != null) {
            throw f;
        }
    }

    /** Encodes a complete chunk and writes it under its key (temporary file, then rename); frees it. */
    private void store(Slot s) {
        long t0 = System.nanoTime();
        MemorySegment buffer;
        synchronized (s) {
            buffer = s.buffer;
            s.buffer = null;
            s.unit = null;
        }
        MemorySegment work = scratch.take();
        String key = array.key(array.sharding == null ? s.u : array.shardOf(s.u));
        try {
            MemorySegment bytes = array.encode(buffer, SegmentAllocator.slicingAllocator(work));
            if (array.sharding == null) {
                writeFile(key, bytes.asByteBuffer());
            } else {
                addToShard(s.u, bytes.toArray(ValueLayout.JAVA_BYTE));
            }
            s.stored = true;
        } catch (IOException e) {
            throw new OutputException("output " + target + ": writing " + (array.sharding == null ? "chunk " : "shard ")
                    + key + " failed (" + e.getMessage() + ")", e);
        } finally {
            scratch.give(work);
            buffers.give(buffer);
            encodeNanos.addAndGet(System.nanoTime() - t0);
        }
    }

    /** What a chunk file being written is called until it is renamed to its key. */
    private static final String PARTIAL = ".partial-";

    /** Writes {@code bytes} as the object {@code key}: a temporary file renamed into place. */
    private void writeFile(String key, ByteBuffer buf) throws IOException {
        Path file = tmpDir.resolve(key);
        Path dir = file.getParent();
        if (!dir.equals(tmpDir)) {
            Files.createDirectories(dir);
        }
        // a name of this writer's own: a retried or speculative Spark task may write the same chunk at once
        Path part = dir.resolve(file.getFileName() + PARTIAL + HexFormat.of().toHexDigits(
                java.util.concurrent.ThreadLocalRandom.current().nextLong()));
        long n = buf.remaining();
        FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (syncer != null) {
            syncer.submit(ch, file); // forced (and closed) by the syncer's thread; the commit waits for it
        } else {
            ch.close();
        }
        storedBytes.addAndGet(n);
        chunkWrites.incrementAndGet();
    }

    /**
     * Keeps an encoded inner chunk with its shard; the thread that adds a shard's last one writes the
     * shard: the inner chunks in C order, then the index ({offset, nbytes} a chunk, little-endian;
     * 2^64-1 for chunks outside the array) and its crc32c.
     */
    private void addToShard(long[] u, byte[] encoded) throws IOException {
        ZarrArray.Sharding sh = array.sharding;
        long[] sc = array.shardOf(u);
        long sIndex = ChunkRuns.index(sc, array.shardGrid());
        Shard shard = shards.computeIfAbsent(sIndex, k -> new Shard((int) sh.inner(), array.innerInside(sc)));
        int inner = (int) array.innerIndex(u);
        shard.parts[inner] = encoded;
        if (shard.done.incrementAndGet() != shard.expected) {
            return;
        }
        shards.remove(sIndex);
        long data = 0;
        for (byte[] p : shard.parts) {
            data += p == null ? 0 : p.length;
        }
        int indexBytes = (int) (16 * sh.inner());
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(data + indexBytes + 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] p : shard.parts) {
            if (p != null) {
                out.put(p);
            }
        }
        long offset = 0;
        int indexAt = out.position();
        for (byte[] p : shard.parts) {
            out.putLong(p == null ? -1 : offset).putLong(p == null ? -1 : p.length);
            offset += p == null ? 0 : p.length;
        }
        CRC32C crc = new CRC32C();
        crc.update(out.array(), indexAt, indexBytes);
        out.putInt((int) crc.getValue());
        out.flip();
        writeFile(array.key(sc), out);
    }

    /**
     * Checks that every chunk was written whole, writes the metadata, forces everything to disk when
     * durable, and renames the array into place (an existing Zarr array at the target is replaced
     * only now).
     */
    public void commit() {
        drain(true);
        if (!shards.isEmpty()) {
            throw new IllegalStateException("zarr output: " + shards.size() + " shard(s) were not written whole");
        }
        long units = ChunkRuns.count(array.grid);
        boolean empty = Arrays.stream(array.shape).anyMatch(e -> e == 0);
        for (long i = 0; i < units && !empty; i++) {
            Slot s = slots.get(i);
            if (s == null || !s.stored || s.written.get() % s.valid != 0) {
                throw new IllegalStateException("zarr output: chunk " + i + " was not written whole ("
                        + (s == null ? 0 : s.written.get()) + " values)");
            }
        }
        awaitForced();
        finish();
    }

    /**
     * {@link #commit} for an array whose chunks (or shards) other processes wrote into {@link
     * #tempDir} ({@link #attach}): checks that every one of them is there, then writes the metadata
     * and renames the array into place.
     */
    public void commitStoredElsewhere() {
        drain(true);
        if (!owner) {
            throw new IllegalStateException("zarr output: an attached sink does not commit");
        }
        boolean empty = Arrays.stream(array.shape).anyMatch(e -> e == 0);
        long[] grid = array.sharding == null ? array.grid : array.shardGrid();
        long n = empty ? 0 : ChunkRuns.count(grid);
        for (long i = 0; i < n; i++) {
            String key = array.key(ChunkRuns.coordinates(i, grid));
            if (!Files.isRegularFile(tmpDir.resolve(key))) {
                throw new OutputException("output " + target + ": " + (array.sharding == null ? "chunk " : "shard ")
                        + key + " was not written (a task's output is missing)");
            }
        }
        awaitForced(); // (the driver's own chunks, if any; executors forced theirs before they reported)
        finish();
    }

    /** Writes the metadata, forces everything to disk when durable, and renames the array into place. */
    private void finish() {
        // partial files of writers that died (a killed Spark executor) are no part of the array
        try (Stream<Path> files = Files.walk(tmpDir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().contains(PARTIAL)).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new OutputException("output " + target + ": cleaning the array failed (" + e.getMessage() + ")", e);
        }
        String[] meta = array.metadata();
        try {
            Path m = tmpDir.resolve(meta[0]);
            Files.writeString(m, meta[1] + "\n", StandardCharsets.UTF_8);
            if (durable) {
                try (FileChannel ch = FileChannel.open(m, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                syncDirs(tmpDir);
            }
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                // one atomic swap where the system has it (never a moment without the target), the
                // old array deleted after, aside when big; else out of the way, then in
                if (!OutputFile.swapIn(tmpDir, target)) {
                    Path old = target.resolveSibling(OutputFile.TEMP_PREFIX + "old-" + target.getFileName() + "-"
                            + random());
                    Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(tmpDir, target, StandardCopyOption.ATOMIC_MOVE);
                    OutputFile.deleteTree(old);
                }
            } else {
                Files.move(tmpDir, target, StandardCopyOption.ATOMIC_MOVE);
            }
            if (durable) {
                syncDir(target.getParent());
            }
            committed = true;
        } catch (AtomicMoveNotSupportedException e) {
            throw new OutputException("output " + target + ": cannot rename the finished array into place atomically"
                    + " (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new OutputException("output " + target + ": finishing the array failed (" + e.getMessage() + ")", e);
        }
    }

    private static void syncDirs(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path d : s.filter(Files::isDirectory).toList()) {
                syncDir(d);
            }
        }
    }

    private static void syncDir(Path d) {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a directory: the files themselves are on disk
        }
    }

    /** Frees the chunks in memory; without a commit, removes the temporary folder and all it holds. */
    @Override
    public void close() {
        drain(false);
        if (encoders != null) {
            encoders.shutdown();
        }
        if (syncer != null) {
            syncer.close();
        }
        for (Slot s : slots.values()) {
            synchronized (s) {
                s.buffer = null;
                s.unit = null;
            }
        }
        buffers.close();
        scratch.close();
        if (!committed && owner) {
            try {
                OutputFile.deleteTree(tmpDir);
            } catch (UncheckedIOException e) {
                // best effort: the folder's name says it is a leftover
            }
        }
    }
}
