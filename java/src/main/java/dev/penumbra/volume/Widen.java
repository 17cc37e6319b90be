package dev.penumbra.volume;

/**
 * Widens runs of 8- and 16-bit integers (already in native byte order) to float or double: the
 * conversion a read of an integer volume does, which a backend may run in C where the JIT would
 * leave it a scalar loop (the CLI's C1-compiled gather of a uint16 volume: 39 % of laplace's thread
 * time). Values are the same either way: float and double hold every such integer exactly.
 */
public interface Widen {
    /** {@code dst[dstPos + i] = src[i]} for {@code i < n}, unsigned or signed bytes. */
    void widen(byte[] src, boolean unsigned, int n, float[] dst, int dstPos);

    /** As above, from 16-bit integers. */
    void widen(short[] src, boolean unsigned, int n, float[] dst, int dstPos);

    /** As above, to double. */
    void widen(byte[] src, boolean unsigned, int n, double[] dst, int dstPos);

    /** As above, from 16-bit integers to double. */
    void widen(short[] src, boolean unsigned, int n, double[] dst, int dstPos);
}
