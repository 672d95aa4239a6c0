// Quantized matrix products: activation quantization, per-ISA row kernels, threaded driver.
//
// Layout of the work: the weight rows are cut into blocks of `rowBlock` rows, handed out through an
// atomic counter (threads that finish early take more). Inside a block, tokens go in tiles of up to
// eight: each weight block (32 or 256 elements) is unpacked once into registers and multiplied with
// the tile's tokens, so the weights are streamed from memory once per product and from cache once
// per tile. Each (row, token) pair keeps its own accumulator and the operations applied to it do not
// depend on the tile size, which keeps results independent of the batch (see ck_matmul.h).
#include "ck_matmul.h"
#include "CKernels.h"
#include "quants_common.h"
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define SWIFTLET_X86 1
#endif

enum {
    T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q4_1 = 3, T_Q5_0 = 6, T_Q5_1 = 7, T_Q8_0 = 8,
    T_Q2_K = 10, T_Q3_K = 11, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14,
};

#define TILE 8   // tokens per weight pass

// Activations of the SIMD kernels for 32-element weight blocks, two blocks per record so one
// 512-bit register covers them. `init` is the dpbusd start value that removes the unsigned offset
// the kernels add to the weights (w + offset) ≥ 0: -offset · (sum of 4 consecutive quants) per lane;
// `dl` is the block's activation scale in the lanes of that block.
typedef struct {
    int8_t qs[64];
    int32_t init[16];
    float dl[16];
} act_pair;   // 192 B, keeps 64-byte alignment

typedef enum { ACT_F32, ACT_PAIR, ACT_Q8_0, ACT_Q8_1, ACT_Q8_K } act_kind;

typedef struct mm_ctx mm_ctx;
typedef void (*row_fn)(const mm_ctx *c, int64_t r, int64_t t0, int nt);

struct mm_ctx {
    const uint8_t *w;
    size_t rowBytes;
    int64_t rows, K;
    const float *x;          // [n, ldx]
    int64_t ldx;
    uint8_t *act;            // [n, actStride] quantized activations
    size_t actStride;
    int64_t n;
    float *y;                // [n, ldy]
    int64_t ldy;
    act_kind kind;
    int isa;
    int offset;              // ACT_PAIR: weight offset to cancel
    swiftlet_vec_dot_fn dot; // portable kernels
    row_fn fn;
    int64_t rowBlock, items;
    _Atomic int64_t next;        // next row block
    _Atomic int64_t nextToken;   // next token to quantize
};

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// MARK: ISA selection

/// swiftlet_cpu_features() once: cpuid traps to the hypervisor in VMs and costs microseconds, too
/// much per matrix product. The cached value never changes once set (bit 31 marks it valid).
static uint32_t cpu_features_cached(void) {
    static _Atomic uint32_t cache = 0;
    uint32_t f = atomic_load_explicit(&cache, memory_order_relaxed);
    if (!(f & 0x80000000u)) {
        f = swiftlet_cpu_features() | 0x80000000u;
        atomic_store_explicit(&cache, f, memory_order_relaxed);
    }
    return f;
}

int swiftlet_isa_available(int isa) {
    const uint32_t f = cpu_features_cached();
    switch (isa) {
    case SWIFTLET_ISA_PORTABLE: return 1;
    case SWIFTLET_ISA_AVX2:
        return (f & CKernelsFeatureAVX2) && (f & CKernelsFeatureFMA) && (f & CKernelsFeatureF16C);
    case SWIFTLET_ISA_AVXVNNI:
        return (f & CKernelsFeatureAVX2) && (f & CKernelsFeatureFMA) && (f & CKernelsFeatureF16C) &&
               (f & CKernelsFeatureAVXVNNI);
    case SWIFTLET_ISA_AVX512:
        return (f & CKernelsFeatureAVX512VNNI) && (f & CKernelsFeatureFMA) && (f & CKernelsFeatureF16C);
    default: return 0;
    }
}

