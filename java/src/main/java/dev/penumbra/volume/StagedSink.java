package dev.penumbra.volume;

import dev.penumbra.OutputException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An output file's sink for runs that write each element once and never read the output back: rows
 * land in staging segments of {@link #SEGMENT} bytes of the file, and a complete segment goes to
 * the file with one positional write, by the thread that completed it or the one writing then;
 * every {@link #BLOCK} of the file that is complete is handed to the disk at once
 * ({@link WriteBehind}: {@code sync_file_range(SYNC_FILE_RANGE_WRITE)}, which queues the writes and
 * returns). A mapped output instead faults each 4 KiB page in (a zeroed page,
 * the file system's bookkeeping) and leaves all of its dirty pages to the final force; here the disk
 * works during the run and the force waits only for the tail. An output to be forced at the end is
 * also forced as it is written ({@link #syncLoop}), which flushes the disk's cache while the run
 * computes. The file stays in the page cache for
 * whoever reads it next. Measured on the seed, whole commands: direct I/O made the command as fast
 * but the next command that read the output 0.15 s slower (from the disk), and on a later host
 * (Zen 3, the disk's cache flushed by each force) the run 0.18 s slower and the force no shorter,
 * the flush being most of it; a writer thread of its
 * own made float64 outputs slower than mapping (a third thread on two cores preempts a member of the
 * team, and the other spins).
 *
 * <p>Staging holds at most {@link #maxLive(long[])} segments. A segment that would need one more is
 * written row by row instead, and so is a row written to a segment already written (neither
 * happens in the engine's streamed order: each output row is written once, and the rows of one
 * segment come close together).
 */
final class StagedSink implements Sink, AutoCloseable {
    /** Bytes of the file per staging segment. */
    static final int SEGMENT = 64 << 10;
    /**
     * Bytes handed to the disk together: the page cache's largest folio (a PMD), whose dirty state
     * is one; writing one whose rows were still to come wrote it twice ({@link WriteBehind}).
     */
    static final long BLOCK = WriteBehind.ALIGN;
    /**
     * Segments staged at most at once: 64 MiB, or an eighth of the heap's limit, which is also the
     * limit of direct buffers (the seed's stream keeps about 100 segments staged).
     */
    static int maxLive() {
        return (int) Math.max(8, Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8) / SEGMENT);
    }

    /**
     * Segments staged at most at once for an output of {@code shape}: {@link #maxLive()}, or more where
     * a stream needs them, up to half the direct buffers' limit. A stream along y fills the rows of
     * every z plane a batch at a time, so about two segments a plane are staged at once (the planes:
     * every axis but the last two). Where staging ran out, the rest went to the file row by row:
     * a float32 (440,1104,1104) output (2 GiB, 880 segments wanted, 512 allowed under the CLI's
     * 256 MiB heap) wrote 1.26 of its 2.1 GB so, in rows of 4.4 KB that each zeroed the page cache's
     * blocks they half covered, two threads spinning on the file's lock.
     */
    static int maxLive(long[] shape) {
        long planes = 1;
        for (int a = 0; a + 2 < shape.length; a++) {
            planes = Math.multiplyExact(planes, shape[a]);
        }
        long want = 2 * planes + 64;
        long most = Runtime.getRuntime().maxMemory() / 2 / SEGMENT;
        return (int) Math.max(maxLive(), Math.min(want, most));
    }

    private static final byte EMPTY = 0;
    private static final byte STAGING = 1;
    private static final byte SENT = 2;
    private static final byte BY_ROW = 3;

    private final Path file;
    private final Path target;
    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final byte[] header;
    private final long total;
    private final FileChannel channel;
    private final WriteBehind writeBehind;
    /**
     * For a durable output: forces what is written to the disk while the run goes on
     * ({@link #syncLoop}), so that the commit's force finds little left to do. Null otherwise.
     */
    private final Thread syncer;
    /** Bytes written between the syncer's forces. */
    private final long syncStep;
    /** Bytes written when the syncer last started a force, and its forces so far (guarded by {@code this}). */
    private long syncedBytes;
    private int syncs;
    private boolean stopSync;
    /** The syncer's failure, thrown by {@link #finish}: the output is not kept. */
    private IOException syncFailure;
    private final MemorySegment[] stage;
    private final Volume[] view;
    private final int[] filled;
    private final byte[] state;
    private final AtomicIntegerArray blockSent;
    private final Object[] locks = new Object[64];
    private final ConcurrentLinkedQueue<MemorySegment> free = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Integer> pending = new ConcurrentLinkedQueue<>();
    private final ReentrantLock fileLock = new ReentrantLock();
    private final ThreadLocal<Volume> rowBuffer = new ThreadLocal<>();
    private int allocated;
    private int cap;
    private long stagedBytes;
    private long rowBytes;
    private boolean closed;

    private StagedSink(Path file, Path target, int maxLive, DType dtype, long[] shape, byte[] header,
                       FileChannel channel, long syncStep) {
        this.file = file;
        this.target = target;
        this.cap = maxLive;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.strides = Shapes.cStrides(shape);
        this.header = header;
        this.total = header.length + Shapes.elementCount(shape, "output shape") * dtype.size();
        this.channel = channel;
        this.writeBehind = WriteBehind.of(file, 0);
        int n = (int) Math.ceilDiv(total, SEGMENT);
        stage = new MemorySegment[n];
        view = new Volume[n];
        filled = new int[n];
        state = new byte[n];
        blockSent = new AtomicIntegerArray((int) Math.ceilDiv(total, BLOCK));
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
        this.syncStep = syncStep;
        if (syncStep > 0 && total >= 2 * syncStep) {
            syncer = new Thread(this::syncLoop, "penumbra-output-sync");
            syncer.setDaemon(true);
            syncer.start();
        } else {
            syncer = null;
        }
    }

    /**
     * A staged sink over {@code file} (created at its full size: {@code header}, then the data in C
     * order, little-endian) with at most {@code maxLive} segments staged, or null where it cannot
     * be (a big-endian machine, a header that is not whole elements, a file that does not open).
     * Errors name {@code target}, the output the file becomes. With {@code syncStep} > 0
     * ({@link #SYNC_STEP}), for an output to be forced to the disk at the end, it is forced as it is
     * written, each time that many more bytes are in the file ({@link #syncLoop}; outputs under
     * twice that, only at the end).
     */
    static StagedSink open(Path file, Path target, DType dtype, long[] shape, byte[] header, int maxLive,
                           long syncStep) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN || header.length % dtype.size() != 0
                || SEGMENT % dtype.size() != 0) {
            return null;
        }
        try {
            return new StagedSink(file, target, maxLive, dtype, shape, header,
                    FileChannel.open(file, StandardOpenOption.WRITE), syncStep);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public void write(long[] at, int count, double[] src, int srcPos) {
        put(at, count, src, null, srcPos);
    }

    @Override
    public void writeFloat(long[] at, int count, float[] src, int srcPos) {
        put(at, count, null, src, srcPos);
    }

    /** Splits a run at segment boundaries (the header and the segments are whole elements). */
    private void put(long[] at, int count, double[] d, float[] f, int srcPos) {
        long e = 0;
        for (int a = 0; a < at.length; a++) {
            e += at[a] * strides[a];
        }
        int size = dtype.size();
        long off = header.length + e * size;
        int i = 0;
        while (i < count) {
            int k = (int) (off / SEGMENT);
            int n = (int) Math.min(count - i, ((long) (k + 1) * SEGMENT - off) / size);
            synchronized (locks[k & (locks.length - 1)]) {
                putLocked(k, off, n, d, f, srcPos + i);
            }
            i += n;
            off += (long) n * size;
        }
    }

    private void putLocked(int k, long off, int n, double[] d, float[] f, int pos) {
        if (state[k] == EMPTY) {
            MemorySegment buf = acquire();
            if (buf == null) {
                state[k] = BY_ROW;
            } else {
                stage[k] = buf;
                view[k] = flat(buf);
                filled[k] = 0;
                long start = (long) k * SEGMENT;
                if (start < header.length) {
                    int h = (int) Math.min(header.length - start, SEGMENT);
                    MemorySegment.copy(MemorySegment.ofArray(header), start, buf, 0, h);
                    filled[k] = h;
                }
                state[k] = STAGING;
            }
        }
        if (state[k] == STAGING) {
            long elem = (off - (long) k * SEGMENT) / dtype.size();
            if (f != null) {
                RowCopy.writeFloat(view[k], elem, 1, n, f, pos);
            } else {
                RowCopy.write(view[k], elem, 1, n, d, pos);
            }
            filled[k] += n * dtype.size();
            if (filled[k] == need(k)) {
                send(k);
            }
            return;
        }
        if (state[k] == SENT) {
            writePending(true); // its staged bytes first
            state[k] = BY_ROW; // written again: row by row
        }
        writeRow(off, n, d, f, pos);
    }

    /** Bytes of the file in segment {@code k}. */
    private long need(int k) {
        return Math.min(SEGMENT, total - (long) k * SEGMENT);
    }

    /** A staging buffer: a free one, a new one under the cap, one written out; null when staging is full. */
    private MemorySegment acquire() {
        MemorySegment b = free.poll();
        if (b != null) {
            return b;
        }
        if (allocatedAll()) {
            writePending(true);
            b = free.poll();
            if (b != null) {
                return b;
            }
        }
        synchronized (this) {
            if (allocated < cap) {
                try {
                    // a direct buffer is zeroed by a native memset; Arena.allocate zeroes in a Java loop
                    // that the C1-only CLI runs slowly (27 ms of a cold seed run)
                    MemorySegment m = MemorySegment.ofBuffer(ByteBuffer.allocateDirect(SEGMENT));
                    allocated++;
                    return m;
                } catch (OutOfMemoryError full) {
                    cap = allocated; // other direct buffers hold the rest of the limit
                }
            }
            return null;
        }
    }

    /**
     * Segment {@code k} is complete: it joins the segments waiting for the file, which the thread
     * that holds the file writes. A thread that finds the file held goes back to its work (two
     * threads writing one file at once wait on its inode lock, spinning: 17 % of a 2 GiB run's
     * samples).
     */
    private void send(int k) {
        state[k] = SENT;
        pending.add(k);
        writePending(false);
    }

    /**
     * Writes the waiting segments when the file is free; with {@code wait}, after waiting for it, so
     * that a segment another thread is writing now is in the file too when this returns.
     */
    private void writePending(boolean wait) {
        if (wait) {
            fileLock.lock();
            try {
                writeQueued();
            } finally {
                fileLock.unlock();
            }
        }
        while (!pending.isEmpty()) {
            if (!fileLock.tryLock()) {
                return; // its holder looks again after it lets go
            }
            try {
                writeQueued();
            } finally {
                fileLock.unlock();
            }
        }
    }

    private void writeQueued() {
        Integer k;
        while ((k = pending.poll()) != null) {
            writeSegment(k);
        }
    }

    /** Into the file, the buffer back to the pool, a whole block to the disk. */
    private void writeSegment(int k) {
        MemorySegment buf = stage[k];
        writeFully(buf.asSlice(0, need(k)), (long) k * SEGMENT);
        stage[k] = null;
        view[k] = null;
        free.add(buf);
        synchronized (this) {
            stagedBytes += need(k);
            if (syncer != null && stagedBytes - syncedBytes >= syncStep) {
                notifyAll();
            }
        }
        startWriteBack(k);
    }

    /**
     * Bytes written between the syncer's forces of a durable output: seed float32 file to file, Zen 3,
     * alternating whole commands (8 rounds, medians): 4 MiB 1281 ms, 8 MiB 1285, 16 MiB 1305, 32 MiB
     * 1321, none 1501.
     */
    static final long SYNC_STEP = 16L << 20;

    /**
     * The syncer's loop: whenever {@code syncStep} more bytes are in the file, forces the file's
     * data to the disk ({@code fdatasync}), waiting on the disk while the run's threads compute. The
     * disk's cache is flushed with each force, so the commit's force waits only for the tail: on a
     * virtual machine whose disk flushes its host's cache (write cache "write back", no FUA), the
     * seed's 244 MB took 0.23-0.37 s to flush after they were written back.
     */
    private void syncLoop() {
        while (true) {
            synchronized (this) {
                while (!stopSync && stagedBytes - syncedBytes < syncStep) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (stopSync) {
                    return;
                }
                syncedBytes = stagedBytes;
                syncs++;
            }
            try {
                channel.force(false);
            } catch (IOException e) {
                synchronized (this) {
                    syncFailure = e; // (the error is reported once per file: the commit's force may not see it)
                    return;
                }
            }
        }
    }

    /** Stops the syncer and waits for its force to return. */
    private void stopSyncer() {
        if (syncer == null) {
            return;
        }
        synchronized (this) {
            stopSync = true;
            notifyAll();
        }
        Threads.joinUninterruptibly(syncer); // (after the force in hand returns)
    }

    private synchronized boolean allocatedAll() {
        return allocated >= cap;
    }

    /** Segment {@code k} is in the file: when its whole block is, the disk starts on that block. */
    private void startWriteBack(int k) {
        int b = (int) ((long) k * SEGMENT / BLOCK);
        long from = b * BLOCK;
        long to = Math.min(total, from + BLOCK);
        if (blockSent.incrementAndGet(b) == Math.ceilDiv(to - from, SEGMENT)) {
            writeBehind.done(from, to - from); // (the last, partial block waits for the final force)
        }
    }

    /** Writes all of {@code bytes} at byte {@code pos} of the file. */
    private void writeFully(MemorySegment bytes, long pos) {
        ByteBuffer bb = bytes.asByteBuffer();
        try {
            while (bb.hasRemaining()) {
                pos += channel.write(bb, pos);
            }
        } catch (IOException e) {
            throw writeError(e);
        }
    }

    /** A flat volume of this sink's dtype over {@code m}, little-endian as the file. */
    private Volume flat(MemorySegment m) {
        return new Volume(m, dtype, ByteOrder.LITTLE_ENDIAN, new long[] {m.byteSize() / dtype.size()},
                new long[] {1}, 0, null);
    }

    /** An interrupted thread's write closes the channel for every thread: the run was cancelled. */
    private OutputException writeError(IOException e) {
        return e instanceof AsynchronousCloseException
                ? new OutputException(target + ": interrupted while writing the output", e)
                : new OutputException(target + ": cannot write the output (" + e.getMessage() + ")", e);
    }

    /** Writes one run to the file at once, converted in a thread's own buffer. */
    private void writeRow(long off, int n, double[] d, float[] f, int pos) {
        Volume v = rowBuffer.get();
        long bytes = (long) n * dtype.size();
        if (v == null || v.byteSize() < bytes) {
            long size = Math.max(bytes, 64 << 10);
            MemorySegment m;
            try {
                m = MemorySegment.ofBuffer(ByteBuffer.allocateDirect((int) size));
            } catch (OutOfMemoryError full) {
                m = Arena.ofAuto().allocate(size, 64); // outside the direct buffers' limit, which staging reached
            }
            v = flat(m);
            rowBuffer.set(v);
        }
        if (f != null) {
            RowCopy.writeFloat(v, 0, 1, n, f, pos);
        } else {
            RowCopy.write(v, 0, 1, n, d, pos);
        }
        // one writer at a time, as for segments: two threads' writes into one file wait on its inode
        // lock in the kernel, spinning
        fileLock.lock();
        try {
            writeFully(v.segment().asSlice(0, bytes), off);
        } finally {
            fileLock.unlock();
        }
        synchronized (this) {
            rowBytes += bytes;
        }
    }

    /**
     * The run writes the whole output again (a float run redone in double): what was staged counts
     * for nothing, and every segment not yet written row by row fills anew.
     */
    @Override
    public void beforeRewrite() {
        writePending(true);
        for (int k = 0; k < state.length; k++) {
            synchronized (locks[k & (locks.length - 1)]) {
                if (state[k] == STAGING) {
                    free.add(stage[k]);
                    stage[k] = null;
                    view[k] = null;
                }
                if (state[k] != BY_ROW) {
                    state[k] = EMPTY;
                }
            }
        }
        for (int b = 0; b < blockSent.length(); b++) {
            blockSent.set(b, 0);
        }
    }

    /**
     * After the run: the segments waiting are written, and with {@code durable} the data and metadata
     * are forced to the disk. A segment still staged means the run left bytes unwritten (which the
     * engine does not): an error, the output is not kept.
     */
    void finish(boolean durable) throws IOException {
        writePending(true);
        long missing = 0;
        for (int k = 0; k < state.length; k++) {
            if (state[k] == STAGING) {
                missing += need(k) - filled[k];
            }
        }
        if (missing > 0) {
            // a reused buffer's old bytes would fill the gaps: fail rather than keep such a file
            throw new OutputException(target + ": the run left " + missing + " bytes of the output unwritten");
        }
        stopSyncer();
        synchronized (this) {
            if (syncFailure != null) {
                throw syncFailure;
            }
        }
        if (durable) {
            channel.force(true);
        }
    }

    /** Forces of the file while it was written ({@link #syncLoop}). */
    synchronized int syncs() {
        return syncs;
    }

    /** Whether the syncer's thread is running. */
    boolean syncing() {
        return syncer != null && syncer.isAlive();
    }

    /** Bytes written from staging segments, and row by row. */
    synchronized long[] written() {
        return new long[] {stagedBytes, rowBytes};
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopSyncer();
        writeBehind.close();
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing after the data is written or abandoned: nothing to keep
        }
    }
}
