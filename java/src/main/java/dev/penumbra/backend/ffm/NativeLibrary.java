package dev.penumbra.backend.ffm;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Finds, loads and binds {@code libpenumbra.so} (native/, built by CMake from the Maven build).
 * Looked for, in order: the path in the system property {@code penumbra.native.library}; beside
 * the classes, {@code native/<os>-<arch>/} next to the jar or in the build tree's classes
 * ({@code target/classes/native/...}); else the
 * copy inside the jar, extracted once to a content-named folder under {@code java.io.tmpdir}. When
 * none loads, {@link #get()} is empty and {@link #status()} says why (the build records a missing
 * CMake or compiler in {@code native/<os>-<arch>/NOT-BUILT}).
 *
 * <p>The kernels exist once per instruction set (generic, avx2, avx512); the best one that both
 * the library and {@code penumbra_caps()} offer is bound, unless the system property
 * {@code penumbra.native.isa} names one. All of them compute the same bits.
 */
@SuppressWarnings("restricted") // calling C through FFM is this class's purpose (--enable-native-access)
public final class NativeLibrary {
    /** ABI version this code binds to ({@code penumbra_version()}). */
    static final int ABI = NativeAbi.VERSION;

    // process-wide: the library is extracted, checked and bound once per JVM
    private static final Holder HOLDER = load();

    final String isa;
    private final SymbolLookup lookup;
    final int caps;
    final String variants;
    final Path path;
    final String how;
    private final MethodHandle[] handles = new MethodHandle[Fn.values().length];

    /**
     * The kernels' C functions ({@code penumbra_<name>_<isa>}) and their signatures. Each is bound on
     * first use, except the float32 path's three, made with the library (on the CLI's loader thread):
     * a downcall handle costs 3-15 ms to make under the CLI's C1 (a stub class, lambda forms).
     */
    enum Fn {
        LINE_F32("line_f32", Sig.LINE), ROWS_F32("rows_f32", Sig.ROWS), RANGE_F32("range_f32", Sig.RANGE),
        LINE_F64("line_f64", Sig.LINE), LINE_F32D("line_f32d", Sig.LINE), ROWS_F32D("rows_f32d", Sig.ROWS),
        ROWS_F64("rows_f64", Sig.ROWS), CAST_F64("cast_f64", Sig.CAST), FOLD_F32("fold_f32", Sig.FOLD),
        FOLD_F64("fold_f64", Sig.FOLD), WIDEN_F32("widen_f32", Sig.WIDEN), WIDEN_F64("widen_f64", Sig.WIDEN);

        final String symbol;
        final FunctionDescriptor sig;

        Fn(String symbol, FunctionDescriptor sig) {
            this.symbol = symbol;
            this.sig = sig;
        }
    }

    private static final class Sig {
        static final ValueLayout A = ValueLayout.ADDRESS;
        static final ValueLayout I = ValueLayout.JAVA_INT;
        static final FunctionDescriptor LINE = FunctionDescriptor.ofVoid(A, I, A, I, I, A, I, I, I);
        static final FunctionDescriptor ROWS = FunctionDescriptor.ofVoid(A, A, I, I, A, I, I, A, I, I, I);
        static final FunctionDescriptor RANGE = FunctionDescriptor.ofVoid(A, I, I, A);
        static final FunctionDescriptor CAST = FunctionDescriptor.ofVoid(A, I, I, I);
        static final FunctionDescriptor FOLD = FunctionDescriptor.ofVoid(A, I, A, I, I, I);
        static final FunctionDescriptor WIDEN = FunctionDescriptor.ofVoid(A, I, I, A, I);
    }

    private record Holder(NativeLibrary lib, String reason) {
    }

    private NativeLibrary(Path path, String how, SymbolLookup lookup, String isa, int caps, String variants) {
        this.path = path;
        this.how = how;
        this.lookup = lookup;
        this.isa = isa;
        this.caps = caps;
        this.variants = variants;
        for (Fn f : Fn.values()) {
            find(lookup, "penumbra_" + f.symbol + "_" + isa); // every kernel is there, or this library is refused
        }
        handle(Fn.LINE_F32);
        handle(Fn.ROWS_F32);
        handle(Fn.RANGE_F32);
    }

    /** The downcall handle of {@code f}, made on first use (racing threads make equal ones). */
    MethodHandle handle(Fn f) {
        MethodHandle h = handles[f.ordinal()];
        if (h == null) {
            // short calls on heap scratch: critical (no thread-state transition, heap arrays passed as is)
            h = Linker.nativeLinker().downcallHandle(find(lookup, "penumbra_" + f.symbol + "_" + isa), f.sig,
                    Linker.Option.critical(true));
            handles[f.ordinal()] = h;
        }
        return h;
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libpenumbra has no symbol " + name));
    }

