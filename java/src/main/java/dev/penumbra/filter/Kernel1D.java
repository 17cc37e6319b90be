package dev.penumbra.filter;

import dev.penumbra.BadParameterException;
import java.util.Arrays;

/**
 * A 1-D correlation kernel with scipy's placement: for weights of length {@code n} and origin
 * {@code o}, output {@code i} is {@code sum_k w[k] * x[i - left + k]} with
 * {@code left = n/2 + o} taps before the centre and {@code right = n - 1 - left} after it.
 * Odd kernels whose weights mirror exactly (or mirror with opposite sign) are marked symmetric
 * (antisymmetric) so that backends may fold them, as {@code NI_Correlate1D} does.
 */
public final class Kernel1D {
    /** Folding a backend may use; decided exactly as scipy decides it. */
    public enum Symmetry { NONE, SYMMETRIC, ANTISYMMETRIC }

    private final double[] weights;
    private final int origin;
    private final int left;
    private final int right;
    private final Symmetry symmetry;
    private final float[] weightsF;
    private boolean runningMean;

    /**
     * scipy's uniform_filter1d kernel: equal weights 1/size. scipy computes it as a running sum
     * along the whole line, so a NaN or an infinity poisons every later output of the line with
     * NaN, not only the windows that contain it; the engine reproduces that ({@link #runningMean}).
     */
    public static Kernel1D uniform(int size, int origin) {
        double[] w = new double[size];
        Arrays.fill(w, 1.0 / size);
        Kernel1D k = new Kernel1D(w, origin);
        k.runningMean = true;
        return k;
    }

    /** True for uniform_filter1d's kernel, whose NaN and infinities spread as a running sum's do. */
    public boolean runningMean() {
        return runningMean;
    }

    public Kernel1D(double[] weights, int origin) {
        if (weights.length == 0) {
            throw new BadParameterException("weights: expected at least one weight, got none");
        }
        for (double w : weights) {
            if (!Double.isFinite(w)) {
                throw new BadParameterException("weights: expected finite numbers, got " + w);
            }
        }
        int n = weights.length;
        if (origin < -(n / 2) || origin > (n - 1) / 2) {
            throw new BadParameterException("origin: " + origin + " is invalid for " + n
                    + " weights (expected " + (-(n / 2)) + " <= origin <= " + ((n - 1) / 2) + ")");
        }
        this.weights = weights.clone();
        this.origin = origin;
        this.left = n / 2 + origin;
        this.right = n - 1 - left;
        this.symmetry = symmetryOf(weights);
        this.weightsF = new float[n];
        for (int i = 0; i < n; i++) {
            weightsF[i] = (float) weights[i];
        }
    }

    private static Symmetry symmetryOf(double[] w) {
        int n = w.length;
        if ((n & 1) == 0 || n == 1) {
            return Symmetry.NONE;
        }
        int c = n / 2;
        boolean sym = true;
        boolean anti = true;
        for (int j = 1; j <= c; j++) {
            sym &= w[c + j] == w[c - j];
            anti &= w[c + j] == -w[c - j];
        }
        return sym ? Symmetry.SYMMETRIC : anti ? Symmetry.ANTISYMMETRIC : Symmetry.NONE;
    }

    /** The weights, in correlation order; a copy. */
    public double[] weights() {
        return weights.clone();
    }

    /**
     * The weights themselves, not a copy, for kernels' inner loops: callers must not modify them.
     */
    public double[] weightArray() {
        return weights;
    }

    /** The weights rounded to float, for float32 kernels: callers must not modify them. */
    public float[] weightArrayF() {
        return weightsF;
    }

    /** Weight {@code k} without copying the array. */
    public double weight(int k) {
        return weights[k];
    }

    /** How many weights. */
    public int size() {
        return weights.length;
    }

    /** scipy's origin: the shift of the kernel's centre. */
    public int origin() {
        return origin;
    }

    /** Taps before the output position. */
    public int left() {
        return left;
    }

    /** Taps after the output position. */
    public int right() {
        return right;
    }

    /** Index of the centre weight, the one folding pivots on. */
    public int center() {
        return weights.length / 2;
    }

    /** Whether the weights are symmetric or antisymmetric about the centre (folded kernels halve the multiplies). */
    public Symmetry symmetry() {
        return symmetry;
    }

    @Override
    public String toString() {
        return "Kernel1D" + Arrays.toString(weights) + (origin != 0 ? " origin " + origin : "") + " " + symmetry;
    }
}
