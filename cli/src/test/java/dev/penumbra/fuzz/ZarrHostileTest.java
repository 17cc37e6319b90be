package dev.penumbra.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile Zarr stores through the CLI: a valid v2 and v3 array (uncompressed, so every byte is
 * meaningful), then metadata that lies (shape, chunks, dtype, order, separator, codecs, fill value,
 * JSON itself, random byte flips) and chunks that are short, long, missing or garbage, and Zarr
 * options out of range. Every case ends in exit 0 with a whole output, or exit 2 with one line on
 * stderr and nothing left in the output's folder — never an internal error or a crash.
 */
class ZarrHostileTest {
    @TempDir
    Path dir;

    private static final long[] SHAPE = {5, 6, 7};
    private static final long[] CHUNKS = {3, 4, 5};

    record Outcome(int code, String err) {
    }

    private static Outcome cli(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args.toArray(new String[0]), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Outcome(code, err.toString());
    }

    private static byte[] chunkBytes(long seed) {
        ByteBuffer b = ByteBuffer.allocate(3 * 4 * 5 * 4).order(ByteOrder.LITTLE_ENDIAN);
        Random r = new Random(seed);
        while (b.hasRemaining()) {
            b.putFloat((float) r.nextGaussian());
        }
        return b.array();
    }