    /**
     * True when this build carries the native library for this platform, beside the classes or in
     * the jar (without loading it: loading needs native access).
     */
    public static boolean built() {
        String plat = platform();
        if (NativeLibrary.class.getResource("/native/" + plat + "/libpenumbra.so") != null) {
            return true;
        }
        Path beside = besideClasses(plat);
        return beside != null && Files.isRegularFile(beside);
    }

    /** The loaded library, or empty (see {@link #status()}). */
    public static Optional<NativeLibrary> get() {
        return Optional.ofNullable(HOLDER.lib);
    }

    /** One line: what was loaded from where and which kernels run, or why native is unavailable. */
    public static String status() {
        NativeLibrary l = HOLDER.lib;
        if (l == null) {
            return "unavailable: " + HOLDER.reason;
        }
        return l.path + " (" + l.how + "), " + l.isa + " kernels (library has " + l.variants + "; cpu: "
                + capsText(l.caps) + ")";
    }

    /** The same library with the kernels of variant {@code isa} bound (tests compare variants). */
    public NativeLibrary variant(String isa) {
        if (!variants().contains(isa) || !runs(isa, caps)) {
            throw new IllegalArgumentException("native variant " + isa + " is not available (library: " + variants
                    + "; cpu: " + capsText(caps) + ")");
        }
        return new NativeLibrary(path, how, lookup, isa, caps, variants);
    }

    /** The variants compiled into the library that this CPU runs. */
    public List<String> variants() {
        return Arrays.stream(variants.split(" ")).filter(v -> runs(v, caps)).toList();
    }

    /** The instruction set whose kernels are bound. */
    public String isa() {
        return isa;
    }

    static String capsText(int caps) {
        StringBuilder b = new StringBuilder();
        if ((caps & NativeAbi.CAP_AVX2) != 0) {
            b.append("avx2 ");
        }
        if ((caps & NativeAbi.CAP_FMA) != 0) {
            b.append("fma ");
        }
        if ((caps & NativeAbi.CAP_AVX512F) != 0) {
            b.append("avx512f ");
        }
        return b.isEmpty() ? "no avx2/fma" : b.toString().trim();
    }

