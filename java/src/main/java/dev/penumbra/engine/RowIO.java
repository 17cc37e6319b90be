package dev.penumbra.engine;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Moves rows between a volume (mapped or off-heap) and a worker's double scratch with
 * {@link MemorySegment#copy} — never with vector loads on the mapping, so that a file truncated
 * under the mapping raises a catchable error instead of crashing the JVM. One per worker thread;
 * its staging arrays grow to the longest row and are reused.
 */
final class RowIO {
    private byte[] bytes = new byte[0];
    private short[] shorts = new short[0];
    private int[] ints = new int[0];
    private long[] longs = new long[0];
    private float[] floats = new float[0];
    private FloatTileKernel rangeKernel;
    private float[] range;

    /** Reads {@code count} elements starting at element {@code elem} with stride {@code stride}. */
    void read(Volume v, long elem, long stride, int count, double[] dst, int dstPos) {
        MemorySegment seg = v.segment();
        DType t = v.dtype();
        long off = elem * t.size();
        if (stride != 1) {
            long step = stride * t.size();
            for (int i = 0; i < count; i++) {
                dst[dstPos + i] = v.readDouble(off + i * step);
            }
            return;
        }
        ValueLayout layout = v.layout();
        switch (t) {
            case U8, I8 -> {
                byte[] b = bytes.length >= count ? bytes : (bytes = new byte[count]);
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, b, 0, count);
                boolean unsigned = t == DType.U8;
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = unsigned ? b[i] & 0xff : b[i];
                }
            }
            case U16, I16 -> {
                short[] s = shorts.length >= count ? shorts : (shorts = new short[count]);
                MemorySegment.copy(seg, layout, off, s, 0, count);
                boolean unsigned = t == DType.U16;
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = unsigned ? s[i] & 0xffff : s[i];
                }
            }
            case U32, I32 -> {
                int[] s = ints.length >= count ? ints : (ints = new int[count]);
                MemorySegment.copy(seg, layout, off, s, 0, count);
                boolean unsigned = t == DType.U32;
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = unsigned ? s[i] & 0xffffffffL : s[i];
                }
            }
            case I64 -> {
                long[] s = longs.length >= count ? longs : (longs = new long[count]);
                MemorySegment.copy(seg, layout, off, s, 0, count);
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = s[i];
                }
            }
            case F32 -> {
                float[] s = floats.length >= count ? floats : (floats = new float[count]);
                MemorySegment.copy(seg, layout, off, s, 0, count);
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = s[i];
                }
            }
            case F64 -> MemorySegment.copy(seg, layout, off, dst, dstPos, count);
        }
    }

    /** Folds the range of everything {@link #readFloat} reads into {@code acc} ({min, max}). */
    void trackRange(FloatTileKernel kernel, float[] acc) {
        rangeKernel = kernel;
        range = acc;
    }

    /** Reads {@code count} elements of a float32 volume into float scratch. */
    void readFloat(Volume v, long elem, long stride, int count, float[] dst, int dstPos) {
        long off = elem * 4;
        if (stride == 1) {
            MemorySegment.copy(v.segment(), v.layout(), off, dst, dstPos, count);
        } else {
            for (int i = 0; i < count; i++) {
                dst[dstPos + i] = (float) v.readDouble(off + i * stride * 4);
            }
        }
        if (range != null) {
            // the rows are in L1 now: the range costs no memory traffic, unlike a pass of its own
            rangeKernel.range(dst, dstPos, count, range);
        }
    }

    /** Writes {@code count} floats to a float32 volume. */
    void writeFloat(Volume v, long elem, long stride, int count, float[] src, int srcPos) {
        long off = elem * 4;
        if (stride == 1) {
            MemorySegment.copy(src, srcPos, v.segment(), v.layout(), off, count);
        } else {
            for (int i = 0; i < count; i++) {
                v.writeDouble(off + i * stride * 4, src[srcPos + i]);
            }
        }
    }

    /** Writes {@code count} values to a float32 or float64 volume, rounding to its dtype. */
    void write(Volume v, long elem, long stride, int count, double[] src, int srcPos) {
        MemorySegment seg = v.segment();
        DType t = v.dtype();
        long off = elem * t.size();
        if (stride != 1) {
            long step = stride * t.size();
            for (int i = 0; i < count; i++) {
                v.writeDouble(off + i * step, src[srcPos + i]);
            }
            return;
        }
        if (t == DType.F64) {
            MemorySegment.copy(src, srcPos, seg, v.layout(), off, count);
        } else {
            float[] s = floats.length >= count ? floats : (floats = new float[count]);
            for (int i = 0; i < count; i++) {
                s[i] = (float) src[srcPos + i];
            }
            MemorySegment.copy(s, 0, seg, v.layout(), off, count);
        }
    }
}
