package dev.penumbra.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.penumbra.Filters;
import dev.penumbra.PenumbraException;
import dev.penumbra.engine.Schedule;
import dev.penumbra.filter.FilterSpec;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Source;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.io.IOException;
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
 * HDF5 datasets written by h5py and TIFF stacks written by tifffile ({@code tools/make_hdf5_tiff_fixtures.py}):
 * read as those libraries read them, filtered as scipy filters them, and damaged files refused
 * with one line and nothing left behind.
 */
class FormatsTest {
    @TempDir
    Path tmp;

    static Path dir() {
        try {
            return Path.of(FormatsTest.class.getResource("/formats/fixtures.tsv").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String[]> rows(String name) throws IOException {
        List<String[]> r = new ArrayList<>();
        for (String line : Files.readAllLines(dir().resolve(name))) {
            if (!line.startsWith("#") && !line.isBlank()) {
                r.add(line.split("\t"));
            }
        }
        return r;
    }

    static double[] values(Source s) {
        return dev.penumbra.zarr.ZarrTest.values(s);
    }

    @TestFactory
    Stream<DynamicTest> readsAndFiltersEveryFixture() throws IOException {
        return rows("fixtures.tsv").stream().map(c -> DynamicTest.dynamicTest(c[0] + " (" + c[1] + ")", () -> {
            Path p = dir().resolve(c[2]);
            String ds = c[3].equals("-") ? null : c[3];
            try (Inputs.Input in = Inputs.open(p, ds, null);
                 Volume want = VolumeFiles.mapNpy(dir().resolve(c[0] + ".expected.npy"))) {
                assertEquals(want.dtype(), in.source().dtype(), c[0]);
                double[] w = values(want);
                double[] g = values(in.source());
                for (int i = 0; i < w.length; i++) {
                    assertEquals(0, Double.compare(w[i], g[i]), c[0] + ": value " + i);
                }
            }
            Path golden = dir().resolve(c[0] + ".gaussian1.npy");
            if (Files.exists(golden)) {
                Path out = tmp.resolve(c[0] + ".npy");
                Filters.applyToFile(FilterSpec.gaussian(1.0), p, ds, null, out, null, null, Schedule.defaults(), false);
                try (Volume got = VolumeFiles.mapNpy(out); Volume ref = VolumeFiles.mapNpy(golden)) {
                    double[] g = values(got);
                    double[] r = values(ref);
                    double tol = ref.dtype() == DType.F64 ? 1e-10 : 1e-5;
                    for (int i = 0; i < r.length; i++) {
                        assertTrue(Math.abs(g[i] - r[i]) <= tol * Math.max(1, Math.abs(r[i])),
                                c[0] + ": value " + i + " is " + g[i] + ", scipy " + r[i]);
                    }
                }
            }
        }));
    }

    /** The fixtures in plain strips are read by {@link TiffStrips} (classic and BigTIFF, either byte order, deflate); tiles are not. */
    @Test
    void plainStripsAreReadDirectlyAndTilesThroughImageIo() throws IOException {
        Object[][] cases = {
            {"tif_u1.tif", DType.U8, 11, 13, true}, {"tif_u2_zlib.tif", DType.U16, 11, 13, true},
            {"tif_f4_bigtiff.tif", DType.F32, 11, 13, true}, {"tif_i2_be.tif", DType.I16, 11, 13, true},
            {"tif_f4_zlib.tif", DType.F32, 11, 13, true}, {"tif_u2_tiled.tif", DType.U16, 40, 40, false},
        };
        for (Object[] c : cases) {
            try (TiffStrips t = TiffStrips.open(dir().resolve((String) c[0]), (DType) c[1], (int) c[2], (int) c[3])) {
                assertEquals(c[4], t != null, (String) c[0]);
                if (t != null) {
                    assertEquals(c[0].equals("tif_u2_tiled.tif") ? 3 : 5, t.pages(), (String) c[0]);
                    assertEquals(((String) c[0]).endsWith("_be.tif") ? java.nio.ByteOrder.BIG_ENDIAN
                            : java.nio.ByteOrder.LITTLE_ENDIAN, t.order(), (String) c[0]);
                }
            }
        }
        // the wrong dtype or size: not read as strips (ImageIO then reports what the page holds)
        assertEquals(null, TiffStrips.open(dir().resolve("tif_u1.tif"), DType.U16, 11, 13));
        assertEquals(null, TiffStrips.open(dir().resolve("tif_u1.tif"), DType.U8, 11, 12));
    }

    /**
     * Several strips a page, the last one partial, uncompressed on one page and deflated on the other
     * (a file written here, little-endian uint16 11x13, four rows a strip): read as written.
     */
    @Test
    void multiStripPagesReadAsWritten() throws Exception {
        int h = 11, w = 13, rps = 4, strips = 3;
        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        file.write(head.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(0).array()); // IFD 0 patched below
        List<Integer> ifds = new ArrayList<>();
        byte[] bytes = null;
        for (int page = 0; page < 2; page++) {
            long[] offs = new long[strips];
            long[] counts = new long[strips];
            for (int st = 0; st < strips; st++) {
                int rows = Math.min(rps, h - st * rps);
                java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocate(rows * w * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < rows * w; i++) {
                    raw.putShort((short) (page * 1000 + st * rps * w + i));
                }
                byte[] data = raw.array();
                if (page == 1) {
                    java.util.zip.Deflater d = new java.util.zip.Deflater();
                    d.setInput(data);
                    d.finish();
                    byte[] buf = new byte[data.length + 64];
                    data = Arrays.copyOf(buf, d.deflate(buf));
                }
                offs[st] = file.size();
                counts[st] = data.length;
                file.write(data);
            }
            if (file.size() % 2 == 1) {
                file.write(0);
            }
            int ifd = file.size();
            ifds.add(ifd);
            int[][] entries = {{256, 3, 1, w}, {257, 3, 1, h}, {258, 3, 1, 16}, {259, 3, 1, page == 1 ? 8 : 1},
                {262, 3, 1, 1}, {273, 4, strips, ifd + 2 + 10 * 12 + 4}, {277, 3, 1, 1}, {278, 3, 1, rps},
                {279, 4, strips, ifd + 2 + 10 * 12 + 4 + 4 * strips}, {339, 3, 1, 1}};
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2 + 12 * entries.length + 4 + 8 * strips)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.putShort((short) entries.length);
            for (int[] e : entries) {
                b.putShort((short) e[0]).putShort((short) e[1]).putInt(e[2]);
                if (e[1] == 3) {
                    b.putShort((short) e[3]).putShort((short) 0);
                } else {
                    b.putInt(e[3]);
                }
            }
            b.putInt(0); // next IFD, patched below
            for (long o : offs) {
                b.putInt((int) o);
            }
            for (long c : counts) {
                b.putInt((int) c);
            }
            file.write(b.array());
        }
        bytes = file.toByteArray();
        java.nio.ByteBuffer all = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        all.putInt(4, ifds.get(0));
        all.putInt(ifds.get(0) + 2 + 10 * 12, ifds.get(1));
        Path tif = tmp.resolve("strips.tif");
        Files.write(tif, bytes);
        try (TiffStrips t = TiffStrips.open(tif, DType.U16, h, w)) {
            assertTrue(t != null, "plain strips");
            assertEquals(2, t.pages());
        }
        try (Inputs.Input in = Inputs.open(tif, null, null)) {
            double[] g = values(in.source());
            assertEquals(2 * h * w, g.length);
            for (int page = 0; page < 2; page++) {
                for (int i = 0; i < h * w; i++) {
                    assertEquals(page * 1000 + i, g[page * h * w + i], "page " + page + " value " + i);
                }
            }
        }
    }

    /**
     * Chunks read past jHDF (stored without filters, or deflated) that are damaged give one line naming
     * the file, the dataset and the chunk, and no output: the fixtures' last chunk cut off by a
     * truncated file, a deflated chunk overwritten (h5py's layout: the chunk at byte 4536 is the
     * first, the one at 6910 the last; see tools/make_hdf5_tiff_fixtures.py).
     */
    @Test
    void damagedChunksGiveOneLineNamingTheChunk() throws IOException {
        String[][] cases = {
            {"h5_f4_gzip.h5", "truncate", "6920", "h5_f4_gzip.h5:/data: chunk [2, 2, 2] lies beyond the end of the file (truncated file)"},
            {"h5_f4_chunked.h5", "truncate", "6300", "h5_f4_chunked.h5:/data: chunk [2, 1, 1] lies beyond the end of the file (truncated file)"},
            {"h5_f4_gzip.h5", "overwrite", "4536", "h5_f4_gzip.h5:/data: chunk [0, 0, 0] is not valid deflate data ("},
        };
        for (String[] c : cases) {
            Path damaged = tmp.resolve(c[1] + "-" + c[0]);
            byte[] b = Files.readAllBytes(dir().resolve(c[0]));
            int at = Integer.parseInt(c[2]);
            if (c[1].equals("truncate")) {
                b = Arrays.copyOf(b, at);
            } else {
                Arrays.fill(b, at, at + 64, (byte) 0x55);
            }
            Files.write(damaged, b);
            Path out = Files.createDirectories(tmp.resolve("out-" + c[1] + "-" + c[0]));
            PenumbraException e = assertThrows(PenumbraException.class, () -> Filters.applyToFile(
                    FilterSpec.gaussian(1.0), damaged, "/data", null, out.resolve("r.npy"), null, null,
                    Schedule.defaults(), false), c[0] + " " + c[1]);
            String want = c[3].replace(c[0], damaged.getFileName().toString());
            assertTrue(e.getMessage().contains(want), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(List.of(), s.toList());
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> damagedFilesGiveOneLineAndLeaveNothing() throws IOException {
        return rows("damaged.tsv").stream().map(c -> DynamicTest.dynamicTest(c[0] + " (" + c[4] + ")", () -> {
            Path out = Files.createDirectories(tmp.resolve(c[0]));
            PenumbraException e = assertThrows(PenumbraException.class, () -> Filters.applyToFile(
                    FilterSpec.gaussian(1.0), dir().resolve(c[2]), c[3].equals("-") ? null : c[3], null,
                    out.resolve("r.npy"), null, null, Schedule.defaults(), false));
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains(c[2].substring(c[2].lastIndexOf('/') + 1)), "names the file: "
                    + e.getMessage());
            try (Stream<Path> s = Files.list(out)) {
                assertEquals(List.of(), s.toList());
            }
        }));
    }
}
