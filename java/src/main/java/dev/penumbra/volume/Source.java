package dev.penumbra.volume;

/**
 * Where the engine reads its input: an N-d array of one element type, read one run along the last
 * axis at a time and addressed by coordinates, so that containers which are not one flat mapping
 * (chunked and compressed files, arrays of another process) can be filtered without being copied
 * into one first. Reads may come from several threads at once. {@link Volume} (mapped files and
 * off-heap memory) is the first implementation.
 */
public interface Source extends Shaped {
    /** Bytes the data takes in its element type. */
    default long byteSize() {
        long n = dtype().size();
        for (long s : shape()) {
            n *= s;
        }
        return n;
    }

    /**
     * Reads {@code count} elements along the last axis, starting at the element whose coordinates
     * are {@code at} (one per axis), into {@code dst[dstPos..]} as doubles (exact for every supported
     * type but int64 beyond 2^53).
     */
    void read(long[] at, int count, double[] dst, int dstPos);

    /** As {@link #read}, rounded to float (exact for float32 data). */
    void readFloat(long[] at, int count, float[] dst, int dstPos);

    /** As {@link #read}, 8- and 16-bit integers widened by {@code widen} (null: as read does). */
    default void read(long[] at, int count, double[] dst, int dstPos, Widen widen) {
        read(at, count, dst, dstPos);
    }

    /** As {@link #readFloat}, 8- and 16-bit integers widened by {@code widen} (null: as readFloat does). */
    default void readFloat(long[] at, int count, float[] dst, int dstPos, Widen widen) {
        readFloat(at, count, dst, dstPos);
    }

    /**
     * This thread's next reads are the {@code n} runs of {@code count} elements at {@code at}, {@code
     * at} with {@code at[axis] + 1}, and so on (advice only: a mapped file may bring them with one
     * read, {@link Volume#willReadRows}). The reads must follow before the thread announces others.
     */
    default void willReadRows(long[] at, int axis, int n, int count) {
    }

    /** The box {@code [lo, hi)} will be read soon: a source may start fetching it (advice only). */
    default void willRead(long[] lo, long[] hi) {
    }

    /**
     * True when a few scattered reads cost much more than their bytes (a chunked, compressed source
     * decodes a whole chunk for one row): the engine then samples the data for its arithmetic only
     * when it must, after the run ({@code false}, the default: mapped data is sampled first).
     */
    default boolean costlyToSample() {
        return false;
    }

    /**
     * The run starting now reads nothing outside the box {@code [lo, hi)} (its output's box grown
     * by the halos, cut at the edges): a source that fetches ahead fetches only within it (advice).
     */
    default void runReadsWithin(long[] lo, long[] hi) {
    }

    /** This run will not read the box {@code [lo, hi)} again: a source may let it go (advice only). */
    default void doneReading(long[] lo, long[] hi) {
    }

    /**
     * Whether the source reads ahead on its own where a read finds its data not in memory ({@code
     * true}, the default), or leaves that to the reader, which says what it needs with
     * {@link #willRead} ({@code false}: a stream over a volume bigger than memory, whose slab rows lie
     * scattered through the file, where each fault's read-ahead fetched megabytes around a 16 KiB
     * row and evicted them again before use). Advice only.
     */
    default void ownReadAhead(boolean on) {
    }
}
