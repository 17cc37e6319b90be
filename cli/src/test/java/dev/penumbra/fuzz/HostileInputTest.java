package dev.penumbra.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.penumbra.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile inputs through the CLI, deterministic: mutated .npy files (magic, version, header
 * length, dictionary, dtype, shape, fortran_order, truncated data, trailing bytes, random byte
 * flips) and hostile parameters (NaN, infinite, negative or absurd values, empty lists, axes out
 * of range). Every case must end in exit 0 with a correct-sized output, or exit 2 with one line
 * on stderr — never an internal error, a second line, an output or temporary file left behind,
 * or a JVM crash (which would end this test run).
 */
class HostileInputTest {
    @TempDir
    Path dir;

    private final Map<String, int[]> counts = new LinkedHashMap<>(); // category -> {tried, refused}
    private final List<String> accepted = new ArrayList<>();

    /** The mutations numpy itself reads as valid files (or parameters scipy accepts): run, not refused. */
    private static final Set<String> VALID = Set.of(
            "dictionary / {\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3, 4, 5)}",
            "dtype / f4", "shape / (60,)", "shape / (3, 4, 5, 1)", "fortran_order / True ",
            "parameters / gaussian --sigma 1e-400", "parameters / gaussian --sigma 1 --order 5",
            "parameters / gaussian --sigma 1 --chunks 1,1,1", "parameters / gaussian --sigma 1 --chunks 9999999999,1,1",
            "parameters / gaussian --sigma 1 --mode constant --cval NaN",
            "parameters / gaussian --sigma 1 --mode constant --cval Infinity");

    record Outcome(int code, String out, String err) {
    }

    private static Outcome cli(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args.toArray(new String[0]), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Outcome(code, out.toString(), err.toString());
    }

