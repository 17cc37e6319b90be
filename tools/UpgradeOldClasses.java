/*
 * Rewrites the classes of the given jars that predate Java 6 (class file version < 50) as version 52
 * classes with stack maps, in place, so that the JDK's AOT cache (JEP 483/514) can keep them: it
 * skips every such class ("Old class has been linked"), and picocli 4.7.7 is compiled for Java 5,
 * so its 170-odd classes were read from the jar, verified by the old inference verifier and linked
 * afresh by every command (a small file's command: ~80 ms of its ~0.45 s).
 *
 * Only the version and the stack maps change: every instruction, constant and attribute is carried
 * over, the stack maps are computed from the code (the JDK's class-file API), and jars without such
 * classes, or signed ones, are left untouched. A jar is replaced whole (written beside it, then
 * moved over it) or not at all.
 *
 * Usage (JDK 24+, run by the launcher after each build):
 *   java tools/UpgradeOldClasses.java JAR...
 */
import java.io.IOException;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

public class UpgradeOldClasses {
    /** The oldest class file version the AOT cache archives (Java 6). */
    static final int FIRST_KEPT = 50;
    /** The version written: Java 8, the oldest whose classes must carry stack maps. */
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
            int n = 0;
            try (URLClassLoader own = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
                 OutputStream os = Files.newOutputStream(tmp);
                 ZipOutputStream out = new ZipOutputStream(os)) {
                // stack maps need the supertypes of the jar's own classes as well as the JDK's
                ClassFile cf = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                        ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                                .orElse(ClassHierarchyResolver.ofResourceParsing(own))));
                ClassTransform upgrade = ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                        .andThen(ClassTransform.dropping(el -> el instanceof ClassFileVersion))
                        .andThen(ClassTransform.endHandler(cb -> cb.withVersion(TARGET, 0)));
                for (var e = in.entries(); e.hasMoreElements(); ) {
                    JarEntry je = e.nextElement();
                    byte[] b = in.getInputStream(je).readAllBytes();
                    if (isClass(je) && b.length >= 8 && majorVersion(b) < FIRST_KEPT) {
                        ClassModel m = cf.parse(b);
                        b = cf.transformClass(m, upgrade);
                        n++;
                    }
                    ZipEntry ze = new ZipEntry(je.getName());
                    ze.setTime(je.getTime());
                    out.putNextEntry(ze);
                    out.write(b);
                    out.closeEntry();
                }
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            Files.move(tmp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return n;
        }
    }

    /** A class of the jar's own (not a multi-release version's, which stays as it is). */
    static boolean isClass(JarEntry je) {
        return je.getName().endsWith(".class") && !je.getName().startsWith("META-INF/");
    }

    static int majorVersion(byte[] b) {
        return ((b[6] & 0xff) << 8) | (b[7] & 0xff);
    }
}
