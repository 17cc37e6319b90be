/*
 * The kernels of penumbra.h, compiled once per instruction set: PN_ISA 0 (generic x86-64: one
 * lane, fmaf), 1 (AVX2 + FMA, 8 float lanes) or 2 (AVX-512F, 16 float lanes), with PN_SUFFIX the
 * symbol suffix. Built with -ffp-contract=off: the only fused multiply-adds are the explicit ones,
 * so every output is one product and then fmas (the double kernels with PENUMBRA_ROUNDED_PRODUCTS:
 * rounded products and adds, scipy's operations) in a fixed order whichever lane or tail computes it
 * (chunking never changes a bit, and all variants agree with each other and with Java's simd).
 */
#include "penumbra.h"

#include <math.h>
#include <stdint.h>

#if PN_ISA == 2
#include <immintrin.h>
typedef __m512 VF;
typedef __m512d VD;
#define VL 16
#define VDL 8
#define LD(p) _mm512_loadu_ps(p)
#define ST(p, v) _mm512_storeu_ps((p), (v))
#define SET1(x) _mm512_set1_ps(x)
#define ADD(a, b) _mm512_add_ps((a), (b))
#define SUB(a, b) _mm512_sub_ps((a), (b))
#define MUL(a, b) _mm512_mul_ps((a), (b))
#define FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define LDD(p) _mm512_loadu_pd(p)
#define STD(p, v) _mm512_storeu_pd((p), (v))
#define SET1D(x) _mm512_set1_pd(x)
#define ADDD(a, b) _mm512_add_pd((a), (b))
#define SUBD(a, b) _mm512_sub_pd((a), (b))
#define MULD(a, b) _mm512_mul_pd((a), (b))
#define FMAD(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define LDFD(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
#define STFD(p, v) _mm256_storeu_ps((p), _mm512_cvtpd_ps(v))
#elif PN_ISA == 1
#include <immintrin.h>
typedef __m256 VF;
typedef __m256d VD;
#define VL 8
#define VDL 4
#define LD(p) _mm256_loadu_ps(p)
#define ST(p, v) _mm256_storeu_ps((p), (v))
#define SET1(x) _mm256_set1_ps(x)
#define ADD(a, b) _mm256_add_ps((a), (b))
#define SUB(a, b) _mm256_sub_ps((a), (b))
#define MUL(a, b) _mm256_mul_ps((a), (b))
#define FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define LDD(p) _mm256_loadu_pd(p)
#define STD(p, v) _mm256_storeu_pd((p), (v))
#define SET1D(x) _mm256_set1_pd(x)
#define ADDD(a, b) _mm256_add_pd((a), (b))
#define SUBD(a, b) _mm256_sub_pd((a), (b))
#define MULD(a, b) _mm256_mul_pd((a), (b))
#define FMAD(a, b, c) _mm256_fmadd_pd((a), (b), (c))
#define LDFD(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#define STFD(p, v) _mm_storeu_ps((p), _mm256_cvtpd_ps(v))
#else
typedef float VF;
typedef double VD;
#define VL 1
#define VDL 1
#define LD(p) (*(p))
#define ST(p, v) (*(p) = (v))
#define SET1(x) (x)
#define ADD(a, b) ((a) + (b))
#define SUB(a, b) ((a) - (b))
#define MUL(a, b) ((a) * (b))
#define FMA(a, b, c) fmaf((a), (b), (c))
#define LDD(p) (*(p))
#define STD(p, v) (*(p) = (v))
#define SET1D(x) (x)
#define ADDD(a, b) ((a) + (b))
#define SUBD(a, b) ((a) - (b))
#define MULD(a, b) ((a) * (b))
#define FMAD(a, b, c) fma((a), (b), (c))
#define LDFD(p) ((double) *(p))
#define STFD(p, v) (*(p) = (float) (v))
#endif

/* x * w + a: one fused multiply-add, or (ex, PENUMBRA_ROUNDED_PRODUCTS) the product rounded and
 * then added, as scipy's C computes it; ex is a constant wherever it matters. */
#define MADDD(x, w, a, ex) ((ex) ? ADDD(MULD((x), (w)), (a)) : FMAD((x), (w), (a)))
#define MADD1(x, w, a, ex) ((ex) ? (a) + (x) * (w) : fma((x), (w), (a)))

/* Vectors in flight per loop step: each output's sum is a chain of dependent fmas (4 cycles each),
 * so a step keeps several independent outputs going (as many as the registers hold). */
#if PN_ISA == 2
#define XU 4
#elif PN_ISA == 1
#define XU 2
#else
#define XU 1
#endif

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define NAME(f) CAT(f, PN_SUFFIX)

/* ---- float lines ---- */

/* One output of a folded kernel: x[m]*w[c], then fma(x[m-j] +- x[m+j], w[c-j]) for j = 1..c. */
static inline float fold1(const float *s, int64_t m, const float *w, int c, int anti) {
    float acc = s[m] * w[c];
    for (int j = 1; j <= c; j++) {
        float p = anti ? s[m - j] - s[m + j] : s[m - j] + s[m + j];
        acc = fmaf(p, w[c - j], acc);
    }
    return acc;
}

