#include "ck_activations.h"
#include "ck_matmul.h"
#include "simd_math.h"
#include "ck_quants.h"
#include <math.h>

#define GELU_C 0.7978845608028654f   // sqrt(2/pi)

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma,f16c")))
#define AVX512_INLINE static inline __attribute__((target("avx512f,avx512bw,avx512vl,fma,f16c")))
static AVX512 void swiglu512(float *gate, const float *up, int64_t n) {
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
        const __m512 e = swiftlet_exp512(_mm512_sub_ps(_mm512_setzero_ps(), g));
        const __m512 s = _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1), e));
        _mm512_mask_storeu_ps(gate + i, m, _mm512_mul_ps(s, _mm512_maskz_loadu_ps(m, up + i)));
    }
}
AVX512_INLINE __m512 round_f16_512(__m512 x) {
    return _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
/// GELU at half precision as ggml's table: h = f16(x), f16(gelu(h)); x for x ≥ 10, 0 for x ≤ -10.
/// tanh(u) = 1 - 2 / (e^{2u} + 1).
static AVX512 void geglu512(float *gate, const float *up, int64_t n) {
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        const __m512 x = _mm512_maskz_loadu_ps(m, gate + i);
        const __m512 h = round_f16_512(x);
        const __m512 h2 = _mm512_mul_ps(h, h);
        const __m512 u = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(GELU_C), h),
                                       _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), h2, _mm512_set1_ps(1)));
        const __m512 e = swiftlet_exp512(_mm512_add_ps(u, u));
        const __m512 t = _mm512_sub_ps(_mm512_set1_ps(1), _mm512_div_ps(_mm512_set1_ps(2), _mm512_add_ps(e, _mm512_set1_ps(1))));
        __m512 g = round_f16_512(_mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), h), _mm512_add_ps(_mm512_set1_ps(1), t)));
        g = _mm512_mask_mov_ps(g, _mm512_cmp_ps_mask(x, _mm512_set1_ps(10), _CMP_GE_OQ), x);
        g = _mm512_mask_mov_ps(g, _mm512_cmp_ps_mask(x, _mm512_set1_ps(-10), _CMP_LE_OQ), _mm512_setzero_ps());
        _mm512_mask_storeu_ps(gate + i, m, _mm512_mul_ps(g, _mm512_maskz_loadu_ps(m, up + i)));
    }
}
#endif

void swiftlet_swiglu(int isa, float *gate, const float *up, int64_t n) {
#if defined(__x86_64__)
    if (isa == SWIFTLET_ISA_AVX512) { swiglu512(gate, up, n); return; }
#endif
    (void)isa;
    for (int64_t i = 0; i < n; i++) gate[i] = gate[i] / (1 + expf(-gate[i])) * up[i];
}

void swiftlet_geglu(int isa, float *gate, const float *up, int64_t n) {
#if defined(__x86_64__)
    if (isa == SWIFTLET_ISA_AVX512) { geglu512(gate, up, n); return; }
#endif
    (void)isa;
    for (int64_t i = 0; i < n; i++) {
        const float x = gate[i];
        float g;
        if (x <= -10) g = 0;
        else if (x >= 10) g = x;
        else {
            const float h = swiftlet_f16_to_f32(swiftlet_f32_to_f16(x));
            g = swiftlet_f16_to_f32(swiftlet_f32_to_f16(0.5f * h * (1 + tanhf(GELU_C * h * (1 + 0.044715f * h * h)))));
        }
        gate[i] = g * up[i];
    }
}
