package dev.penumbra.formats;

import dev.penumbra.volume.Madvise;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Native buffers of one size, reused: a chunk's buffer goes back here when the chunk is written or
 * evicted and serves the next one. Fresh memory is the dear part of a chunk on a virtual machine
 * (the first touch of each page faults: 244 MB cost 0.64 s here against 0.03 s reused), so buffers
 * are kept until the pool is closed, and asked for transparent huge pages (0.39 s first touch).
 */
public final class ChunkBuffers implements AutoCloseable {
    private final long size;
    private final Arena arena = Arena.ofShared();
    private final ConcurrentLinkedDeque<MemorySegment> free = new ConcurrentLinkedDeque<>();

    public ChunkBuffers(long size) {
        this.size = Math.max(1, size);
    }

    /** A buffer of the pool's size; its bytes are whatever its last user left (zero when fresh). */
    public MemorySegment take() {
        MemorySegment s = free.poll();
        if (s != null) {
            return s;
        }
        synchronized (this) {
            s = arena.allocate(size, size >= (2L << 20) ? 2L << 20 : 64);
        }
        Madvise.hugePages(s);
        return s;
    }

    public void give(MemorySegment s) {
        free.push(s);
    }

    @Override
    public synchronized void close() {
        free.clear();
        arena.close();
    }
}
