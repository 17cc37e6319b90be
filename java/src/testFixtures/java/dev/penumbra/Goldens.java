package dev.penumbra;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.penumbra.filter.FilterSpec;
import dev.penumbra.filter.Op;
import dev.penumbra.volume.DType;
import dev.penumbra.volume.Npy;
import dev.penumbra.volume.Volume;
import dev.penumbra.volume.VolumeFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The scipy goldens written by tools/make_goldens.py, and how to compare with them. */
public final class Goldens {
    /** One line of cases.tsv. */
    public record Case(String id, Op op, String input, String expected, Map<String, String> params) {
        public Path inputPath() {
            return dir().resolve(input + ".npy");
        }

        public Path expectedPath() {
            return dir().resolve(expected + ".npy");
        }

        public DType outDType() {
            String out = params.get("out");
            if ("same".equals(out)) {
                return Npy.readHeader(inputPath()).dtype();
            }
            return out == null ? DType.F32 : DType.parse(out, "out");
        }

        /** The FilterSpec these parameters mean, built as a library user would. */
        public FilterSpec spec() {
            FilterSpec s = FilterSpec.of(op);
            for (Map.Entry<String, String> e : params.entrySet()) {
                String v = e.getValue();
                s = switch (e.getKey()) {
                    case "sigma" -> s.withSigma(doubles(v));
                    case "order" -> s.withOrder(ints(v));
                    case "truncate" -> s.withTruncate(Double.parseDouble(v));
                    case "size" -> s.withSize(ints(v));
                    case "origin" -> s.withOrigin(ints(v));
                    case "axis" -> s.withAxis(Integer.parseInt(v));
                    case "weights" -> s.withWeights(doubles(v));
                    case "mode" -> s.withMode(v.split(","));
                    case "cval" -> s.withCval(Double.parseDouble(v));
                    case "out" -> s;
                    default -> throw new IllegalArgumentException("unknown golden parameter " + e.getKey());
                };
            }
            return s;
        }

        /** The same parameters as CLI options. */
        public List<String> cliArgs() {
            List<String> a = new ArrayList<>();
            params.forEach((k, v) -> {
                a.add("--" + (k.equals("out") ? "output-dtype" : k));
                a.add(v);
            });
            return a;
        }

        @Override
        public String toString() {
            return id + " " + op.cliName() + " " + input + " " + params;
        }
    }

    private Goldens() {
    }

    public static Path dir() {
        try {
            return Path.of(Goldens.class.getResource("/goldens/cases.tsv").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<Case> cases() {
        try {
            List<Case> out = new ArrayList<>();
            for (String line : Files.readAllLines(dir().resolve("cases.tsv"))) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                Map<String, String> p = new HashMap<>();
                if (!f[4].isEmpty()) {
                    for (String kv : f[4].split(";")) {
                        int eq = kv.indexOf('=');
                        p.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                }
                out.add(new Case(f[0], Op.parse(f[1]), f[2], f[3], p));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double[] doubles(String v) {
        return Arrays.stream(v.split(",")).mapToDouble(Double::parseDouble).toArray();
    }

    static int[] ints(String v) {
        return Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /** Every element of a volume in C order, as doubles. */
    public static double[] values(Volume v) {
        int n = Math.toIntExact(v.elementCount());
        double[] out = new double[n];
        long[] idx = new long[v.rank()];
        for (int i = 0; i < n; i++) {
            out[i] = v.getDouble(idx);
            for (int a = v.rank() - 1; a >= 0; a--) {
                if (++idx[a] < v.shape(a)) {
                    break;
                }
                idx[a] = 0;
            }
        }
        return out;
    }

    /**
     * Asserts scipy parity: 1e-5·max(1,|ref|) for float32 output, 1e-10·max(1,|ref|) for float64,
     * exact equality for integer outputs (and the same dtype as scipy's).
     */
    public static void assertMatches(Case c, Volume actual, String what) {
        try (Volume ref = VolumeFiles.mapNpy(c.expectedPath())) {
            assertArrayEquals(ref.shape(), actual.shape(), what + ": shape");
            if (!ref.dtype().isFloating() || !actual.dtype().isFloating()) {
                assertEquals(ref.dtype(), actual.dtype(), what + ": dtype");
            }
            double tol = actual.dtype() == DType.F64 ? 1e-10 : actual.dtype() == DType.F32 ? 1e-5 : 0;
            double[] r = values(ref);
            double[] a = values(actual);
            for (int i = 0; i < r.length; i++) {
                boolean ok = Double.isNaN(r[i]) ? Double.isNaN(a[i])
                        : r[i] == a[i] || Math.abs(a[i] - r[i]) <= tol * Math.max(1, Math.abs(r[i]));
                if (!ok) {
                    fail(what + ": " + c + " differs from scipy at flat index " + i + ": got " + a[i] + ", scipy "
                            + r[i]);
                }
            }
        }
    }
}
