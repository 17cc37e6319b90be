package dev.penumbra.volume;

import java.nio.file.Path;

/**
 * Reserves a file's blocks before any data is written ({@code posix_fallocate(3)} through FFM), so
 * that a full disk or a quota is reported when the output is created — with the sizes — instead of
 * as a fault (SIGBUS) on the first write into a sparse mapping. Where libc lacks the call the file
 * keeps its sparse length (and the write-time check remains).
 */
public final class Reserve {
    /** ENOSPC and EDQUOT on Linux. */
    public static final int ENOSPC = 28;
    public static final int EDQUOT = 122;

    private Reserve() {
    }

    /**
     * Reserves {@code [0, length)} of an existing file. Returns 0, or the error number
     * (e.g. {@link #ENOSPC}); -1 when the call is unavailable here.
     */
    public static int reserve(Path file, long length) {
        if (Libc.FALLOCATE == null || length <= 0) {
            return -1;
        }
        int fd = Libc.openForWriting(file);
        if (fd < 0) {
            return -1;
        }
        try {
            return (int) Libc.FALLOCATE.invokeExact(fd, 0L, length);
        } catch (Throwable t) {
            return -1;
        } finally {
            Libc.close(fd);
        }
    }
}
