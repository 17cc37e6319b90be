/*
 * Penumbra's native kernels: a plain C ABI for the Java backend (FFM downcalls).
 *
 * Every kernel works on scratch the caller owns (Java heap arrays passed to critical downcalls, or
 * off-heap segments), never on mapped files. Kernels keep no state: they are thread-safe and
 * reentrant. Each kernel exists once per instruction set, with the suffix _generic (any x86-64,
 * scalar fmaf), _avx2 (AVX2 + FMA) or _avx512 (AVX-512F); the caller picks one with
 * penumbra_caps(). All variants compute every output with the same operations (a product, then
 * fused multiply-adds in a fixed order), so they give the same bits as each other and as the Java
 * simd backend.
 *
 * Arguments are checked by the Java caller (NativeKernels: bad arguments never reach C).
 */
#ifndef PENUMBRA_H
#define PENUMBRA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PENUMBRA_API __attribute__((visibility("default")))
#else
#define PENUMBRA_API
#endif

#define PENUMBRA_CAP_AVX2 1
#define PENUMBRA_CAP_FMA 2
#define PENUMBRA_CAP_AVX512F 4

/* Kernel symmetry, as Kernel1D.Symmetry: weights w[c-j] == w[c+j] or == -w[c+j]. */
#define PENUMBRA_SYM_NONE 0
#define PENUMBRA_SYM_SYMMETRIC 1
#define PENUMBRA_SYM_ANTISYMMETRIC 2
/* ORed into the symmetry code of penumbra_line_f64 and penumbra_rows_f64: every product rounded to
 * double and then added, in scipy's order, instead of fused multiply-adds (integer outputs, whose
 * truncation toward zero shows the last bit of a sum: scipy's C has no fma). */
#define PENUMBRA_ROUNDED_PRODUCTS 4

/* Integer output types of penumbra_cast_f64 (Java: DType): truncation toward zero through a 32-bit
 * conversion (8-, 16-, 32-bit signed types) or a 64-bit one (uint32, int64), whose out-of-range and
 * NaN inputs give the conversion's indefinite value, then the type's low bits. */
#define PENUMBRA_INT_U8 1
#define PENUMBRA_INT_I8 2
#define PENUMBRA_INT_U16 3
#define PENUMBRA_INT_I16 4
#define PENUMBRA_INT_I32 5
#define PENUMBRA_INT_U32 6
#define PENUMBRA_INT_I64 7

/* Flags of penumbra_fold_*: the first term is copied (squared, for HYPOT), each next one added (its
 * square added), and the last HYPOT term takes the square root, in the storage type. */
#define PENUMBRA_FOLD_FIRST 1
#define PENUMBRA_FOLD_LAST 2
#define PENUMBRA_FOLD_HYPOT 4

/* ABI version: bumped when a signature changes (Java: NativeAbi.VERSION). */
#define PENUMBRA_ABI_VERSION 5
PENUMBRA_API int32_t penumbra_version(void);

/* PENUMBRA_CAP_* bits of this CPU (and OS: AVX state enabled). */
PENUMBRA_API int32_t penumbra_caps(void);

/* Names the ISA variants compiled into this library, e.g. "generic avx2 avx512". */
PENUMBRA_API const char *penumbra_variants(void);

#define PENUMBRA_DECLARE(SUFFIX)                                                                        \
    /* dst[dstPos+i] = sum_k w[k] * src[srcPos+i+k], i < n (src holds n+size-1 values), float */       \
    PENUMBRA_API void penumbra_line_f32_##SUFFIX(const float *src, int32_t srcPos, float *dst, int32_t dstPos,       \
                                    int32_t n, const float *w, int32_t size, int32_t center,             \
                                    int32_t sym);                                                        \
    /* output row o (o < nOut) at dst[dstPos + o*dstStride]: sum_t w[t] * src[rowOffset[o+t] + x] */    \
    PENUMBRA_API void penumbra_rows_f32_##SUFFIX(const float *src, const int32_t *rowOffset, int32_t nOut,           \
                                    int32_t width, float *dst, int32_t dstPos, int32_t dstStride,        \
                                    const float *w, int32_t size, int32_t center, int32_t sym);          \
    /* folds min and max of a[from..from+n) into acc[0..1]; NaN anywhere makes both NaN */             \
    PENUMBRA_API void penumbra_range_f32_##SUFFIX(const float *a, int32_t from, int32_t n, float *acc);             \
    /* as line_f32, in double (the double path's line kernel) */                                       \
    PENUMBRA_API void penumbra_line_f64_##SUFFIX(const double *src, int32_t srcPos, double *dst, int32_t dstPos,     \
                                    int32_t n, const double *w, int32_t size, int32_t center,            \
                                    int32_t sym);                                                        \
    /* as line_f64 on float values, each output rounded to float (the double path, float32 output) */  \
    PENUMBRA_API void penumbra_line_f32d_##SUFFIX(const float *src, int32_t srcPos, float *dst, int32_t dstPos,      \
                                    int32_t n, const double *w, int32_t size, int32_t center,            \
                                    int32_t sym);                                                        \
    /* as rows_f32 with line_f64's sums in double, each output rounded to float */                      \
    PENUMBRA_API void penumbra_rows_f32d_##SUFFIX(const float *src, const int32_t *rowOffset, int32_t nOut,          \
                                    int32_t width, float *dst, int32_t dstPos, int32_t dstStride,        \
                                    const double *w, int32_t size, int32_t center, int32_t sym);         \
    /* as rows_f32d in double storage (the double path, float64 output): the sums of line_f64 */       \
    PENUMBRA_API void penumbra_rows_f64_##SUFFIX(const double *src, const int32_t *rowOffset, int32_t nOut,          \
                                    int32_t width, double *dst, int32_t dstPos, int32_t dstStride,       \
                                    const double *w, int32_t size, int32_t center, int32_t sym);         \
    /* a[from..from+n) as an integer output of type PENUMBRA_INT_* stores them, C's cast on x86-64 */   \
    PENUMBRA_API void penumbra_cast_f64_##SUFFIX(double *a, int32_t from, int32_t n, int32_t type);     \
    /* folds b[s..s+n) into acc[a..a+n) as a compound filter's terms fold (PENUMBRA_FOLD_* flags) */      \
    PENUMBRA_API void penumbra_fold_f32_##SUFFIX(const float *b, int32_t s, float *acc, int32_t a, int32_t n,       \
                                    int32_t flags);                                                      \
    PENUMBRA_API void penumbra_fold_f64_##SUFFIX(const double *b, int32_t s, double *acc, int32_t a, int32_t n,     \
                                    int32_t flags);                                                      \
    /* dst[dstPos+i] = src[i], i < n: 8- or 16-bit integers (PENUMBRA_INT_U8..I16) widened exactly */   \
    PENUMBRA_API void penumbra_widen_f32_##SUFFIX(const void *src, int32_t type, int32_t n, float *dst,            \
                                    int32_t dstPos);                                                     \
    PENUMBRA_API void penumbra_widen_f64_##SUFFIX(const void *src, int32_t type, int32_t n, double *dst,           \
                                    int32_t dstPos);

PENUMBRA_DECLARE(generic)
PENUMBRA_DECLARE(avx2)
PENUMBRA_DECLARE(avx512)

#ifdef __cplusplus
}
#endif

#endif
