package dev.penumbra.engine;

import java.util.Locale;

/**
 * What one {@link Engine#run} did: the strategy that ran (never {@link Strategy#AUTO}), the
 * arithmetic it finished in, and the shape of the work.
 *
 * @param strategy   the strategy that computed the output
 * @param floatPath  true when the output was computed on the float32 path, false for the double path
 * @param redone     true when an AUTO run took the float32 path, found its error bound failed for the
 *                   data it read, and computed the output again on the double path
 * @param streamAxis the axis streamed one slab at a time, or -1 when the run did not stream
 * @param zChunk     axis-0 extent of a streamed run's chunks (the whole axis unless the slabs had to be
 *                   cut to fit the scratch budget), or -1 when the run did not stream
 * @param threads    threads that worked on the run (the team's size for {@link Strategy#TEAM})
 * @param chunks     chunks the output was cut into (for {@link Strategy#UNFUSED}: those of its last pass)
 * @param why        why the run took its arithmetic, e.g. "the float32 error bound holds for the data
 *                   ([0, 1])" or "the output is float64: scipy's sums in double, stored in double"
 * @param io         what the containers around the run did, e.g. "decoded 20 input chunks (20 in the
 *                   array)", or empty
 */
public record Run(Strategy strategy, boolean floatPath, boolean redone, int streamAxis, long zChunk, int threads,
                  int chunks, String why, String io) {
    /** A run with nothing to say about containers. */
    public Run(Strategy strategy, boolean floatPath, boolean redone, int streamAxis, long zChunk, int threads,
               int chunks, String why) {
        this(strategy, floatPath, redone, streamAxis, zChunk, threads, chunks, why, "");
    }

    /** In a few words, e.g. "team of 2, float32 path" or "tiles, double path (float32 redone)". */
    public String summary() {
        String how = switch (strategy) {
            case TEAM -> "team of " + threads;
            case STREAM -> "stream on " + threads + (threads == 1 ? " thread" : " threads");
            default -> strategy.name().toLowerCase(Locale.ROOT) + " on " + threads
                    + (threads == 1 ? " thread" : " threads");
        };
        return how + ", " + (floatPath ? "float32" : "double") + " path" + (redone ? " (float32 redone)" : "")
                + (io.isEmpty() ? "" : "; " + io);
    }

    /** The same run with what its containers did. */
    public Run withIo(String text) {
        return new Run(strategy, floatPath, redone, streamAxis, zChunk, threads, chunks, why, text);
    }

    /** The same run, marked as redone in double after a float32 attempt. */
    Run redoneInDouble() {
        return new Run(strategy, floatPath, true, streamAxis, zChunk, threads, chunks, why, io);
    }

    /** The same run with the reason for its arithmetic. */
    Run because(String reason) {
        return new Run(strategy, floatPath, redone, streamAxis, zChunk, threads, chunks, reason, io);
    }
}
