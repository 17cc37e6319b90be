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
 * stream: each term's slabs are its stream's, and the fold is theirs. A term that needs only its
 * batch's own input slabs (laplace's z and x terms) reads them from the ring of a term that
 * gathered them raw (its y term) instead of gathering the input again.
 */
final class TermSweep implements ChunkWorker {
    private final SlabStream[] terms;
    private final Plan.Combine how;
    /** Each term's batch of output slabs, in term order (the fold's). */
    private final Object[] batches;
    private final int slabPitch;
    private final int slabData;
    private final SlabStore store;
    /** The term whose ring the others read their input slabs from ({@link SlabStream#gatherFrom}), or -1. */
    private final int donor;

    /** The terms' streams ({@code terms.get(t)} streams term t alone, scratch set t, no team). */
    TermSweep(List<SlabStream> terms, Plan.Combine how) {
        this.terms = terms.toArray(new SlabStream[0]);
        int d = -1;
        for (int t = 0; t < this.terms.length && d < 0; t++) {
            if (this.terms[t].holdsRawSlabs()) {
                d = t;
            }
        }
        boolean shared = false;
        for (int t = 0; t < this.terms.length && d >= 0; t++) {
            shared |= t != d && this.terms[t].gatherFrom(this.terms[d]);
        }
        donor = shared ? d : -1;
        this.how = how;
        SlabLayout lay = this.terms[0].layout();
        slabPitch = lay.slabPitch;
        slabData = lay.slabData;
        store = this.terms[0].store();
        batches = new Object[this.terms.length];
        for (int t = 0; t < batches.length; t++) {
            batches[t] = this.terms[t].batchOut();
        }
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
            // the donor first: the others read this batch's input slabs from its ring; folds in term order
            if (donor >= 0) {
                terms[donor].batch(o, nOut);
            }
            for (int t = 0; t < terms.length; t++) {
                if (t != donor) {
                    terms[t].batch(o, nOut);
                }
            }
            SlabStream lead = terms[0];
            long t0 = lead.now();
            fold(nOut);
            t0 = lead.lap(Monitor.Phase.FOLD, t0);
            lead.writeSlabs(batches[0], nOut, o, offs);
            lead.outputWritten(o + nOut);
            lead.lap(Monitor.Phase.WRITE, t0);
            terms[0].batchDone(nOut);
        }
        for (SlabStream t : terms) {
            t.finish(chunk);
        }
    }

    /**
     * Folds the terms' batches into the first term's, in place, a piece of {@link #FOLD_PIECE}
     * elements at a time so that the piece of every term stays in L1 while all fold into it:
     * folding whole batches into a separate buffer took laplace (float64, seed shape) 97 ms of the
     * threads' time in passes over memory. The pads between rows fold too, and are never written.
     */
    private void fold(int nOut) {
        int last = terms.length - 1;
        for (int j = 0; j < nOut; j++) {
            int off = j * slabPitch;
            for (int p = 0; p < slabData; p += FOLD_PIECE) {
                int n = Math.min(FOLD_PIECE, slabData - p);
                for (int t = 0; t <= last; t++) {
                    store.fold(batches[t], off + p, batches[0], off + p, n, t == 0, t == last, how);
                }
            }
        }
    }

    /** Elements folded at a time: 8 KiB of doubles a term. */
    private static final int FOLD_PIECE = 1024;
}
