package dev.penumbra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.penumbra.Goldens;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Npy;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI contract (docs/cli.md), end to end through Main.execute. */
class CliTest {
    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    static Result run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args.toArray(new String[0]), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static Result run(String... args) {
        return run(List.of(args));
    }

    private Path golden(String name) {
        return Goldens.dir().resolve(name + ".npy");
    }

    private List<Path> files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void everyOpThroughTheCliMatchesScipy() throws Exception {
        int checked = 0;
        for (Goldens.Case c : Goldens.cases()) {
            if (!c.input().equals("f4_6x7x8") && !c.input().equals("bei4_C_5x6x7")
                    && !c.input().equals("lef8_F_5x6x7")) {
                continue;
            }
            Path out = dir.resolve(c.id() + ".npy");
            List<String> args = new ArrayList<>();
            args.add(c.op().cliName());
            args.addAll(c.cliArgs());
            args.add("--quiet");
            args.add(c.inputPath().toString());
            args.add(out.toString());
            Result r = run(args);
            assertEquals(0, r.code(), c + ": " + r.err());
            assertEquals("", r.err());
            try (Volume v = VolumeFiles.mapNpy(out)) {
                Goldens.assertMatches(c, v, "cli");
            }
            checked++;
        }
        assertTrue(checked > 90, "checked " + checked);
    }

