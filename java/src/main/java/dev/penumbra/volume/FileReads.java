package dev.penumbra.volume;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Positional reads ({@code pread}) of a mapped input's rows, for the first pass over a fresh
 * mapping. On the virtual machines this runs on, a mapping's first touch of each 4 KiB page costs
 * about 1.5 µs even when the file is in the page cache (the hypervisor's page tables learn the page):
 * copying the seed's 244 MB out of a fresh mapping in 4.4 KB rows took 127 ms, with the mapping
 * populated first ({@code MAP_POPULATE}) 99 ms, with {@code pread} of 282 KB pieces 24 ms (one
 * thread, Zen 5, C). A stream's gather reads a few consecutive rows of each plane in a row: it
 * announces them ({@link Source#willReadRows}), one read brings them into the thread's buffer, and
 * the row reads copy from there while it sits in L2 ({@link RowCopy}). Used only where the input
 * was in the page cache when it was opened ({@link #MIN_RESIDENT}; the kernel's own reclaim takes a
 * few pages of files that sat a while): a volume read from disk keeps the mapping's read-ahead and
 * will-need advice.
 * <p>
 * Best effort: a read that fails or comes up short (a file truncated since it was mapped, a channel
 * closed by an interrupt) leaves the rows to the mapping, which reports what is wrong as before.
 */
final class FileReads implements AutoCloseable {
    /** The largest run one read brings (a thread's buffer grows to the longest it was asked for). */
    static final int MAX_BYTES = 4 << 20;
    /** The share of the input's pages in the page cache from which its rows are read by pread. */
    static final double MIN_RESIDENT = 0.9;

    /** Reads done in this process (for tests and diagnostics). */
    static final AtomicLong READS = new AtomicLong();

    private final FileChannel channel;
    /** The file offset of the mapped segment's byte 0. */
    private final long base;
    private final long size;
    private volatile boolean broken;
    private volatile boolean closed;

    FileReads(FileChannel channel, long base, long size) {
        this.channel = channel;
        this.base = base;
        this.size = size;
    }

    /** False once the volume closed: a thread's buffer then holds nothing that may be read. */
    boolean open() {
        return !closed;
    }

    /**
     * Reads bytes {@code [from, from + len)} of the segment into {@code buf} (from its position 0);
     * false when it could not read them all.
     */
    boolean read(ByteBuffer buf, long from, int len) {
        if (broken || closed || len <= 0 || len > buf.capacity() || from < 0 || from + len > size) {
            return false;
        }
        buf.clear().limit(len);
        try {
            while (buf.hasRemaining()) {
                if (channel.read(buf, base + from + buf.position()) < 0) {
                    return false; // shorter than mapped: the mapping's reads say so
                }
            }
            READS.incrementAndGet();
            return true;
        } catch (IOException | RuntimeException e) {
            // e.g. closed by an interrupt (a cancelled run, or a caller's thread interrupted): from
            // then on this volume's rows come from the mapping, as they would without FileReads
            broken = true;
            return false;
        }
    }

    /** A direct buffer of at least {@code len} bytes for a thread (a quarter MiB at least, to grow seldom). */
    static ByteBuffer buffer(int len) {
        return ByteBuffer.allocateDirect(Math.min(MAX_BYTES, Math.max(len, 256 << 10)));
    }

    static MemorySegment segment(ByteBuffer buf) {
        return MemorySegment.ofBuffer(buf.clear());
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // a read-only file: nothing was written that could be lost
        }
    }
}
