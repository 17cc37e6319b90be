package dev.penumbra.engine;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.chunk.Chunk;
import dev.penumbra.filter.Plan;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A compound plan (laplace, gaussian_laplace, gaussian_gradient_magnitude) in one streamed sweep:
 * a {@link SlabStream} per term, each with a ring of its own, computes the same batch of output
 * slabs; the batches are folded as scipy folds the terms (float32: the first term, then each
 * next one added; HYPOT: squares added, the square root taken last) and the result written once.
 * Every term reads the same input rows close together in time (the later terms from cache), and
 * the output is written once, where streaming a term at a time reads the input once a term and the
 * output back once a term after the first. Bytes are those of the tiles and of the term-at-a-time
 * stream: each term's slabs are its stream's, and the fold is theirs.
 */
final class TermSweep implements ChunkWorker {
    private final SlabStream[] terms;
    private final Plan.Combine how;
    private final Object acc;
    private final SlabStore store;
    private final int slabData;
    private final int slabPitch;

    /** The terms' streams ({@code terms.get(t)} streams term t alone, scratch set t, no team). */
    TermSweep(List<SlabStream> terms, Plan.Combine how) {
        this.terms = terms.toArray(new SlabStream[0]);
        this.how = how;
        SlabLayout lay = this.terms[0].layout();
        slabData = lay.slabData;
        slabPitch = lay.slabPitch;
        store = this.terms[0].store();
        acc = store.array(SlabStream.BATCH * slabPitch);
    }

    @Override
    public void attach(Monitor monitor, BooleanSupplier stop, int worker) {
        for (SlabStream t : terms) {
            t.attach(monitor, stop, worker);
        }
    }

    @Override
    public void trackRange(FloatTileKernel kernel, float[] range) {
        for (SlabStream t : terms) {
            t.trackRange(kernel, range);
        }
    }

    @Override
    public void run(Chunk chunk) {
        int c0 = (int) chunk.lo(terms[0].streamAxis());
        int c1 = (int) chunk.hi(terms[0].streamAxis());
        for (SlabStream t : terms) {
            t.prepare(chunk);
            t.begin(c0);
        }
        int[] offs = new int[SlabStream.BATCH];
        for (int j = 0; j < offs.length; j++) {
            offs[j] = j * slabPitch;
        }
        for (int o = c0; o < c1; o += SlabStream.BATCH) {
            int nOut = Math.min(SlabStream.BATCH, c1 - o);
            for (int t = 0; t < terms.length; t++) {
                terms[t].batch(o, nOut);
                fold(t, terms[t].batchOut(), nOut);
            }
            terms[0].writeSlabs(acc, nOut, o, offs);
            terms[0].outputWritten(o + nOut);
            terms[0].batchDone(nOut);
        }
        for (SlabStream t : terms) {
            t.finish(chunk);
        }
    }

    /** Folds term {@code t}'s batch into the accumulated slabs. */
    private void fold(int t, Object b, int nOut) {
        for (int j = 0; j < nOut; j++) {
            store.fold(b, j * slabPitch, acc, j * slabPitch, slabData, t == 0, t == terms.length - 1, how);
        }
    }
}