/* One output of a general kernel: x[size-1]*w[size-1], then fma(x[t], w[t]) for t = 0..size-2. */
static inline float general1(const float *s, int64_t i, const float *w, int size) {
    float acc = s[i + size - 1] * w[size - 1];
    for (int t = 0; t < size - 1; t++) {
        acc = fmaf(s[i + t], w[t], acc);
    }
    return acc;
}

/*
 * Columns before the vector loops' start so that their loads from p on are vector-aligned: every row a pass reads lies a multiple of 16 floats from the others (ring slots, slab
 * rows), so one head aligns all of them, and an unaligned 64-byte load splits a cache line.
 * Which outputs the head computes does not change their bits.
 */
static inline int32_t alignHead(const float *p, int32_t width) {
#if PN_ISA == 0
    (void) p;
    (void) width;
    return 0;
#else
    if (width < 4 * VL) {
        return 0;
    }
    /* at most VL - 1: one unaligned vector step covers the head */
    const uintptr_t bytes = VL * sizeof(float);
    return (int32_t) (((bytes - ((uintptr_t) p & (bytes - 1))) & (bytes - 1)) / sizeof(float));
#endif
}

#if PN_ISA == 2
/* Elements t..t+15 of the 32 floats lo:hi (t a constant after inlining: one valignd). */
static inline __attribute__((always_inline)) __m512 shiftv(__m512 lo, __m512 hi, int t) {
    switch (t) {
        case 0: return lo;
        case 1: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 1));
        case 2: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 2));
        case 3: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 3));
        case 4: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 4));
        case 5: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 5));
        case 6: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 6));
        case 7: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 7));
        case 8: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 8));
        case 9: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 9));
        case 10: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 10));
        case 11: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 11));
        case 12: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 12));
        case 13: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 13));
        case 14: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 14));
        case 15: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), 15));
        default: return hi;
    }
}

/*
 * A folded line 64 outputs at a time, most of its shifted inputs built with valignd from 6 loads
 * instead of 25 unaligned loads per vector (most of which split cache lines): about 1.6x the load
 * version on this CPU. c and anti are constants in each instantiation; the values and the
 * operation order are those of the load version, so the bits are too. Returns the outputs done.
 */
static inline __attribute__((always_inline)) int32_t lineShifted(const float *s, float *d, int32_t n,
                                                                 const float *w, const int c, const int anti) {
    enum { NA = 6 }; /* covers t <= 48 + 2c + 15 for c <= 16 */
    int32_t i = 0;
    __m512 wv[17];
    for (int j = 0; j <= c; j++) {
        wv[j] = _mm512_set1_ps(w[j]);
    }
    int need = ((48 + 2 * c) >> 4) + 2; /* vectors read from s + i */
    for (; i + 64 <= n && i + 16 * need <= n + 2 * c; i += 64) {
        const float *p = s + i;
        __m512 A[NA];
        for (int k = 0; k < NA; k++) {
            A[k] = k < need ? _mm512_loadu_ps(p + 16 * k) : A[k - 1];
        }
/* a quarter of the shifts as unaligned loads: load ports and shuffle units share the work */
#define PN_X(t) (((t) & 3) == 1 ? _mm512_loadu_ps(p + (t)) : shiftv(A[(t) >> 4], A[((t) >> 4) + 1], (t) & 15))
        __m512 a[4];
        for (int u = 0; u < 4; u++) {
            a[u] = _mm512_mul_ps(PN_X(16 * u + c), wv[c]);
        }
        _Pragma("GCC unroll 16") for (int j = 1; j <= c; j++) {
            for (int u = 0; u < 4; u++) {
                __m512 l = PN_X(16 * u + c - j), r = PN_X(16 * u + c + j);
                a[u] = _mm512_fmadd_ps(anti ? _mm512_sub_ps(l, r) : _mm512_add_ps(l, r), wv[c - j], a[u]);
            }
        }
#undef PN_X
        for (int u = 0; u < 4; u++) {
            _mm512_storeu_ps(d + i + 16 * u, a[u]);
        }
    }
    return i;
}

#define PN_SHIFTED(C) \
    case C: return anti ? lineShifted(s, d, n, w, C, 1) : lineShifted(s, d, n, w, C, 0);

/* The outputs the shifted version did (0 when the radius has no instantiation). */
static int32_t lineShiftedAny(const float *s, float *d, int32_t n, const float *w, int c, int anti) {
    switch (c) {
        PN_SHIFTED(1) PN_SHIFTED(2) PN_SHIFTED(3) PN_SHIFTED(4) PN_SHIFTED(5) PN_SHIFTED(6) PN_SHIFTED(7)
        PN_SHIFTED(8) PN_SHIFTED(9) PN_SHIFTED(10) PN_SHIFTED(11) PN_SHIFTED(12) PN_SHIFTED(13)
        PN_SHIFTED(14) PN_SHIFTED(15) PN_SHIFTED(16)
        default: return 0;
    }
}
#endif

/* Folded outputs i .. i+VL-1 of a line. */
static inline void lineStep(const float *s, float *d, int32_t i, VF wc, const float *w, int c, int anti) {
    const float *m = s + i + c;
    VF a0 = MUL(LD(m), wc);
    for (int j = 1; j <= c; j++) {
        VF l0 = LD(m - j), r0 = LD(m + j);
        a0 = FMA(anti ? SUB(l0, r0) : ADD(l0, r0), SET1(w[c - j]), a0);
    }
    ST(d + i, a0);
}

