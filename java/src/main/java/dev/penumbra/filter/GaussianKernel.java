package dev.penumbra.filter;

import dev.penumbra.BadParameterException;

/**
 * The weights {@code scipy.ndimage.gaussian_filter1d} correlates with: radius
 * {@code int(truncate*sigma + 0.5)}, {@code phi(x) = exp(-x^2 / (2 sigma^2))} normalised to sum 1,
 * times the derivative polynomial {@code q_n} for order {@code n}
 * ({@code q_0 = 1, q_{n+1}(x) = q_n'(x) - x q_n(x) / sigma^2}), reversed.
 */
public final class GaussianKernel {
    private GaussianKernel() {
    }

    /** The largest radius accepted: 2^20 taps either side already needs 16 MB of weights per pass. */
    public static final int MAX_RADIUS = 1 << 20;

    /** scipy's radius for sigma and truncate. */
    public static int radius(double sigma, double truncate) {
        double r = truncate * sigma + 0.5;
        if (!(r < MAX_RADIUS + 1)) {
            throw new BadParameterException("sigma: sigma " + sigma + " with truncate " + truncate + " gives radius "
                    + (long) Math.min(r, Long.MAX_VALUE) + ", more than the " + MAX_RADIUS + " supported");
        }
        return (int) r;
    }

    /** The correlation weights (already reversed, as gaussian_filter1d passes them on). */
    public static double[] weights(double sigma, int order, double truncate) {
        int r = radius(sigma, truncate);
        double sigma2 = sigma * sigma;
        int n = 2 * r + 1;
        double[] phi = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double x = i - r;
            phi[i] = Math.exp(-0.5 / sigma2 * (x * x));
            sum += phi[i];
        }
        for (int i = 0; i < n; i++) {
            phi[i] /= sum;
        }
        if (order > 0) {
            // q as coefficients of 1, x, x^2, ...: q' - x q / sigma^2, order times
            double[] q = new double[order + 1];
            q[0] = 1;
            for (int step = 0; step < order; step++) {
                double[] next = new double[order + 1];
                for (int e = 1; e <= order; e++) {
                    next[e - 1] += e * q[e];
                }
                for (int e = 0; e < order; e++) {
                    next[e + 1] += q[e] / -sigma2;
                }
                q = next;
            }
            for (int i = 0; i < n; i++) {
                double x = i - r;
                double v = 0;
                double p = 1;
                for (int e = 0; e <= order; e++) {
                    v += p * q[e];
                    p *= x;
                }
                phi[i] *= v;
            }
        }
        double[] reversed = new double[n];
        for (int i = 0; i < n; i++) {
            reversed[i] = phi[n - 1 - i];
        }
        return reversed;
    }
}