int swiftlet_isa_best(void) {
    if (swiftlet_isa_available(SWIFTLET_ISA_AVX512)) return SWIFTLET_ISA_AVX512;
    if (swiftlet_isa_available(SWIFTLET_ISA_AVXVNNI)) return SWIFTLET_ISA_AVXVNNI;
    if (swiftlet_isa_available(SWIFTLET_ISA_AVX2)) return SWIFTLET_ISA_AVX2;
    return SWIFTLET_ISA_PORTABLE;
}

// MARK: Activation quantization

/// x[K] → ceil(K/64) act_pair records. Quants and scales are exactly ggml's quantize_row_q8_0_ref
/// (d = amax/127 rounded to f16; q = round(x / d), ties away from zero).
static void quantize_pairs(const float *restrict x, int64_t K, int offset, act_pair *restrict out) {
    const int64_t nb = K / 32;
    for (int64_t b = 0; b < nb + (nb & 1); b++) {
        act_pair *p = &out[b / 2];
        const int h = (int)(b & 1);
        if (b >= nb) {  // odd block count: an empty upper half contributes 0
            memset(p->qs + 32 * h, 0, 32);
            for (int l = 0; l < 8; l++) { p->init[8 * h + l] = 0; p->dl[8 * h + l] = 0; }
            continue;
        }
        const float *s = x + 32 * b;
        float amax = 0;
        for (int j = 0; j < 32; j++) { const float a = fabsf(s[j]); amax = amax > a ? amax : a; }
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        const float dr = swiftlet_f16_to_f32(swiftlet_f32_to_f16(d));
        int8_t *q = p->qs + 32 * h;
        for (int j = 0; j < 32; j++) q[j] = (int8_t)roundf(s[j] * id);
        for (int l = 0; l < 8; l++) {
            p->init[8 * h + l] = -offset * (q[4 * l] + q[4 * l + 1] + q[4 * l + 2] + q[4 * l + 3]);
            p->dl[8 * h + l] = dr;
        }
    }
}

static size_t act_stride(act_kind kind, int64_t K) {
    size_t s;
    switch (kind) {
    case ACT_F32: return 0;
    case ACT_PAIR: s = (size_t)((K / 32 + 1) / 2) * sizeof(act_pair); break;
    case ACT_Q8_0: s = (size_t)(K / 32) * sizeof(swiftlet_block_q8_0); break;
    case ACT_Q8_1: s = (size_t)(K / 32) * sizeof(swiftlet_block_q8_1); break;
    case ACT_Q8_K: s = (size_t)(K / 256) * sizeof(swiftlet_block_q8_K); break;
    }
    return (s + 63) & ~(size_t)63;
}


// MARK: Portable kernels (any CPU): the reference dot products of ck_quants.h

static void row_portable_quant(const mm_ctx *c, int64_t r, int64_t t0, int nt) {
    const uint8_t *w = c->w + r * c->rowBytes;
    for (int t = 0; t < nt; t++)
        c->y[(t0 + t) * c->ldy + r] = c->dot(c->K, w, c->act + (size_t)(t0 + t) * c->actStride);
}

static void row_portable_f16(const mm_ctx *c, int64_t r, int64_t t0, int nt) {
    const uint16_t *w = (const uint16_t *)(c->w + r * c->rowBytes);
    for (int t = 0; t < nt; t++) {
        const float *x = c->x + (t0 + t) * c->ldx;
        float s = 0;
        for (int64_t k = 0; k < c->K; k++) s += swiftlet_f16_to_f32(w[k]) * x[k];
        c->y[(t0 + t) * c->ldy + r] = s;
    }
}

static void row_portable_f32(const mm_ctx *c, int64_t r, int64_t t0, int nt) {
    const float *w = (const float *)(c->w + r * c->rowBytes);
    for (int t = 0; t < nt; t++) {
        const float *x = c->x + (t0 + t) * c->ldx;
        float s = 0;
        for (int64_t k = 0; k < c->K; k++) s += w[k] * x[k];
        c->y[(t0 + t) * c->ldy + r] = s;
    }
}

/// Token t0 + t's activation record (in the product's activation format).
#define TILE_ACT(c, t0, t) ((const void *)((c)->act + (size_t)((t0) + (t)) * (c)->actStride))

