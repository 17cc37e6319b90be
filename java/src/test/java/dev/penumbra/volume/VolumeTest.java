package dev.penumbra.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.BadParameterException;
import dev.penumbra.BadVolumeException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeTest {
    @TempDir
    Path dir;

    private static Volume ramp(long... shape) {
        Volume v = Volume.allocate(DType.F32, shape);
        long n = v.elementCount();
        for (long i = 0; i < n; i++) {
            v.writeDouble(i * 4, i);
        }
        return v;
    }

    @Test
    void aBigAllocationIsZeroWritableAndFreedWithItsVolume() {
        long[] shape = {3, 1024, 1024}; // 12 MiB: an anonymous mapping, not the arena's zeroed memory
        assertTrue(shape[0] * shape[1] * shape[2] * 4 >= AnonymousMemory.MIN_BYTES);
        assertTrue(AnonymousMemory.available(), "the tests run on Linux with native access");
        Volume v = Volume.allocate(DType.F32, shape);
        var seg = v.segment();
        assertEquals(12L << 20, seg.byteSize());
        assertEquals(0, seg.address() % 4096, "a mapping of its own, page aligned");
        assertTrue(mapped(seg.address(), seg.byteSize()), "listed in /proc/self/maps");
        for (long i = 0; i < seg.byteSize(); i += 4096) {
            assertEquals(0, seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i), "byte " + i);
        }
        v.setDouble(2.5, 2, 1023, 1023);
        v.setDouble(-1, 0, 0, 0);
        assertEquals(2.5, v.getDouble(2, 1023, 1023));
        assertEquals(-1, v.getDouble(0, 0, 0));
        assertEquals(0, v.getDouble(1, 512, 512));
        v.close();
        assertThrows(IllegalStateException.class, () -> seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        assertFalse(mapped(seg.address(), 12L << 20), "unmapped when the volume closed");
    }

    /** True when one mapping of this process holds {@code [address, address + bytes)} ({@code /proc/self/maps}). */
    private static boolean mapped(long address, long bytes) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                long lo = Long.parseUnsignedLong(range[0], 16);
                long hi = Long.parseUnsignedLong(range[1], 16);
                if (Long.compareUnsigned(address, lo) >= 0 && Long.compareUnsigned(address + bytes, hi) <= 0) {
                    return true;
                }
            }
            return false;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void sliceIsAViewThatWritesThroughToItsParent() {
        try (Volume v = ramp(4, 5, 6)) {
            Volume s = v.slice(new long[] {1, 2, 3}, new long[] {3, 5, 6});
            assertArrayEquals(new long[] {2, 3, 3}, s.shape());
            assertEquals(v.getDouble(1, 2, 3), s.getDouble(0, 0, 0));
            assertEquals(v.getDouble(2, 4, 5), s.getDouble(1, 2, 2));
            s.setDouble(-7, 1, 1, 1);
            assertEquals(-7, v.getDouble(2, 3, 4));
            assertTrue(s.segment() == v.segment() || s.segment().address() == v.segment().address());
            assertFalse(s.isOwner());
        }
    }

    @Test
    void permuteAndHaloViewsShareMemory() {
        try (Volume v = ramp(3, 4, 5)) {
            Volume p = v.permute(2, 0, 1);
            assertArrayEquals(new long[] {5, 3, 4}, p.shape());
            assertEquals(v.getDouble(1, 2, 3), p.getDouble(3, 1, 2));
            p.setDouble(99, 4, 2, 3);
            assertEquals(99, v.getDouble(2, 3, 4));
            Volume h = v.haloView(new long[] {1, 0, 2}, new long[] {2, 2, 4}, new long[] {1, 1, 2});
            assertArrayEquals(new long[] {3, 3, 5}, h.shape());
            assertEquals(v.getDouble(0, 0, 0), h.getDouble(0, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> v.permute(0, 0, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> v.slice(new long[] {0, 0, 0}, new long[] {4, 4, 5}));
        }
    }

    @Test
    void closingTheOwnerInvalidatesViewsWithAnExceptionNotACrash() {
        Volume v = ramp(2, 3);
        Volume view = v.slice(new long[] {0, 1}, new long[] {2, 3});
        v.close();
        assertThrows(IllegalStateException.class, () -> view.getDouble(0, 0));
        view.close();
        v.close();
    }

    @Test
    void mapsRawFilesOfEveryByteOrderAndChecksTheirSize() throws Exception {
        Path f = dir.resolve("x.raw");
        byte[] b = new byte[8 + 2 * 3 * 2];
        b[8] = 1;      // big-endian int16 256 at [0,0]
        b[9 + 2] = 5;  // big-endian int16 5 at [0,1]
        Files.write(f, b);
        try (Volume v = VolumeFiles.mapRaw(f, new RawLayout(DType.I16, ByteOrder.BIG_ENDIAN,
                new long[] {2, 3}, 8))) {
            assertEquals(256, v.getDouble(0, 0));
            assertEquals(5, v.getDouble(0, 1));
        }
        Exception e = assertThrows(BadVolumeException.class, () -> VolumeFiles.mapRaw(f,
                new RawLayout(DType.F32, ByteOrder.LITTLE_ENDIAN, new long[] {2, 3}, 0)));
        assertTrue(e.getMessage().contains("raw size 20 bytes does not match shape [2, 3] × float32 (24 bytes)"),
                e.getMessage());
    }

    @Test
    void rejectsImpossibleShapes() {
        assertThrows(BadParameterException.class, () -> Shapes.parse("4,-1", "shape"));
        assertThrows(BadParameterException.class, () -> Shapes.parse("4294967296,4294967296,8", "shape"));
        assertThrows(BadParameterException.class, () -> Shapes.parse("1,2,3,4,5,6,7,8,9", "shape"));
        assertThrows(BadParameterException.class, () -> Shapes.parse("a,b", "shape"));
        assertEquals("dtype: unknown dtype 'float16' (expected one of uint8 int8 uint16 int16 uint32 int32 int64"
                + " float32 float64)", assertThrows(BadParameterException.class,
                () -> DType.parse("float16", "dtype")).getMessage());
        assertEquals(DType.I8, DType.parse("i8", "dtype"));
        assertEquals(DType.F64, DType.parse("f8", "dtype"));
    }
}
