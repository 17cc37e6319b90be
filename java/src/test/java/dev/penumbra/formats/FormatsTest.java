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
