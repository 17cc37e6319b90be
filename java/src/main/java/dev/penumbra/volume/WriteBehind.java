package dev.penumbra.volume;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * Writes a mapped output file behind the run when the output crowds the memory: each region the
 * engine is done with ({@link Sink#doneWriting}) is handed to the disk at once
 * ({@code sync_file_range(SYNC_FILE_RANGE_WRITE)}, which queues the write and returns), and once
 * {@code keepBytes} of later regions have been handed over, the oldest is let go: unmapped
 * ({@code MADV_DONTNEED}) and dropped from the page cache ({@code POSIX_FADV_DONTNEED}, which
 * leaves pages still being written). Without it the dirty pages of a run bigger than its memory
 * (a cgroup's limit) are written by reclaim, page by page in no order, while the run waits.
 * Durability still comes from the final force of {@link OutputFile#commit}. Best effort: without
 * the calls, nothing happens.
 */
final class WriteBehind implements AutoCloseable {
    /**
     * Regions handed to the disk but still kept, so that their writes finish before they are
     * dropped: 256 MB, or 1/16 of a smaller memory ({@link Madvise#physicalMemory}).
     */
    private final long keepBytes = Math.min(256L << 20, Madvise.physicalMemory() / 16);
    private static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final int POSIX_FADV_DONTNEED = 4;

    private final Path file;
    private int fd = -2; // -2: not opened yet; -1: unavailable
    private final MemorySegment mapping;
    private final long fileOffset;
    private final ArrayDeque<long[]> kept = new ArrayDeque<>();
    private long keptBytes;
    private boolean closed;

    private WriteBehind(Path file, MemorySegment mapping, long fileOffset) {
        this.file = file;
        this.mapping = mapping;
        this.fileOffset = fileOffset;
    }

    /**
     * For {@code file}, mapped as {@code mapping} from byte {@code fileOffset}; nothing is opened
     * (and no downcall made) until the first {@link #done}.
     */
    static WriteBehind of(Path file, MemorySegment mapping, long fileOffset) {
        return new WriteBehind(file, mapping, fileOffset);
    }

    /**
     * Bytes {@code [offset, offset + length)} of the mapping are written and will not be written
     * again. (Under the lock: the descriptor must not be closed between a call and its use.)
     */
    synchronized void done(long offset, long length) {
        if (closed) {
            return;
        }
        if (fd == -2) {
            fd = Libc.WriteBack.SYNC_FILE_RANGE == null || Libc.WriteBack.FADVISE == null ? -1
                    : Libc.openForWriting(file);
        }
        if (fd < 0) {
            return;
        }
        try {
            int ignored = (int) Libc.WriteBack.SYNC_FILE_RANGE.invokeExact(fd, fileOffset + offset, length,
                    SYNC_FILE_RANGE_WRITE);
            kept.addLast(new long[] {offset, length});
            keptBytes += length;
            while (keptBytes > keepBytes) {
                long[] oldest = kept.removeFirst();
                keptBytes -= oldest[1];
                Madvise.advise(mapping, oldest[0], oldest[1], Madvise.Advice.DONTNEED);
                ignored = (int) Libc.WriteBack.FADVISE.invokeExact(fd, fileOffset + oldest[0], oldest[1],
                        POSIX_FADV_DONTNEED);
            }
        } catch (Throwable t) {
            // best effort
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (fd >= 0) {
                Libc.close(fd);
            }
        }
    }
}
