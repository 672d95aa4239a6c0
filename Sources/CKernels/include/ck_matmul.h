#ifndef SWIFTLET_CK_MATMUL_H
#define SWIFTLET_CK_MATMUL_H
// Threaded matrix products y[n, rows] = x[n, K] · Wᵀ for GGML weight types, with the activations
// quantized once per product to 8-bit blocks and integer dot products per weight block.
//
// Batch invariance: every output element y[t, r] is computed by the same sequence of operations
// whatever n, the token's place in the batch, or the thread count: activations are quantized per
// token, each (row, token) dot product has its own accumulator, and only the instruction set (fixed
// per process) selects the kernel.
#include <stddef.h>
#include <stdint.h>
#include "ck_pool.h"

/// Kernel families, best last. `swiftlet_isa_best` picks the best the CPU runs; tests force others.
enum {
    SWIFTLET_ISA_PORTABLE = 0,   // scalar reference dot products (any CPU)
    SWIFTLET_ISA_AVX2 = 1,       // 256-bit: AVX2 + FMA + F16C
    SWIFTLET_ISA_AVXVNNI = 2,    // 256-bit with AVX-VNNI dot products
    SWIFTLET_ISA_AVX512 = 3,     // 512-bit: AVX-512 F/BW/VL + VNNI + F16C
};
int swiftlet_isa_best(void);
/// Whether `isa` can run on this CPU.
int swiftlet_isa_available(int isa);

/// Whether `swiftlet_matmul` handles weights of GGML type `type` (its numeric id) with `K` columns.
int swiftlet_matmul_supports(int type, int64_t K);

/// Bytes of scratch `swiftlet_matmul` needs for n tokens of K columns.
size_t swiftlet_matmul_scratch_bytes(int isa, int type, int64_t K, int64_t n);

/// y[t * ldy + r] = Σ_k W[r, k] · x[t * ldx + k] for t < n, r < rows. `w` holds `rows` rows of
/// `rowBytes` bytes in GGML type `type`; `scratch` (64-byte aligned) holds at least
/// `swiftlet_matmul_scratch_bytes` bytes. Returns 0, or -1 for an unsupported type/shape.
int swiftlet_matmul(swiftlet_pool *pool, int isa, int type, const void *w, size_t rowBytes, int64_t rows,
                    int64_t K, const float *x, int64_t ldx, int64_t n, float *y, int64_t ldy, void *scratch);

/// Test hook: the activation record `swiftlet_matmul` builds for one token of K floats (n = 1
/// scratch bytes). For 32-element weight blocks on SIMD ISAs, records of two blocks
/// {int8 qs[64]; int32 init[16]; float d[16]} (d: lanes 0-7 block 0, 8-15 block 1); otherwise the
/// ggml block type the weight's vec_dot pairs with. Returns 0, or -1 if unsupported.
int swiftlet_matmul_quantize(int isa, int type, const float *x, int64_t K, void *out);

#endif