    /** A valid uncompressed store, v2 or v3, with every chunk written. */
    private Path store(int format) throws IOException {
        Path s = Files.createTempDirectory(dir, "in") .resolve("a.zarr");
        Files.createDirectory(s);
        String meta = format == 2
                ? "{\"zarr_format\":2,\"shape\":[5,6,7],\"chunks\":[3,4,5],\"dtype\":\"<f4\",\"compressor\":null,"
                + "\"fill_value\":0.0,\"order\":\"C\",\"filters\":null}"
                : "{\"zarr_format\":3,\"node_type\":\"array\",\"shape\":[5,6,7],\"data_type\":\"float32\","
                + "\"chunk_grid\":{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[3,4,5]}},"
                + "\"chunk_key_encoding\":{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}},"
                + "\"fill_value\":0.0,\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]}";
        Files.writeString(s.resolve(format == 2 ? ".zarray" : "zarr.json"), meta);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                for (int k = 0; k < 2; k++) {
                    String key = format == 2 ? i + "." + j + "." + k : "c/" + i + "/" + j + "/" + k;
                    Path f = s.resolve(key);
                    Files.createDirectories(f.getParent());
                    Files.write(f, chunkBytes(i * 4 + j * 2 + k));
                }
            }
        }
        return s;
    }

    private int tried;
    private int refused;

    /** Runs one case; returns the exit code after checking the contract. */
    private int check(String what, Path in, List<String> extra) throws IOException {
        Path outDir = Files.createTempDirectory(dir, "out");
        List<String> args = new ArrayList<>(List.of("gaussian", "--sigma", "1"));
        args.addAll(extra);
        args.add(in.toString());
        args.add(outDir.resolve("r.zarr").toString());
        Outcome o = cli(args);
        tried++;
        String where = what + ": exit " + o.code() + ", stderr: " + o.err();
        try (Stream<Path> s = Files.list(outDir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).toList();
            if (o.code() == 0) {
                assertEquals(List.of("r.zarr"), names, where);
            } else {
                refused++;
                assertEquals(2, o.code(), where);
                assertEquals(1, o.err().strip().lines().count(), "one line: " + where);
                assertTrue(o.err().startsWith("penumbra: "), where);
                assertEquals(List.of(), names, "nothing left behind: " + where);
            }
        }
        return o.code();
    }

    private void mutate(String what, int format, Consumer<Path> m, boolean mustRefuse) throws IOException {
        Path s = store(format);
        m.accept(s);
        int code = check(what, s, List.of());
        if (mustRefuse) {
            assertEquals(2, code, what + " must be refused");
        }
    }

    private static void write(Path p, String text) {
        try {
            Files.writeString(p, text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void lyingMetadataAndBrokenChunksAreRefusedWithOneLine() throws IOException {
        assertEquals(0, check("valid v2", store(2), List.of()));
        assertEquals(0, check("valid v3", store(3), List.of()));
        String[][] v2 = {
                {"\"shape\":[5,6,7]", "\"shape\":[5,6,8]"},          // a chunk holds fewer values than claimed? no: same
                {"\"shape\":[5,6,7]", "\"shape\":[-5,6,7]"},
                {"\"shape\":[5,6,7]", "\"shape\":[5,6]"},
                {"\"shape\":[5,6,7]", "\"shape\":[9223372036854775807,6,7]"},
                {"\"shape\":[5,6,7]", "\"shape\":\"5,6,7\""},
                {"\"chunks\":[3,4,5]", "\"chunks\":[3,4,6]"},
                {"\"chunks\":[3,4,5]", "\"chunks\":[0,4,5]"},
                {"\"chunks\":[3,4,5]", "\"chunks\":[3.5,4,5]"},
                {"\"chunks\":[3,4,5]", "\"chunks\":[100000,100000,100000]"},
                {"\"dtype\":\"<f4\"", "\"dtype\":\"<f8\""},
                {"\"dtype\":\"<f4\"", "\"dtype\":\"<c8\""},
                {"\"dtype\":\"<f4\"", "\"dtype\":\"f4\""},
                {"\"dtype\":\"<f4\"", "\"dtype\":7"},
                {"\"compressor\":null", "\"compressor\":{\"id\":\"zstd\",\"level\":1}"},
                {"\"compressor\":null", "\"compressor\":{\"id\":\"zlib\",\"level\":1}"},
                {"\"compressor\":null", "\"compressor\":{\"id\":\"gzip\",\"level\":1}"},
                {"\"compressor\":null", "\"compressor\":{\"id\":\"lz4\"}"},
                {"\"compressor\":null", "\"compressor\":\"zstd\""},
                {"\"order\":\"C\"", "\"order\":\"K\""},
                {"\"filters\":null", "\"filters\":[{\"id\":\"shuffle\"}]"},
                {"\"zarr_format\":2", "\"zarr_format\":4"},
                {"\"fill_value\":0.0", "\"fill_value\":\"lots\""},
                {"\"fill_value\":0.0", "\"fill_value\":[1,2]"},
                {"}", ",\"dimension_separator\":\"-\"}"},
                {"{", "["},
        };
        for (String[] r : v2) {
            // shape [5,6,8] still reads (the edge chunks just hold more padding): run, not refused
            boolean refuse = !r[1].equals("\"shape\":[5,6,8]");
            mutate("v2 " + r[1], 2, s -> write(s.resolve(".zarray"), read(s.resolve(".zarray")).replace(r[0], r[1])),
                    refuse);
        }
        String[][] v3 = {
                {"\"data_type\":\"float32\"", "\"data_type\":\"complex64\""},
                {"\"data_type\":\"float32\"", "\"data_type\":\"float64\""},
                {"\"name\":\"regular\"", "\"name\":\"rectilinear\""},
                {"\"name\":\"default\"", "\"name\":\"other\""},
                {"\"endian\":\"little\"", "\"endian\":\"middle\""},
                {"[{\"name\":\"bytes\"", "[{\"name\":\"transpose\",\"configuration\":{\"order\":[0,0,1]}},{\"name\":\"bytes\""},
                {"[{\"name\":\"bytes\"", "[{\"name\":\"transpose\",\"configuration\":{\"order\":[0,1]}},{\"name\":\"bytes\""},
                {"\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]", "\"codecs\":[]"},
                {"}}]}", "}},{\"name\":\"crc32c\"}]}"},
                {"}}]}", "}},{\"name\":\"zstd\",\"configuration\":{\"level\":1}}]}"},
                {"\"codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}}]",
                        "\"codecs\":[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[3,4,5],"
                                + "\"codecs\":[{\"name\":\"bytes\"}],\"index_codecs\":[{\"name\":\"bytes\"},"
                                + "{\"name\":\"crc32c\"}]}}]"},
                {"\"node_type\":\"array\"", "\"node_type\":\"group\""},
        };
        for (String[] r : v3) {
            mutate("v3 " + r[1], 3, s -> write(s.resolve("zarr.json"), read(s.resolve("zarr.json")).replace(r[0], r[1])),
                    true);
        }
        // chunks: short, long, empty, garbage; a missing chunk is the fill value (valid)
        mutate("short chunk", 2, s -> truncate(s.resolve("1.0.1"), 100), true);
        mutate("long chunk", 2, s -> truncate(s.resolve("0.1.0"), 242), true); // zero-extended by two bytes
        mutate("empty chunk", 3, s -> truncate(s.resolve("c/1/1/0"), 0), true);
        mutate("chunk is a folder", 2, s -> {
            try {
                Files.delete(s.resolve("0.0.0"));
                Files.createDirectory(s.resolve("0.0.0"));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, true);
        assertEquals(0, check("missing chunk", withDeleted(store(2), "1.1.1"), List.of()));
        // random byte flips in the metadata: whatever they do, the contract holds
        Random r = new Random(7);
        for (int i = 0; i < 40; i++) {
            int format = 2 + (i & 1);
            Path s = store(format);
            Path meta = s.resolve(format == 2 ? ".zarray" : "zarr.json");
            byte[] b = Files.readAllBytes(meta);
            b[r.nextInt(b.length)] = (byte) (32 + r.nextInt(95));
            Files.write(meta, b);
            check("flip " + i, s, List.of());
        }
        // options: format, chunks, compressor, dataset
        Path s = store(2);
        for (List<String> o : List.of(List.of("--zarr-format", "4"), List.of("--out-chunks", "0,1,1"),
                List.of("--out-chunks", "1,1"), List.of("--out-chunks", "a,b,c"), List.of("--compressor", "lzma"),
                List.of("--compressor", "zstd:99"), List.of("--compressor", "zlib", "--zarr-format", "3"),
                List.of("--dataset", "../x"), List.of("--dataset", "nope"), List.of("--shape", "5,6,7"),
                List.of("--shards", "6,8,10", "--zarr-format", "2"), List.of("--shards", "4,8,10", "--out-chunks", "3,4,5"),
                List.of("--shards", "6,8"), List.of("--shards", "0,8,10"))) {
            assertEquals(2, check("options " + o, s, o), "options " + o);
        }
        assertTrue(refused > 30, refused + " of " + tried + " refused");
    }

    /** Cuts the file to {@code n} bytes, or extends it with zeros. */
    private static void truncate(Path p, int n) {
        try {
            byte[] b = Files.readAllBytes(p);
            Files.write(p, java.util.Arrays.copyOf(b, n));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path withDeleted(Path s, String key) throws IOException {
        Files.delete(s.resolve(key));
        return s;
    }
}
