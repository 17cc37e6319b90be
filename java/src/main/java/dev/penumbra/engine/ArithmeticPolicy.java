package dev.penumbra.engine;

import dev.penumbra.backend.Backends;
import dev.penumbra.filter.Plan;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Source;

/**
 * When float32 arithmetic may stand in for scipy's double: the float32 path runs only where a
 * rigorous bound on its error meets the project's parity tolerance, {@code 1e-5 * max(1, |scipy's result|)}
 * for the data at hand. The bound is {@code roundings * 2^-24 * gain * max|x|} in general
 * ({@link Plan#float32Roundings()}, {@link Plan#gain()}), or {@code roundings * 2^-24 * |result|}
 * when the weights and the data are all non-negative (no cancellation: the error is relative).
 * NaN or infinity in the data and magnitudes that could overflow take the double path. Integer
 * inputs that float holds exactly (8- and 16-bit) take the float path under the same bound: their
 * magnitudes (a u16 detector reaches 65535) fail it for derivatives, where float accumulation
 * would miss scipy near the zeros, and meet it for smoothing non-negative counts. Wider integers and
 * float64 take the double path.
 */
final class ArithmeticPolicy {
    /** The parity tolerance of the float32 path: 1e-5 * max(1, |scipy's result|). */
    static final double TOLERANCE = 1e-5;

    /** Input magnitudes beyond which float32 sums (and hypot's squares) could overflow. */
    private static final double MAX_MAGNITUDE = 1e18;

    private ArithmeticPolicy() {
    }

    /** True when the backend has float kernels, the output is float32 and float holds the input exactly. */
    static boolean floatCapable(DType in, DType out, Schedule schedule) {
        return whyNotFloat(in, out, schedule) == null;
    }

    /** Why the float32 path cannot run for these dtypes and backend, or null when it can. */
    static String whyNotFloat(DType in, DType out, Schedule schedule) {
        if (out != DType.F32) {
            return "the output is " + out.numpyName() + ": scipy's sums in double, stored as " + out.numpyName();
        }
        if (!exactInFloat(in)) {
            return "float32 does not hold every " + in.numpyName() + " exactly: scipy's sums in double";
        }
        if (Backends.floatKernel(schedule.backend()) == null) {
            return "the " + schedule.backend().name().toLowerCase(java.util.Locale.ROOT)
                    + " backend has no float32 kernels";
        }
        return null;
    }

    /** float32, and the integers float holds exactly (8 and 16 bits). */
    static boolean exactInFloat(DType in) {
        return switch (in) {
            case F32, U8, I8, U16, I16 -> true;
            default -> false;
        };
    }

    /**
     * True when the double path may run on float storage ({@link Backends#exactKernel}): a float32
     * output (scipy rounds every pass to it), an input that float holds exactly, and a backend with
     * such kernels.
     */
    static boolean exactCapable(DType in, DType out, Schedule schedule) {
        return out == DType.F32 && exactInFloat(in) && Backends.exactKernel(schedule.backend()) != null;
    }

    /**
     * True when float32 sums give scipy's integer or float64 output exactly, for any data of the
     * dtype: 8- or 16-bit integer input, a plan of one term or of summed terms (laplace) whose
     * weights are all integers (sobel, prewitt, laplace, integer correlate1d weights; cval too, where
     * read), and every partial sum at most 2^24 in magnitude (the dtype's extreme times each pass's
     * sum of |weights|, summed over the terms). Every value is then an integer that float holds
     * exactly, in whatever order the kernels add; scipy's cast of each pass into an integer output
     * (and numpy's sum of the terms there) wraps modulo 2^bits, which commutes with integer sums and
     * products, so the one cast at the end gives its bytes; a float output holds the exact sums as
     * scipy's does. Needs a backend with float kernels. Against the double path (double slabs into
     * integer and float64 outputs; double sums on float slabs into float32), uint16 seed shape, in
     * process, native, 2 threads, best of 7, Zen 3: sobel 99-114 -> 68 ms, laplace 140-153 -> 116-119
     * ms, prewitt 130-149 -> 94-101 ms (float32 outputs).
     */
    static boolean integerExact(Plan plan, DType in, DType out, Schedule schedule) {
        double m = switch (in) {
            case U8 -> 255;
            case I8 -> 128;
            case U16 -> 65535;
            case I16 -> 32768;
            default -> -1;
        };
        if (m < 0 || plan.combine() == Plan.Combine.HYPOT
                || Backends.floatKernel(schedule.backend()) == null) {
            return false;
        }
        if (out == DType.U32 && plan.terms().size() > 1) {
            // a term folded into the output is read back as float, and a wrapped uint32 (-5 as
            // 4294967291) is beyond float's integers
            return false;
        }
        if (plan.readsCval()) {
            if (plan.cval() != Math.rint(plan.cval())) {
                return false;
            }
            m = Math.max(m, Math.abs(plan.cval()));
        }
        return plan.integerWeights() && m * plan.summedGain() <= 0x1p24;
    }