void NAME(penumbra_line_f32)(const float *src, int32_t srcPos, float *dst, int32_t dstPos, int32_t n,
                             const float *w, int32_t size, int32_t c, int32_t sym) {
    const float *s = src + srcPos;
    float *d = dst + dstPos;
    int32_t i = 0;
    if (sym == PENUMBRA_SYM_NONE) {
        for (; i + VL <= n; i += VL) {
            VF acc = MUL(LD(s + i + size - 1), SET1(w[size - 1]));
            for (int t = 0; t < size - 1; t++) {
                acc = FMA(LD(s + i + t), SET1(w[t]), acc);
            }
            ST(d + i, acc);
        }
        for (; i < n; i++) {
            d[i] = general1(s, i, w, size);
        }
        return;
    }
    int anti = sym == PENUMBRA_SYM_ANTISYMMETRIC;
    VF wc = SET1(w[c]);
#if PN_ISA == 2
    i = lineShiftedAny(s, d, n, w, c, anti);
#endif
    for (; i + 2 * XU * VL <= n; i += 2 * XU * VL) {
        const float *m = s + i + c;
        VF a[2 * XU];
        for (int u = 0; u < 2 * XU; u++) {
            a[u] = MUL(LD(m + u * VL), wc);
        }
        for (int j = 1; j <= c; j++) {
            VF wj = SET1(w[c - j]);
            for (int u = 0; u < 2 * XU; u++) {
                VF l = LD(m + u * VL - j), r = LD(m + u * VL + j);
                a[u] = FMA(anti ? SUB(l, r) : ADD(l, r), wj, a[u]);
            }
        }
        for (int u = 0; u < 2 * XU; u++) {
            ST(d + i + u * VL, a[u]);
        }
    }
    for (; i + VL <= n; i += VL) {
        lineStep(s, d, i, wc, w, c, anti);
    }
    if (i < n && n >= VL && VL > 1) {
        /* the tail as one vector ending at the line's end, overlapping outputs already done */
        lineStep(s, d, n - VL, wc, w, c, anti);
        i = n;
    }
    for (; i < n; i++) {
        d[i] = fold1(s, (int64_t) i + c, w, c, anti);
    }
}

/* ---- float rows: passes along strided axes, vectorised across the contiguous axis ---- */

static inline float foldRow(const float *src, const int32_t *ro, int o, int32_t x, const float *w, int c,
                            int anti) {
    float acc = src[ro[o + c] + x] * w[c];
    for (int j = 1; j <= c; j++) {
        float l = src[ro[o + c - j] + x];
        float r = src[ro[o + c + j] + x];
        acc = fmaf(anti ? l - r : l + r, w[c - j], acc);
    }
    return acc;
}

/* Output rows o and o+1 at columns x .. x+VL-1. */
static inline void pairStep(const float *src, const int32_t *ro, int o, int32_t x, float *d0, float *d1,
                            const float *w, int c, int anti) {
    VF wc = SET1(w[c]);
    VF c0 = LD(src + ro[o + c] + x);
    VF c1 = LD(src + ro[o + c + 1] + x);
    VF acc0 = MUL(c0, wc);
    VF acc1 = MUL(c1, wc);
    VF prevL = c0, prevR = c1;
    for (int j = 1; j <= c; j++) {
        VF wj = SET1(w[c - j]);
        VF l = LD(src + ro[o + c - j] + x);
        VF r = LD(src + ro[o + c + 1 + j] + x);
        acc0 = FMA(anti ? SUB(l, prevR) : ADD(l, prevR), wj, acc0);
        acc1 = FMA(anti ? SUB(prevL, r) : ADD(prevL, r), wj, acc1);
        prevL = l;
        prevR = r;
    }
    ST(d0 + x, acc0);
    ST(d1 + x, acc1);
}

/* Output row o at columns x .. x+VL-1. */
static inline void singleStep(const float *src, const int32_t *ro, int o, int32_t x, float *d0, const float *w,
                              int c, int anti) {
    VF acc = MUL(LD(src + ro[o + c] + x), SET1(w[c]));
    for (int j = 1; j <= c; j++) {
        VF l = LD(src + ro[o + c - j] + x);
        VF r = LD(src + ro[o + c + j] + x);
        acc = FMA(anti ? SUB(l, r) : ADD(l, r), SET1(w[c - j]), acc);
    }
    ST(d0 + x, acc);
}

/* Output rows o and o+1 together: row o+c-j serves o at step j and o+1 at step j-1; XU vectors
 * across the row at a time. */
