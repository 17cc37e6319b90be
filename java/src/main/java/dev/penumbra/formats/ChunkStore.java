package dev.penumbra.formats;

import dev.penumbra.volume.DType;
import dev.penumbra.volume.Volume;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An array stored in chunks of one shape on a regular grid — a Zarr array, a chunked HDF5 dataset,
 * a TIFF stack (a page a chunk) — as {@link ChunkedSource} reads it: one chunk at a time, decoded
 * into memory the reader provides. A decoded chunk is a {@link Volume} over that memory whose
 * strides and byte order say its layout, so nothing is reordered or swapped.
 */
public interface ChunkStore {
    DType dtype();

    /** The array's shape (a copy). */
    long[] shape();

    /** The chunk shape (a copy). */
    long[] chunks();

    /** Bytes a decoded chunk takes (the whole chunk, edge chunks padded). */
    long unitBytes();

    /**
     * Reads and decodes the chunk at grid coordinates {@code u} into {@code dst} (at least
     * {@link #unitBytes} bytes), using {@code stage} (as large) for its stored bytes where that helps;
     * null when the chunk is not stored (it reads as {@link #fillUnit}). Damage raises a
     * {@code BadVolumeException} naming the file and the chunk.
     */
    Volume readUnit(long[] u, MemorySegment dst, MemorySegment stage);

    /** A chunk of the fill value, in memory of {@code arena}. */
    Volume fillUnit(Arena arena);

    /** Where the array lives, for messages. */
    String describe();

    /** Releases what reading held open (files, readers). */
    default void close() {
    }
}
