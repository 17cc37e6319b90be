package dev.penumbra.backend.ffm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The C header and NativeAbi say the same: every PENUMBRA_ constant of the header, and no other. */
class NativeAbiTest {
    @Test
    void theHeadersConstantsAreNativeAbis() throws Exception {
        Path header = Path.of(System.getProperty("user.dir")).resolve("../native/include/penumbra.h").normalize();
        Map<String, Integer> c = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^#define PENUMBRA_(ABI_VERSION|CAP_\\w+|SYM_\\w+|INT_\\w+|FOLD_\\w+|ROUNDED_PRODUCTS) (\\d+)$")
                .matcher(Files.readString(header));
        while (m.find()) {
            c.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        Map<String, Integer> java = Map.ofEntries(
                Map.entry("INT_U8", NativeAbi.INT_U8), Map.entry("INT_I8", NativeAbi.INT_I8),
                Map.entry("INT_U16", NativeAbi.INT_U16), Map.entry("INT_I16", NativeAbi.INT_I16),
                Map.entry("INT_I32", NativeAbi.INT_I32), Map.entry("INT_U32", NativeAbi.INT_U32),
                Map.entry("INT_I64", NativeAbi.INT_I64),
                Map.entry("FOLD_FIRST", NativeAbi.FOLD_FIRST), Map.entry("FOLD_LAST", NativeAbi.FOLD_LAST),
                Map.entry("FOLD_HYPOT", NativeAbi.FOLD_HYPOT),
                Map.entry("ABI_VERSION", NativeAbi.VERSION),
                Map.entry("CAP_AVX2", NativeAbi.CAP_AVX2),
                Map.entry("CAP_FMA", NativeAbi.CAP_FMA),
                Map.entry("CAP_AVX512F", NativeAbi.CAP_AVX512F),
                Map.entry("SYM_NONE", NativeAbi.SYM_NONE),
                Map.entry("SYM_SYMMETRIC", NativeAbi.SYM_SYMMETRIC),
                Map.entry("SYM_ANTISYMMETRIC", NativeAbi.SYM_ANTISYMMETRIC),
                Map.entry("ROUNDED_PRODUCTS", NativeAbi.ROUNDED_PRODUCTS));
        assertEquals(java, c, "native/include/penumbra.h against NativeAbi");
    }
}