static void rowPair(const float *src, const int32_t *ro, int o, int32_t x0, int32_t width, float *d0, float *d1,
                    const float *w, int c, int anti) {
    VF wc = SET1(w[c]);
    int32_t x = 0;
    if (x0 > 0) {
        /* one unaligned step covers the head; the aligned loop redoes some of it, with the same bits */
        pairStep(src, ro, o, 0, d0, d1, w, c, anti);
        x = x0;
    }
    for (; x + XU * VL <= width; x += XU * VL) {
        VF acc0[XU], acc1[XU], prevL[XU], prevR[XU];
        const float *rc0 = src + ro[o + c] + x, *rc1 = src + ro[o + c + 1] + x;
        for (int u = 0; u < XU; u++) {
            prevL[u] = LD(rc0 + u * VL);
            prevR[u] = LD(rc1 + u * VL);
            acc0[u] = MUL(prevL[u], wc);
            acc1[u] = MUL(prevR[u], wc);
        }
        for (int j = 1; j <= c; j++) {
            VF wj = SET1(w[c - j]);
            const float *pl = src + ro[o + c - j] + x, *pr = src + ro[o + c + 1 + j] + x;
            for (int u = 0; u < XU; u++) {
                VF l = LD(pl + u * VL);
                VF r = LD(pr + u * VL);
                acc0[u] = FMA(anti ? SUB(l, prevR[u]) : ADD(l, prevR[u]), wj, acc0[u]);
                acc1[u] = FMA(anti ? SUB(prevL[u], r) : ADD(prevL[u], r), wj, acc1[u]);
                prevL[u] = l;
                prevR[u] = r;
            }
        }
        for (int u = 0; u < XU; u++) {
            ST(d0 + x + u * VL, acc0[u]);
            ST(d1 + x + u * VL, acc1[u]);
        }
    }
    for (; x + VL <= width; x += VL) {
        pairStep(src, ro, o, x, d0, d1, w, c, anti);
    }
    if (x < width && width >= VL && VL > 1) {
        /* the tail as one step ending at the row's end, overlapping outputs already done */
        pairStep(src, ro, o, width - VL, d0, d1, w, c, anti);
        x = width;
    }
    for (; x < width; x++) {
        d0[x] = foldRow(src, ro, o, x, w, c, anti);
        d1[x] = foldRow(src, ro, o + 1, x, w, c, anti);
    }
}

static void rowSingle(const float *src, const int32_t *ro, int o, int32_t x0, int32_t width, float *d0,
                      const float *w, int c, int anti) {
    int32_t x = 0;
    if (x0 > 0) {
        singleStep(src, ro, o, 0, d0, w, c, anti);
        x = x0;
    }
    for (; x + VL <= width; x += VL) {
        singleStep(src, ro, o, x, d0, w, c, anti);
    }
    if (x < width && width >= VL && VL > 1) {
        singleStep(src, ro, o, width - VL, d0, w, c, anti);
        x = width;
    }
    for (; x < width; x++) {
        d0[x] = foldRow(src, ro, o, x, w, c, anti);
    }
}

/*
 * Output rows o .. o+3 at columns x .. x+QU*VL-1. Output k's step j adds row(o+k+c-j) +- row(o+k+c+j):
 * the left rows of step j+1 are those of step j moved one output up, plus one new row, and the
 * right rows one output down plus one new row, so a step loads 2 rows for 4 outputs (a pair
 * loads 2 for 2). Each output's operations and their order are foldRow's.
 */
#if PN_ISA == 2
#define QU 2
#else
#define QU 1
#endif
static inline __attribute__((always_inline)) void quadStep(const float *src, const int32_t *ro, int o, int32_t x,
                                                           float *d, int64_t ds, const float *w, int c, int anti,
                                                           const int qu) {
    VF wc = SET1(w[c]);
    VF acc[4][QU], L[4][QU], R[4][QU];
    for (int u = 0; u < qu; u++) {
        for (int k = 0; k < 4; k++) {
            VF ck = LD(src + ro[o + k + c] + x + u * VL);
            acc[k][u] = MUL(ck, wc);
            L[k][u] = ck; /* row(o+k+c): becomes left row of output k+1 at step 1 */
            R[k][u] = ck; /* and right row of output k-1 */
        }
    }
    for (int j = 1; j <= c; j++) {
        VF wj = SET1(w[c - j]);
        const float *nl = src + ro[o + c - j] + x, *nr = src + ro[o + 3 + c + j] + x;
        for (int u = 0; u < qu; u++) {
            /* left: output k takes the row output k-1 had; right: the row output k+1 had */
            L[3][u] = L[2][u];
            L[2][u] = L[1][u];
            L[1][u] = L[0][u];
            L[0][u] = LD(nl + u * VL);
            R[0][u] = R[1][u];
            R[1][u] = R[2][u];
            R[2][u] = R[3][u];
            R[3][u] = LD(nr + u * VL);
            for (int k = 0; k < 4; k++) {
                acc[k][u] = FMA(anti ? SUB(L[k][u], R[k][u]) : ADD(L[k][u], R[k][u]), wj, acc[k][u]);
            }
        }
    }
    for (int u = 0; u < qu; u++) {
        for (int k = 0; k < 4; k++) {
            ST(d + k * ds + x + u * VL, acc[k][u]);
        }
    }
}

static void rowQuad(const float *src, const int32_t *ro, int o, int32_t x0, int32_t width, float *d, int64_t ds,
                    const float *w, int c, int anti) {
    int32_t x = 0;
    if (x0 > 0) {
        quadStep(src, ro, o, 0, d, ds, w, c, anti, 1);
        x = x0;
    }
    for (; x + QU * VL <= width; x += QU * VL) {
        quadStep(src, ro, o, x, d, ds, w, c, anti, QU);
    }
    for (; x + VL <= width; x += VL) {
        quadStep(src, ro, o, x, d, ds, w, c, anti, 1);
    }
    if (x < width && width >= VL && VL > 1) {
        quadStep(src, ro, o, width - VL, d, ds, w, c, anti, 1);
        x = width;
    }
    for (; x < width; x++) {
        for (int k = 0; k < 4; k++) {
            d[k * ds + x] = foldRow(src, ro, o + k, x, w, c, anti);
        }
    }
}

