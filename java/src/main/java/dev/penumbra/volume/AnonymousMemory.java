package dev.penumbra.volume;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Big zero-filled native memory as an anonymous mapping ({@code mmap(2)}), freed ({@code munmap})
 * when its arena closes. {@link Arena#allocate} zeroes what it allocates on the calling thread,
 * faulting every page in and then writing it once more; a fresh anonymous mapping is zero already
 * and its pages are faulted in by whoever first writes them (a run's workers, in parallel). Seed
 * shape float32 output (244 MB), Zen 3 VM, fresh JVMs alternating: allocating it 200-265 ms -> 18-30
 * ms, a gaussian into a freshly allocated output 374-535 -> 306-460 ms (allocation included).
 *
 * <p>Not asked for transparent huge pages: on these VMs (Firecracker, free page reporting) memory
 * the guest has not touched lately faults in at 0.39-0.47 s per 244 MB in huge pages against 0.23 s
 * in 4 KiB pages (C, memset), and the same gaussian into fresh huge pages took 563-680 ms.
 */
@SuppressWarnings("restricted") // calling C through FFM is this class's purpose (--enable-native-access)
final class AnonymousMemory {
    /** Below this, {@link Arena#allocate} (a mapping per small volume would waste address space and calls). */
    static final long MIN_BYTES = 4L << 20;
    private static final int PROT_READ_WRITE = 3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle map = null;
        MethodHandle unmap = null;
        try {
            if (!AnonymousMemory.class.getModule().isNativeAccessEnabled()) {
                // without --enable-native-access the downcalls would print the JVM's warning
                throw new IllegalCallerException("no native access");
            }
            Linker l = Linker.nativeLinker();
            var lookup = l.defaultLookup();
            ValueLayout i = ValueLayout.JAVA_INT;
            ValueLayout j = ValueLayout.JAVA_LONG;
            ValueLayout p = ValueLayout.ADDRESS;
            map = lookup.find("mmap").map(a -> l.downcallHandle(a, FunctionDescriptor.of(p, p, j, i, i, i, j)))
                    .orElse(null);
            unmap = lookup.find("munmap").map(a -> l.downcallHandle(a, FunctionDescriptor.of(i, p, j))).orElse(null);
        } catch (Throwable t) {
            // no FFM access or no libc: allocate falls back to the arena
        }
        // the flags' values are Linux's on x86-64 and aarch64 (others differ: MAP_ANONYMOUS is 0x800 on MIPS)
        String arch = System.getProperty("os.arch");
        boolean known = "Linux".equals(System.getProperty("os.name"))
                && ("amd64".equals(arch) || "x86_64".equals(arch) || "aarch64".equals(arch));
        MMAP = map == null || unmap == null || !known ? null : map;
        MUNMAP = unmap;
    }

    private AnonymousMemory() {
    }

    /** True when big volumes are mapped here (Linux, native access); else they come from the arena. */
    static boolean available() {
        return MMAP != null;
    }

    /**
     * {@code bytes} of zeroed memory, page aligned, living as long as {@code arena}; null when the
     * size is small or the platform has no {@code mmap} (the caller then uses the arena).
     */
    static MemorySegment allocate(long bytes, Arena arena) {
        if (MMAP == null || bytes < MIN_BYTES) {
            return null;
        }
        MemorySegment base;
        try {
            base = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ_WRITE,
                    MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            return null;
        }
        if (base.address() == -1L || base.address() == 0L) {
            return null; // MAP_FAILED: the arena's allocation reports what is missing
        }
        long address = base.address();
        return MemorySegment.ofAddress(address).reinterpret(bytes, arena, s -> unmap(address, bytes));
    }

    private static void unmap(long address, long length) {
        try {
            int unused = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            // the address space stays reserved; nothing else to do at close
        }
    }
}
