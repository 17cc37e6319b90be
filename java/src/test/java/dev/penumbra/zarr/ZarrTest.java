package dev.penumbra.zarr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.penumbra.BadParameterException;
import dev.penumbra.Filters;
import dev.penumbra.OutputException;
import dev.penumbra.PenumbraException;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.formats.ChunkedSource;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.OutputFile;
import dev.penumbra.volume.Source;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zarr v2 arrays written by zarr-python 2.13 and v3 arrays written to the spec by
 * {@code tools/make_zarr_fixtures.py} (every codec, byte order, order, key encoding, fill value,
 * missing chunk and shard layout Penumbra reads) read as numpy reads them; filtered, they give
 * scipy's results; Penumbra's own Zarr output reads back with the bytes of its .npy output; damaged
 * stores give one line naming the chunk and leave nothing behind.
 */
public class ZarrTest {
    @TempDir
    Path tmp;

    static Path fixtures() {
        try {
            return Path.of(ZarrTest.class.getResource("/zarr/fixtures.tsv").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    record Fixture(String name, Path path, String dataset, int format, String dtype, long[] shape) {
    }

    static List<Fixture> list() throws IOException {
        List<Fixture> f = new ArrayList<>();
        for (String line : Files.readAllLines(fixtures().resolve("fixtures.tsv"))) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] c = line.split("\t");
            f.add(new Fixture(c[0], fixtures().resolve(c[1]), c[2].equals("-") ? null : c[2], Integer.parseInt(c[3]),
                    c[4], Arrays.stream(c[5].split(",")).mapToLong(Long::parseLong).toArray()));
        }
        return f;
    }

    /** Every value of {@code s}, row by row, as doubles. */
    public static double[] values(Source s) {
        long[] shape = s.shape();
        long n = 1;
        for (long e : shape) {
            n *= e;
        }
        double[] v = new double[(int) n];
        int row = (int) shape[shape.length - 1];
        int[] pos = {0};
        ZarrArray.forEachRow(shape, at -> {
            s.read(at, row, v, pos[0]);
            pos[0] += row;
        });
        return v;
    }

    private static void assertSameValues(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Double.compare(want[i], got[i]) != 0) {
                throw new AssertionError(what + ": value " + i + " is " + got[i] + ", expected " + want[i]);
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> readsEveryFixtureAsNumpyDoes() throws IOException {
        return list().stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            try (ChunkedSource z = ZarrArray.source(f.path(), f.dataset());
                 Volume want = VolumeFiles.mapNpy(fixtures().resolve(f.name() + ".expected.npy"))) {
                assertArrayEquals(f.shape(), z.shape(), f.name());
                assertEquals(want.dtype(), z.dtype(), f.name());
                assertEquals(f.format(), ((ZarrArray) z.store()).format(), f.name());
                assertSameValues(values(want), values(z), f.name());
                assertTrue(z.decodedChunks() <= z.chunkCount(), f.name() + ": a chunk was decoded twice");
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> filteredFixturesGiveScipysResult() throws IOException {
        return list().stream().filter(f -> Files.exists(fixtures().resolve(f.name() + ".gaussian1.npy")))
                .map(f -> DynamicTest.dynamicTest(f.name(), () -> {
                    Path npy = tmp.resolve(f.name() + ".npy");
                    Filters.applyToFile(FilterSpec.gaussian(1.0), f.path(), f.dataset(), null, npy, null, null,
                            Schedule.defaults(), false);
                    try (Volume got = VolumeFiles.mapNpy(npy);
                         Volume ref = VolumeFiles.mapNpy(fixtures().resolve(f.name() + ".gaussian1.npy"))) {
                        assertEquals(ref.dtype(), got.dtype());
                        double[] g = values(got);
                        double[] r = values(ref);
                        double tol = ref.dtype() == DType.F64 ? 1e-10 : 1e-5;
                        for (int i = 0; i < r.length; i++) {
                            boolean ok = Double.isNaN(r[i]) ? Double.isNaN(g[i])
                                    : Math.abs(g[i] - r[i]) <= tol * Math.max(1, Math.abs(r[i]));
                            assertTrue(ok, f.name() + ": value " + i + " is " + g[i] + ", scipy " + r[i]);
                        }
                        // the same run into Zarr (v3 zstd, and v2 blosc) reads back with the .npy's bytes
                        for (ZarrOutput zo : List.of(ZarrOutput.defaults(), new ZarrOutput(2, null, "blosc-lz4:5"))) {
                            Path z = tmp.resolve(f.name() + "-v" + zo.format() + ".zarr");
                            Filters.applyToFile(FilterSpec.gaussian(1.0), f.path(), f.dataset(), null, z, null, zo,
                                    Schedule.defaults(), false);
                            try (ChunkedSource back = ZarrArray.source(z, null)) {
                                assertEquals(got.dtype(), back.dtype());
                                assertSameValues(g, values(back), f.name() + " through zarr v" + zo.format());
                            }
                        }
                    }
                }));
    }

    @Test
    void shardedOutputFollowsTheSpecAndReadsBackAsTheUnshardedOne() throws IOException {
        Path in = fixtures().resolve("v2_u2_zstd"); // (5, 11, 13)
        Path plain = tmp.resolve("plain.zarr");
        Filters.applyToFile(FilterSpec.gaussian(1.0), in, null, null, plain, null,
                new ZarrOutput(3, new long[] {2, 3, 4}, "zstd:3"), Schedule.defaults(), false);
        Path sharded = tmp.resolve("sharded.zarr");
        // shards of 2x2x2 chunks; the edge shards hold chunks outside the array (not stored)
        Filters.applyToFile(FilterSpec.gaussian(1.0), in, null, null, sharded, null,
                new ZarrOutput(3, new long[] {2, 3, 4}, "zstd:3", new long[] {4, 6, 8}), Schedule.defaults(), true);
        JsonObject m = JsonParser.parseString(Files.readString(sharded.resolve("zarr.json"))).getAsJsonObject();
        assertEquals("{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[4,6,8]}}", m.get("chunk_grid").toString());
        assertEquals("[{\"name\":\"sharding_indexed\",\"configuration\":{\"chunk_shape\":[2,3,4],\"codecs\":[{\"name\":"
                + "\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"zstd\",\"configuration\":{\"level\":3,"
                + "\"checksum\":false}}],\"index_codecs\":[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},"
                + "{\"name\":\"crc32c\"}],\"index_location\":\"end\"}}]", m.get("codecs").toString());
        // one file a shard: ceil(5/4) * ceil(11/6) * ceil(13/8)
        try (Stream<Path> st = Files.walk(sharded.resolve("c"))) {
            assertEquals(2 * 2 * 2, st.filter(Files::isRegularFile).count());
        }
        // the last shard (1,1,1) covers chunks [2..3]x[2..3]x[2..3] of a 3x4x4 grid: only chunk (2,2,2)
        // and (2,3,2), (2,2,3), (2,3,3) lie inside; its index says the others are absent
        byte[] last = Files.readAllBytes(sharded.resolve("c/1/1/1"));
        ByteBuffer idx = ByteBuffer.wrap(last, last.length - 16 * 8 - 4, 16 * 8).order(ByteOrder.LITTLE_ENDIAN);
        int present = 0;
        long end = 0;
        for (int i = 0; i < 8; i++) {
            long off = idx.getLong();
            long n = idx.getLong();
            boolean inside = i / 4 == 0; // inner z index 0 (chunk z 2); z 3 is outside a 5-deep array
            assertEquals(inside, off != -1, "inner chunk " + i);
            if (off != -1) {
                assertEquals(end, off, "inner chunks lie back to back from the start");
                end = off + n;
                present++;
            } else {
                assertEquals(-1, n);
            }
        }
        assertEquals(4, present);
        assertEquals(last.length - 16 * 8 - 4, end, "the index follows the last chunk");
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(last, last.length - 16 * 8 - 4, 16 * 8);
        assertEquals((int) crc.getValue(), ByteBuffer.wrap(last, last.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN)
                .getInt(), "the index's crc32c");
        try (ChunkedSource a = ZarrArray.source(plain, null); ChunkedSource b = ZarrArray.source(sharded, null)) {
            assertEquals("zarr v3 float32 [5, 11, 13] chunks [2, 3, 4] (zstd) sharded [4, 6, 8]", b.store().toString());
            assertSameValues(values(a), values(b), "sharded vs unsharded");
        }
        try (Stream<Path> st = Files.list(tmp)) {
            assertFalse(st.anyMatch(p -> p.getFileName().toString().startsWith(".penumbra-tmp")), "temporary left");
        }
    }

    @Test
    void aChunkThatCannotBeStoredStopsTheRunAndLeavesNothing() throws IOException {
        Path out = tmp.resolve("fails.zarr");
        try (ZarrSink sink = ZarrSink.create(out, 3, DType.F32, new long[] {4, 8}, new long[] {2, 8}, "zstd:1",
                false)) {
            // the folder turns into a file under the run: no chunk can be stored
            OutputFile.deleteTree(sink.tempDir());
            Files.writeString(sink.tempDir(), "not a folder");
            float[] row = new float[8];
            OutputException e = assertThrows(OutputException.class, () -> {
                // the first chunk completes with its second row; its encoder's failure reaches the run
                for (long y = 0; y < 4; y++) {
                    sink.writeFloat(new long[] {y, 0}, 8, row, 0);
                }
                sink.awaitStored();
            });
            // whichever chunk an encoder finished first
            assertTrue(e.getMessage().matches("output " + java.util.regex.Pattern.quote(out.toAbsolutePath().toString())
                    + ": writing chunk c/[01]/0 failed \\(.*Not a directory\\)"), e.getMessage());
            assertThrows(OutputException.class, () -> sink.writeFloat(new long[] {3, 0}, 8, row, 0),
                    "a later write stops too");
        }
        assertFalse(Files.exists(out));
    }

    @Test
    void shardsThatDoNotFitAreRefusedByName() {
        Path in = fixtures().resolve("v2_u2_zstd");
        Path out = tmp.resolve("bad.zarr");
        BadParameterException v2 = assertThrows(BadParameterException.class, () -> Filters.applyToFile(
                FilterSpec.gaussian(1.0), in, null, null, out, null, new ZarrOutput(2, new long[] {2, 3, 4}, null,
                        new long[] {4, 6, 8}), Schedule.defaults(), false));
        assertEquals("shards: Zarr v2 has no shards (write --zarr-format 3)", v2.getMessage());
        BadParameterException odd = assertThrows(BadParameterException.class, () -> Filters.applyToFile(
                FilterSpec.gaussian(1.0), in, null, null, out, null, new ZarrOutput(3, new long[] {2, 3, 4}, null,
                        new long[] {4, 5, 8}), Schedule.defaults(), false));
        assertEquals("shards: each extent must be a multiple of the chunk's, got [4, 5, 8] for chunks [2, 3, 4]",
                odd.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void zarrOutputMetadataFollowsTheSpecs() throws IOException {
        Path in = fixtures().resolve("v2_u2_zstd");
        Path v3 = tmp.resolve("out3.zarr");
        Filters.applyToFile(FilterSpec.gaussian(1.0), in, null, null, v3, DType.U16,
                new ZarrOutput(3, new long[] {3, 5, 7}, "zstd:5"), Schedule.defaults(), true);
        JsonObject m = JsonParser.parseString(Files.readString(v3.resolve("zarr.json"))).getAsJsonObject();
        assertEquals(3, m.get("zarr_format").getAsInt());
        assertEquals("array", m.get("node_type").getAsString());
        assertEquals("uint16", m.get("data_type").getAsString());
        assertEquals("[5,11,13]", m.get("shape").toString());
        assertEquals("{\"name\":\"regular\",\"configuration\":{\"chunk_shape\":[3,5,7]}}", m.get("chunk_grid").toString());
        assertEquals("{\"name\":\"default\",\"configuration\":{\"separator\":\"/\"}}",
                m.get("chunk_key_encoding").toString());
        assertEquals("[{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"zstd\","
                + "\"configuration\":{\"level\":5,\"checksum\":false}}]", m.get("codecs").toString());
        assertEquals(0, m.get("fill_value").getAsInt());
        // chunk keys c/i/j/k, every chunk present: ceil(5/3) * ceil(11/5) * ceil(13/7)
        try (Stream<Path> s = Files.walk(v3.resolve("c"))) {
            assertEquals(2 * 3 * 2, s.filter(Files::isRegularFile).count());
        }
        assertTrue(Files.isRegularFile(v3.resolve("c/1/2/1")));
        Path v2 = tmp.resolve("out2.zarr");
        Filters.applyToFile(FilterSpec.gaussian(1.0), in, null, null, v2, null, new ZarrOutput(2, null, "zlib:3"),
                Schedule.defaults(), false);
        JsonObject z = JsonParser.parseString(Files.readString(v2.resolve(".zarray"))).getAsJsonObject();
        assertEquals("<f4", z.get("dtype").getAsString());
        assertEquals("[2,4,6]", z.get("chunks").toString()); // the input's chunks
        assertEquals("{\"id\":\"zlib\",\"level\":3}", z.get("compressor").toString());
        assertTrue(z.get("filters").isJsonNull());
        assertEquals("C", z.get("order").getAsString());
        assertTrue(Files.isRegularFile(v2.resolve("2.2.2")));
        try (Stream<Path> s = Files.list(tmp)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".penumbra-tmp")), "temporary left");
        }
    }

    @Test
    void anExistingOutputIsReplacedOnlyByACompleteArray() throws IOException {
        Path out = tmp.resolve("o.zarr");
        Path good = fixtures().resolve("v2_f4_raw");
        Filters.applyToFile(FilterSpec.gaussian(1.0), good, null, null, out, null, null, Schedule.defaults(), false);
        String before = Files.readString(out.resolve("zarr.json"));
        long files;
        try (Stream<Path> s = Files.walk(out)) {
            files = s.count();
        }
        Path bad = fixtures().resolve("damaged/dmg_v2_zstd_corrupt");
        assertThrows(PenumbraException.class, () -> Filters.applyToFile(FilterSpec.gaussian(1.0), bad, null, null,
                out, null, null, Schedule.defaults(), false));
        assertEquals(before, Files.readString(out.resolve("zarr.json")));
        try (Stream<Path> s = Files.walk(out)) {
            assertEquals(files, s.count());
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".penumbra-tmp")), "temporary left");
        }
        // something at the output that is not a Zarr array is never replaced
        Path plain = Files.createDirectory(tmp.resolve("plain.zarr"));
        Files.writeString(plain.resolve("notes.txt"), "mine");
        OutputException e = assertThrows(OutputException.class, () -> Filters.applyToFile(FilterSpec.gaussian(1.0),
                good, null, null, plain, null, null, Schedule.defaults(), false));
        assertTrue(e.getMessage().contains("exists and is not a Zarr array"), e.getMessage());
        assertEquals("mine", Files.readString(plain.resolve("notes.txt")));
    }