    @Test
    void rawInputAndRawOutput() throws Exception {
        // the big-endian int32 golden input, its data written raw after a 16-byte header of junk
        Goldens.Case c = Goldens.cases().stream()
                .filter(k -> k.input().equals("bei4_C_5x6x7") && k.op().cliName().equals("gaussian")).findFirst()
                .orElseThrow();
        Path raw = dir.resolve("in.vol");
        byte[] npy = Files.readAllBytes(c.inputPath());
        long off = Npy.readHeader(c.inputPath()).dataOffset();
        byte[] data = new byte[16 + npy.length - (int) off];
        System.arraycopy(npy, (int) off, data, 16, npy.length - (int) off);
        Files.write(raw, data);
        Path out = dir.resolve("out.f32");
        Result r = run("gaussian", "--sigma", "1.3", "--shape", "5,6,7", "--dtype", "int32", "--byte-order", "big",
                "--offset", "16", raw.toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(5 * 6 * 7 * 4, Files.size(out));
        Path back = dir.resolve("back.npy");
        Files.write(back, concat(Npy.header(DType.F32, new long[] {5, 6, 7}),
                Files.readAllBytes(out)));
        try (Volume v = VolumeFiles.mapNpy(back)) {
            Goldens.assertMatches(c, v, "raw");
        }
    }

    @Test
    void integerOutputsWrapAsScipysDo() throws Exception {
        // the example: scipy.ndimage.sobel(np.array([0, 0, 10, 0, 0], np.uint8)) is
        // [0, 10, 0, 246, 0] (printed by scipy 1.17): -10 cast to uint8 wraps around
        Path in = dir.resolve("u8.npy");
        Files.write(in, concat(Npy.header(DType.U8, new long[] {5}), new byte[] {0, 0, 10, 0, 0}));
        Path out = dir.resolve("sobel.npy");
        Result r = run("sobel", "--output-dtype", "same", "--quiet", in.toString(), out.toString());
        assertEquals(0, r.code(), r.err());
        try (Volume v = VolumeFiles.mapNpy(out)) {
            assertEquals(DType.U8, v.dtype());
            assertEquals(List.of(0.0, 10.0, 0.0, 246.0, 0.0), Arrays.stream(Goldens.values(v)).boxed().toList());
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Exit 2, one line that contains {@code expected}, and no file written in the directory. */
    private void refused(String expected, String... args) throws Exception {
        List<Path> before = files();
        Result r = run(args);
        assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line expected, got: " + err);
        assertTrue(err.startsWith("penumbra: "), err);
        assertTrue(err.contains(expected), "expected '" + expected + "' in: " + err);
        assertEquals(before, files(), "no output file may be left behind");
    }

    @Test
    void aForcedStrategyRunsAndSaysSoOrSaysWhyItCannot() throws Exception {
        String in = golden("f4_6x7x8").toString();
        Path out = dir.resolve("team.npy");
        Result r = run("gaussian", "--sigma", "1", "--threads", "2", "--strategy", "team", "--backend", "simd", in,
                out.toString());
        assertEquals(0, r.code(), r.err());
        // which arithmetic path ran depends on the data (profile says why); the strategy must be the one forced
        assertTrue(r.err().contains(", team]; ran team of 2, "), r.err());
        Path tiles = dir.resolve("tiles.npy");
        assertEquals(0, run("gaussian", "--sigma", "1", "--strategy", "tiles", "--backend", "simd", in,
                tiles.toString()).code());
        assertTrue(Arrays.equals(Files.readAllBytes(out), Files.readAllBytes(tiles)), "team and tiles give the same bytes");
        String out2 = dir.resolve("x.npy").toString();
        refused("strategy: 'fast' (expected auto, tiles, stream, team or unfused)", "gaussian", "--sigma", "1",
                "--strategy", "fast", in, out2);
        refused("strategy: team cannot run here: a team of 4 needs at least 8 rows on axis 0, the volume has 6",
                "gaussian", "--sigma", "1", "--threads", "4", "--strategy", "team", in, out2);
    }

    @Test
    void noSyncWritesTheSameOutputWithoutWaitingForTheDisk() throws Exception {
        String in = golden("f4_6x7x8").toString();
        Path synced = dir.resolve("synced.npy");
        Path scratch = dir.resolve("scratch.npy");
        assertEquals(0, run("gaussian", "--sigma", "1.5", "-q", in, synced.toString()).code());
        Result r = run("gaussian", "--sigma", "1.5", "-q", "--no-sync", in, scratch.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Arrays.equals(Files.readAllBytes(synced), Files.readAllBytes(scratch)), "--no-sync changes no byte");
        assertEquals(List.of(scratch, synced), files().stream().sorted().toList(), "no temporary file is left");
    }

    @Test
    void badInputGivesExitTwoOneLineAndNoOutput() throws Exception {
        String in = golden("f4_6x7x8").toString();
        String out = dir.resolve("out.npy").toString();
        Path junk = dir.resolve("junk.npy");
        Files.writeString(junk, "not numpy at all");
        Path shortRaw = dir.resolve("short.vol");
        Files.write(shortRaw, new byte[100]);
        Path truncated = dir.resolve("trunc.npy");
        byte[] full = Files.readAllBytes(golden("f4_6x7x8"));
        Files.write(truncated, Arrays.copyOf(full, full.length - 4));

        refused("no such file", "gaussian", "--sigma", "1", dir.resolve("missing.npy").toString(), out);
        refused("bad magic", "gaussian", "--sigma", "1", junk.toString(), out);
        refused("shorter than the header says", "gaussian", "--sigma", "1", truncated.toString(), out);
        refused("raw size 100 bytes does not match shape [5, 5] × float32 (100 bytes) + offset 4",
                "gaussian", "--sigma", "1", "--shape", "5,5", "--offset", "4", shortRaw.toString(), out);
        refused("give --shape", "gaussian", "--sigma", "1", shortRaw.toString(), out);
        refused("sigma: expected finite numbers >= 0, got -1.0", "gaussian", "--sigma", "-1", in, out);
        refused("sigma: expected finite numbers >= 0, got NaN", "gaussian", "--sigma", "NaN", in, out);
        refused("sigma: expected 1 value or 3 (one per axis), got 2", "gaussian", "--sigma", "1,2", in, out);
        refused("order: expected whole numbers >= 0, got -1", "gaussian", "--sigma", "1", "--order", "-1", in, out);
        refused("truncate: expected a finite number > 0", "gaussian", "--sigma", "1", "--truncate", "0", in, out);
        refused("size: expected whole numbers >= 1, got 0", "uniform", "--size", "0", in, out);
        refused("size: expected 1 value or 3 (one per axis), got 2", "uniform", "--size", "3,3", in, out);
        refused("axis: 3 is out of range for a volume of 3 axes", "sobel", "--axis", "3", in, out);
        refused("axis: -4 is out of range", "correlate1d", "--weights", "1,2", "--axis", "-4", in, out);
        refused("mode: unknown mode 'reflex'", "gaussian", "--sigma", "1", "--mode", "reflex", in, out);
        refused("origin: 2 is invalid for 3 weights", "correlate1d", "--weights", "1,2,3", "--origin", "2", in, out);
        refused("--sigma: required for gaussian", "gaussian", in, out);
        refused("--sigma: does not apply to sobel", "sobel", "--sigma", "1", in, out);
        refused("weights: 'x' is not a number", "correlate1d", "--weights", "1,x", in, out);
        refused("output is the input file", "gaussian", "--sigma", "1", in, in);
        refused("output directory", "gaussian", "--sigma", "1", in, dir.resolve("nope/out.npy").toString());
        refused("output-dtype: unknown dtype 'uint64'", "gaussian", "--sigma", "1", "--output-dtype", "uint64", in, out);
        refused("backend: unknown backend 'gpu'", "gaussian", "--sigma", "1", "--backend", "gpu", in, out);
        refused("threads: expected a whole number from 1 to 4096, got 0", "gaussian", "--sigma", "1", "--threads", "0", in, out);
        refused("unknown option '--sigmaa' (did you mean --sigma?)", "gaussian", "--sigmaa", "1", in, out);
        refused("Missing required parameter", "gaussian", "--sigma", "1", in);
        refused("--shape: applies to raw input only", "gaussian", "--sigma", "1", "--shape", "6,7,8", in, out);
    }

    @Test
    void outputEqualToInputThroughALinkIsRefused() throws Exception {
        Path copy = dir.resolve("in.npy");
        Files.copy(golden("f4_6x7x8"), copy);
        Path link = dir.resolve("link.npy");
        Files.createSymbolicLink(link, copy);
        Path hard = dir.resolve("hard.npy");
        Files.createLink(hard, copy);
        byte[] before = Files.readAllBytes(copy);
        refused("output is the input file", "gaussian", "--sigma", "1", copy.toString(), link.toString());
        refused("output is the input file", "gaussian", "--sigma", "1", copy.toString(), hard.toString());
        assertTrue(Arrays.equals(before, Files.readAllBytes(copy)));
    }

    @Test
    void aFailedRunLeavesAnExistingOutputUntouched() throws Exception {
        Path out = dir.resolve("result.npy");
        Files.writeString(out, "an earlier result");
        refused("sigma", "gaussian", "--sigma", "-2", golden("f4_6x7x8").toString(), out.toString());
        assertEquals("an earlier result", Files.readString(out));
        Result ok = run("gaussian", "--sigma", "1", "-q", golden("f4_6x7x8").toString(), out.toString());
        assertEquals(0, ok.code(), ok.err());
        assertEquals(1, files().size());
    }

    @Test
    void unwritableOutputDirectoryIsRefused() throws Exception {
        assumeFalse("root".equals(System.getProperty("user.name")) && Files.isWritable(
                Files.createDirectory(dir.resolve("probe")).toFile().toPath()) && isRootWritable(),
                "running as root: every directory is writable");
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        refused("is not writable", "gaussian", "--sigma", "1", golden("f4_6x7x8").toString(),
                ro.resolve("out.npy").toString());
    }

    @Test
    void aReadOnlyFilesystemIsRefusedBeforeWorkEvenForRoot() throws Exception {
        Path ro = Files.createDirectory(dir.resolve("romount"));
        int mounted = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", ro.toString())
                .redirectErrorStream(true).start().waitFor();
        Assumptions.assumeTrue(mounted == 0, "cannot mount a read-only tmpfs here (needs root)");
        try {
            refused("is not writable", "gaussian", "--sigma", "1", golden("f4_6x7x8").toString(),
                    ro.resolve("out.npy").toString());
        } finally {
            new ProcessBuilder("umount", ro.toString()).start().waitFor();
        }
    }

    private boolean isRootWritable() throws Exception {
        Path ro = Files.createDirectory(dir.resolve("ro-probe"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        boolean w = Files.isWritable(ro);
        Files.delete(ro);
        Files.delete(dir.resolve("probe"));
        return w;
    }

    @Test
    void helpForEveryCommand() {
        for (String cmd : List.of("gaussian", "uniform", "sobel", "prewitt", "laplace", "gaussian-laplace",
                "gaussian-gradient-magnitude", "correlate1d", "demo", "bench")) {
            Result r = run(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().contains("Usage: penumbra " + cmd), r.out());
        }
    }

    @Test
    void helpShowsUsageExamplesAndEachFiltersOwnOptions() {
        Result top = run("--help");
        assertEquals(0, top.code());
        assertTrue(top.out().startsWith("Usage: penumbra OP [options] INPUT OUTPUT"), top.out());
        assertTrue(top.out().contains("penumbra gaussian --sigma 3 volume.npy smooth.npy"), top.out());
        Result g = run("gaussian", "--help");
        assertTrue(g.out().contains("(required) Gaussian standard deviation"), g.out());
        assertTrue(g.out().contains("scipy: scipy.ndimage.gaussian_filter(input, sigma, order=0"), g.out());
        for (String other : List.of("--size", "--weights", "--axis", "--origin")) {
            assertFalse(g.out().contains(other), other + " is not gaussian's: " + g.out());
        }
        Result c = run("correlate1d", "--help");
        assertTrue(c.out().contains("(required) correlate1d weights") && c.out().contains("--axis"), c.out());
        assertFalse(c.out().contains("--sigma"), c.out());
        Result v = run("-V");
        assertTrue(v.out().matches("penumbra \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? on Java .*\\s*"), v.out());
    }

    @Test
    void benchJsonHasTheContractsFields() {
        Result r = run("bench", "--json", "--shape", "8,16,16", "--runs", "1", "--backend", "scalar", "--threads", "1",
                "--schedule", "fused");
        assertEquals(0, r.code(), r.err());
        String line = r.out().strip();
        assertFalse(line.contains("\n"));
        for (String key : List.of("\"op\":\"gaussian\"", "\"shape\":[8,16,16]", "\"dtype\":\"float32\"",
                "\"sigma\":3.0", "\"backend\":\"scalar\"", "\"threads\":1", "\"median_ms\":", "\"min_ms\":",
                "\"runs\":1", "\"gb_per_s\":", "\"fused\":true", "\"fma_floor_pct\":")) {
            assertTrue(line.contains(key), key + " missing in " + line);
        }
    }

    @Test
    void benchOnTwoThreadsReportsTheKernelsOwnScaling() {
        Result r = run("bench", "--json", "--shape", "8,16,16", "--runs", "1", "--backend", "simd", "--threads", "1,2",
                "--schedule", "fused");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        assertFalse(lines[0].contains("kernel_scaling"), lines[0]);
        assertTrue(lines[1].contains("\"threads\":2") && lines[1].matches(".*\"kernel_scaling\":[0-9.]+[,}].*"),
                lines[1]);
    }
}
