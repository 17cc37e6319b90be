/*
 * Rewrites the classes of the given jars that predate Java 6 (class file version < 50) as version 52
 * classes with stack maps, in place, so that the JDK's AOT cache (JEP 483/514) can keep them: it
 * skips every such class ("Old class has been linked"), and picocli 4.7.7 is compiled for Java 5,
 * so its 228 classes (173 of them loaded by a filter command) were read from the jar, verified by
 * the old inference verifier and linked afresh by every command.
 *
 * What changes in a rewritten class: its version, its stack maps (computed from the code by the
 * JDK's class-file API), max_stack/max_locals (recomputed), and unreachable code, if any (replaced
 * by nop ... athrow, as the API does); every reachable instruction, the constant pool and the other
 * attributes are carried over, and each rewritten class must pass the API's verifier. A class whose
 * meaning would change at version 52 (a non-static <clinit>, which old versions still run as the
 * initializer), or whose supertypes cannot be found, or jsr/ret code, leaves its jar untouched; so do
 * signed jars and jars without old classes. Entries keep their order, names, times, methods and
 * extra fields (not the zip's Unix mode bits; the jar file keeps its permissions). A jar is replaced
 * whole (written beside it, then moved over it) or not at all.
 *
 * Usage (JDK 24+, run by the launcher after each build):
 *   java tools/UpgradeOldClasses.java JAR...
 * Prints a line for each jar rewritten; exits 1 when a jar could not be (it is left as it was).
 */
import java.io.IOException;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.MethodModel;
import java.lang.reflect.AccessFlag;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.zip.CRC32;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

public class UpgradeOldClasses {
    /** The oldest class file version the AOT cache archives (Java 6). */
    static final int FIRST_KEPT = 50;
    /** The version written: Java 8 (Java 7, version 51, is the first whose classes must carry stack maps). */
    static final int TARGET = 52;

    public static void main(String[] args) throws IOException {
        int failed = 0;
        for (String a : args) {
            Path jar = Path.of(a);
            try {
                int n = upgrade(jar);
                if (n > 0) {
                    System.out.println(jar.getFileName() + ": " + n + " classes older than Java 6 rewritten as Java 8 classes");
                }
            } catch (IOException | RuntimeException e) {
                // the jar is left as it was; the AOT cache then skips its old classes, as before
                System.err.println(jar + ": not upgraded: " + e);
                failed++;
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }

    /** Upgrades one jar in place; returns the number of classes rewritten (0: the jar is untouched). */
    static int upgrade(Path jar) throws IOException {
        try (JarFile in = new JarFile(jar.toFile(), false)) {
            boolean old = false;
            for (var e = in.entries(); e.hasMoreElements(); ) {
                JarEntry je = e.nextElement();
                String name = je.getName().toUpperCase(java.util.Locale.ROOT);
                if (name.startsWith("META-INF/") && (name.endsWith(".SF") || name.endsWith(".RSA")
                        || name.endsWith(".DSA") || name.endsWith(".EC"))) {
                    return 0; // signed: a rewritten class would break its signature
                }
                if (isClass(je) && !old) {
                    byte[] head = in.getInputStream(je).readNBytes(8);
                    old = head.length == 8 && majorVersion(head) < FIRST_KEPT;
                }
            }
            if (!old) {
                return 0;
            }
            Path tmp = Files.createTempFile(jar.toAbsolutePath().getParent(), jar.getFileName() + ".", ".tmp");
            boolean moved = false;
            int n = 0;
            try {
                // stack maps need the supertypes of the jar's own classes and the JDK's: from the jar
                // and the JDK alone (not from whatever class path the caller has)
                try (URLClassLoader own = new URLClassLoader(new URL[] {jar.toUri().toURL()},
                        ClassLoader.getPlatformClassLoader());
                     OutputStream os = Files.newOutputStream(tmp);
                     ZipOutputStream out = new ZipOutputStream(os)) {
                    ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                            ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.ofResourceParsing(own)
                                    .orElse(ClassHierarchyResolver.defaultResolver())));
                    ClassTransform upgrade = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                            .andThen(ClassTransform.dropping(el -> el instanceof ClassFileVersion))
                            .andThen(ClassTransform.endHandler(cb -> cb.withVersion(TARGET, 0)));
                    for (var e = in.entries(); e.hasMoreElements(); ) {
                        JarEntry je = e.nextElement();
                        byte[] b = in.getInputStream(je).readAllBytes();
                        ZipEntry ze = new ZipEntry(je); // name, time, method, extra fields, comment
                        if (isClass(je) && b.length >= 8 && majorVersion(b) < FIRST_KEPT) {
                            b = rewrite(cf, upgrade, je.getName(), b);
                            n++;
                            CRC32 crc = new CRC32();
                            crc.update(b);
                            ze.setSize(b.length);
                            ze.setCrc(crc.getValue());
                        }
                        if (ze.getMethod() == ZipEntry.STORED) {
                            ze.setCompressedSize(b.length);
                        } else {
                            ze.setCompressedSize(-1);
                        }
                        out.putNextEntry(ze);
                        out.write(b);
                        out.closeEntry();
                    }
                }
                PosixFileAttributeView perms = Files.getFileAttributeView(jar, PosixFileAttributeView.class);
                if (perms != null) {
                    Files.setPosixFilePermissions(tmp, perms.readAttributes().permissions());
                }
                Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                moved = true;
            } finally {
                if (!moved) {
                    Files.deleteIfExists(tmp);
                }
            }
            return n;
        }
    }

    /** One old class as a version-52 class, verified; throws when it cannot be done without changing it. */
    static byte[] rewrite(ClassFile cf, ClassTransform upgrade, String name, byte[] b) {
        ClassModel m = cf.parse(b);
        for (MethodModel mm : m.methods()) {
            if (mm.methodName().equalsString("<clinit>") && !mm.flags().has(AccessFlag.STATIC)) {
                throw new IllegalArgumentException(name + ": a non-static <clinit>, which version 52 would not run");
            }
        }
        byte[] out = cf.transformClass(m, upgrade);
        var errors = cf.verify(out);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(name + ": the rewritten class does not verify: " + errors.get(0));
        }
        return out;
    }

    /** A class of the jar's own (not a multi-release version's, which stays as it is). */
    static boolean isClass(JarEntry je) {
        return je.getName().endsWith(".class") && !je.getName().startsWith("META-INF/");
    }

    static int majorVersion(byte[] b) {
        return ((b[6] & 0xff) << 8) | (b[7] & 0xff);
    }
}