    static String platform() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux") ? "linux"
                : System.getProperty("os.name").toLowerCase(Locale.ROOT).replace(' ', '_');
        String arch = System.getProperty("os.arch");
        arch = arch.equals("amd64") ? "x86_64" : arch;
        return os + "-" + arch;
    }

    private static Holder load() {
        String plat = platform();
        String resource = "/native/" + plat + "/libpenumbra.so";
        StringBuilder tried = new StringBuilder();
        String explicit = System.getProperty("penumbra.native.library");
        if (explicit != null && !explicit.isBlank()) {
            return open(Path.of(explicit), "from -Dpenumbra.native.library", tried);
        }
        Path beside = besideClasses(plat);
        if (beside != null && Files.isRegularFile(beside)) {
            Holder h = open(beside, beside.toString().contains("/target/classes/") ? "in the build tree"
                    : "beside the classes", tried);
            if (h.lib != null) {
                return h;
            }
        } else if (beside != null) {
            tried.append("not at ").append(beside).append("; ");
        }
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in != null) {
                Path extracted = extract(in.readAllBytes());
                return open(extracted, "extracted from the jar", tried);
            }
        } catch (IOException | RuntimeException e) {
            tried.append("extracting ").append(resource).append(" failed: ").append(e.getMessage()).append("; ");
        }
        try (InputStream in = NativeLibrary.class.getResourceAsStream("/native/" + plat + "/NOT-BUILT")) {
            if (in != null) {
                return new Holder(null, new String(in.readAllBytes(), StandardCharsets.UTF_8).trim()
                        + " (rebuild with CMake and a C compiler installed)");
            }
        } catch (IOException e) {
            // fall through to the generic reason
        }
        return new Holder(null, "no libpenumbra.so for " + plat + " in the build or the jar (" + tried
                + "the native/ CMake build did not run for this platform)");
    }

    /** native/<plat>/libpenumbra.so next to the jar, or inside the classes folder of a build tree. */
    private static Path besideClasses(String plat) {
        try {
            var src = NativeLibrary.class.getProtectionDomain().getCodeSource();
            if (src == null) {
                return null;
            }
            Path p = Path.of(src.getLocation().toURI());
            Path base = Files.isDirectory(p) ? p : p.getParent();
            if (base == null) {
                return null;
            }
            Path lib = base.resolve("native").resolve(plat).resolve("libpenumbra.so");
            // a jar in a Maven build tree (target/penumbra.jar) takes target/classes/native/
            Path tree = base.resolve("classes").resolve("native").resolve(plat).resolve("libpenumbra.so");
            return !Files.isRegularFile(lib) && Files.isRegularFile(tree) ? tree : lib;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Writes the library once under tmpdir, in a private folder (owner only) named by the user and
     * the library's hash, and reuses it only when its bytes still hash the same: another user's
     * folder, a loose mode or a swapped file is never loaded (a fresh private folder is used).
     */
    private static Path extract(byte[] bytes) throws IOException {
        String hash = sha256(bytes);
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "penumbra-native-" + user + "-" + hash.substring(0, 16));
        var owner = PosixFilePermissions.fromString("rwx------");
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(owner));
            } catch (FileAlreadyExistsException raced) {
                // checked below like any existing folder
            }
        }
        if (!isPrivate(dir, owner)) {
            dir = Files.createTempDirectory("penumbra-native-",
                    PosixFilePermissions.asFileAttribute(owner));
            // a one-off folder: gone with the JVM (deleted in reverse order: the library, then the folder)
            dir.toFile().deleteOnExit();
            dir.resolve("libpenumbra.so").toFile().deleteOnExit();
        }
        Path lib = dir.resolve("libpenumbra.so");
        if (Files.isRegularFile(lib, LinkOption.NOFOLLOW_LINKS)
                && sha256(Files.readAllBytes(lib)).equals(hash)) {
            return lib;
        }
        Path tmp = Files.createTempFile(dir, "libpenumbra", ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return lib;
    }

    /** A real folder (not a link) of this user that nobody else may write or enter. */
    private static boolean isPrivate(Path dir, Set<PosixFilePermission> owner) {
        try {
            var attrs = Files.readAttributes(dir, PosixFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            return attrs.isDirectory() && attrs.permissions().equals(owner)
                    && attrs.owner().getName().equals(System.getProperty("user.name"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static String sha256(byte[] bytes) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }

    private static Holder open(Path path, String how, StringBuilder tried) {
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(path, Arena.global());
            Linker linker = Linker.nativeLinker();
            int version = (int) linker.downcallHandle(find(lookup, "penumbra_version"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
            if (version != ABI) {
                return new Holder(null, path + " has ABI version " + version + ", this build needs " + ABI
                        + " (rebuild native/)");
            }
            int caps = (int) linker.downcallHandle(find(lookup, "penumbra_caps"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
            MemorySegment v = (MemorySegment) linker.downcallHandle(find(lookup, "penumbra_variants"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
            String variants = v.reinterpret(256).getString(0);
            String isa = chooseIsa(caps, variants);
            return new Holder(new NativeLibrary(path, how, lookup, isa, caps, variants), null);
        } catch (Throwable t) {
            tried.append(path).append(" (").append(how).append("): ").append(t.getMessage()).append("; ");
            return new Holder(null, "could not load " + path + " (" + how + "): " + t);
        }
    }

    /** The best variant the library has and the CPU runs, or the one -Dpenumbra.native.isa names. */
    static String chooseIsa(int caps, String variants) {
        List<String> have = Arrays.asList(variants.split(" "));
        String want = System.getProperty("penumbra.native.isa");
        if (want != null && !want.isBlank()) {
            if (!have.contains(want) || !runs(want, caps)) {
                throw new IllegalStateException("penumbra.native.isa=" + want + " is not available (library: "
                        + variants + "; cpu: " + capsText(caps) + ")");
            }
            return want;
        }
        for (String isa : new String[] {"avx512", "avx2"}) {
            if (have.contains(isa) && runs(isa, caps)) {
                return isa;
            }
        }
        return "generic";
    }

    private static final int AVX2 = NativeAbi.CAP_AVX2 | NativeAbi.CAP_FMA;
    private static final int AVX512 = AVX2 | NativeAbi.CAP_AVX512F;

    /** True when the CPU runs variant {@code isa}. */
    public static boolean runs(String isa, int caps) {
        return switch (isa) {
            case "avx512" -> (caps & AVX512) == AVX512;
            case "avx2" -> (caps & AVX2) == AVX2;
            default -> true;
        };
    }
}
