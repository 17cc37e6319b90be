/* Version, capabilities and the list of compiled variants (see penumbra.h). */
#include "penumbra.h"

int32_t penumbra_version(void) {
    return PENUMBRA_ABI_VERSION;
}

int32_t penumbra_caps(void) {
    int32_t caps = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) {
        caps |= PENUMBRA_CAP_AVX2;
    }
    if (__builtin_cpu_supports("fma")) {
        caps |= PENUMBRA_CAP_FMA;
    }
    if (__builtin_cpu_supports("avx512f")) {
        caps |= PENUMBRA_CAP_AVX512F;
    }
#endif
    return caps;
}

const char *penumbra_variants(void) {
    return "generic"
#ifdef PENUMBRA_HAVE_AVX2
           " avx2"
#endif
#ifdef PENUMBRA_HAVE_AVX512
           " avx512"
#endif
        ;
}