static void rowGeneral(const float *src, const int32_t *ro, int o, int32_t width, float *d0, const float *w,
                       int size) {
    int32_t x = 0;
    for (; x + VL <= width; x += VL) {
        VF acc = MUL(LD(src + ro[o + size - 1] + x), SET1(w[size - 1]));
        for (int t = 0; t < size - 1; t++) {
            acc = FMA(LD(src + ro[o + t] + x), SET1(w[t]), acc);
        }
        ST(d0 + x, acc);
    }
    for (; x < width; x++) {
        float acc = src[ro[o + size - 1] + x] * w[size - 1];
        for (int t = 0; t < size - 1; t++) {
            acc = fmaf(src[ro[o + t] + x], w[t], acc);
        }
        d0[x] = acc;
    }
}

void NAME(penumbra_rows_f32)(const float *src, const int32_t *rowOffset, int32_t nOut, int32_t width,
                             float *dst, int32_t dstPos, int32_t dstStride, const float *w, int32_t size,
                             int32_t c, int32_t sym) {
    if (sym == PENUMBRA_SYM_NONE) {
        for (int o = 0; o < nOut; o++) {
            rowGeneral(src, rowOffset, o, width, dst + dstPos + (int64_t) o * dstStride, w, size);
        }
        return;
    }
    int anti = sym == PENUMBRA_SYM_ANTISYMMETRIC;
    int32_t head = alignHead(src + rowOffset[0], width);
    int o = 0;
    for (; o + 4 <= nOut; o += 4) {
        rowQuad(src, rowOffset, o, head, width, dst + dstPos + (int64_t) o * dstStride, dstStride, w, c, anti);
    }
    for (; o + 2 <= nOut; o += 2) {
        rowPair(src, rowOffset, o, head, width, dst + dstPos + (int64_t) o * dstStride,
                dst + dstPos + (int64_t) (o + 1) * dstStride, w, c, anti);
    }
    if (o < nOut) {
        rowSingle(src, rowOffset, o, head, width, dst + dstPos + (int64_t) o * dstStride, w, c, anti);
    }
}

/* ---- range ---- */

void NAME(penumbra_range_f32)(const float *a, int32_t from, int32_t n, float *acc) {
    const float *p = a + from;
    float lo = acc[0], hi = acc[1];
    int nan = lo != lo || hi != hi;
    int32_t i = 0;
#if PN_ISA == 2
    __m512 vlo = _mm512_set1_ps(nan ? 0.0f : lo), vhi = _mm512_set1_ps(nan ? 0.0f : hi);
    __mmask16 unord = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_loadu_ps(p + i);
        unord |= _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        vlo = _mm512_min_ps(vlo, x);
        vhi = _mm512_max_ps(vhi, x);
    }
    nan |= unord != 0;
    if (!nan) {
        lo = _mm512_reduce_min_ps(vlo);
        hi = _mm512_reduce_max_ps(vhi);
    }
#elif PN_ISA == 1
    __m256 vlo = _mm256_set1_ps(nan ? 0.0f : lo), vhi = _mm256_set1_ps(nan ? 0.0f : hi);
    __m256 unord = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(p + i);
        unord = _mm256_or_ps(unord, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
        vlo = _mm256_min_ps(vlo, x);
        vhi = _mm256_max_ps(vhi, x);
    }
    nan |= _mm256_movemask_ps(unord) != 0;
    if (!nan) {
        float l[8], h[8];
        _mm256_storeu_ps(l, vlo);
        _mm256_storeu_ps(h, vhi);
        for (int k = 0; k < 8; k++) {
            lo = l[k] < lo ? l[k] : lo;
            hi = h[k] > hi ? h[k] : hi;
        }
    }
#endif
    for (; i < n; i++) {
        float x = p[i];
        nan |= x != x;
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    if (nan) {
        lo = hi = NAN;
    }
    acc[0] = lo;
    acc[1] = hi;
}

/* ---- integer outputs: every pass's values as scipy stores them (DType.castLikeC) ---- */

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

/* cvttsd2si to 32 bits: the truncation when it fits, else the indefinite value INT32_MIN (NaN too) */
static inline int32_t cvt32(double v) {
#if defined(__x86_64__)
    return _mm_cvttsd_si32(_mm_set_sd(v));
#else
    return v < 2147483648.0 && v > -2147483649.0 ? (int32_t) v : INT32_MIN;
#endif
}

/* cvttsd2si to 64 bits */
static inline int64_t cvt64(double v) {
#if defined(__x86_64__)
    return _mm_cvttsd_si64(_mm_set_sd(v));
#else
    return v < 9223372036854775808.0 && v >= -9223372036854775808.0 ? (int64_t) v : INT64_MIN;
#endif
}

