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
        Matcher m = Pattern.compile("(?m)^#define PENUMBRA_(ABI_VERSION|CAP_\\w+|SYM_\\w+) (\\d+)$")
                .matcher(Files.readString(header));
        while (m.find()) {
            c.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        Map<String, Integer> java = Map.of(
                "ABI_VERSION", NativeAbi.VERSION,
                "CAP_AVX2", NativeAbi.CAP_AVX2,
                "CAP_FMA", NativeAbi.CAP_FMA,
                "CAP_AVX512F", NativeAbi.CAP_AVX512F,
                "SYM_NONE", NativeAbi.SYM_NONE,
                "SYM_SYMMETRIC", NativeAbi.SYM_SYMMETRIC,
                "SYM_ANTISYMMETRIC", NativeAbi.SYM_ANTISYMMETRIC);
        assertEquals(java, c, "native/include/penumbra.h against NativeAbi");
    }
}
