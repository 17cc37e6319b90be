package dev.penumbra.engine;

import dev.penumbra.volume.Source;

/**
 * Where a streamed slab's values sit in scratch: a slab holds every axis but the streamed one
 * {@code s}; its rows (lines of the last axis) are {@link #rowPitch} floats apart, padded so that
 * rows read together do not share L1 sets, and each slab-sized place ends with one spare row (the
 * cval row of constant-mode passes). When axis 0 is cut into chunks, a gathered slab carries axis
 * 0's halo until its own pass brings it back to the chunk's core ({@link #extent}).
 */
final class SlabLayout {
    final int s;
    final int rank;
    /** Volume axis of each slab axis. */
    final int[] axes;
    /** Extent of each slab axis; for axis 0, the chunk's (the most a slab holds after its pass). */
    final int[] shape;
    /** Floats between neighbours along each slab axis. */
    final int[] stride;
    final int rowLen;
    /** Floats from one slab row to the next: rowLen, padded when long rows would alias in L1. */
    final int rowPitch;
    /** Floats of a slab-sized place (ring slot, output slab) with its cval row. */
    final int slabPitch;
    /** Floats of a gathered slab (with axis 0's halo) with its cval row. */
    final int bigPitch;
    /** Where the cval row starts in a slab-sized place. */
    final int slabData;
    final boolean cutZ;
    /** Axis 0's halo a gathered slab carries on each side (0 unless axis 0 is cut). */
    final int zHl;
    final int zHr;

    SlabLayout(Source in, int s, int zChunk, int zHalo0, int zHalo1) {
        this.s = s;
        this.rank = in.rank();
        this.cutZ = s != 0 && zChunk < in.shape(0);
        this.zHl = cutZ ? zHalo0 : 0;
        this.zHr = cutZ ? zHalo1 : 0;
        axes = new int[rank - 1];
        shape = new int[rank - 1];
        stride = new int[rank - 1];
        for (int a = 0, k = 0; a < rank; a++) {
            if (a != s) {
                axes[k] = a;
                shape[k++] = Math.toIntExact(in.shape(a));
            }
        }
        if (cutZ) {
            shape[0] = zChunk;
        }
        rowLen = shape[rank - 2];
        rowPitch = rowPitch(rowLen);
        long st = 1;
        for (int k = rank - 2; k >= 0; k--) {
            stride[k] = Math.toIntExact(st);
            st *= k == rank - 2 ? rowPitch : shape[k];
        }
        slabPitch = oddLines(st + rowLen);
        // the gather holds axis 0's halo too
        long gathered = cutZ ? st / zChunk * (zChunk + zHl + zHr) : st;
        bigPitch = oddLines(gathered + rowLen);
        slabData = slabPitch - rowLen;
    }

    /**
     * Extent of slab axis {@code k} when axis 0 has {@code z} rows: a cut axis 0 carries its halo
     * while it is gathered and until its own pass brings it back to the chunk's core.
     */
    int extent(int k, int z) {
        return k == 0 ? z : shape[k];
    }

    /** Rows (lines of the last axis) of a slab whose axis 0 has {@code z} rows. */
    int rows(int z) {
        int r = 1;
        for (int k = 0; k < rank - 2; k++) {
            r *= extent(k, z);
        }
        return r;
    }

    /** The slab axis of volume axis {@code axis}. */
    int slabIndex(int axis) {
        return axis < s ? axis : axis - 1;
    }

    /**
     * The pitch of slab rows of {@code n} floats: rows of 256 floats or more are padded to an odd
     * number of cache lines, because the axis-0 pass reads 25 rows at once and rows a multiple of
     * 4 KiB apart share one L1 set (x = 4096: half the speed of x = 4000 before this).
     */
    static int rowPitch(int n) {
        return n >= 256 ? oddLines(n) : n;
    }

    /** {@code n} floats rounded up to an odd number of cache lines (so slabs do not share L1 sets). */
    static int oddLines(long n) {
        long p = (n + 15) / 16 * 16;
        if ((p / 16) % 2 == 0) {
            p += 16;
        }
        return Math.toIntExact(p);
    }
}
