package dev.penumbra.engine;

import dev.penumbra.filter.BoundaryMode;
import dev.penumbra.filter.Kernel1D;
import dev.penumbra.filter.Pass;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * The passes of a streamed run that stay inside one slab (those before and after the pass on the
 * streamed axis): the contiguous axis runs the line kernel on each row, the others the row kernel on
 * bundles of whole rows, with each pass's extension by its mode expressed as a row map. A team
 * member runs only its own axis-0 rows (the axis-0 pass reads the others' rows as its input).
 */
final class SlabPasses {
    private final SlabLayout lay;
    private final SlabStore store;
    private final double cval;
    private final long volumeZ;
    /** Slab-sized places whose cval row sits at {@link SlabLayout#slabPitch}; all others at bigPitch. */
    private final Object ring;
    private final Object batchOut;
    private final Object slabA;
    private final Object slabB;
    private final Object lineIn;
    private final int[] rowOffsets;
    private final IdentityHashMap<Pass, int[]> maps = new IdentityHashMap<>();
    private final IdentityHashMap<Pass, Long> mapKeys = new IdentityHashMap<>();

    SlabPasses(SlabLayout lay, SlabStore store, double cval, long volumeZ, Object ring, Object batchOut,
               int longest) {
        this.lay = lay;
        this.store = store;
        this.cval = cval;
        this.volumeZ = volumeZ;
        this.ring = ring;
        this.batchOut = batchOut;
        slabA = store.scratch(ScratchArena.SLAB_A, lay.bigPitch, 0);
        slabB = store.scratch(ScratchArena.SLAB_B, lay.bigPitch, 0);
        store.fill(slabA, lay.bigPitch - lay.rowLen, lay.bigPitch, cval);
        store.fill(slabB, lay.bigPitch - lay.rowLen, lay.bigPitch, cval);
        lineIn = store.array(longest);
        rowOffsets = new int[longest];
    }

    /** Where a pass chain left its result: a buffer and the offset of its first element. */
    record Slab(Object buf, int off) {
    }

    /**
     * Runs {@code passes} from {@code src[srcOff]}, ping-ponging between two scratch slabs; the last
     * pass writes to {@code dst[dstOff]} when a destination is given. Every slab axis is whole, so
     * lines are extended by their mode. Axis 0 has {@code z} rows at the start
     * ({@link SlabLayout#extent}); the chunk starts at row {@code z0} of the volume; a team member
     * runs the rows {@code [r0, r1)} of axis 0 ({@code team}), others every row.
     */
    Slab run(List<Pass> passes, Object src, int srcOff, Object dst, int dstOff, int z, int z0, boolean team,
             int r0, int r1) {
        Object cur = src;
        int curOff = srcOff;
        for (int i = 0; i < passes.size(); i++) {
            boolean lastPass = i == passes.size() - 1;
            Object nxt = lastPass && dst != null ? dst : cur == slabA ? slabB : slabA;
            int nxtOff = lastPass && dst != null ? dstOff : 0;
            boolean linePass = lay.slabIndex(passes.get(i).axis()) == lay.rank - 2;
            if (nxt == cur && nxtOff == curOff && !linePass) {
                // a rows pass may not write the slab it reads (it reads rows it would overwrite): go
                // through a temporary and copy the result into place; a line pass copies each line
                // out (with its extension) before writing it, so it runs in place
                Object tmp = cur == slabA ? slabB : slabA;
                z = pass(passes.get(i), cur, curOff, tmp, 0, z, z0, team, r0, r1);
                System.arraycopy(tmp, 0, nxt, nxtOff, lay.slabData);
            } else {
                z = pass(passes.get(i), cur, curOff, nxt, nxtOff, z, z0, team, r0, r1);
            }
            cur = nxt;
            curOff = nxtOff;
        }
        return new Slab(cur, curOff);
    }

    /** One pass; returns axis 0's extent after it (a cut axis 0's pass drops its halo). */
    private int pass(Pass p, Object src, int srcOff, Object dst, int dstOff, int z, int z0, boolean team,
                     int r0, int r1) {
        int k = lay.slabIndex(p.axis());
        Kernel1D kern = p.kernel();
        int len = lay.extent(k, z);
        int nOut = len;
        boolean cut = k == 0 && lay.cutZ;
        int[] map = sourceMap(p, len, cut, z0);
        if (cut) {
            nOut = len - kern.left() - kern.right();
        }
        int slabRows = lay.rows(z);
        int rowLen = lay.rowLen;
        if (k == lay.rank - 2) {
            int left = kern.left();
            for (int r = team ? r0 : 0; r < (team ? r1 : slabRows); r++) {
                int base = srcOff + r * lay.rowPitch;
                // the line itself in one copy; only its extension goes through the mode's map
                System.arraycopy(src, base, lineIn, left, len);
                store.extend(src, base, lineIn, map, left, len, cval);
                store.line(lineIn, 0, dst, dstOff + r * lay.rowPitch, len, kern);
            }
            return z;
        }
        int stride = lay.stride[k];
        int cvalRow = srcOff + (src == ring || src == batchOut ? lay.slabPitch : lay.bigPitch) - rowLen;
        // bundles: every index of the slab axes other than k and the last
        int bundles = slabRows / len;
        for (int b = 0; b < bundles; b++) {
            int rest = b;
            int base = 0;
            for (int j = lay.rank - 3; j >= 0; j--) {
                if (j == k) {
                    continue;
                }
                int i = rest % lay.extent(j, z);
                rest /= lay.extent(j, z);
                base += i * lay.stride[j];
            }
            if (team && k == 0) {
                // this member's outputs of the axis-0 pass: rows r0 .. r1-1, from every member's rows
                for (int i = 0; i < r1 - r0 + kern.size() - 1; i++) {
                    int m = map[r0 + i];
                    rowOffsets[i] = m < 0 ? cvalRow : srcOff + base + m * stride;
                }
                store.rows(src, rowOffsets, r1 - r0, rowLen, dst, dstOff + base + r0 * stride, stride, kern);
                continue;
            }
            for (int i = 0; i < map.length; i++) {
                rowOffsets[i] = map[i] < 0 ? cvalRow : srcOff + base + map[i] * stride;
            }
            store.rows(src, rowOffsets, nOut, rowLen, dst, dstOff + base, stride, kern);
        }
        return cut ? nOut : z;
    }

    /**
     * Where each input position of a slab pass reads from, kept per pass and recomputed only when
     * the slab's extent (or, for a cut axis 0, the chunk) changes: no allocation per slab.
     */
    private int[] sourceMap(Pass p, int len, boolean cut, int z0) {
        long key = ((long) len << 32) ^ (cut ? (z0 + 1L) : 0);
        Long have = mapKeys.get(p);
        if (have != null && have == key) {
            return maps.get(p);
        }
        Kernel1D kern = p.kernel();
        int[] map;
        if (cut) {
            // axis 0 carries its halo: read the stored rows (cval outside the volume), shrink to the core
            map = new int[len];
            for (int i = 0; i < len; i++) {
                long g = z0 - lay.zHl + i;
                map[i] = p.mode() == BoundaryMode.CONSTANT && (g < 0 || g >= volumeZ) ? -1 : i;
            }
        } else {
            map = new int[kern.left() + len + kern.right()];
            for (int i = 0; i < map.length; i++) {
                map[i] = (int) p.mode().map(i - kern.left(), len);
            }
        }
        maps.put(p, map);
        mapKeys.put(p, key);
        return map;
    }
}
