package dev.penumbra.engine;

import dev.penumbra.backend.FloatTileKernel;
import dev.penumbra.chunk.Chunk;
import java.util.function.BooleanSupplier;

/** Computes chunks of the output, one after another, on one thread, in scratch it keeps. */
interface ChunkWorker {
    void run(Chunk chunk);

    /**
     * Reports to {@code monitor} (may be null) and checks {@code stop} between batches; workers that
     * run a chunk in one piece (tiles) leave both to the engine's loop.
     */
    default void attach(Monitor monitor, BooleanSupplier stop, int worker) {
    }

    /**
     * Folds the range ({min, max}) of every input value this worker reads from now on into
     * {@code acc}; workers of the float32 path support it (the engine checks the float bound
     * with it after the run).
     */
    default void trackRange(FloatTileKernel kernel, float[] acc) {
        throw new UnsupportedOperationException("only float32-path workers track the input range");
    }
}
