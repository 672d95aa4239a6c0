// AVX2 and AVX-VNNI row kernels (included by matmul.c; private): matmul_avx2_kernels.h compiled
// twice with a different u8·s8 dot product. F16/F32 rows use the same 8-wide FMA kernel for both.
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

static inline __attribute__((always_inline, target("avx2,fma"))) float hsum256(__m256 v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

#define TGT "avx2,fma,f16c"
#define NAME(x) CAT(x, avx2)
#define DOT_U8S8(acc, u, a) _mm256_add_epi32((acc), _mm256_madd_epi16(_mm256_maddubs_epi16((u), (a)), _mm256_set1_epi16(1)))
#include "matmul_avx2_kernels.h"
#undef TGT
#undef NAME
#undef DOT_U8S8

#define TGT "avx2,fma,f16c,avxvnni"
#define NAME(x) CAT(x, vnni)
#define DOT_U8S8(acc, u, a) _mm256_dpbusd_avx_epi32((acc), (u), (a))
#include "matmul_avx2_kernels.h"
#undef TGT
#undef NAME
#undef DOT_U8S8

/// F16 / F32 rows × f32 activations, 8 products per FMA; the tail (K % 8) in scalar FMAs.
static inline __attribute__((always_inline, target("avx2,fma,f16c")))
void float_256(const mm_ctx *c, int64_t r, int64_t t0, const int nt, const int half) {
    const uint8_t *row = c->w + r * c->rowBytes;
    const float *xs[TILE];
    __m256 acc[TILE];
    for (int t = 0; t < nt; t++) { xs[t] = c->x + (t0 + t) * c->ldx; acc[t] = _mm256_setzero_ps(); }
    int64_t k = 0;
    for (; k + 8 <= c->K; k += 8) {
        const __m256 w = half ? _mm256_cvtph_ps(_mm_loadu_si128((const void *)((const uint16_t *)row + k)))
                              : _mm256_loadu_ps((const float *)row + k);
        for (int t = 0; t < nt; t++) acc[t] = _mm256_fmadd_ps(w, _mm256_loadu_ps(xs[t] + k), acc[t]);
    }
    for (int t = 0; t < nt; t++) {
        float s = hsum256(acc[t]);
        for (int64_t j = k; j < c->K; j++) {
            const float w = half ? _cvtsh_ss(((const uint16_t *)row)[j]) : ((const float *)row)[j];
            s = fmaf(w, xs[t][j], s);
        }
        c->y[(t0 + t) * c->ldy + r] = s;
    }
}
static inline __attribute__((always_inline, target("avx2,fma,f16c")))
void f16_256(const mm_ctx *c, int64_t r, int64_t t0, const int nt) { float_256(c, r, t0, nt, 1); }
static inline __attribute__((always_inline, target("avx2,fma,f16c")))
void f32_256(const mm_ctx *c, int64_t r, int64_t t0, const int nt) { float_256(c, r, t0, nt, 0); }
DEFINE_TILED(__attribute__((target("avx2,fma,f16c"))), row256_f16, f16_256)
DEFINE_TILED(__attribute__((target("avx2,fma,f16c"))), row256_f32, f32_256)

/// `vnni`: use the AVX-VNNI variants (SWIFTLET_ISA_AVXVNNI). Q8_0 takes the sign trick (offset 0),
/// the 4/5-bit types the unsigned offset cancelled by the activation record's init values.
static int avx2_plan(mm_ctx *c, int type, int vnni) {
    switch (type) {
    case T_F32: c->kind = ACT_F32; c->fn = row256_f32; return 0;
    case T_F16: c->kind = ACT_F32; c->fn = row256_f16; return 0;
    case T_Q4_0: c->kind = ACT_PAIR; c->offset = 8; c->fn = vnni ? row_q4_0_vnni : row_q4_0_avx2; return 0;
    case T_Q5_0: c->kind = ACT_PAIR; c->offset = 16; c->fn = vnni ? row_q5_0_vnni : row_q5_0_avx2; return 0;
    case T_Q8_0: c->kind = ACT_PAIR; c->offset = 0; c->fn = vnni ? row_q8_0_vnni : row_q8_0_avx2; return 0;
    case T_Q4_K: c->kind = ACT_Q8_K; c->fn = vnni ? row_q4_K_vnni : row_q4_K_avx2; return 0;
    case T_Q6_K: c->kind = ACT_Q8_K; c->fn = vnni ? row_q6_K_vnni : row_q6_K_avx2; return 0;
    default: return -1;
    }
}
