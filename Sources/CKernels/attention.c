// Flash-style attention: positions are visited in chunks of CHUNK; per query head a running max m,
// running denominator l and unnormalised output acc are rescaled when the max grows, so scores
// are never materialised for the whole context. Each K and V row is converted from f16 once per
// chunk and shared by the group of query heads that read its kv head.
#include "ck_attention.h"
#include "ck_matmul.h"
#include "ck_quants.h"
#include "simd_math.h"
#include <math.h>
#include <stdatomic.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define SWIFTLET_X86 1
#endif

#define CHUNK 32
#define MAX_GROUP 64
#define MAX_HEAD_DIM 512

typedef struct {
    const swiftlet_attention_args *a;
    int64_t items;
    _Atomic int64_t next;
    int isa;
} att_ctx;

// Row helpers: f16 → f32 conversion, dot product, y += a·x. The portable ones are plain loops.
static void cvt_row(const uint16_t *src, float *dst, int d) {
    for (int i = 0; i < d; i++) dst[i] = swiftlet_f16_to_f32(src[i]);
}
static float dot_row(const float *a, const float *b, int d) {
    float s = 0;
    for (int i = 0; i < d; i++) s += a[i] * b[i];
    return s;
}
static void axpy_row(float a, const float *x, float *y, int d) {
    for (int i = 0; i < d; i++) y[i] += a * x[i];
}
static void scale_row(float a, float *y, int d) {
    for (int i = 0; i < d; i++) y[i] *= a;
}