// Instantiates `name(c, r, t0, nt)` from an always-inline body taking nt as a constant, so each
// tile size gets its own fully unrolled code.
#define DEFINE_TILED(attr, name, body)                                                   \
    static attr void name(const mm_ctx *c, int64_t r, int64_t t0, int nt) {               \
        switch (nt) {                                                                     \
        case 8: body(c, r, t0, 8); break;                                                 \
        case 7: body(c, r, t0, 7); break;                                                 \
        case 6: body(c, r, t0, 6); break;                                                 \
        case 5: body(c, r, t0, 5); break;                                                 \
        case 4: body(c, r, t0, 4); break;                                                 \
        case 3: body(c, r, t0, 3); break;                                                 \
        case 2: body(c, r, t0, 2); break;                                                 \
        default: body(c, r, t0, 1); break;                                                \
        }                                                                                 \
    }

#if SWIFTLET_X86
#include "matmul_avx512.h"
#include "matmul_avx2.h"
#endif

/// Quantizes token t's activations into the format the kernel reads. The SIMD quantizers produce
/// exactly the bytes of the portable ones (tested), so only speed depends on the ISA.
static void quantize_token(const mm_ctx *c, int64_t t) {
    const float *x = c->x + t * c->ldx;
    void *dst = c->act + (size_t)t * c->actStride;
    switch (c->kind) {
    case ACT_F32: break;
    case ACT_PAIR:
#if SWIFTLET_X86
        if (c->isa == SWIFTLET_ISA_AVX512) { quantize_pairs512(x, c->K, c->offset, dst); break; }
#endif
        quantize_pairs(x, c->K, c->offset, dst);
        break;
    case ACT_Q8_0: swiftlet_quantize_q8_0(x, dst, c->K); break;
    case ACT_Q8_1: swiftlet_quantize_q8_1(x, dst, c->K); break;
    case ACT_Q8_K:
#if SWIFTLET_X86
        if (c->isa == SWIFTLET_ISA_AVX512) { quantize_q8_K_512(x, c->K, dst); break; }
#endif
        swiftlet_quantize_q8_K(x, dst, c->K);
        break;
    }
}

// MARK: Planning and driver

/// Chooses the activation format and row kernel for (isa, type). Returns 0, or -1 if unsupported.
static int plan(mm_ctx *c, int isa, int type) {
    c->dot = NULL;
    c->offset = 0;
#if SWIFTLET_X86
    if (isa == SWIFTLET_ISA_AVX512 && avx512_plan(c, type) == 0) return 0;
    if ((isa == SWIFTLET_ISA_AVX2 || isa == SWIFTLET_ISA_AVXVNNI) && avx2_plan(c, type, isa == SWIFTLET_ISA_AVXVNNI) == 0) return 0;
#else
    (void)isa;
#endif
    switch (type) {
    case T_F32: c->kind = ACT_F32; c->fn = row_portable_f32; return 0;
    case T_F16: c->kind = ACT_F32; c->fn = row_portable_f16; return 0;
    case T_Q4_0: c->kind = ACT_Q8_0; c->dot = swiftlet_vec_dot_q4_0_q8_0; break;
    case T_Q5_0: c->kind = ACT_Q8_0; c->dot = swiftlet_vec_dot_q5_0_q8_0; break;
    case T_Q8_0: c->kind = ACT_Q8_0; c->dot = swiftlet_vec_dot_q8_0_q8_0; break;
    case T_Q4_1: c->kind = ACT_Q8_1; c->dot = swiftlet_vec_dot_q4_1_q8_1; break;
    case T_Q5_1: c->kind = ACT_Q8_1; c->dot = swiftlet_vec_dot_q5_1_q8_1; break;
    case T_Q2_K: c->kind = ACT_Q8_K; c->dot = swiftlet_vec_dot_q2_K_q8_K; break;
    case T_Q3_K: c->kind = ACT_Q8_K; c->dot = swiftlet_vec_dot_q3_K_q8_K; break;
    case T_Q4_K: c->kind = ACT_Q8_K; c->dot = swiftlet_vec_dot_q4_K_q8_K; break;
    case T_Q5_K: c->kind = ACT_Q8_K; c->dot = swiftlet_vec_dot_q5_K_q8_K; break;
    case T_Q6_K: c->kind = ACT_Q8_K; c->dot = swiftlet_vec_dot_q6_K_q8_K; break;
    default: return -1;
    }
    c->fn = row_portable_quant;
    return 0;
}

