package dev.penumbra.zarr;

import com.google.gson.JsonObject;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * A bytes-to-bytes stage of a Zarr chunk's encoding: a compressor (zstd, zlib, gzip, blosc) or a
 * checksum (crc32c). Chunks live off the Java heap: every stage reads and writes
 * {@link MemorySegment}s, so that a 16 MiB chunk costs no heap. Damaged input raises
 * {@link ChunkException} saying what is wrong, never a crash.
 */
interface BytesCodec {
    /** The codec's name in the metadata (v2 {@code id}, v3 {@code name}). */
    String name();

    /**
     * Decodes {@code src} into memory of {@code arena}: {@code expected} bytes when that is known
     * (the chunk's size after the last stage), else -1.
     */
    MemorySegment decode(MemorySegment src, long expected, SegmentAllocator arena);

    /** Encodes {@code src} into memory of {@code arena} (a slice of it: the encoded bytes exactly). */
    MemorySegment encode(MemorySegment src, SegmentAllocator arena);

    /** The v2 {@code compressor} object, or null when v2 has no such compressor. */
    JsonObject v2Json();

    /** The v3 codec object ({@code name} and {@code configuration}). */
    JsonObject v3Json();
}
