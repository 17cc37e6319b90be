package dev.penumbra.filter;

import dev.penumbra.BadParameterException;
import java.util.Locale;

/**
 * How a 1-D line is extended past its ends, exactly as {@code scipy.ndimage} does it, for any
 * distance (also further than the line is long):
 * <pre>
 * reflect   d c b a | a b c d | d c b a      (alias grid-mirror)
 * mirror      d c b | a b c d | c b a        (a line of length 1 extends as nearest)
 * nearest   a a a a | a b c d | d d d d
 * wrap      a b c d | a b c d | a b c d      (alias grid-wrap)
 * constant  k k k k | a b c d | k k k k      (k = cval; alias grid-constant)
 * </pre>
 */
public enum BoundaryMode {
    REFLECT, MIRROR, NEAREST, WRAP, CONSTANT;

    /** The scipy name of this mode. */
    public String scipyName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The index inside {@code [0, n)} whose value appears at position {@code i} of the extended
     * line, or -1 where the constant applies. {@code n} must be at least 1.
     */
    public long map(long i, long n) {
        if (i >= 0 && i < n) {
            return i;
        }
        switch (this) {
            case NEAREST:
                return i < 0 ? 0 : n - 1;
            case WRAP:
                return Math.floorMod(i, n);
            case REFLECT: {
                long m = Math.floorMod(i, 2 * n);
                return m < n ? m : 2 * n - 1 - m;
            }
            case MIRROR: {
                if (n == 1) {
                    return 0;
                }
                long p = 2 * n - 2;
                long m = Math.floorMod(i, p);
                return m < n ? m : p - m;
            }
            default:
                return -1;
        }
    }

    /** Parses a scipy mode name, including the grid aliases. */
    public static BoundaryMode parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "reflect", "grid-mirror" -> REFLECT;
            case "mirror" -> MIRROR;
            case "nearest" -> NEAREST;
            case "wrap", "grid-wrap" -> WRAP;
            case "constant", "grid-constant" -> CONSTANT;
            default -> throw new BadParameterException("mode: unknown mode '" + name
                    + "' (expected reflect, mirror, nearest, wrap, constant, grid-mirror, grid-constant or grid-wrap)");
        };
    }
}
