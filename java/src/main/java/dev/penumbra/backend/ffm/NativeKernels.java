package dev.penumbra.backend.ffm;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.backend.LineKernel;
import dev.penumbra.backend.ffm.NativeLibrary.Fn;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Widen;
import java.lang.foreign.MemorySegment;

/**
 * The native backend's kernels: the {@link FloatTileKernel} and {@link LineKernel} contracts as
 * critical FFM downcalls on the caller's heap scratch (no copies; the JVM pins the arrays for the
 * call). Every index the C code will touch is checked here first, so bad arguments raise
 * {@link IllegalArgumentException} in Java and never reach C.
 */
public final class NativeKernels implements FloatTileKernel, LineKernel, Widen {
    private final NativeLibrary lib;
    /** ORed into the double kernels' symmetry code: 0, or {@link NativeAbi#ROUNDED_PRODUCTS}. */
    private final int doubleFlags;
    private volatile NativeKernels rounded;

    public NativeKernels(NativeLibrary lib) {
        this(lib, 0);
    }

    private NativeKernels(NativeLibrary lib, int doubleFlags) {
        this.lib = lib;
        this.doubleFlags = doubleFlags;
    }

    @Override
    public LineKernel roundedProducts() {
        if (doubleFlags != 0) {
            return this;
        }
        NativeKernels r = rounded;
        if (r == null) {
            rounded = r = new NativeKernels(lib, NativeAbi.ROUNDED_PRODUCTS);
        }
        return r;
    }

    @Override
    public String name() {
        return "native";
    }

    /** The instruction set of the bound kernels (generic, avx2, avx512). */
    public String isa() {
        return lib.isa;
    }

