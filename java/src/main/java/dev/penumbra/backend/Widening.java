package dev.penumbra.backend;

import dev.penumbra.volume.Widen;

/** Kernels that may bring their own widening of integer input rows ({@link Widen}). */
public interface Widening {
    /** What widens 8- and 16-bit input rows for these kernels in C, or null (Java's loops). */
    default Widen widener() {
        return null;
    }
}
