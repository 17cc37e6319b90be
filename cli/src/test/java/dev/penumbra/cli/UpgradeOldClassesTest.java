package dev.penumbra.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tools/UpgradeOldClasses.java, which the launcher runs on the command line's dependencies after a
 * build so that the AOT cache keeps picocli's classes (compiled for Java 5, which the cache skips):
 * on a copy of the picocli jar the build uses, every class comes out as a Java 8 class (each one
 * verified by the tool), the jar's entries and everything but the classes are unchanged, its file
 * permissions kept and nothing left beside it, the classes picocli loads pass the JVM's own
 * verifier ({@code -Xverify:all}) and work, and a second run leaves the jar as it is.
 */
class UpgradeOldClassesTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).resolve("..").normalize();
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @Test
    void picocliComesOutVerifiableAsJava8Classes(@TempDir Path dir) throws Exception {
        // the tool uses java.lang.classfile (final in JDK 24); the launcher runs it on JDK 25+ only
        assumeTrue(Runtime.version().feature() >= 24, "JDK 24+ runs tools/UpgradeOldClasses.java");
        Path original = Path.of(picocli.CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path jar = dir.resolve("picocli.jar");
        Files.copy(original, jar);
        var mode = java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");
        Files.setPosixFilePermissions(jar, mode);
        Map<String, byte[]> before = entries(jar);
        assertTrue(before.values().stream().anyMatch(b -> b.length > 8 && major(b) < 50),
                "the picocli jar under test has no pre-Java-6 classes: nothing to test");

        String out = run(List.of(JAVA, ROOT.resolve("tools/UpgradeOldClasses.java").toString(), jar.toString()));
        long classes = before.keySet().stream().filter(n -> n.endsWith(".class") && !n.startsWith("META-INF/")).count();
        assertEquals("picocli.jar: " + classes + " classes older than Java 6 rewritten as Java 8 classes", out.strip());

        Map<String, byte[]> after = entries(jar);
        assertEquals(new ArrayList<>(before.keySet()), new ArrayList<>(after.keySet()), "entries and their order");
        for (var e : before.entrySet()) {
            byte[] b = after.get(e.getKey());
            if (e.getKey().endsWith(".class") && !e.getKey().startsWith("META-INF/")) {
                assertEquals(52, major(b), e.getKey());
            } else {
                assertArrayEquals(e.getValue(), b, e.getKey());
            }
        }
        assertEquals(mode, Files.getPosixFilePermissions(jar), "the jar's permissions");
        try (var files = Files.list(dir)) {
            assertEquals(List.of("picocli.jar"), files.map(f -> f.getFileName().toString()).toList());
        }
        // the classes picocli loads verified by the JVM's type-checking verifier, then picocli at work
        String usage = run(List.of(JAVA, "-Xverify:all", "-cp", jar.toString(), "picocli.AutoComplete", "--help"));
        assertTrue(usage.startsWith("Usage: picocli.AutoComplete"), usage);

        byte[] upgraded = Files.readAllBytes(jar);
        var mtime = Files.getLastModifiedTime(jar);
        assertEquals("", run(List.of(JAVA, ROOT.resolve("tools/UpgradeOldClasses.java").toString(), jar.toString())).strip());
        assertArrayEquals(upgraded, Files.readAllBytes(jar), "a second run rewrote an upgraded jar");
        assertEquals(mtime, Files.getLastModifiedTime(jar));
    }

    private static Map<String, byte[]> entries(Path jar) throws Exception {
        Map<String, byte[]> m = new LinkedHashMap<>();
        try (JarFile f = new JarFile(jar.toFile(), false)) {
            for (var e = f.entries(); e.hasMoreElements(); ) {
                JarEntry je = e.nextElement();
                m.put(je.getName(), f.getInputStream(je).readAllBytes());
            }
        }
        return m;
    }

    private static int major(byte[] b) {
        return ((b[6] & 0xff) << 8) | (b[7] & 0xff);
    }

    /** Runs a command, asserts it succeeded, returns its standard output. */
    private static String run(List<String> cmd) throws Exception {
        Path out = Files.createTempFile("upgrade-test", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT)
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(cmd + " did not finish in 2 minutes");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), cmd + ": " + text);
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
