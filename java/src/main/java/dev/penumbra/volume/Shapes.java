package dev.penumbra.volume;

import dev.penumbra.BadParameterException;
import java.util.Arrays;

/** Shape arithmetic shared by volumes, files and chunk grids. */
public final class Shapes {
    private Shapes() {
    }

    /** The element count of a shape; throws when an extent is negative or the count overflows. */
    public static long elementCount(long[] shape, String what) {
        long n = 1;
        for (long s : shape) {
            if (s < 0) {
                throw new BadParameterException(what + ": extent " + s + " is negative");
            }
            try {
                n = Math.multiplyExact(n, s);
            } catch (ArithmeticException e) {
                throw new BadParameterException(what + ": " + Arrays.toString(shape)
                        + " has more elements than fit in a 64-bit count");
            }
        }
        return n;
    }

    /** Strides, in elements, of a C-ordered (row-major) array. */
    public static long[] cStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int a = shape.length - 1; a >= 0; a--) {
            s[a] = acc;
            acc *= Math.max(1, shape[a]);
        }
        return s;
    }

    /** Strides, in elements, of a Fortran-ordered (column-major) array. */
    public static long[] fStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int a = 0; a < shape.length; a++) {
            s[a] = acc;
            acc *= Math.max(1, shape[a]);
        }
        return s;
    }

    /** Parses "50,1104,1104" as a shape. */
    public static long[] parse(String text, String parameter) {
        String[] parts = text.split(",");
        long[] s = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                s[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new BadParameterException(parameter + ": '" + text
                        + "' is not a list of whole numbers like 50,1104,1104");
            }
            if (s[i] < 0) {
                throw new BadParameterException(parameter + ": extent " + s[i] + " is negative");
            }
        }
        if (s.length > Volume.MAX_RANK) {
            throw new BadParameterException(parameter + ": rank " + s.length + " is not supported (expected 1 to "
                    + Volume.MAX_RANK + " axes)");
        }
        elementCount(s, parameter);
        return s;
    }
}
