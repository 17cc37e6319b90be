package dev.penumbra.volume;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Reserves a file's blocks before any data is written ({@code posix_fallocate(3)} through FFM), so
 * that a full disk or a quota is reported when the output is created — with the sizes — instead of
 * as a fault (SIGBUS) on the first write into a sparse mapping. Where libc lacks the call the file
 * keeps its sparse length (and the write-time check remains).
 */
@SuppressWarnings("restricted") // calling C through FFM is this class's purpose (--enable-native-access)
public final class Reserve {
    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle FALLOCATE;
    private static final int O_WRONLY = 1;
    /** ENOSPC and EDQUOT on Linux. */
    public static final int ENOSPC = 28;
    public static final int EDQUOT = 122;

    static {
        MethodHandle open = null;
        MethodHandle close = null;
        MethodHandle falloc = null;
        try {
            Linker l = Linker.nativeLinker();
            var lookup = l.defaultLookup();
            open = lookup.find("open").map(a -> l.downcallHandle(a, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2))).orElse(null);
            close = lookup.find("close").map(a -> l.downcallHandle(a, FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT))).orElse(null);
            falloc = lookup.find("posix_fallocate").map(a -> l.downcallHandle(a, FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG)))
                    .orElse(null);
        } catch (Throwable t) {
            falloc = null;
        }
        OPEN = open;
        CLOSE = close;
        FALLOCATE = falloc;
    }

    private Reserve() {
    }

    /**
     * Reserves {@code [0, length)} of an existing file. Returns 0, or the error number
     * (e.g. {@link #ENOSPC}); -1 when the call is unavailable here.
     */
    public static int reserve(Path file, long length) {
        if (FALLOCATE == null || OPEN == null || CLOSE == null || length <= 0) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_WRONLY);
            if (fd < 0) {
                return -1;
            }
            try {
                return (int) FALLOCATE.invokeExact(fd, 0L, length);
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (Throwable t) {
            return -1;
        }
    }
}