static int64_t block_elements(int type) {
    switch (type) {
    case T_F32: case T_F16: return 1;
    case T_Q4_0: case T_Q4_1: case T_Q5_0: case T_Q5_1: case T_Q8_0: return 32;
    case T_Q2_K: case T_Q3_K: case T_Q4_K: case T_Q5_K: case T_Q6_K: return 256;
    default: return 0;
    }
}

int swiftlet_matmul_supports(int type, int64_t K) {
    const int64_t b = block_elements(type);
    return b > 0 && K > 0 && K % b == 0;
}

size_t swiftlet_matmul_scratch_bytes(int isa, int type, int64_t K, int64_t n) {
    mm_ctx c;
    if (!swiftlet_matmul_supports(type, K) || plan(&c, isa, type) != 0) return 0;
    return act_stride(c.kind, K) * (size_t)(n > 0 ? n : 0);
}

int swiftlet_matmul_quantize(int isa, int type, const float *x, int64_t K, void *out) {
    mm_ctx c;
    if (!swiftlet_matmul_supports(type, K) || !swiftlet_isa_available(isa) || plan(&c, isa, type) != 0) return -1;
    c.x = x; c.ldx = K; c.K = K; c.act = out; c.actStride = act_stride(c.kind, K); c.isa = isa;
    quantize_token(&c, 0);
    return 0;
}

static void quantize_job(void *p, int tid, int nth) {
    (void)tid; (void)nth;
    mm_ctx *c = p;
    for (int64_t t; (t = atomic_fetch_add_explicit(&c->nextToken, 1, memory_order_relaxed)) < c->n;) quantize_token(c, t);
}

static void matmul_job(void *p, int tid, int nth) {
    (void)tid; (void)nth;
    mm_ctx *c = p;
    for (;;) {
        const int64_t item = atomic_fetch_add_explicit(&c->next, 1, memory_order_relaxed);
        if (item >= c->items) return;
        const int64_t r0 = item * c->rowBlock, r1 = min64(r0 + c->rowBlock, c->rows);
        for (int64_t t0 = 0; t0 < c->n; t0 += TILE) {
            const int nt = (int)min64(TILE, c->n - t0);
            for (int64_t r = r0; r < r1; r++) c->fn(c, r, t0, nt);
        }
    }
}

int swiftlet_matmul(swiftlet_pool *pool, int isa, int type, const void *w, size_t rowBytes, int64_t rows,
                    int64_t K, const float *x, int64_t ldx, int64_t n, float *y, int64_t ldy, void *scratch) {
    if (!swiftlet_matmul_supports(type, K) || !swiftlet_isa_available(isa)) return -1;
    mm_ctx c;
    if (plan(&c, isa, type) != 0) return -1;
    if (n <= 0 || rows <= 0) return 0;
    c.w = w; c.rowBytes = rowBytes; c.rows = rows; c.K = K;
    c.x = x; c.ldx = ldx; c.n = n; c.y = y; c.ldy = ldy;
    c.act = scratch;
    c.isa = isa;
    c.actStride = act_stride(c.kind, K);
    const int nth = pool ? swiftlet_pool_threads(pool) : 1;
    atomic_store_explicit(&c.nextToken, 0, memory_order_relaxed);
    if (c.kind != ACT_F32) {
        if (n >= 2 * nth && nth > 1) swiftlet_pool_run(pool, quantize_job, &c);
        else quantize_job(&c, 0, 1);
    }
    // Enough row blocks for the counter to balance uneven threads, each small enough to stay in L2
    // while the token tiles pass over it.
    int64_t rb = rows / (8 * (int64_t)nth);
    rb = rb < 4 ? 4 : (rb > 64 ? 64 : rb);
    c.rowBlock = rb;
    c.items = (rows + rb - 1) / rb;
    atomic_store_explicit(&c.next, 0, memory_order_relaxed);
    if (nth > 1 && c.items > 1) swiftlet_pool_run(pool, matmul_job, &c);
    else matmul_job(&c, 0, 1);
    return 0;
}