    /** True when the plan's own rounding count allows the float path for some data. */
    static boolean planAllowsFloat(Plan plan) {
        return plan.float32Roundings() * 0x1p-24 <= TOLERANCE;
    }

    /** True when float32 accumulation's error bound meets the tolerance for the values of the box. */
    static boolean boundHoldsFor(Plan plan, Source in, long[] lo, long[] hi, Schedule schedule) {
        return planAllowsFloat(plan) && boundHolds(plan, DataRange.of(in, lo, hi, schedule.threads(),
                Backends.floatKernel(schedule.backend())));
    }

    /** Rows of the input sampled before a float run ({@link #sample}). */
    static final int SAMPLE_ROWS = 256;

    /**
     * The range of {@link #SAMPLE_ROWS} rows spread over the box every run of the output box at
     * {@code outOrigin} gathers (the output's, widened by the halo inside the volume): values the
     * run reads, read in a fraction of a millisecond.
     */
    static float[] sample(Plan plan, Source in, long[] outOrigin, long[] outShape, Schedule schedule) {
        long[][] box = haloBox(plan, in, outOrigin, outShape);
        return DataRange.sample(in, box[0], box[1], SAMPLE_ROWS, Backends.floatKernel(schedule.backend()));
    }

    /** The output box at {@code outOrigin} of {@code outShape} grown by the halos, cut at the input's edges: {lo, hi}. */
    static long[][] haloBox(Plan plan, Source in, long[] outOrigin, long[] outShape) {
        int rank = outShape.length;
        long[] lo = new long[rank];
        long[] hi = new long[rank];
        for (int a = 0; a < rank; a++) {
            lo[a] = Math.max(0, outOrigin[a] - plan.haloLeft()[a]);
            hi[a] = Math.min(in.shape(a), outOrigin[a] + outShape[a] + plan.haloRight()[a]);
        }
        return new long[][] {lo, hi};
    }

    /**
     * How far beyond the sample's range the whole data is expected to reach: the extremes of n
     * normal values grow as sqrt(2 ln n), about 1.3x from the sample's 2.8e5 values of the seed
     * shape to its 6.1e7 (measured: N(0,1) data, sample 5.8, whole 8.0).
     */
    static final float SAMPLE_HEADROOM = 1.5f;

    /**
     * True when the sample's range, widened by {@link #SAMPLE_HEADROOM}, meets the bound: part of the
     * float path's rule, so that data whose sample comes near the bound (where the whole data would
     * most likely fail it and the float run be thrown away) goes straight to the double path. The
     * rule is a function of the data, so every way of running one volume decides alike. (A headroom
     * of 2 also sent uniform size 5 on N(0,1) data, whose whole range meets the bound, to the double
     * path: 8.7x scipy became 4.0x in the matrix.)
     */
    static boolean sampleAllowsFloat(Plan plan, float[] sample) {
        return boundHolds(plan, new float[] {SAMPLE_HEADROOM * sample[0], SAMPLE_HEADROOM * sample[1]});
    }

    /** True when float32 accumulation's error bound meets the tolerance for data in {@code range}. */
    static boolean boundHolds(Plan plan, float[] range) {
        double relative = plan.float32Roundings() * 0x1p-24;
        float lo = range[0];
        float hi = range[1];
        if (plan.readsCval()) {
            lo = Math.min(lo, (float) plan.cval());
            hi = Math.max(hi, (float) plan.cval());
        }
        if (relative > TOLERANCE || !Float.isFinite(lo) || !Float.isFinite(hi)) {
            return false;
        }
        double magnitude = Math.max(Math.abs(lo), Math.abs(hi));
        if (magnitude * plan.gain() > MAX_MAGNITUDE) {
            return false;
        }
        if (lo >= 0 && plan.hasNonNegativeWeights()) {
            return true;
        }
        return relative * plan.gain() * magnitude <= TOLERANCE;
    }

    /**
     * The box of the input that the output box at {@code outOrigin} of {@code outShape} reads: the
     * output's widened by the halo, or an axis's whole extent where the halo passes an edge (modes
     * such as wrap read the far side there). Returns {lo, hi}.
     */
    static long[][] dependence(Plan plan, Source in, long[] outOrigin, long[] outShape) {
        int rank = in.rank();
        long[] lo = new long[rank];
        long[] hi = new long[rank];
        long[] hl = plan.haloLeft();
        long[] hr = plan.haloRight();
        for (int a = 0; a < rank; a++) {
            long l = outOrigin[a] - hl[a];
            long h = outOrigin[a] + outShape[a] + hr[a];
            boolean edge = l < 0 || h > in.shape(a);
            lo[a] = edge ? 0 : l;
            hi[a] = edge ? in.shape(a) : h;
        }
        return new long[][] {lo, hi};
    }
}