    @Override
    public void line(float[] src, int srcPos, float[] dst, int dstPos, int n, Kernel1D kernel) {
        float[] w = kernel.weightArrayF();
        int sym = checkKernel(kernel, w.length);
        checkLine(src.length, srcPos, dst.length, dstPos, n, w.length);
        if (n == 0) {
            return;
        }
        try {
            lib.handle(Fn.LINE_F32).invokeExact(MemorySegment.ofArray(src), srcPos, MemorySegment.ofArray(dst), dstPos,
                    n, MemorySegment.ofArray(w), w.length, kernel.center(), sym);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public void rows(float[] src, int[] rowOffset, int nOut, int width, float[] dst, int dstPos, int dstStride,
                     Kernel1D kernel) {
        float[] w = kernel.weightArrayF();
        int sym = checkKernel(kernel, w.length);
        if (!checkRows(src.length, rowOffset, nOut, width, dst.length, dstPos, dstStride, w.length)) {
            return;
        }
        try {
            lib.handle(Fn.ROWS_F32).invokeExact(MemorySegment.ofArray(src), MemorySegment.ofArray(rowOffset), nOut,
                    width, MemorySegment.ofArray(dst), dstPos, dstStride, MemorySegment.ofArray(w), w.length,
                    kernel.center(), sym);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Checks a rows call's arguments (an exception for any the C code would overrun); false: nothing to do. */
    static boolean checkRows(int srcLen, int[] rowOffset, int nOut, int width, int dstLen, int dstPos, int dstStride,
                             int size) {
        if (nOut < 0 || width < 0) {
            throw new IllegalArgumentException("rows: nOut " + nOut + " and width " + width + " must be >= 0");
        }
        if (nOut == 0 || width == 0) {
            return false;
        }
        int rows = nOut + size - 1;
        if (rowOffset.length < rows) {
            throw new IllegalArgumentException("rows: " + rows + " row offsets needed, " + rowOffset.length + " given");
        }
        for (int j = 0; j < rows; j++) {
            if (rowOffset[j] < 0 || (long) rowOffset[j] + width > srcLen) {
                throw new IllegalArgumentException("rows: row " + j + " at " + rowOffset[j] + " with width " + width
                        + " is outside the source of " + srcLen);
            }
        }
        long lastEnd = dstPos + (long) (nOut - 1) * dstStride + width;
        if (dstPos < 0 || dstStride < width || lastEnd > dstLen) {
            throw new IllegalArgumentException("rows: " + nOut + " outputs of " + width + " at " + dstPos + " stride "
                    + dstStride + " do not fit the destination of " + dstLen);
        }
        return true;
    }

    /**
     * The double path's kernels for float32 outputs: float storage, the sums of
     * {@link #correlate} in double, each output rounded to float once (scipy rounds every pass to
     * the output dtype, so the bits are those of correlate and a cast).
     */
    public FloatTileKernel exact() {
        return exact;
    }

    private final FloatTileKernel exact = new FloatTileKernel() {
        @Override
        public String name() {
            return "native";
        }

        @Override
        public void line(float[] src, int srcPos, float[] dst, int dstPos, int n, Kernel1D kernel) {
            double[] w = kernel.weightArray();
            int sym = checkKernel(kernel, w.length);
            checkLine(src.length, srcPos, dst.length, dstPos, n, w.length);
            if (n == 0) {
                return;
            }
            try {
                lib.handle(Fn.LINE_F32D).invokeExact(MemorySegment.ofArray(src), srcPos, MemorySegment.ofArray(dst),
                        dstPos, n, MemorySegment.ofArray(w), w.length, kernel.center(), sym);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        @Override
        public void rows(float[] src, int[] rowOffset, int nOut, int width, float[] dst, int dstPos, int dstStride,
                         Kernel1D kernel) {
            double[] w = kernel.weightArray();
            int sym = checkKernel(kernel, w.length);
            if (!checkRows(src.length, rowOffset, nOut, width, dst.length, dstPos, dstStride, w.length)) {
                return;
            }
            try {
                lib.handle(Fn.ROWS_F32D).invokeExact(MemorySegment.ofArray(src), MemorySegment.ofArray(rowOffset), nOut,
                        width, MemorySegment.ofArray(dst), dstPos, dstStride, MemorySegment.ofArray(w), w.length,
                        kernel.center(), sym);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        @Override
        public void range(float[] a, int from, int n, float[] acc) {
            NativeKernels.this.range(a, from, n, acc);
        }

        @Override
        public void fold(float[] b, int s, float[] acc, int a, int n, boolean first, boolean last, boolean hypot) {
            NativeKernels.this.fold(b, s, acc, a, n, first, last, hypot);
        }

        @Override
        public Widen widener() {
            return NativeKernels.this;
        }
    };

    @Override
    public void range(float[] a, int from, int n, float[] acc) {
        if (from < 0 || n < 0 || (long) from + n > a.length || acc.length < 2) {
            throw new IllegalArgumentException("range: [" + from + ", " + from + "+" + n + ") of " + a.length
                    + " floats, accumulator of " + acc.length);
        }
        try {
            lib.handle(Fn.RANGE_F32).invokeExact(MemorySegment.ofArray(a), from, n, MemorySegment.ofArray(acc));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public Widen widener() {
        return this;
    }

    @Override
    public void widen(byte[] src, boolean unsigned, int n, float[] dst, int dstPos) {
        widen(src, src.length, unsigned ? NativeAbi.INT_U8 : NativeAbi.INT_I8, n, dst, dstPos, dst.length,
                lib.handle(Fn.WIDEN_F32));
    }

    @Override
    public void widen(short[] src, boolean unsigned, int n, float[] dst, int dstPos) {
        widen(src, src.length, unsigned ? NativeAbi.INT_U16 : NativeAbi.INT_I16, n, dst, dstPos, dst.length,
                lib.handle(Fn.WIDEN_F32));
    }

    @Override
    public void widen(byte[] src, boolean unsigned, int n, double[] dst, int dstPos) {
        widen(src, src.length, unsigned ? NativeAbi.INT_U8 : NativeAbi.INT_I8, n, dst, dstPos, dst.length,
                lib.handle(Fn.WIDEN_F64));
    }

    @Override
    public void widen(short[] src, boolean unsigned, int n, double[] dst, int dstPos) {
        widen(src, src.length, unsigned ? NativeAbi.INT_U16 : NativeAbi.INT_I16, n, dst, dstPos, dst.length,
                lib.handle(Fn.WIDEN_F64));
    }

    /** In C (penumbra_widen_f32/f64): the C1-compiled gather of a uint16 volume was a scalar loop. */
    private static void widen(Object src, int srcLength, int type, int n, Object dst, int dstPos, int dstLength,
                              java.lang.invoke.MethodHandle h) {
        if (n < 0 || n > srcLength || dstPos < 0 || dstPos > dstLength - n) {
            throw new IllegalArgumentException("widen: " + n + " of " + srcLength + " into [" + dstPos + ", "
                    + dstPos + "+" + n + ") of " + dstLength);
        }
        MemorySegment s = src instanceof byte[] b ? MemorySegment.ofArray(b) : MemorySegment.ofArray((short[]) src);
        MemorySegment d = dst instanceof float[] f ? MemorySegment.ofArray(f) : MemorySegment.ofArray((double[]) dst);
        try {
            h.invokeExact(s, type, n, d, dstPos);
        } catch (Throwable x) {
            throw rethrow(x);
        }
    }

    /** In C (penumbra_fold_f32): the CLI's C1-compiled Java loop took 41 % of laplace's time. */
    @Override
    public void fold(float[] b, int s, float[] acc, int a, int n, boolean first, boolean last, boolean hypot) {
        checkFold(b.length, s, acc.length, a, n);
        fold(lib.handle(Fn.FOLD_F32), MemorySegment.ofArray(b), s, MemorySegment.ofArray(acc), a, n, first, last,
                hypot);
    }

    /** In C (penumbra_fold_f64). */
    @Override
    public void fold(double[] b, int s, double[] acc, int a, int n, boolean first, boolean last, boolean hypot) {
        checkFold(b.length, s, acc.length, a, n);
        fold(lib.handle(Fn.FOLD_F64), MemorySegment.ofArray(b), s, MemorySegment.ofArray(acc), a, n, first, last,
                hypot);
    }

    private static void fold(java.lang.invoke.MethodHandle h, MemorySegment b, int s, MemorySegment acc, int a,
                             int n, boolean first, boolean last, boolean hypot) {
        try {
            h.invokeExact(b, s, acc, a, n, NativeAbi.foldFlags(first, last, hypot));
        } catch (Throwable x) {
            throw rethrow(x);
        }
    }

    private static void checkFold(int bLength, int s, int accLength, int a, int n) {
        if (s < 0 || a < 0 || n < 0 || s > bLength - n || a > accLength - n) {
            throw new IllegalArgumentException("fold: [" + s + ", " + s + "+" + n + ") of " + bLength + " into ["
                    + a + ", " + a + "+" + n + ") of " + accLength);
        }
    }

    /** In C (penumbra_cast_f64), the same values as {@link DType#castLikeC}: no per-element Java loop. */
    @Override
    public void castTo(DType t, double[] a, int from, int n) {
        int code = switch (t) {
            case U8 -> NativeAbi.INT_U8;
            case I8 -> NativeAbi.INT_I8;
            case U16 -> NativeAbi.INT_U16;
            case I16 -> NativeAbi.INT_I16;
            case I32 -> NativeAbi.INT_I32;
            case U32 -> NativeAbi.INT_U32;
            case I64 -> NativeAbi.INT_I64;
            default -> throw new IllegalArgumentException("not an integer type: " + t.numpyName());
        };
        if (from < 0 || n < 0 || from > a.length - n) {
            throw new IllegalArgumentException("cast: [" + from + ", " + from + "+" + n + ") of " + a.length);
        }
        try {
            lib.handle(Fn.CAST_F64).invokeExact(MemorySegment.ofArray(a), from, n, code);
        } catch (Throwable x) {
            throw rethrow(x);
        }
    }

    @Override
    public void correlate(double[] src, int srcPos, double[] dst, int dstPos, int n, Kernel1D kernel) {
        double[] w = kernel.weightArray();
        int sym = checkKernel(kernel, w.length);
        checkLine(src.length, srcPos, dst.length, dstPos, n, w.length);
        if (n == 0) {
            return;
        }
        try {
            lib.handle(Fn.LINE_F64).invokeExact(MemorySegment.ofArray(src), srcPos, MemorySegment.ofArray(dst), dstPos,
                    n, MemorySegment.ofArray(w), w.length, kernel.center(), sym | doubleFlags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public boolean hasRows() {
        return true;
    }

    @Override
    public void rows(double[] src, int[] rowOffset, int nOut, int width, double[] dst, int dstPos, int dstStride,
                     Kernel1D kernel) {
        double[] w = kernel.weightArray();
        int sym = checkKernel(kernel, w.length);
        if (!checkRows(src.length, rowOffset, nOut, width, dst.length, dstPos, dstStride, w.length)) {
            return;
        }
        try {
            lib.handle(Fn.ROWS_F64).invokeExact(MemorySegment.ofArray(src), MemorySegment.ofArray(rowOffset), nOut,
                    width, MemorySegment.ofArray(dst), dstPos, dstStride, MemorySegment.ofArray(w), w.length,
                    kernel.center(), sym | doubleFlags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The C symmetry code; a folded kernel must be centred (size 2c+1). */
    private static int checkKernel(Kernel1D kernel, int size) {
        int c = kernel.center();
        if (size < 1 || c < 0 || c >= size) {
            throw new IllegalArgumentException("kernel: centre " + c + " outside its " + size + " weights");
        }
        return switch (kernel.symmetry()) {
            case NONE -> NativeAbi.SYM_NONE;
            case SYMMETRIC, ANTISYMMETRIC -> {
                if (size != 2 * c + 1) {
                    throw new IllegalArgumentException("kernel: a folded kernel of " + size + " weights needs centre "
                            + (size - 1) / 2 + ", not " + c);
                }
                yield kernel.symmetry() == Kernel1D.Symmetry.SYMMETRIC ? NativeAbi.SYM_SYMMETRIC
                        : NativeAbi.SYM_ANTISYMMETRIC;
            }
        };
    }

    private static void checkLine(int srcLen, int srcPos, int dstLen, int dstPos, int n, int size) {
        if (n < 0 || srcPos < 0 || dstPos < 0 || (n > 0 && ((long) srcPos + n + size - 1 > srcLen
                || (long) dstPos + n > dstLen))) {
            throw new IllegalArgumentException("line: " + n + " outputs from " + srcPos + " (with " + (size - 1)
                    + " extension values) into " + dstPos + " do not fit source " + srcLen + " / destination " + dstLen);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
