package dev.penumbra.filter;

import dev.penumbra.BadParameterException;
import java.util.Locale;

/** The filters Penumbra runs, by their CLI names (scipy's names with dashes). */
public enum Op {
    GAUSSIAN("gaussian", "gaussian_filter"),
    UNIFORM("uniform", "uniform_filter"),
    SOBEL("sobel", "sobel"),
    PREWITT("prewitt", "prewitt"),
    LAPLACE("laplace", "laplace"),
    GAUSSIAN_LAPLACE("gaussian-laplace", "gaussian_laplace"),
    GAUSSIAN_GRADIENT_MAGNITUDE("gaussian-gradient-magnitude", "gaussian_gradient_magnitude"),
    CORRELATE1D("correlate1d", "correlate1d");

    private final String cliName;
    private final String scipyName;

    Op(String cliName, String scipyName) {
        this.cliName = cliName;
        this.scipyName = scipyName;
    }

    /** The command-line name, e.g. {@code gaussian-laplace}. */
    public String cliName() {
        return cliName;
    }

    /** scipy.ndimage's name, e.g. {@code gaussian_laplace}. */
    public String scipyName() {
        return scipyName;
    }

    /** An op by its command-line or scipy name. */
    public static Op parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (Op op : values()) {
            if (op.cliName.equals(n) || op.scipyName.replace('_', '-').equals(n)) {
                return op;
            }
        }
        throw new BadParameterException("op: unknown filter '" + name + "' (expected gaussian, uniform, sobel, prewitt,"
                + " laplace, gaussian-laplace, gaussian-gradient-magnitude or correlate1d)");
    }
}
