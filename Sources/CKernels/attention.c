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
#define QUERY_TILE 8

typedef struct {
    const swiftlet_attention_args *a;
    const int64_t *tileStart;   // [tiles + 1]: query tiles (runs of one sequence's tokens)
    int64_t tiles;
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
/// Σ exp(s[j] - mx) for j < cnt (≤ 32), overwriting s[j] with the terms. Same ops for every j.
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
/// p[j] = f16(exp(s[j] - mx) · inv) for j < cnt (≤ 32), rounded to nearest even.
AVX512_INLINE void probabilities512(const float *s, int cnt, float mx, float inv, float *p) {
    for (int j = 0; j < cnt; j += 16) {
        const __mmask16 m = tail_mask(cnt, j);
        const __m512 e = swiftlet_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + j), _mm512_set1_ps(mx)));
        const __m512 r = _mm512_cvtph_ps(_mm512_cvtps_ph(_mm512_mul_ps(e, _mm512_set1_ps(inv)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm512_mask_storeu_ps(p + j, m, r);
    }
}
#endif

/// One item: the tokens t0..<t1 of one sequence (a query tile) and one kv head.
///
/// Numerics follow llama.cpp's default (non-flash) attention, which the parity tests compare
/// against: queries are scaled and rounded to f16, scores are q·k in f32 over the f16 keys, and the
/// normalised probabilities are rounded to f16 before they weight the f16 values. Rounding the
/// normalised probabilities needs the final max and sum first, so the kernel streams the keys
/// twice: pass 1 keeps a running max and sum (online softmax), pass 2 recomputes each score, forms
/// its rounded probability and accumulates the values. Nothing is stored per position beyond one
/// chunk, whatever the context length.
///
/// Positions are visited in chunks on a grid of absolute multiples of CHUNK; each chunk's K and V
/// rows are converted once for the whole tile, and each token handles only the positions of its
/// own range. A token's arithmetic is therefore the same in any tile (alone included).
/// `wide` selects the AVX-512 helpers (a constant after inlining).
static inline __attribute__((always_inline)) void attend(const swiftlet_attention_args *a, int64_t t0, int64_t t1, int kvh, const int wide) {
    const int d = a->headDim, g = a->heads / a->kvHeads, nt = (int)(t1 - t0);
    const int64_t row = (int64_t)a->kvHeads * d;
    const int32_t *table = a->tables + a->tableStart[t0];
    float out[nt][g][d], q16[nt][g][d], kv[CHUNK][d], s[CHUNK], m[nt][g], l[nt][g];
    int lo = a->first[t0], hi = a->last[t0];
    for (int u = 0; u < nt; u++) {
        lo = a->first[t0 + u] < lo ? a->first[t0 + u] : lo;
        hi = a->last[t0 + u] > hi ? a->last[t0 + u] : hi;
        for (int h = 0; h < g; h++) {
            const float *q = a->q + (t0 + u) * a->ldq + (int64_t)(kvh * g + h) * d;
            for (int i = 0; i < d; i++) {
                q16[u][h][i] = swiftlet_f16_to_f32(swiftlet_f32_to_f16(q[i] * a->scale));
                out[u][h][i] = 0;
            }
            m[u][h] = -INFINITY;
            l[u][h] = 0;
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        for (int c0 = lo / CHUNK * CHUNK; c0 <= hi; c0 += CHUNK) {
            const int ca = c0 > lo ? c0 : lo, cb = c0 + CHUNK - 1 < hi ? c0 + CHUNK - 1 : hi;
            for (int p = ca; p <= cb; p++) {
                const uint16_t *k = a->keys + ((int64_t)table[p / a->blockSize] * a->blockSize + p % a->blockSize) * row + (int64_t)kvh * d;
#if SWIFTLET_X86
                if (wide) cvt_row512(k, kv[p - c0], d); else
#endif
                cvt_row(k, kv[p - c0], d);
            }
            // Scores of every (token, head) for its positions in this chunk: sc[u][h][j].
            float sc[nt][g][CHUNK];
            int ja[nt], jb[nt];
            for (int u = 0; u < nt; u++) {
                ja[u] = a->first[t0 + u] > c0 ? a->first[t0 + u] : c0;
                jb[u] = a->last[t0 + u] < c0 + CHUNK - 1 ? a->last[t0 + u] : c0 + CHUNK - 1;
                const int cnt = jb[u] - ja[u] + 1;
                for (int h = 0; h < g; h++) {
                    for (int j = 0; j < cnt; j++) {
#if SWIFTLET_X86
                        if (wide) s[j] = dot_row512(q16[u][h], kv[ja[u] - c0 + j], d); else
#endif
                        s[j] = dot_row(q16[u][h], kv[ja[u] - c0 + j], d);
                    }
                    if (cnt <= 0) continue;
                    if (pass == 0) {
                        float mx = m[u][h];
                        for (int j = 0; j < cnt; j++) mx = s[j] > mx ? s[j] : mx;
                        float sum = 0;
#if SWIFTLET_X86
                        if (wide) sum = exp_chunk512(s, cnt, mx); else
#endif
                        for (int j = 0; j < cnt; j++) sum += expf(s[j] - mx);
                        l[u][h] = l[u][h] * expf(m[u][h] - mx) + sum;   // expf(-inf) = 0 on the first chunk
                        m[u][h] = mx;
                    } else {
#if SWIFTLET_X86
                        if (wide) { probabilities512(s, cnt, m[u][h], 1.0f / l[u][h], sc[u][h]); continue; }
#endif
                        const float inv = 1.0f / l[u][h];
                        for (int j = 0; j < cnt; j++)
                            sc[u][h][j] = swiftlet_f16_to_f32(swiftlet_f32_to_f16(expf(s[j] - m[u][h]) * inv));
                    }
                }
            }
            if (pass == 0) continue;
            for (int p = ca; p <= cb; p++) {
                const uint16_t *v = a->values + ((int64_t)table[p / a->blockSize] * a->blockSize + p % a->blockSize) * row + (int64_t)kvh * d;
#if SWIFTLET_X86
                if (wide) cvt_row512(v, kv[p - c0], d); else
#endif
                cvt_row(v, kv[p - c0], d);
            }
            for (int u = 0; u < nt; u++) {
                for (int h = 0; h < g; h++) {
                    for (int p = ja[u]; p <= jb[u]; p++) {
#if SWIFTLET_X86
                        if (wide) axpy_row512(sc[u][h][p - ja[u]], kv[p - c0], out[u][h], d); else
#endif
                        axpy_row(sc[u][h][p - ja[u]], kv[p - c0], out[u][h], d);
                    }
                }
            }
        }
    }
    for (int u = 0; u < nt; u++) {
        for (int h = 0; h < g; h++) {
            float *o = a->out + (t0 + u) * a->ldo + (int64_t)(kvh * g + h) * d;
            for (int i = 0; i < d; i++) o[i] = out[u][h][i];
        }
    }
}

static void attend_portable(const swiftlet_attention_args *a, int64_t t0, int64_t t1, int kvh) { attend(a, t0, t1, kvh, 0); }
#if SWIFTLET_X86
__attribute__((target("avx512f,avx512bw,avx512vl,f16c,fma")))
static void attend_avx512(const swiftlet_attention_args *a, int64_t t0, int64_t t1, int kvh) { attend(a, t0, t1, kvh, 1); }
#endif

static void attention_job(void *p, int tid, int nth) {
    (void)tid; (void)nth;
    att_ctx *c = p;
    for (;;) {
        const int64_t item = atomic_fetch_add_explicit(&c->next, 1, memory_order_relaxed);
        if (item >= c->items) return;
        // Items in reverse tile order: later tiles of a prompt attend to more positions, so they
        // start first and the short ones fill in at the end.
        const int64_t tile = c->tiles - 1 - item / c->a->kvHeads;
        const int kvh = (int)(item % c->a->kvHeads);
        const int64_t t0 = c->tileStart[tile], t1 = c->tileStart[tile + 1];
#if SWIFTLET_X86
        if (c->isa == SWIFTLET_ISA_AVX512) { attend_avx512(c->a, t0, t1, kvh); continue; }
#endif
        attend_portable(c->a, t0, t1, kvh);
    }
}

void swiftlet_attention(swiftlet_pool *pool, int isa, const swiftlet_attention_args *args) {
    // Query tiles: up to QUERY_TILE consecutive batch tokens of the same sequence.
    int64_t tileStart[args->n + 1], tiles = 0;
    for (int64_t t = 0; t < args->n; t++) {
        if (t == 0 || args->tableStart[t] != args->tableStart[t - 1] || t - tileStart[tiles - 1] == QUERY_TILE)
            tileStart[tiles++] = t;
    }
    tileStart[tiles] = args->n;
    att_ctx c = { .a = args, .tileStart = tileStart, .tiles = tiles, .items = tiles * args->kvHeads, .isa = isa };
    atomic_store_explicit(&c.next, 0, memory_order_relaxed);
    if (pool && swiftlet_pool_threads(pool) > 1 && c.items > 1) swiftlet_pool_run(pool, attention_job, &c);
    else attention_job(&c, 0, 1);
}
