package dev.penumbra.engine;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.backend.LineKernel;
import dev.penumbra.backend.Widening;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Sink;
import dev.penumbra.volume.Source;
import dev.penumbra.volume.Widen;
import java.util.Arrays;

/**
 * The element type a stream keeps its slabs in, with the kernels, reads, writes and folds that work
 * on it: float32 slabs (the float path, and the double path's float storage, whose kernels sum in
 * double and round each pass to float as scipy does into a float32 output) or float64 slabs (the
 * double path into a float64 output: scipy's passes stored in double). Scratch travels as
 * {@code Object} (a {@code float[]} or a {@code double[]}) so that one streaming schedule
 * ({@link SlabStream}, {@link SlabPasses}, {@link TermSweep}) serves both; every call here works on
 * a whole row or a bundle of rows, never an element.
 */
abstract sealed class SlabStore {
    /** Float32 slabs filtered by {@code kernel} (float or float-storage double sums). */
    static SlabStore floats(FloatTileKernel kernel) {
        return new Floats(kernel);
    }

    /** Float64 slabs filtered by {@code kernel}, which must have row kernels ({@link LineKernel#hasRows}). */
    static SlabStore doubles(LineKernel kernel) {
        return doubles(kernel, DType.F64);
    }

    /**
     * Float64 slabs for an output of type {@code out}: float64, or an integer type, whose every pass
     * is cast as scipy stores it in the output ({@link DType#castLikeC}: scipy keeps intermediates in
     * the output array) and whose terms fold in numpy's wrapping integer arithmetic.
     */
    static SlabStore doubles(LineKernel kernel, DType out) {
        if (!kernel.hasRows()) {
            throw new IllegalArgumentException(kernel.name() + " has no row kernel in double");
        }
        if (out != DType.F64 && out.isFloating()) {
            throw new IllegalArgumentException("double slabs serve float64 and integer outputs, not " + out.numpyName());
        }
        return new Doubles(kernel, out);
    }

    /** Bytes of one element. */
    abstract int bytes();

    /** This thread's scratch array of {@code slot} and {@code set} ({@link ScratchArena}), at least {@code n} long. */
    abstract Object scratch(int slot, int n, int set);

    abstract Object array(int n);

    abstract int length(Object a);

    abstract void fill(Object a, int from, int to, double v);

    /** The {@link LineKernel} contract on an extended line. */
    abstract void line(Object src, int srcPos, Object dst, int dstPos, int n, Kernel1D k);

    /** The row kernel ({@link FloatTileKernel#rows}, {@link LineKernel#rows}). */
    abstract void rows(Object src, int[] offs, int nOut, int width, Object dst, int dstPos, int dstStride, Kernel1D k);

    /**
     * The extension of a line around its copy at {@code line[left .. left+len)}: position {@code i}
     * outside it takes {@code src[base + map[i]]}, or cval where {@code map[i] < 0}.
     */
    abstract void extend(Object src, int base, Object line, int[] map, int left, int len, double cval);

    /** Reads a run through {@code io} (which tracks the range of what it reads), or straight from {@code in} when io is null. */
    abstract void read(RowIO io, Source in, long[] at, int n, Object dst, int pos);

    /** The kernels' own widening of 8- and 16-bit input rows ({@link Widening}). */
    private final Widening kernels;

    private SlabStore(Widening kernels) {
        this.kernels = kernels;
    }

    /** What widens 8- and 16-bit input rows for this store's kernels (a native backend's C loop), or null. */
    final Widen widen() {
        return kernels.widener();
    }

    abstract void write(RowIO io, Sink out, long[] at, int n, Object src, int pos);

    /**
     * Folds {@code n} values of a term at {@code src[s]} into {@code acc[a]} as scipy folds the terms
     * of a compound filter in the output's type: the first term is copied (squared, for HYPOT), each
     * next one added (its square added), and the last HYPOT term takes the square root. The first
     * term may already sit where the fold goes ({@code src == acc}, {@code s == a}).
     */
    abstract void fold(Object src, int s, Object acc, int a, int n, boolean first, boolean last, Plan.Combine how);

    private static final class Floats extends SlabStore {
        private final FloatTileKernel kernel;

        Floats(FloatTileKernel kernel) {
            super(kernel);
            this.kernel = kernel;
        }

        @Override
        int bytes() {
            return Float.BYTES;
        }

        @Override
        Object scratch(int slot, int n, int set) {
            return ScratchArena.floats(slot, n, set);
        }

        @Override
        Object array(int n) {
            return new float[n];
        }

        @Override
        int length(Object a) {
            return ((float[]) a).length;
        }

        @Override
        void fill(Object a, int from, int to, double v) {
            Arrays.fill((float[]) a, from, to, (float) v);
        }

        @Override
        void line(Object src, int srcPos, Object dst, int dstPos, int n, Kernel1D k) {
            kernel.line((float[]) src, srcPos, (float[]) dst, dstPos, n, k);
        }

        @Override
        void rows(Object src, int[] offs, int nOut, int width, Object dst, int dstPos, int dstStride, Kernel1D k) {
            kernel.rows((float[]) src, offs, nOut, width, (float[]) dst, dstPos, dstStride, k);
        }