void NAME(penumbra_cast_f64)(double *a, int32_t from, int32_t n, int32_t type) {
    double *p = a + from;
    int32_t i = 0;
#if PN_ISA >= 1
    if (type <= PENUMBRA_INT_I32) {
        /* four at a time: cvttpd2dq gives the same indefinite value, shifts keep the low bits */
        int sh = type == PENUMBRA_INT_U8 || type == PENUMBRA_INT_I8 ? 24 : type == PENUMBRA_INT_I32 ? 0 : 16;
        int uns = type == PENUMBRA_INT_U8 || type == PENUMBRA_INT_U16;
        __m128i cnt = _mm_cvtsi32_si128(sh);
        for (; i + 4 <= n; i += 4) {
            __m128i x = _mm256_cvttpd_epi32(_mm256_loadu_pd(p + i));
            x = _mm_sll_epi32(x, cnt);
            x = uns ? _mm_srl_epi32(x, cnt) : _mm_sra_epi32(x, cnt);
            _mm256_storeu_pd(p + i, _mm256_cvtepi32_pd(x)); /* unsigned: below 2^16, exact as int32 */
        }
    }
#endif
    for (; i < n; i++) {
        double v = p[i];
        switch (type) {
            case PENUMBRA_INT_U8: p[i] = (double) (cvt32(v) & 0xff); break;
            case PENUMBRA_INT_I8: p[i] = (double) (int8_t) cvt32(v); break;
            case PENUMBRA_INT_U16: p[i] = (double) (cvt32(v) & 0xffff); break;
            case PENUMBRA_INT_I16: p[i] = (double) (int16_t) cvt32(v); break;
            case PENUMBRA_INT_I32: p[i] = (double) cvt32(v); break;
            case PENUMBRA_INT_U32: p[i] = (double) (uint32_t) cvt64(v); break;
            default: p[i] = (double) cvt64(v); break;
        }
    }
}

/* ---- folds of a compound filter's terms (SlabStore.fold), in the storage type ---- */

#include <string.h>

#define PN_FOLD(NAMEF, T, SQRT)                                                                        \
    void NAME(NAMEF)(const T *b, int32_t s, T *acc, int32_t a, int32_t n, int32_t flags) {              \
        const T *p = b + s;                                                                            \
        T *r = acc + a;                                                                                \
        int first = flags & PENUMBRA_FOLD_FIRST, last = flags & PENUMBRA_FOLD_LAST;                    \
        if (flags & PENUMBRA_FOLD_HYPOT) {                                                             \
            for (int32_t i = 0; i < n; i++) {                                                          \
                T sq = p[i] * p[i];                                                                    \
                T x = first ? sq : r[i] + sq;                                                          \
                r[i] = last ? SQRT(x) : x;                                                             \
            }                                                                                          \
        } else if (first) {                                                                            \
            if (p != r) {                                                                              \
                memmove(r, p, (size_t) n * sizeof(T));                                                 \
            }                                                                                          \
        } else {                                                                                       \
            for (int32_t i = 0; i < n; i++) {                                                          \
                r[i] = r[i] + p[i];                                                                    \
            }                                                                                          \
        }                                                                                              \
    }

PN_FOLD(penumbra_fold_f32, float, sqrtf)
PN_FOLD(penumbra_fold_f64, double, sqrt)

/* ---- reads of integer volumes: 8- and 16-bit rows widened exactly (loops gcc vectorises) ---- */

#define PN_WIDEN(NAMEF, T)                                                                             \
    void NAME(NAMEF)(const void *src, int32_t type, int32_t n, T *dst, int32_t dstPos) {                \
        T *d = dst + dstPos;                                                                           \
        switch (type) {                                                                                \
            case PENUMBRA_INT_U8: { const uint8_t *s = src; for (int32_t i = 0; i < n; i++) d[i] = (T) s[i]; break; } \
            case PENUMBRA_INT_I8: { const int8_t *s = src; for (int32_t i = 0; i < n; i++) d[i] = (T) s[i]; break; }  \
            case PENUMBRA_INT_U16: { const uint16_t *s = src; for (int32_t i = 0; i < n; i++) d[i] = (T) s[i]; break; } \
            default: { const int16_t *s = src; for (int32_t i = 0; i < n; i++) d[i] = (T) s[i]; break; }              \
        }                                                                                              \
    }

PN_WIDEN(penumbra_widen_f32, float)
PN_WIDEN(penumbra_widen_f64, double)

/* ---- double lines (the double path), in the order of the Java simd backend: j = c .. 1 ---- */

/* Vectors of outputs in flight per step of a double line (independent fma chains). */
#if PN_ISA == 0
#define LU 1
#else
#define LU 4
#endif

#if PN_ISA == 2
/* Elements t..t+7 of the 16 doubles lo:hi (t a constant after inlining: one valignq). */
static inline __attribute__((always_inline)) __m512d shiftd(__m512d lo, __m512d hi, int t) {
    switch (t) {
        case 0: return lo;
        case 1: return _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(hi), _mm512_castpd_si512(lo), 1));
        case 2: return _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(hi), _mm512_castpd_si512(lo), 2));
        case 3: return _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(hi), _mm512_castpd_si512(lo), 3));
        case 4: return _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(hi), _mm512_castpd_si512(lo), 4));
        case 5: return _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(hi), _mm512_castpd_si512(lo), 5));
        case 6: return _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(hi), _mm512_castpd_si512(lo), 6));
        case 7: return _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(hi), _mm512_castpd_si512(lo), 7));
        default: return hi;
    }
}

/*
 * A folded double line 32 outputs at a time, its shifted inputs built with valignq from the few
 * vectors that cover them (a quarter still as unaligned loads: load ports and shuffle units share
 * the work), as lineShifted does for floats. c and anti are constants in each instantiation; the
 * values and the operation order are line_f64's (j = c .. 1), so the bits are too. Returns the
 * outputs done.
 */
