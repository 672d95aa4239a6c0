#ifndef SWIFTLET_CK_ATTENTION_H
#define SWIFTLET_CK_ATTENTION_H
// Causal attention over a paged f16 KV cache with an online (flash-style) softmax.
#include <stdint.h>
#include "ck_pool.h"

typedef struct {
    const float *q;          // [n, ldq]: token t's head h at q + t*ldq + h*headDim
    int64_t ldq;
    const uint16_t *keys;    // [slots, kvHeads*headDim] f16 bits; slot = block*blockSize + p%blockSize
    const uint16_t *values;  // same layout as keys
    const int32_t *tables;   // concatenated block tables
    const int32_t *tableStart; // [n]: token t's block table starts at tables + tableStart[t]
    const int32_t *first;    // [n]: first position token t attends to (sliding window, else 0)
    const int32_t *last;     // [n]: last position (the token's own)
    int64_t n;
    int32_t heads, kvHeads, headDim, blockSize;
    float scale;             // applied to q·k
    float *out;              // [n, ldo]: same head layout as q
    int64_t ldo;
} swiftlet_attention_args;

/// out = softmax(q·Kᵀ·scale)·V per (token, head) over positions first...last, reading K/V rows of
/// the kv head each query head groups into (GQA, no copies). Work items are (token, kv head)
/// pairs spread over the pool; each item's arithmetic depends only on its own inputs.
/// Consecutive tokens of one sequence are processed in tiles of up to 8 that share each K/V row
/// conversion. `isa` is a SWIFTLET_ISA_* value (ck_matmul.h). Scratch lives on the stack: about
/// 4·(8·heads/kvHeads + 32)·headDim bytes per thread.
void swiftlet_attention(swiftlet_pool *pool, int isa, const swiftlet_attention_args *args);

#endif
