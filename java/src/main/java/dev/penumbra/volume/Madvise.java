package dev.penumbra.volume;

import com.sun.management.OperatingSystemMXBean;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.util.logging.Logger;

/**
 * {@code madvise(2)} on mapped volumes through an FFM downcall, so that a volume larger than RAM
 * streams through the page cache: sequential read-ahead on inputs, will-need before a chunk is
 * read, dont-need once it is done. Advice is best effort: where libc or the call is missing it is
 * skipped (one log line), never an error.
 */
@SuppressWarnings("restricted") // calling C through FFM is this class's purpose (--enable-native-access)
public final class Madvise {
    /** The advice values of Linux's madvise. */
    public enum Advice {
        NORMAL(0), RANDOM(1), SEQUENTIAL(2), WILLNEED(3), DONTNEED(4),
        /**
         * Linux 5.4+: reclaim the pages now, writing dirty file pages back first. Unlike DONTNEED,
         * which only unmaps a file's pages and leaves them in the page cache, this frees the memory
         * (EINVAL on older kernels).
         */
        PAGEOUT(21),
        /** Back the range with transparent huge pages (where THP is in "madvise" mode, as numpy does). */
        HUGEPAGE(14);

        final int value;

        Advice(int value) {
            this.value = value;
        }
    }

    private static final Logger LOG = Logger.getLogger(Madvise.class.getName());
    private static final MethodHandle MADVISE;
    private static final MethodHandle MINCORE;
    private static final long PAGE;

    static {
        MethodHandle m = null;
        MethodHandle mc = null;
        long page = 4096;
        try {
            Linker linker = Linker.nativeLinker();
            m = linker.defaultLookup().find("madvise").map(a -> linker.downcallHandle(a, FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT)))
                    .orElse(null);
            mc = linker.defaultLookup().find("mincore").map(a -> linker.downcallHandle(a, FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS)))
                    .orElse(null);
            MethodHandle ps = linker.defaultLookup().find("getpagesize").map(a -> linker.downcallHandle(a,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT))).orElse(null);
            if (ps != null) {
                page = (int) ps.invokeExact();
            }
        } catch (Throwable t) {
            LOG.fine("madvise unavailable: " + t);
            m = null;
        }
        MADVISE = m;
        MINCORE = mc;
        PAGE = page;
    }

    private Madvise() {
    }

    // process-wide: the machine's memory does not change while the JVM runs
    private static final long RAM_BYTES = readPhysicalMemory();

    /**
     * The memory a run may count on, in bytes: the JVM's view of physical memory, which is a memory
     * cgroup's limit inside one (or a large guess when the JVM cannot tell); the system property
     * {@code penumbra.memory} (bytes) sets it lower, e.g. on a node shared with other jobs.
     * A stream fetches its input a window ahead and lets it go behind when it is over a quarter of it.
     */
    public static long physicalMemory() {
        String set = System.getProperty("penumbra.memory");
        if (set != null) {
            try {
                return Math.min(RAM_BYTES, Long.parseLong(set.trim()));
            } catch (NumberFormatException e) {
                return RAM_BYTES;
            }
        }
        return RAM_BYTES;
    }

    /**
     * True when {@code bytes} of a volume crowd {@code memory}: over a quarter of it. A stream then
     * fetches such an input a window ahead and lets it go behind (and such an input is read through
     * its mapping, which madvise can let go).
     */
    public static boolean crowds(long bytes, long memory) {
        return bytes > memory / 4;
    }

    private static long readPhysicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean()
                instanceof OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 64L << 30;
    }

    /**
     * The share of a mapped segment's pages that are in the page cache now ({@code mincore(2)}),
     * or -1 when the segment is not mapped or the call is unavailable.
     */
    public static double residentFraction(MemorySegment mapped) {
        if (MINCORE == null || !mapped.isMapped() || mapped.byteSize() == 0) {
            return -1;
        }
        long start = mapped.address() / PAGE * PAGE;
        long end = (mapped.address() + mapped.byteSize() + PAGE - 1) / PAGE * PAGE;
        long pages = (end - start) / PAGE;
        long resident = 0;
        long step = 1L << 20; // pages a call, so the vector stays small
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = arena.allocate(Math.min(pages, step));
            for (long p0 = 0; p0 < pages; p0 += step) {
                long n = Math.min(step, pages - p0);
                int r = (int) MINCORE.invokeExact(MemorySegment.ofAddress(start + p0 * PAGE), n * PAGE, vec);
                if (r != 0) {
                    return -1;
                }
                for (long i = 0; i < n; i++) {
                    resident += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
                }
            }
        } catch (Throwable t) {
            return -1;
        }
        return (double) resident / pages;
    }

    /** True when the downcall is available on this platform. */
    public static boolean available() {
        return MADVISE != null;
    }

    /**
     * Advises the kernel about bytes {@code [offset, offset + length)} of a mapped segment, widened
     * to whole pages (a mapping always covers whole pages). Returns false when the segment is not
     * mapped, the call is unavailable, or the kernel refused.
     */
    public static boolean advise(MemorySegment mapped, long offset, long length, Advice advice) {
        if (MADVISE == null || !mapped.isMapped() || length <= 0 || offset < 0
                || offset + length > mapped.byteSize()) {
            return false;
        }
        long start = mapped.address() + offset;
        long alignedStart = start / PAGE * PAGE;
        long alignedEnd = (start + length + PAGE - 1) / PAGE * PAGE;
        try {
            int r = (int) MADVISE.invokeExact(MemorySegment.ofAddress(alignedStart), alignedEnd - alignedStart,
                    advice.value);
            return r == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * Asks for transparent huge pages on the whole 2 MiB pages inside native memory {@code seg}
     * (fresh anonymous memory: its first touch then faults once per 2 MiB instead of once per page,
     * which on virtual machines costs several times less). Best effort; false when not done.
     */
    public static boolean hugePages(MemorySegment seg) {
        if (MADVISE == null || !seg.isNative()) {
            return false;
        }
        long huge = 2L << 20;
        long start = (seg.address() + huge - 1) / huge * huge;
        long end = (seg.address() + seg.byteSize()) / huge * huge;
        if (end <= start) {
            return false;
        }
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, Advice.HUGEPAGE.value) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
