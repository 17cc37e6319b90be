package dev.penumbra.volume;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * Moves runs of elements between a {@link Volume} (mapped or off-heap) and heap arrays with
 * {@link MemorySegment#copy} — never with vector loads on the mapping, so that a file truncated
 * under the mapping raises a catchable error instead of crashing the JVM. Integer types go through
 * staging arrays that each thread keeps, grown to the longest run it has copied.
 */
final class RowCopy {
    // process-wide: one staging set per thread, reused by every volume the thread reads
    private static final ThreadLocal<RowCopy> LOCAL = ThreadLocal.withInitial(RowCopy::new);

    private byte[] bytes = new byte[0];
    private short[] shorts = new short[0];
    private int[] ints = new int[0];
    private long[] longs = new long[0];
    private float[] floats = new float[0];
    private double[] doubles = new double[0];
    /** Rows one positional read brought ({@link #fetch}): bytes {@code [heldFrom, heldTo)} of {@code heldBy}'s file. */
    private ByteBuffer held;
    private MemorySegment heldSegment;
    private FileReads heldBy;
    private long heldFrom;
    private long heldTo;
    /** Where {@link #locate} found a run: a segment and the run's byte offset in it. */
    private MemorySegment src;
    private long srcOff;

    private RowCopy() {
    }

    /**
     * Brings bytes {@code [from, from + len)} of a volume's segment into this thread's buffer with one
     * positional read of {@code reads}' file, for the row reads that follow ({@link FileReads}).
     */
    static void fetch(FileReads reads, long from, long len) {
        RowCopy r = LOCAL.get();
        r.heldBy = null;
        if (len > FileReads.MAX_BYTES) {
            return;
        }
        if (r.held == null || r.held.capacity() < len) {
            try {
                r.held = FileReads.buffer((int) len);
            } catch (OutOfMemoryError directMemoryFull) {
                return; // the rows come from the mapping
            }
            r.heldSegment = FileReads.segment(r.held);
        }
        if (reads.read(r.held, from, (int) len)) {
            r.heldBy = reads;
            r.heldFrom = from;
            r.heldTo = from + len;
        }
    }

    /** Sets {@link #src} and {@link #srcOff} to bytes {@code [off, off + len)} of {@code v}: this thread's buffer when it holds them, else the volume's memory. */
    private void locate(Volume v, long off, long len) {
        FileReads f = v.fileReads();
        if (f != null && heldBy == f && off >= heldFrom && off + len <= heldTo && f.open()) {
            src = heldSegment;
            srcOff = off - heldFrom;
        } else {
            src = v.segment();
            srcOff = off;
        }
    }

    /** Reads {@code count} elements from element {@code elem} with stride {@code stride} as doubles. */
    static void read(Volume v, long elem, long stride, int count, double[] dst, int dstPos, Widen widen) {
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
        RowCopy r = LOCAL.get();
        r.locate(v, off, (long) count * t.size());
        seg = r.src;
        off = r.srcOff;
        switch (t) {
            case U8, I8 -> {
                byte[] b = r.bytes.length >= count ? r.bytes : (r.bytes = new byte[count]);
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, b, 0, count);
                if (widen != null) {
                    widen.widen(b, t == DType.U8, count, dst, dstPos);
                } else if (t == DType.U8) {
                    for (int i = 0; i < count; i++) {
                        dst[dstPos + i] = b[i] & 0xff;
                    }
                } else {
                    for (int i = 0; i < count; i++) {
                        dst[dstPos + i] = b[i];
                    }
                }
            }
            case U16, I16 -> {
                short[] s = r.shorts.length >= count ? r.shorts : (r.shorts = new short[count]);
                MemorySegment.copy(seg, layout, off, s, 0, count);
                if (widen != null) {
                    widen.widen(s, t == DType.U16, count, dst, dstPos);
                } else if (t == DType.U16) {
                    for (int i = 0; i < count; i++) {
                        dst[dstPos + i] = s[i] & 0xffff;
                    }
                } else {
                    for (int i = 0; i < count; i++) {
                        dst[dstPos + i] = s[i];
                    }
                }
            }
            case U32, I32 -> {
                int[] s = r.ints.length >= count ? r.ints : (r.ints = new int[count]);
                MemorySegment.copy(seg, layout, off, s, 0, count);
                boolean unsigned = t == DType.U32;
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = unsigned ? s[i] & 0xffffffffL : s[i];
                }
            }
            case I64 -> {
                long[] s = r.longs.length >= count ? r.longs : (r.longs = new long[count]);
                MemorySegment.copy(seg, layout, off, s, 0, count);
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = s[i];
                }
            }
            case F32 -> {
                float[] s = r.floats.length >= count ? r.floats : (r.floats = new float[count]);
                MemorySegment.copy(seg, layout, off, s, 0, count);
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = s[i];
                }
            }
            case F64 -> MemorySegment.copy(seg, layout, off, dst, dstPos, count);
        }
    }

    /** Reads {@code count} elements as floats: one copy for float32, through doubles for the rest. */
    static void readFloat(Volume v, long elem, long stride, int count, float[] dst, int dstPos, Widen widen) {
        if (v.dtype() == DType.F32) {
            long off = elem * 4;
            if (stride == 1) {
                if (v.fileReads() == null) {
                    MemorySegment.copy(v.segment(), v.layout(), off, dst, dstPos, count);
                } else {
                    RowCopy r = LOCAL.get();
                    r.locate(v, off, 4L * count);
                    MemorySegment.copy(r.src, v.layout(), r.srcOff, dst, dstPos, count);
                }
            } else {
                for (int i = 0; i < count; i++) {
                    dst[dstPos + i] = (float) v.readDouble(off + i * stride * 4);
                }
            }
            return;
        }
        RowCopy r = LOCAL.get();
        long off = elem * v.dtype().size();
        if (stride == 1) {
            r.locate(v, off, (long) count * v.dtype().size());
            MemorySegment seg = r.src;
            long at = r.srcOff;
            // the integers float holds exactly, converted in one loop C2 vectorises (through doubles
            // it took two: sobel on uint8, seed shape, gathered at 1.4 G elements/s)
            switch (v.dtype()) {
                case U8, I8 -> {
                    byte[] b = r.bytes.length >= count ? r.bytes : (r.bytes = new byte[count]);
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, at, b, 0, count);
                    if (widen != null) {
                        widen.widen(b, v.dtype() == DType.U8, count, dst, dstPos);
                    } else if (v.dtype() == DType.U8) {
                        for (int i = 0; i < count; i++) {
                            dst[dstPos + i] = b[i] & 0xff;
                        }
                    } else {
                        for (int i = 0; i < count; i++) {
                            dst[dstPos + i] = b[i];
                        }
                    }
                    return;
                }
                case U16, I16 -> {
                    short[] h = r.shorts.length >= count ? r.shorts : (r.shorts = new short[count]);
                    MemorySegment.copy(seg, v.layout(), at, h, 0, count);
                    if (widen != null) {
                        widen.widen(h, v.dtype() == DType.U16, count, dst, dstPos);
                    } else if (v.dtype() == DType.U16) {
                        for (int i = 0; i < count; i++) {
                            dst[dstPos + i] = h[i] & 0xffff;
                        }
                    } else {
                        for (int i = 0; i < count; i++) {
                            dst[dstPos + i] = h[i];
                        }
                    }
                    return;
                }
                default -> {
                }
            }
        }
        double[] d = r.doubles.length >= count ? r.doubles : (r.doubles = new double[count]);
        read(v, elem, stride, count, d, 0, null);
        for (int i = 0; i < count; i++) {
            dst[dstPos + i] = (float) d[i];
        }
    }

    /**
     * Writes {@code count} values, rounding to a float dtype; integer dtypes take the values'
     * integer part ({@link Volume#writeDouble}: the engine hands them already cast).
     */
    static void write(Volume v, long elem, long stride, int count, double[] src, int srcPos) {
        MemorySegment seg = v.segment();
        DType t = v.dtype();
        long off = elem * t.size();
        if (stride == 1 && !t.isFloating()) {
            // whole runs through a staging array, converted as writeDouble converts each element
            RowCopy r = LOCAL.get();
            switch (t) {
                case U8, I8 -> {
                    byte[] b = r.bytes.length >= count ? r.bytes : (r.bytes = new byte[count]);
                    for (int i = 0; i < count; i++) {
                        b[i] = (byte) (long) src[srcPos + i];
                    }
                    MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, off, count);
                }
                case U16, I16 -> {
                    short[] h = r.shorts.length >= count ? r.shorts : (r.shorts = new short[count]);
                    for (int i = 0; i < count; i++) {
                        h[i] = (short) (long) src[srcPos + i];
                    }
                    MemorySegment.copy(h, 0, seg, v.layout(), off, count);
                }
                case U32, I32 -> {
                    int[] w = r.ints.length >= count ? r.ints : (r.ints = new int[count]);
                    for (int i = 0; i < count; i++) {
                        w[i] = (int) (long) src[srcPos + i];
                    }
                    MemorySegment.copy(w, 0, seg, v.layout(), off, count);
                }
                default -> {
                    long[] w = r.longs.length >= count ? r.longs : (r.longs = new long[count]);
                    for (int i = 0; i < count; i++) {
                        w[i] = (long) src[srcPos + i];
                    }
                    MemorySegment.copy(w, 0, seg, v.layout(), off, count);
                }
            }
            return;
        }
        if (stride != 1 || (t != DType.F32 && t != DType.F64)) {
            long step = stride * t.size();
            for (int i = 0; i < count; i++) {
                v.writeDouble(off + i * step, src[srcPos + i]);
            }
            return;
        }
        if (t == DType.F64) {
            MemorySegment.copy(src, srcPos, seg, v.layout(), off, count);
        } else {
            RowCopy r = LOCAL.get();
            float[] s = r.floats.length >= count ? r.floats : (r.floats = new float[count]);
            for (int i = 0; i < count; i++) {
                s[i] = (float) src[srcPos + i];
            }
            MemorySegment.copy(s, 0, seg, v.layout(), off, count);
        }
    }

    /** Writes {@code count} floats; to a float64 volume they widen exactly. */
    static void writeFloat(Volume v, long elem, long stride, int count, float[] src, int srcPos) {
        DType t = v.dtype();
        long off = elem * t.size();
        if (t == DType.F32 && stride == 1) {
            MemorySegment.copy(src, srcPos, v.segment(), v.layout(), off, count);
            return;
        }
        if (stride == 1) {
            // whole runs as write converts them (the engine's integer-exact float runs into integer
            // and float64 outputs)
            RowCopy r = LOCAL.get();
            double[] d = r.doubles.length >= count ? r.doubles : (r.doubles = new double[count]);
            for (int i = 0; i < count; i++) {
                d[i] = src[srcPos + i];
            }
            write(v, elem, 1, count, d, 0);
            return;
        }
        long step = stride * t.size();
        for (int i = 0; i < count; i++) {
            v.writeDouble(off + i * step, src[srcPos + i]);
        }
    }
}