    /**
     * An array that replaces an existing one takes its place in one swap; the old one (here over
     * the size that is deleted by a process of its own) is gone soon after, nothing else left.
     */
    @Test
    void aBigExistingArrayIsSwappedOutWhole() throws Exception {
        long[] shape = {17, 512, 512}; // 17.8 MB uncompressed, over OutputFile's aside threshold
        Path in = tmp.resolve("big.npy");
        try (OutputFile f = OutputFile.create(in, DType.F32, shape)) {
            f.volume().setDouble(1.0, 3, 100, 200);
            f.volume().setDouble(-2.0, 16, 511, 0);
            f.commit(false);
        }
        Path out = tmp.resolve("big.zarr");
        Path ref = tmp.resolve("ref.zarr");
        ZarrOutput raw = new ZarrOutput(3, null, "none");
        Filters.applyToFile(FilterSpec.gaussian(1.0), in, null, null, out, null, raw, Schedule.defaults(), false);
        Filters.applyToFile(FilterSpec.gaussian(2.0), in, null, null, out, null, raw, Schedule.defaults(), false);
        Filters.applyToFile(FilterSpec.gaussian(2.0), in, null, null, ref, null, raw, Schedule.defaults(), false);
        try (ChunkedSource a = ZarrArray.source(ref, null); ChunkedSource b = ZarrArray.source(out, null)) {
            assertSameValues(values(a), values(b), "the replaced array");
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        boolean left = true;
        while (left && System.nanoTime() < deadline) {
            try (Stream<Path> s = Files.list(tmp)) {
                left = s.anyMatch(p -> p.getFileName().toString().startsWith(".penumbra-tmp"));
            }
            Thread.sleep(left ? 20 : 0);
        }
        assertFalse(left, "the old array is deleted, nothing temporary left");
    }

    @TestFactory
    Stream<DynamicTest> damagedStoresGiveOneLineNamingTheChunk() throws IOException {
        List<DynamicTest> t = new ArrayList<>();
        for (String line : Files.readAllLines(fixtures().resolve("damaged.tsv"))) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] c = line.split("\t");
            Path path = fixtures().resolve(c[1]);
            String dataset = c[2].equals("-") ? null : c[2];
            String key = c[4];
            String codec = c[5];
            t.add(DynamicTest.dynamicTest(c[0] + " (" + c[3] + ")", () -> {
                Path dir = Files.createDirectories(tmp.resolve(c[0]));
                for (Path out : List.of(dir.resolve("out.zarr"), dir.resolve("out.npy"))) {
                    PenumbraException e = assertThrows(PenumbraException.class, () -> Filters.applyToFile(
                            FilterSpec.gaussian(1.0), path, dataset, null, out, null, null, Schedule.defaults(), false));
                    String m = e.getMessage();
                    assertFalse(m.contains("\n"), "one line: " + m);
                    if (!key.equals("-")) {
                        assertTrue(m.contains(path.resolve(key).toString()), "names the chunk " + key + ": " + m);
                    }
                    if (!codec.equals("-")) {
                        assertTrue(m.contains(codec), "names " + codec + ": " + m);
                    }
                    if (dataset != null) {
                        assertTrue(m.contains(dataset), "names the dataset: " + m);
                    }
                    try (Stream<Path> s = Files.list(dir)) {
                        assertEquals(List.of(), s.toList(), "nothing left behind");
                    }
                }
            }));
        }
        return t.stream();
    }
}
