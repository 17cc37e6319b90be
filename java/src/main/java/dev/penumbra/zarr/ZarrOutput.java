package dev.penumbra.zarr;

import dev.penumbra.volume.DType;
import java.io.Serializable;
import java.util.Locale;
import java.nio.file.Path;

/**
 * How to write a Zarr output: {@code format} 2 or 3 (default 3), {@code chunks} (null: the Zarr
 * input's chunks, else {@link #defaultChunks}), {@code compressor} as {@code NAME[:LEVEL]} (null:
 * zstd level 3), {@code shards} (v3 only; null: no shards) a multiple of the chunks on every axis.
 */
public record ZarrOutput(int format, long[] chunks, String compressor, long[] shards) implements Serializable {
    /** Without shards. */
    public ZarrOutput(int format, long[] chunks, String compressor) {
        this(format, chunks, compressor, null);
    }

    /** Version 3, default chunks, zstd level 3. */
    public static ZarrOutput defaults() {
        return new ZarrOutput(3, null, null);
    }

    /** True when {@code output} is named as a Zarr store ({@code *.zarr}). */
    public static boolean namedZarr(Path output) {
        Path f = output.getFileName();
        return f != null && f.toString().toLowerCase(Locale.ROOT).endsWith(".zarr");
    }

    /**
     * Chunks of about 1-4 MiB for a volume of {@code shape}: the whole volume, with the longest axis
     * halved (the first of equals) until a chunk is at most 4 MiB — whole rows where they fit, as the
     * engine streams them.
     */
    public static long[] defaultChunks(long[] shape, DType dtype) {
        long[] c = shape.clone();
        for (int a = 0; a < c.length; a++) {
            c[a] = Math.max(1, c[a]);
        }
        while (true) {
            long bytes = dtype.size();
            for (long x : c) {
                bytes *= x;
            }
            if (bytes <= 4L << 20) {
                return c;
            }
            int big = 0;
            for (int a = 1; a < c.length; a++) {
                if (c[a] > c[big]) {
                    big = a;
                }
            }
            if (c[big] == 1) {
                return c;
            }
            c[big] = (c[big] + 1) / 2;
        }
    }
}
