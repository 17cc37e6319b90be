package dev.penumbra.volume;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The few file calls of the C library that Java does not offer ({@code posix_fallocate(3)},
 * {@code sync_file_range(2)}, {@code renameat2(2)}), through FFM downcalls made once, on first
 * use. A call missing from this platform's libc is a null handle: its users fall back, never fail.
 */
@SuppressWarnings("restricted") // calling C through FFM is this class's purpose (--enable-native-access)
final class Libc {
    static final MethodHandle OPEN;
    static final MethodHandle CLOSE;
    static final MethodHandle FALLOCATE;
    private static final int O_WRONLY = 1;

    static {
        MethodHandle open = null;
        MethodHandle close = null;
        MethodHandle falloc = null;
        try {
            Linker l = Linker.nativeLinker();
            var lookup = l.defaultLookup();
            ValueLayout i = ValueLayout.JAVA_INT;
            ValueLayout j = ValueLayout.JAVA_LONG;
            open = lookup.find("open").map(a -> l.downcallHandle(a, FunctionDescriptor.of(i, ValueLayout.ADDRESS, i),
                    Linker.Option.firstVariadicArg(2))).orElse(null);
            close = lookup.find("close").map(a -> l.downcallHandle(a, FunctionDescriptor.of(i, i))).orElse(null);
            falloc = lookup.find("posix_fallocate").map(a -> l.downcallHandle(a, FunctionDescriptor.of(i, i, j, j)))
                    .orElse(null);
        } catch (Throwable t) {
            // no FFM access or no libc: every handle stays null
        }
        OPEN = open;
        CLOSE = close;
        FALLOCATE = falloc;
    }

    private Libc() {
    }

    /** The write-behind call, made on first use (most runs never need it: ~10 ms to make). */
    static final class WriteBack {
        static final MethodHandle SYNC_FILE_RANGE = handle("sync_file_range");

        private WriteBack() {
        }

        /** {@code int f(int, long, long, int)}, or null. */
        private static MethodHandle handle(String name) {
            try {
                Linker l = Linker.nativeLinker();
                ValueLayout i = ValueLayout.JAVA_INT;
                ValueLayout j = ValueLayout.JAVA_LONG;
                return l.defaultLookup().find(name).map(a -> l.downcallHandle(a, FunctionDescriptor.of(i, i, j, j, i)))
                        .orElse(null);
            } catch (Throwable t) {
                return null;
            }
        }
    }

    /** {@code renameat2(2)}, made on first use (only a run that replaces a file needs it). */
    static final class Exchange {
        static final MethodHandle RENAMEAT2 = handle();
        private static final int AT_FDCWD = -100;
        private static final int RENAME_EXCHANGE = 2;

        private Exchange() {
        }

        private static MethodHandle handle() {
            try {
                Linker l = Linker.nativeLinker();
                ValueLayout i = ValueLayout.JAVA_INT;
                ValueLayout p = ValueLayout.ADDRESS;
                return l.defaultLookup().find("renameat2")
                        .map(a -> l.downcallHandle(a, FunctionDescriptor.of(i, i, p, i, p, i))).orElse(null);
            } catch (Throwable t) {
                return null;
            }
        }
    }

    /**
     * Swaps the directory entries {@code a} and {@code b} in one atomic step ({@code renameat2} with
     * {@code RENAME_EXCHANGE}); false when this libc, kernel or file system cannot, and then nothing
     * changed.
     */
    static boolean exchange(Path a, Path b) {
        if (Exchange.RENAMEAT2 == null) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            return (int) Exchange.RENAMEAT2.invokeExact(Exchange.AT_FDCWD,
                    arena.allocateFrom(a.toAbsolutePath().toString()), Exchange.AT_FDCWD,
                    arena.allocateFrom(b.toAbsolutePath().toString()), Exchange.RENAME_EXCHANGE) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** A file descriptor of {@code file} opened for writing, or -1. */
    static int openForWriting(Path file) {
        if (OPEN == null || CLOSE == null) {
            return -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            return (int) OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_WRONLY);
        } catch (Throwable t) {
            return -1;
        }
    }

    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // closing is best effort
        }
    }
}
