package dev.penumbra.volume;

import dev.penumbra.BadParameterException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An N-d array (rank 1 to 8) over off-heap memory: a {@link MemorySegment}, an element type, a
 * byte order, a shape, and strides and an offset counted in elements. Nothing proportional to the
 * data lives on the Java heap.
 *
 * <p>A volume made by {@link #allocate} or by mapping a file owns its {@link Arena} and frees the
 * memory on {@link #close()}. Views ({@link #slice}, {@link #permute}, {@link #haloView}) share the
 * segment and never copy; closing a view does nothing, and a view used after its owner was closed
 * throws {@link IllegalStateException} from the FFM API rather than crashing.
 *
 * <p>As a {@link Source} and a {@link Sink} it reads and writes runs along its last axis with
 * {@link java.lang.foreign.MemorySegment#copy} (never vector loads on a mapping), and a mapped,
 * C-ordered volume turns read advice into {@code madvise} on the box's pages.
 */
public final class Volume implements Source, Sink, AutoCloseable {
    public static final int MAX_RANK = 8;

    private final MemorySegment segment;
    /** Where {@link #doneWriting} sends an output file's ranges, or null. */
    private volatile WriteBehind writeBehind;
    private final DType dtype;
    private final ByteOrder order;
    private final long[] shape;
    private final long[] strides;
    private final long offset;
    private final Arena owner;
    private final ValueLayout layout;
    /** Positional reads of the mapped file behind the segment, or null ({@link FileReads}); views share it. */
    private FileReads fileReads;

    Volume(MemorySegment segment, DType dtype, ByteOrder order, long[] shape, long[] strides, long offset,
           Arena owner) {
        if (shape.length < 1 || shape.length > MAX_RANK) {
            throw new BadParameterException("shape: rank " + shape.length + " is not supported (expected 1 to "
                    + MAX_RANK + " axes)");
        }
        this.segment = segment;
        this.dtype = dtype;
        this.order = order;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
        this.owner = owner;
        this.layout = dtype.layout(order);
    }

    /**
     * A C-ordered, zero-filled, little-endian volume in fresh off-heap memory (owned). A big one is
     * an anonymous mapping ({@link AnonymousMemory}): its pages are faulted in by whoever first
     * writes them, not zeroed here.
     */
    public static Volume allocate(DType dtype, long... shape) {
        long n = Shapes.elementCount(shape, "shape");
        Arena arena = Arena.ofShared();
        long bytes = Math.max(1, Math.multiplyExact(n, dtype.size()));
        MemorySegment seg = AnonymousMemory.allocate(bytes, arena);
        if (seg == null) {
            seg = arena.allocate(bytes, 64);
        }
        return new Volume(seg, dtype, ByteOrder.LITTLE_ENDIAN, shape, Shapes.cStrides(shape), 0, arena);
    }

    /**
     * A volume over an existing segment that the caller keeps alive (not owned). The segment must
     * hold every element the shape, strides and offset address.
     */
    public static Volume wrap(MemorySegment segment, DType dtype, ByteOrder order, long[] shape, long[] strides,
                              long offset) {
        Volume v = new Volume(segment, dtype, order, shape, strides, offset, null);
        v.checkBounds();
        return v;
    }

    static Volume owned(MemorySegment segment, DType dtype, ByteOrder order, long[] shape, long[] strides,
                        Arena arena) {
        Volume v = new Volume(segment, dtype, order, shape, strides, 0, arena);
        v.checkBounds();
        return v;
    }

    private void checkBounds() {
        if (elementCount() == 0) {
            return;
        }
        long lo = offset;
        long hi = offset;
        for (int a = 0; a < shape.length; a++) {
            long span = (shape[a] - 1) * strides[a];
            if (span < 0) {
                lo += span;
            } else {
                hi += span;
            }
        }
        if (lo < 0 || (hi + 1) * dtype.size() > segment.byteSize()) {
            throw new IllegalArgumentException("volume addresses elements " + lo + ".." + hi
                    + " outside its segment of " + segment.byteSize() + " bytes");
        }
    }

    /** A view of this volume's memory: it reads the file as this volume does. */
    private Volume view(Volume v) {
        v.fileReads = fileReads;
        return v;
    }

    /** Reads rows announced by {@link #willReadRows} with positional reads of {@code reads}' file (set once, before use). */
    void readWith(FileReads reads) {
        this.fileReads = reads;
    }

    FileReads fileReads() {
        return fileReads;
    }

    /**
     * Rows that follow each other in the file (C order, whole rows) come in with one positional read
     * when the volume has {@link FileReads}; other volumes and layouts ignore the hint.
     */
    @Override
    public void willReadRows(long[] at, int axis, int n, int count) {
        FileReads f = fileReads;
        int last = shape.length - 1;
        if (f == null || n < 2 || at.length != shape.length || axis != last - 1 || count != shape[last]
                || strides[last] != 1 || strides[axis] != count || at[last] != 0) {
            return;
        }
        for (int a = 0; a < last; a++) {
            if (at[a] < 0 || at[a] + (a == axis ? n : 1) > shape[a]) {
                return; // advice only: the reads themselves say what is out of bounds
            }
        }
        long size = dtype.size();
        RowCopy.fetch(f, runStart(at, count) * size, n * (long) count * size);
    }

    /** The memory the volume (and every view of it) addresses. */
    public MemorySegment segment() {
        return segment;
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** The byte order of the elements. */
    public ByteOrder order() {
        return order;
    }

    /** How many axes (1 to {@value #MAX_RANK}). */
    public int rank() {
        return shape.length;
    }

    /** The extent of each axis, axis 0 first; a copy. */
    public long[] shape() {
        return shape.clone();
    }

    /** The extent of one axis. */
    public long shape(int axis) {
        return shape[axis];
    }

    /** Element strides of each axis; a copy. */
    public long[] strides() {
        return strides.clone();
    }

    /** The element stride of one axis. */
    public long stride(int axis) {
        return strides[axis];
    }

    /** Offset of element (0,..,0), in elements from the start of the segment. */
    public long offset() {
        return offset;
    }

    /** The FFM layout of one element, with the byte order. */
    public ValueLayout layout() {
        return layout;
    }

    /** How many elements (the product of the shape). */
    public long elementCount() {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Bytes the elements take (element count times element size). */
    public long byteSize() {
        return elementCount() * dtype.size();
    }

    /** True when the elements are laid out in C order with no gaps. */
    public boolean isCContiguous() {
        return Arrays.equals(strides, Shapes.cStrides(shape));
    }

    /** Byte offset in the segment of the element at {@code index}. */
    public long byteOffset(long... index) {
        long e = offset;
        for (int a = 0; a < shape.length; a++) {
            e += index[a] * strides[a];
        }
        return e * dtype.size();
    }

    /** Reads one element as a double (exact for every supported type but int64 beyond 2^53). */
    public double getDouble(long... index) {
        return readDouble(byteOffset(index));
    }

    /** Writes one element, converting from double as numpy's {@code astype} would for in-range values. */
    public void setDouble(double value, long... index) {
        writeDouble(byteOffset(index), value);
    }

    /** Reads the element at a byte offset of the segment. */
    public double readDouble(long byteOffset) {
        return switch (dtype) {
            case U8 -> segment.get(ValueLayout.JAVA_BYTE, byteOffset) & 0xff;
            case I8 -> segment.get(ValueLayout.JAVA_BYTE, byteOffset);
            case U16 -> segment.get((ValueLayout.OfShort) layout, byteOffset) & 0xffff;
            case I16 -> segment.get((ValueLayout.OfShort) layout, byteOffset);
            case U32 -> segment.get((ValueLayout.OfInt) layout, byteOffset) & 0xffffffffL;
            case I32 -> segment.get((ValueLayout.OfInt) layout, byteOffset);
            case I64 -> segment.get((ValueLayout.OfLong) layout, byteOffset);
            case F32 -> segment.get((ValueLayout.OfFloat) layout, byteOffset);
            case F64 -> segment.get((ValueLayout.OfDouble) layout, byteOffset);
        };
    }

    /** Writes the element at a byte offset of the segment. */
    public void writeDouble(long byteOffset, double v) {
        switch (dtype) {
            case U8, I8 -> segment.set(ValueLayout.JAVA_BYTE, byteOffset, (byte) (long) v);
            case U16, I16 -> segment.set((ValueLayout.OfShort) layout, byteOffset, (short) (long) v);
            case U32, I32 -> segment.set((ValueLayout.OfInt) layout, byteOffset, (int) (long) v);
            case I64 -> segment.set((ValueLayout.OfLong) layout, byteOffset, (long) v);
            case F32 -> segment.set((ValueLayout.OfFloat) layout, byteOffset, (float) v);
            case F64 -> segment.set((ValueLayout.OfDouble) layout, byteOffset, v);
        }
    }

    /** Element index (offset plus coordinates times strides) of a run of {@code count} along the last axis. */
    private long runStart(long[] at, int count) {
        int last = shape.length - 1;
        if (at.length != shape.length || count < 0 || at[last] < 0 || at[last] + count > shape[last]) {
            throw new IndexOutOfBoundsException("run of " + count + " at " + Arrays.toString(at) + " is outside "
                    + Arrays.toString(shape));
        }
        long e = offset;
        for (int a = 0; a < shape.length; a++) {
            if (a < last && (at[a] < 0 || at[a] >= shape[a])) {
                throw new IndexOutOfBoundsException("run at " + Arrays.toString(at) + " is outside "
                        + Arrays.toString(shape));
            }
            e += at[a] * strides[a];
        }
        return e;
    }

    @Override
    public void read(long[] at, int count, double[] dst, int dstPos) {
        RowCopy.read(this, runStart(at, count), strides[shape.length - 1], count, dst, dstPos, null);
    }

    @Override
    public void readFloat(long[] at, int count, float[] dst, int dstPos) {
        RowCopy.readFloat(this, runStart(at, count), strides[shape.length - 1], count, dst, dstPos, null);
    }

    @Override
    public void read(long[] at, int count, double[] dst, int dstPos, Widen widen) {
        RowCopy.read(this, runStart(at, count), strides[shape.length - 1], count, dst, dstPos, widen);
    }

    @Override
    public void readFloat(long[] at, int count, float[] dst, int dstPos, Widen widen) {
        RowCopy.readFloat(this, runStart(at, count), strides[shape.length - 1], count, dst, dstPos, widen);
    }

    @Override
    public void write(long[] at, int count, double[] src, int srcPos) {
        RowCopy.write(this, runStart(at, count), strides[shape.length - 1], count, src, srcPos);
    }

    @Override
    public void writeFloat(long[] at, int count, float[] src, int srcPos) {
        RowCopy.writeFloat(this, runStart(at, count), strides[shape.length - 1], count, src, srcPos);
    }

    @Override
    public void willRead(long[] lo, long[] hi) {
        advise(lo, hi, Madvise.Advice.WILLNEED);
    }

    @Override
    public void doneReading(long[] lo, long[] hi) {
        letGo(lo, hi);
    }

    /** A mapped file's read-ahead: sequential (as {@link VolumeFiles} maps inputs), or none (random). */
    @Override
    public void ownReadAhead(boolean on) {
        if (segment.isMapped() && segment.byteSize() > 0) {
            Madvise.advise(segment, 0, segment.byteSize(), on ? Madvise.Advice.SEQUENTIAL : Madvise.Advice.RANDOM);
        }
    }

    /**
     * An output file's volume ({@link OutputFile}) hands the box to its {@link WriteBehind}, which
     * starts writing it to disk; other volumes ignore it.
     */
    @Override
    public void doneWriting(long[] lo, long[] hi) {
        WriteBehind w = writeBehind;
        if (w != null && isCContiguous()) {
            forEachRun(lo, hi, (from, bytes) -> {
                w.done(from, bytes);
                return true;
            });
        }
    }

    /** Makes {@link #doneWriting} write this file's boxes behind the run (set by {@link OutputFile}). */
    void writeBehind(WriteBehind w) {
        this.writeBehind = w;
    }

    /**
     * Reclaims the pages of the box ({@link Madvise.Advice#PAGEOUT}: dirty ones are written back
     * first), where the kernel has it; else unmaps them ({@link Madvise.Advice#DONTNEED}, which
     * leaves them to the page cache's own reclaim).
     */
    private void letGo(long[] lo, long[] hi) {
        if (!advise(lo, hi, Madvise.Advice.PAGEOUT)) {
            advise(lo, hi, Madvise.Advice.DONTNEED);
        }
    }

    /**
     * Advises the kernel on the pages of the box {@code [lo, hi)} of a mapped, C-ordered volume: one
     * contiguous byte range per index of the axes before the innermost one the box does not span.
     * Other volumes are left alone. Returns false when the volume is not such a mapping or the kernel
     * refused some of the advice.
     */
    public boolean advise(long[] lo, long[] hi, Madvise.Advice advice) {
        return segment.isMapped() && isCContiguous()
                && forEachRun(lo, hi, (from, bytes) -> Madvise.advise(segment, from, bytes, advice));
    }

    /** A contiguous byte range of the segment; returns false when what it did failed. */
    @FunctionalInterface
    private interface ByteRun {
        boolean visit(long from, long bytes);
    }

    /**
     * The box {@code [lo, hi)} of a C-ordered volume as contiguous byte ranges of the segment: one
     * per index of the axes before the innermost one the box does not span. True when every visit was.
     */
    private boolean forEachRun(long[] lo, long[] hi, ByteRun run) {
        int k = shape.length - 1;
        while (k > 0 && lo[k] == 0 && hi[k] == shape[k]) {
            k--;
        }
        for (int a = 0; a < shape.length; a++) {
            if (hi[a] <= lo[a]) {
                return true;
            }
        }
        boolean ok = true;
        long runBytes = (hi[k] - lo[k]) * strides[k] * dtype.size();
        long[] idx = new long[k];
        for (int a = 0; a < k; a++) {
            idx[a] = lo[a];
        }
        while (true) {
            long e = offset + lo[k] * strides[k];
            for (int a = 0; a < k; a++) {
                e += idx[a] * strides[a];
            }
            ok &= run.visit(e * dtype.size(), runBytes);
            int a = k - 1;
            while (a >= 0 && ++idx[a] >= hi[a]) {
                idx[a] = lo[a];
                a--;
            }
            if (a < 0) {
                return ok;
            }
        }
    }

    /** A zero-copy view of the box {@code [lo, hi)} (per axis, clipped bounds not allowed). */
    public Volume slice(long[] lo, long[] hi) {
        if (lo.length != rank() || hi.length != rank()) {
            throw new IllegalArgumentException("slice: expected " + rank() + " bounds per side");
        }
        long[] s = new long[rank()];
        long off = offset;
        for (int a = 0; a < rank(); a++) {
            if (lo[a] < 0 || hi[a] > shape[a] || lo[a] > hi[a]) {
                throw new IndexOutOfBoundsException("slice: axis " + a + " range [" + lo[a] + ", " + hi[a]
                        + ") is outside [0, " + shape[a] + ")");
            }
            s[a] = hi[a] - lo[a];
            off += lo[a] * strides[a];
        }
        return view(new Volume(segment, dtype, order, s, strides, off, null));
    }

    /** A zero-copy view with axes reordered: axis {@code a} of the view is axis {@code axes[a]} here. */
    public Volume permute(int... axes) {
        if (axes.length != rank()) {
            throw new IllegalArgumentException("permute: expected " + rank() + " axes");
        }
        boolean[] seen = new boolean[rank()];
        long[] s = new long[rank()];
        long[] st = new long[rank()];
        for (int a = 0; a < rank(); a++) {
            int src = axes[a];
            if (src < 0 || src >= rank() || seen[src]) {
                throw new IllegalArgumentException("permute: " + Arrays.toString(axes) + " is not a permutation");
            }
            seen[src] = true;
            s[a] = shape[src];
            st[a] = strides[src];
        }
        return view(new Volume(segment, dtype, order, s, st, offset, null));
    }

    /**
     * The zero-copy view of the box {@code [lo - halo, hi + halo)} clipped to this volume: a chunk
     * with its halo, as dask's {@code map_overlap} hands to its function.
     */
    public Volume haloView(long[] lo, long[] hi, long[] halo) {
        long[] l = new long[rank()];
        long[] h = new long[rank()];
        for (int a = 0; a < rank(); a++) {
            l[a] = Math.max(0, lo[a] - halo[a]);
            h[a] = Math.min(shape[a], hi[a] + halo[a]);
        }
        return slice(l, h);
    }

    /** True when this volume owns its memory (made by allocate or by mapping a file). */
    public boolean isOwner() {
        return owner != null;
    }

    /** Frees the memory of an owning volume; every view of it becomes unusable. No-op for views. */
    @Override
    public void close() {
        if (owner != null && segment.scope().isAlive()) {
            try {
                owner.close();
            } finally {
                if (fileReads != null) {
                    fileReads.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "Volume[" + dtype.numpyName() + " " + Arrays.toString(shape) + " strides "
                + Arrays.toString(strides) + (order == ByteOrder.BIG_ENDIAN ? " big-endian" : "") + "]";
    }
}
