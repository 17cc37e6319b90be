package dev.penumbra.zarr;

import dev.penumbra.BadVolumeException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Blosc 1 (numcodecs' default compressor) through FFM to the system's {@code libblosc.so.1}
 * (Debian: {@code libblosc1}), bound on first use. Every compressed buffer is checked with
 * {@code blosc_cbuffer_validate} before it is decompressed, so a damaged chunk gives an error, not
 * a crash. The {@code _ctx} calls keep no global state: any thread may call them.
 */
@SuppressWarnings("restricted") // calling C through FFM is this class's purpose (--enable-native-access)
final class Blosc {
    private Blosc() {
    }

    static final String MISSING = "blosc chunks need the system's Blosc library, libblosc.so.1 (Debian: apt-get install libblosc1)";

    private static final class Lib {
        static final MethodHandle COMPRESS;
        static final MethodHandle DECOMPRESS;
        static final MethodHandle VALIDATE;
        static final String ERROR;

        static {
            MethodHandle c = null;
            MethodHandle d = null;
            MethodHandle v = null;
            String err = null;
            try {
                SymbolLookup lib = SymbolLookup.libraryLookup("libblosc.so.1", Arena.global());
                Linker l = Linker.nativeLinker();
                ValueLayout i = ValueLayout.JAVA_INT;
                ValueLayout j = ValueLayout.JAVA_LONG;
                ValueLayout a = ValueLayout.ADDRESS;
                c = l.downcallHandle(lib.find("blosc_compress_ctx").orElseThrow(),
                        FunctionDescriptor.of(i, i, i, j, j, a, a, j, a, j, i));
                d = l.downcallHandle(lib.find("blosc_decompress_ctx").orElseThrow(),
                        FunctionDescriptor.of(i, a, a, j, i));
                v = l.downcallHandle(lib.find("blosc_cbuffer_validate").orElseThrow(),
                        FunctionDescriptor.of(i, a, j, a));
            } catch (IllegalArgumentException | java.util.NoSuchElementException | IllegalCallerException e) {
                err = MISSING + ": " + e.getMessage();
            }
            COMPRESS = c;
            DECOMPRESS = d;
            VALIDATE = v;
            ERROR = err;
        }
    }

    /** Throws the one-line reason when the library is not there. */
    static void require() {
        if (Lib.ERROR != null) {
            throw new BadVolumeException(Lib.ERROR);
        }
    }

    static MemorySegment decompress(MemorySegment src, long expected, SegmentAllocator arena) {
        require();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment in = native_(src, tmp);
            MemorySegment nb = tmp.allocate(ValueLayout.JAVA_LONG);
            int ok = (int) Lib.VALIDATE.invokeExact(in, in.byteSize(), nb);
            long n = nb.get(ValueLayout.JAVA_LONG, 0);
            if (ok != 0) {
                throw new ChunkException("blosc data is damaged or truncated (its header does not match its "
                        + in.byteSize() + " bytes)");
            }
            if (expected >= 0 && n != expected) {
                throw new ChunkException("blosc data holds " + n + " bytes, the chunk is " + expected);
            }
            Codecs.checkSize(n, "a decoded blosc chunk");
            MemorySegment out = arena.allocate(Math.max(1, n), 64).asSlice(0, n);
            int got = (int) Lib.DECOMPRESS.invokeExact(in, out, n, 1);
            if (got != n) {
                throw new ChunkException("blosc data is damaged (decompression returned " + got + ")");
            }
            return out;
        } catch (ChunkException | BadVolumeException e) {
            throw e;
        } catch (Throwable t) {
            throw new ChunkException("blosc: " + t, t);
        }
    }

    static MemorySegment compress(MemorySegment src, int clevel, int shuffle, int typesize, String cname, int blocksize,
                                  SegmentAllocator arena) {
        require();
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment in = native_(src, tmp);
            long cap = src.byteSize() + 16;
            MemorySegment out = arena.allocate(cap, 64);
            int n = (int) Lib.COMPRESS.invokeExact(clevel, shuffle, (long) typesize, src.byteSize(), in, out, cap,
                    tmp.allocateFrom(cname), (long) blocksize, 1);
            if (n <= 0) {
                throw new IllegalStateException("blosc compression failed (" + n + ", compressor " + cname + ")");
            }
            return out.asSlice(0, n);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("blosc: " + t, t);
        }
    }

    /** The bytes in native memory (a heap segment cannot be passed to C). */
    private static MemorySegment native_(MemorySegment s, Arena tmp) {
        if (s.isNative()) {
            return s;
        }
        MemorySegment n = tmp.allocate(Math.max(1, s.byteSize()), 64).asSlice(0, s.byteSize());
        n.copyFrom(s);
        return n;
    }
}