static inline __attribute__((always_inline)) int32_t lineShiftedD(const double *s, double *d, const float *sf,
                                                                  float *df, int32_t n, const double *w,
                                                                  const int c, const int anti, const int fl) {
    enum { NA = 8 }; /* covers t <= 24 + 2c + 7 for c <= 16 */
    int32_t i = 0;
    __m512d wv[17];
    for (int j = 0; j <= c; j++) {
        wv[j] = _mm512_set1_pd(w[j]);
    }
    int need = ((24 + 2 * c) >> 3) + 2; /* vectors read from s + i */
    for (; i + 32 <= n && i + 8 * need <= n + 2 * c; i += 32) {
        const double *p = fl ? 0 : s + i;
        const float *pf = fl ? sf + i : 0;
        __m512d A[NA];
        for (int k = 0; k < NA; k++) {
            A[k] = k < need ? (fl ? LDFD(pf + 8 * k) : _mm512_loadu_pd(p + 8 * k)) : A[k - 1];
        }
#define PN_X(t) (((t) & 3) == 1 && !fl ? _mm512_loadu_pd(p + (t)) : shiftd(A[(t) >> 3], A[((t) >> 3) + 1], (t) & 7))
        __m512d a[4];
        for (int u = 0; u < 4; u++) {
            a[u] = _mm512_mul_pd(PN_X(8 * u + c), wv[c]);
        }
        _Pragma("GCC unroll 16") for (int j = c; j >= 1; j--) {
            for (int u = 0; u < 4; u++) {
                __m512d l = PN_X(8 * u + c - j), r = PN_X(8 * u + c + j);
                a[u] = _mm512_fmadd_pd(anti ? _mm512_sub_pd(l, r) : _mm512_add_pd(l, r), wv[c - j], a[u]);
            }
        }
#undef PN_X
        for (int u = 0; u < 4; u++) {
            if (fl) {
                STFD(df + i + 8 * u, a[u]);
            } else {
                _mm512_storeu_pd(d + i + 8 * u, a[u]);
            }
        }
    }
    return i;
}

#define PN_SHIFTED_D(C) \
    case C: return anti ? lineShiftedD(s, d, sf, df, n, w, C, 1, fl) : lineShiftedD(s, d, sf, df, n, w, C, 0, fl);

/* The outputs the shifted version did (0 when the radius has no instantiation): doubles from s to d,
 * or (fl) floats from sf to df with double sums, each output rounded to float once. */
static inline __attribute__((always_inline)) int32_t lineShiftedDAny(const double *s, double *d, const float *sf,
                                                                     float *df, int32_t n, const double *w, int c,
                                                                     int anti, const int fl) {
    switch (c) {
        PN_SHIFTED_D(1) PN_SHIFTED_D(2) PN_SHIFTED_D(3) PN_SHIFTED_D(4) PN_SHIFTED_D(5) PN_SHIFTED_D(6)
        PN_SHIFTED_D(7) PN_SHIFTED_D(8) PN_SHIFTED_D(9) PN_SHIFTED_D(10) PN_SHIFTED_D(11) PN_SHIFTED_D(12)
        PN_SHIFTED_D(13) PN_SHIFTED_D(14) PN_SHIFTED_D(15) PN_SHIFTED_D(16)
        default: return 0;
    }
}
#endif

static inline __attribute__((always_inline)) void lineF64(const double *src, int32_t srcPos, double *dst,
                                                          int32_t dstPos, int32_t n, const double *w, int32_t size,
                                                          int32_t c, int32_t sym, const int ex) {
    const double *s = src + srcPos;
    double *d = dst + dstPos;
    int32_t i = 0;
    if (sym == PENUMBRA_SYM_NONE) {
        for (; i + VDL <= n; i += VDL) {
            VD acc = MULD(LDD(s + i + size - 1), SET1D(w[size - 1]));
            for (int k = 0; k < size - 1; k++) {
                acc = MADDD(LDD(s + i + k), SET1D(w[k]), acc, ex);
            }
            STD(d + i, acc);
        }
        for (; i < n; i++) {
            double acc = s[i + size - 1] * w[size - 1];
            for (int k = 0; k < size - 1; k++) {
                acc = MADD1(s[i + k], w[k], acc, ex);
            }
            d[i] = acc;
        }
        return;
    }
    int anti = sym == PENUMBRA_SYM_ANTISYMMETRIC;
    VD wc = SET1D(w[c]);
#if PN_ISA == 2
    if (!ex) {
        i = lineShiftedDAny(s, d, 0, 0, n, w, c, anti, 0);
    }
#endif
    for (; i + LU * VDL <= n; i += LU * VDL) {
        const double *m = s + i + c;
        VD a[LU];
        for (int u = 0; u < LU; u++) {
            a[u] = MULD(LDD(m + u * VDL), wc);
        }
        for (int j = c; j >= 1; j--) {
            VD wj = SET1D(w[c - j]);
            for (int u = 0; u < LU; u++) {
                VD l = LDD(m + u * VDL - j), r = LDD(m + u * VDL + j);
                a[u] = MADDD(anti ? SUBD(l, r) : ADDD(l, r), wj, a[u], ex);
            }
        }
        for (int u = 0; u < LU; u++) {
            STD(d + i + u * VDL, a[u]);
        }
    }
    for (; i + VDL <= n; i += VDL) {
        const double *m = s + i + c;
        VD acc = MULD(LDD(m), wc);
        for (int j = c; j >= 1; j--) {
            VD a = LDD(m - j), b = LDD(m + j);
            acc = MADDD(anti ? SUBD(a, b) : ADDD(a, b), SET1D(w[c - j]), acc, ex);
        }
        STD(d + i, acc);
    }
    for (; i < n; i++) {
        const double *m = s + i + c;
        double acc = m[0] * w[c];
        for (int j = c; j >= 1; j--) {
            double p = anti ? m[-j] - m[j] : m[-j] + m[j];
            acc = MADD1(p, w[c - j], acc, ex);
        }
        d[i] = acc;
    }
}

