package dev.penumbra.volume;

import java.nio.file.Path;

/**
 * Writes a mapped output file behind the run when the output crowds the memory: each range the
 * engine is done with ({@link Sink#doneWriting}) is handed to the disk at once
 * ({@code sync_file_range(SYNC_FILE_RANGE_WRITE)}, which queues the writes and returns), so that
 * the pages are clean — cheap to reclaim — instead of being written by reclaim, page by page in no
 * order, while the run waits. Ranges are shrunk to whole {@link #ALIGN} blocks of the file: the
 * page cache keeps large folios (up to 2 MB) whose dirty state is one, and writing a folio that
 * still had rows to come wrote it twice (a 2 GiB run wrote 5.2 GB). Callers pass ranges from a
 * fixed start (written pages are skipped when passed again), so the parts shrunk off are written
 * with a later range. Durability still comes from the final force of {@link OutputFile#commit}.
 * Best effort: without the call, nothing happens.
 */
final class WriteBehind implements AutoCloseable {
    /** The largest folio of the page cache (a PMD): ranges are written in whole, aligned blocks of it. */
    static final long ALIGN = 2L << 20;
    private static final int SYNC_FILE_RANGE_WRITE = 2;

    private final Path file;
    private final long fileOffset;
    private int fd = -2; // -2: not opened yet; -1: unavailable
    private boolean closed;

    private WriteBehind(Path file, long fileOffset) {
        this.file = file;
        this.fileOffset = fileOffset;
    }

    /** For {@code file}, whose mapping starts at byte {@code fileOffset}; nothing is opened until the first {@link #done}. */
    static WriteBehind of(Path file, long fileOffset) {
        return new WriteBehind(file, fileOffset);
    }

    /**
     * Bytes {@code [offset, offset + length)} of the mapping are written and will not be written
     * again: their whole {@link #ALIGN} blocks go to the disk. (Under the lock: the descriptor must
     * not be closed between a call and its use.)
     */
    synchronized void done(long offset, long length) {
        if (closed) {
            return;
        }
        if (fd == -2) {
            fd = Libc.WriteBack.SYNC_FILE_RANGE == null ? -1 : Libc.openForWriting(file);
        }
        long from = Math.ceilDiv(fileOffset + offset, ALIGN) * ALIGN;
        long to = Math.floorDiv(fileOffset + offset + length, ALIGN) * ALIGN;
        if (fd < 0 || to <= from) {
            return;
        }
        try {
            int ignored = (int) Libc.WriteBack.SYNC_FILE_RANGE.invokeExact(fd, from, to - from, SYNC_FILE_RANGE_WRITE);
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
