package dev.penumbra.engine;

import dev.penumbra.chunk.Chunk;

/** Computes chunks of the output, one after another, on one thread, in scratch it keeps. */
interface ChunkWorker {
    void run(Chunk chunk);
}