void NAME(penumbra_line_f64)(const double *src, int32_t srcPos, double *dst, int32_t dstPos, int32_t n,
                             const double *w, int32_t size, int32_t c, int32_t sym) {
    if (sym & PENUMBRA_ROUNDED_PRODUCTS) {
        lineF64(src, srcPos, dst, dstPos, n, w, size, c, sym & ~PENUMBRA_ROUNDED_PRODUCTS, 1);
    } else {
        lineF64(src, srcPos, dst, dstPos, n, w, size, c, sym, 0);
    }
}

/* ---- float storage, double sums: the double path for float32 outputs ----
 * scipy rounds every pass to the output dtype, so float32 intermediates lose nothing in float
 * storage; the sums are line_f64's, value for value and in its order (j = c .. 1), each output
 * rounded to float once: the bits of line_f64 followed by a cast, with half the memory traffic. */

/* Vectors of outputs in flight per step: independent fma chains hide the fma latency. */
#if PN_ISA == 0
#define DU 1
#else
#define DU 4
#endif
/* Vectors across a row in the folded four-row step of rows_d.inc (4 * RQD fma chains). */
#if PN_ISA == 2
#define RQD 2
#else
#define RQD 1
#endif

static inline float fold1d(const float *m, const double *w, int c, int anti) {
    double acc = (double) m[0] * w[c];
    for (int j = c; j >= 1; j--) {
        double p = anti ? (double) m[-j] - (double) m[j] : (double) m[-j] + (double) m[j];
        acc = fma(p, w[c - j], acc);
    }
    return (float) acc;
}

static inline float general1d(const float *s, const double *w, int size) {
    double acc = (double) s[size - 1] * w[size - 1];
    for (int k = 0; k < size - 1; k++) {
        acc = fma((double) s[k], w[k], acc);
    }
    return (float) acc;
}

void NAME(penumbra_line_f32d)(const float *src, int32_t srcPos, float *dst, int32_t dstPos, int32_t n,
                              const double *w, int32_t size, int32_t c, int32_t sym) {
    const float *s = src + srcPos;
    float *d = dst + dstPos;
    int32_t i = 0;
    if (sym == PENUMBRA_SYM_NONE) {
        VD wl = SET1D(w[size - 1]);
        for (; i + DU * VDL <= n; i += DU * VDL) {
            VD a[DU];
            for (int u = 0; u < DU; u++) {
                a[u] = MULD(LDFD(s + i + u * VDL + size - 1), wl);
            }
            for (int k = 0; k < size - 1; k++) {
                VD wk = SET1D(w[k]);
                for (int u = 0; u < DU; u++) {
                    a[u] = FMAD(LDFD(s + i + u * VDL + k), wk, a[u]);
                }
            }
            for (int u = 0; u < DU; u++) {
                STFD(d + i + u * VDL, a[u]);
            }
        }
        for (; i < n; i++) {
            d[i] = general1d(s + i, w, size);
        }
        return;
    }
    int anti = sym == PENUMBRA_SYM_ANTISYMMETRIC;
    VD wc = SET1D(w[c]);
#if PN_ISA == 2
    i = lineShiftedDAny(0, 0, s, d, n, w, c, anti, 1);
#endif
    for (; i + DU * VDL <= n; i += DU * VDL) {
        const float *m = s + i + c;
        VD a[DU];
        for (int u = 0; u < DU; u++) {
            a[u] = MULD(LDFD(m + u * VDL), wc);
        }
        for (int j = c; j >= 1; j--) {
            VD wj = SET1D(w[c - j]);
            for (int u = 0; u < DU; u++) {
                VD l = LDFD(m + u * VDL - j), r = LDFD(m + u * VDL + j);
                a[u] = FMAD(anti ? SUBD(l, r) : ADDD(l, r), wj, a[u]);
            }
        }
        for (int u = 0; u < DU; u++) {
            STFD(d + i + u * VDL, a[u]);
        }
    }
    for (; i < n; i++) {
        d[i] = fold1d(s + i + c, w, c, anti);
    }
}

/* float storage (float32 outputs) */
#define RT float
#define RLD LDFD
#define RST STFD
#define RNAME penumbra_rows_f32d
#define RQUAD quad32d
#define RQUADG quad32dGeneral
#define RTAIL tail32d
#define RIMPL rows32d
#include "rows_d.inc"
#undef RT
#undef RLD
#undef RST
#undef RNAME
#undef RQUAD
#undef RQUADG
#undef RTAIL
#undef RIMPL

/* double storage (float64 outputs) */
#define RT double
#define RLD LDD
#define RST STD
#define RNAME penumbra_rows_f64
#define RQUAD quad64
#define RQUADG quad64General
#define RTAIL tail64
#define RIMPL rows64
#include "rows_d.inc"