        @Override
        void extend(Object src, int base, Object line, int[] map, int left, int len, double cval) {
            float[] s = (float[]) src;
            float[] l = (float[]) line;
            float c = (float) cval;
            for (int i = 0; i < left; i++) {
                l[i] = map[i] < 0 ? c : s[base + map[i]];
            }
            for (int i = left + len; i < map.length; i++) {
                l[i] = map[i] < 0 ? c : s[base + map[i]];
            }
        }

        @Override
        void read(RowIO io, Source in, long[] at, int n, Object dst, int pos) {
            if (io == null) {
                in.readFloat(at, n, (float[]) dst, pos);
            } else {
                io.readFloat(in, at, n, (float[]) dst, pos);
            }
        }

        @Override
        void write(RowIO io, Sink out, long[] at, int n, Object src, int pos) {
            io.writeFloat(out, at, n, (float[]) src, pos);
        }

        @Override
        void fold(Object src, int s, Object acc, int a, int n, boolean first, boolean last, Plan.Combine how) {
            kernel.fold((float[]) src, s, (float[]) acc, a, n, first, last, how == Plan.Combine.HYPOT);
        }
    }

    private static final class Doubles extends SlabStore {
        private final LineKernel kernel;
        /** The output's integer type, whose casts every pass's values take; null for float64. */
        private final DType cast;

        Doubles(LineKernel kernel, DType out) {
            super(kernel);
            this.kernel = kernel;
            this.cast = out.isFloating() ? null : out;
        }

        /** Casts {@code n} values at {@code a[from]} as the integer output stores them. */
        private void cast(double[] a, int from, int n) {
            kernel.castTo(cast, a, from, n);
        }

        @Override
        int bytes() {
            return Double.BYTES;
        }

        @Override
        Object scratch(int slot, int n, int set) {
            return ScratchArena.doubles(slot, n, set);
        }

        @Override
        Object array(int n) {
            return new double[n];
        }

        @Override
        int length(Object a) {
            return ((double[]) a).length;
        }

        @Override
        void fill(Object a, int from, int to, double v) {
            Arrays.fill((double[]) a, from, to, v);
        }

        @Override
        void line(Object src, int srcPos, Object dst, int dstPos, int n, Kernel1D k) {
            kernel.correlate((double[]) src, srcPos, (double[]) dst, dstPos, n, k);
            if (cast != null) {
                cast((double[]) dst, dstPos, n);
            }
        }

        @Override
        void rows(Object src, int[] offs, int nOut, int width, Object dst, int dstPos, int dstStride, Kernel1D k) {
            kernel.rows((double[]) src, offs, nOut, width, (double[]) dst, dstPos, dstStride, k);
            if (cast != null) {
                for (int o = 0; o < nOut; o++) {
                    cast((double[]) dst, dstPos + o * dstStride, width);
                }
            }
        }

        @Override
        void extend(Object src, int base, Object line, int[] map, int left, int len, double cval) {
            double[] s = (double[]) src;
            double[] l = (double[]) line;
            for (int i = 0; i < left; i++) {
                l[i] = map[i] < 0 ? cval : s[base + map[i]];
            }
            for (int i = left + len; i < map.length; i++) {
                l[i] = map[i] < 0 ? cval : s[base + map[i]];
            }
        }

        @Override
        void read(RowIO io, Source in, long[] at, int n, Object dst, int pos) {
            if (io == null) {
                in.read(at, n, (double[]) dst, pos);
            } else {
                io.read(in, at, n, (double[]) dst, pos);
            }
        }

        @Override
        void write(RowIO io, Sink out, long[] at, int n, Object src, int pos) {
            io.write(out, at, n, (double[]) src, pos);
        }

        @Override
        void fold(Object src, int s, Object acc, int a, int n, boolean first, boolean last, Plan.Combine how) {
            double[] b = (double[]) src;
            double[] r = (double[]) acc;
            if (cast != null && how != Plan.Combine.SINGLE) {
                // numpy's integer arithmetic: tmp *= tmp and output += tmp wrap around (DType.wrap,
                // as TileWorker.combine folds), with the type's wrap as a shift or mask hoisted out of
                // the loop (the CLI's C1-compiled loops pay for a switch per element); the square root
                // is numpy's unsafe-cast sqrt
                DType t = cast;
                boolean hypot = how == Plan.Combine.HYPOT;
                int bits = t == DType.I64 ? 64 : t.size() * 8;
                boolean signed = t == DType.I8 || t == DType.I16 || t == DType.I32 || t == DType.I64;
                int sh = 64 - bits;
                long mask = bits == 64 ? -1L : (1L << bits) - 1;
                for (int i = 0; i < n; i++) {
                    long w = (long) b[s + i];
                    long x = hypot ? w * w : w;
                    if (!first) {
                        long sq = signed ? (x << sh) >> sh : x & mask; // tmp wraps before it is added
                        x = (long) r[a + i] + sq;
                    }
                    r[a + i] = signed ? (double) ((x << sh) >> sh) : (double) (x & mask);
                }
                if (hypot && last) {
                    for (int i = 0; i < n; i++) {
                        r[a + i] = t.sqrtLikeNumpy(r[a + i]);
                    }
                }
            } else {
                kernel.fold(b, s, r, a, n, first, last, how == Plan.Combine.HYPOT);
            }
        }
    }
}