    /** A valid .npy header (version major.0) for descr and shape, padded as numpy pads it. */
    static byte[] header(int major, String dict) {
        int lenBytes = major == 1 ? 2 : 4;
        int pre = 6 + 2 + lenBytes;
        int total = (pre + dict.length() + 1 + 63) / 64 * 64;
        StringBuilder d = new StringBuilder(dict);
        while (pre + d.length() + 1 < total) {
            d.append(' ');
        }
        d.append('\n');
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) d.length());
        } else {
            b.putInt(d.length());
        }
        b.put(d.toString().getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    static String dict(String descr, String fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
    }

    static byte[] data(int bytes, long seed) {
        byte[] d = new byte[bytes];
        Random r = new Random(seed);
        ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 4) {
            b.putFloat((float) r.nextGaussian());
        }
        return d;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Runs one hostile case and checks the contract; returns true when it was refused. */
    private boolean check(String category, String what, byte[] npy, List<String> extraArgs) throws Exception {
        Path in = dir.resolve("in.npy");
        Path out = dir.resolve("out.npy");
        if (npy != null) {
            Files.write(in, npy);
        }
        List<String> args = new ArrayList<>(extraArgs);
        args.add(in.toString());
        args.add(out.toString());
        Outcome o = cli(args);
        int[] c = counts.computeIfAbsent(category, k -> new int[2]);
        c[0]++;
        String where = category + " / " + what + ": exit " + o.code() + ", stderr: " + o.err();
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            if (o.code() == 0) {
                if (!category.equals("valid") && !category.equals("header byte flips")) {
                    accepted.add(category + " / " + what);
                }
                assertTrue(Files.size(out) > 0, where);
                Files.delete(out);
            } else {
                assertEquals(2, o.code(), where);
                assertEquals(1, o.err().strip().lines().count(), "one line: " + where);
                assertTrue(o.err().startsWith("penumbra: "), where);
                assertEquals(List.of("in.npy"), names, "nothing left behind: " + where);
                c[1]++;
            }
        }
        return o.code() != 0;
    }

    private static final List<String> GAUSS = List.of("gaussian", "--sigma", "1.5");

    @Test
    void mutatedNpyFilesAreRefusedWithOneLineAndLeaveNothing() throws Exception {
        byte[] body = data(3 * 4 * 5 * 4, 1);
        String good = dict("<f4", "False", "(3, 4, 5)");
        assertTrue(!check("valid", "v1", concat(header(1, good), body), GAUSS));
        assertTrue(!check("valid", "v2", concat(header(2, good), body), GAUSS));
        assertTrue(!check("valid", "v3", concat(header(3, good), body), GAUSS));
        // magic and version
        byte[] h = concat(header(1, good), body);
        for (int i = 0; i < 6; i++) {
            byte[] m = h.clone();
            m[i] ^= 0x20;
            assertTrue(check("magic", "byte " + i, m, GAUSS));
        }
        for (int[] v : new int[][] {{0, 0}, {4, 0}, {1, 5}, {255, 255}, {2, 1}}) {
            byte[] m = h.clone();
            m[6] = (byte) v[0];
            m[7] = (byte) v[1];
            assertTrue(check("version", v[0] + "." + v[1], m, GAUSS));
        }
        // header length: 0, tiny, huge, past the end
        for (int len : new int[] {0, 1, 10, 0xFFFF, 0x7FFF}) {
            byte[] m = h.clone();
            m[8] = (byte) len;
            m[9] = (byte) (len >> 8);
            assertTrue(check("header length", "v1 " + len, m, GAUSS));
        }
        for (long len : new long[] {0, 0xFFFFFFFFL, 0x7FFFFFFFL, 1L << 21}) {
            byte[] m = concat(header(2, good), body);
            ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(8, (int) len);
            assertTrue(check("header length", "v2 " + len, m, GAUSS));
        }
        // malformed dictionaries
        String[] dicts = {
            "", "{}", "{", "}", "[]", "None", "{'descr': '<f4'}", "{'descr': '<f4', 'fortran_order': False}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4, 5), 'extra': 1}",
            "{'descr': <f4, 'fortran_order': False, 'shape': (3, 4, 5)}",
            "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3, 4, 5)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4, 5)",
            "{'descr': '<f4' 'fortran_order': False 'shape': (3, 4, 5)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': [3, 4, 5]}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4, 5,,)}",
            "{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (3, 4, 5)}",
            "{'descr': '\u00e9\u00e8', 'fortran_order': False, 'shape': (3, 4, 5)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4, 5)} trailing",
        };
        for (String d : dicts) {
            check("dictionary", d, concat(header(1, d), body), GAUSS);
        }
        // dtypes
        for (String descr : new String[] {"<c8", "|O", "O", "|V16", "<M8[s]", "<m8", "|S4", "<U1", "<f2", "<f16",
                                          "<i16", "f4", "<F4", "", "<f4 ", "[('a', '<f4')]", "<b1", "?"}) {
            String d = descr.startsWith("[") ? "{'descr': " + descr + ", 'fortran_order': False, 'shape': (3, 4, 5), }"
                    : dict(descr, "False", "(3, 4, 5)");
            check("dtype", descr, concat(header(1, d), body), GAUSS);
        }
        // shapes
        for (String shape : new String[] {"(-1, 4, 5)", "(0, 4, 5)", "(3, 0, 5)", "()", "(60,)", "(3, 4, -5)",
                                          "(4611686018427387904, 4611686018427387904)", "(9223372036854775807,)",
                                          "(99999999999999999999,)", "(3.0, 4, 5)", "(a, 4, 5)", "(1, 1, 1, 1, 1, 1, 1, 1, 1)",
                                          "(3, 4, 5, 1)", "(2305843009213693952,)", "(3 4 5)", "(3,, 4)"}) {
            check("shape", shape, concat(header(1, dict("<f4", "False", shape)), body), GAUSS);
        }
        // fortran_order not a bool
        for (String f : new String[] {"None", "1", "0", "'False'", "false", "True ", "Tru", "(False)"}) {
            check("fortran_order", f, concat(header(1, dict("<f4", f, "(3, 4, 5)")), body), GAUSS);
        }
        // truncated data and trailing garbage
        byte[] full = concat(header(1, good), body);
        Random r = new Random(7);
        for (int i = 0; i < 20; i++) {
            int cut = r.nextInt(full.length);
            assertTrue(check("truncated", "at " + cut, Arrays.copyOf(full, cut), GAUSS));
        }
        for (int extra : new int[] {1, 3, 4, 64, 4096}) {
            check("trailing bytes", "+" + extra, concat(full, new byte[extra]), GAUSS);
        }
        // random byte flips in the header
        Random f = new Random(11);
        for (int i = 0; i < 300; i++) {
            byte[] m = full.clone();
            int flips = 1 + f.nextInt(4);
            for (int k = 0; k < flips; k++) {
                m[f.nextInt(64)] = (byte) f.nextInt(256);
            }
            check("header byte flips", "case " + i, m, GAUSS);
        }
        report();
    }

    @Test
    void hostileParametersAreRefusedBeforeAnyWork() throws Exception {
        byte[] npy = concat(header(1, dict("<f4", "False", "(3, 4, 5)")), data(3 * 4 * 5 * 4, 2));
        List<List<String>> cases = new ArrayList<>();
        for (String s : new String[] {"NaN", "nan", "Infinity", "-inf", "-1", "-0.5", "1e300", "1e9", "abc", "", "1,2",
                                      "1,2,3,4", "0x10", "1e-400"}) {
            cases.add(List.of("gaussian", "--sigma", s));
        }
        for (String t : new String[] {"0", "-1", "NaN", "Infinity", "1e30"}) {
            cases.add(List.of("gaussian", "--sigma", "1", "--truncate", t));
        }
        for (String o : new String[] {"-1", "5", "1000000000", "1,2", "x"}) {
            cases.add(List.of("gaussian", "--sigma", "1", "--order", o));
        }
        for (String s : new String[] {"0", "-3", "2147483647", "1000000000", "1,2", "x"}) {
            cases.add(List.of("uniform", "--size", s));
        }
        for (String a : new String[] {"3", "-4", "100", "-2147483648", "x"}) {
            cases.add(List.of("sobel", "--axis", a));
        }
        for (String w : new String[] {"", ",", "NaN", "1,Infinity", "1,,2", "x"}) {
            cases.add(List.of("correlate1d", "--weights", w));
        }
        for (String m : new String[] {"", "bogus", "reflect,wrap", "reflect,reflect,reflect,reflect"}) {
            cases.add(List.of("gaussian", "--sigma", "1", "--mode", m));
        }
        for (String c : new String[] {"NaN", "Infinity", "x"}) {
            cases.add(List.of("gaussian", "--sigma", "1", "--mode", "constant", "--cval", c));
        }
        for (String t : new String[] {"0", "-1", "1000000", "x"}) {
            cases.add(List.of("gaussian", "--sigma", "1", "--threads", t));
        }
        for (String c : new String[] {"0,4,5", "-1,4,5", "3,4", "1,1,1", "9999999999,1,1"}) {
            cases.add(List.of("gaussian", "--sigma", "1", "--chunks", c));
        }
        for (String b : new String[] {"fast", ""}) {
            cases.add(List.of("gaussian", "--sigma", "1", "--backend", b));
        }
        for (String d : new String[] {"float16", "complex64", ""}) {
            cases.add(List.of("gaussian", "--sigma", "1", "--output-dtype", d));
        }
        for (List<String> c : cases) {
            check("parameters", String.join(" ", c), npy, c);
        }
        report();
    }

    private void report() {
        for (String a : accepted) {
            assertTrue(VALID.contains(a), "accepted a hostile case: " + a);
        }
        StringBuilder b = new StringBuilder("hostile inputs (category: tried / refused with exit 2):");
        counts.forEach((k, v) -> b.append("\n  ").append(k).append(": ").append(v[0]).append(" / ").append(v[1]));
        System.out.println(b);
        try (Stream<Path> s = Files.list(Path.of("."))) {
            if (s.anyMatch(p -> p.getFileName().toString().startsWith("hs_err"))) {
                fail("a JVM crash log (hs_err) appeared");
            }
        } catch (IOException e) {
            fail(e);
        }
    }
}