#if SWIFTLET_X86
// Not always_inline: `attend` (generic) calls them; they inline once `attend` is inlined into the
// AVX-512 wrapper.
#define AVX512_INLINE static inline __attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))
AVX512_INLINE __mmask16 tail_mask(int d, int i) { return d - i >= 16 ? 0xffff : (__mmask16)((1u << (d - i)) - 1); }
AVX512_INLINE void cvt_row512(const uint16_t *src, float *dst, int d) {
    for (int i = 0; i < d; i += 16) {
        const __mmask16 m = tail_mask(d, i);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, src + i)));
    }
}
AVX512_INLINE float dot_row512(const float *a, const float *b, int d) {
    // Two accumulators halve the FMA latency chain for long heads (256).
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= d; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    for (; i < d; i += 16) {
        const __mmask16 m = tail_mask(d, i);
        acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}
/// s[j] = exp(s[j] - mx) for j < cnt (≤ 32); returns the sum. Same ops for every j.
AVX512_INLINE float exp_chunk512(float *s, int cnt, float mx) {
    __m512 sum = _mm512_setzero_ps();
    for (int j = 0; j < cnt; j += 16) {
        const __mmask16 m = tail_mask(cnt, j);
        const __m512 e = swiftlet_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + j), _mm512_set1_ps(mx)));
        _mm512_mask_storeu_ps(s + j, m, e);
        sum = _mm512_mask_add_ps(sum, m, sum, e);
    }
    return _mm512_reduce_add_ps(sum);
}
AVX512_INLINE void axpy_row512(float a, const float *x, float *y, int d) {
    const __m512 va = _mm512_set1_ps(a);
    for (int i = 0; i < d; i += 16) {
        const __mmask16 m = tail_mask(d, i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
    }
}
AVX512_INLINE void scale_row512(float a, float *y, int d) {
    const __m512 va = _mm512_set1_ps(a);
    for (int i = 0; i < d; i += 16) {
        const __mmask16 m = tail_mask(d, i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(va, _mm512_maskz_loadu_ps(m, y + i)));
    }
}
#endif

/// One (token, kv head) item. `wide` selects the AVX-512 helpers (a constant after inlining).
static inline __attribute__((always_inline)) void attend(const swiftlet_attention_args *a, int64_t t, int kvh, const int wide) {
    const int d = a->headDim, g = a->heads / a->kvHeads;
    const int64_t row = (int64_t)a->kvHeads * d;
    const int32_t *table = a->tables + a->tableStart[t];
    const int first = a->first[t], last = a->last[t];
    float out[g][d], kv[CHUNK][d], s[g][CHUNK], m[g], l[g];
    const float *qh[g];
    for (int h = 0; h < g; h++) {
        qh[h] = a->q + t * a->ldq + (int64_t)(kvh * g + h) * d;
        m[h] = -INFINITY;
        l[h] = 0;
        for (int i = 0; i < d; i++) out[h][i] = 0;
    }
    for (int j0 = first; j0 <= last; j0 += CHUNK) {
        const int cnt = last - j0 + 1 < CHUNK ? last - j0 + 1 : CHUNK;
        for (int j = 0; j < cnt; j++) {
            const int p = j0 + j;
            const uint16_t *k = a->keys + ((int64_t)table[p / a->blockSize] * a->blockSize + p % a->blockSize) * row + (int64_t)kvh * d;
#if SWIFTLET_X86
            if (wide) cvt_row512(k, kv[j], d); else
#endif
            cvt_row(k, kv[j], d);
            for (int h = 0; h < g; h++) {
#if SWIFTLET_X86
                if (wide) s[h][j] = dot_row512(qh[h], kv[j], d) * a->scale; else
#endif
                s[h][j] = dot_row(qh[h], kv[j], d) * a->scale;
            }
        }
        for (int h = 0; h < g; h++) {
            float mx = m[h];
            for (int j = 0; j < cnt; j++) mx = s[h][j] > mx ? s[h][j] : mx;
            const float corr = expf(m[h] - mx);   // 0 on the first chunk (m = -inf)
            float sum = 0;
#if SWIFTLET_X86
            if (wide) sum = exp_chunk512(s[h], cnt, mx); else
#endif
            for (int j = 0; j < cnt; j++) { s[h][j] = expf(s[h][j] - mx); sum += s[h][j]; }
            l[h] = l[h] * corr + sum;
            m[h] = mx;
#if SWIFTLET_X86
            if (wide) scale_row512(corr, out[h], d); else
#endif
            scale_row(corr, out[h], d);
        }
        for (int j = 0; j < cnt; j++) {
            const int p = j0 + j;
            const uint16_t *v = a->values + ((int64_t)table[p / a->blockSize] * a->blockSize + p % a->blockSize) * row + (int64_t)kvh * d;
#if SWIFTLET_X86
            if (wide) cvt_row512(v, kv[j], d); else
#endif
            cvt_row(v, kv[j], d);
            for (int h = 0; h < g; h++) {
#if SWIFTLET_X86
                if (wide) axpy_row512(s[h][j], kv[j], out[h], d); else
#endif
                axpy_row(s[h][j], kv[j], out[h], d);
            }
        }
    }
    for (int h = 0; h < g; h++) {
        float *o = a->out + t * a->ldo + (int64_t)(kvh * g + h) * d;
        const float inv = 1.0f / l[h];
        for (int i = 0; i < d; i++) o[i] = out[h][i] * inv;
    }
}

static void attend_portable(const swiftlet_attention_args *a, int64_t t, int kvh) { attend(a, t, kvh, 0); }
#if SWIFTLET_X86
__attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))
static void attend_avx512(const swiftlet_attention_args *a, int64_t t, int kvh) { attend(a, t, kvh, 1); }
#endif

static void attention_job(void *p, int tid, int nth) {
    (void)tid; (void)nth;
    att_ctx *c = p;
    for (;;) {
        const int64_t item = atomic_fetch_add_explicit(&c->next, 1, memory_order_relaxed);
        if (item >= c->items) return;
        const int64_t t = item / c->a->kvHeads;
        const int kvh = (int)(item % c->a->kvHeads);
#if SWIFTLET_X86
        if (c->isa == SWIFTLET_ISA_AVX512) { attend_avx512(c->a, t, kvh); continue; }
#endif
        attend_portable(c->a, t, kvh);
    }
}

void swiftlet_attention(swiftlet_pool *pool, int isa, const swiftlet_attention_args *args) {
    att_ctx c = { .a = args, .items = args->n * args->kvHeads, .isa = isa };
    atomic_store_explicit(&c.next, 0, memory_order_relaxed);
    if (pool && swiftlet_pool_threads(pool) > 1 && c.items > 1) swiftlet_pool_run(pool, attention_job, &c);
    else attention_job(&c, 0, 1);
}
