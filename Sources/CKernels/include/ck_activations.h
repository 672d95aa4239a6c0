#ifndef SWIFTLET_CK_ACTIVATIONS_H
#define SWIFTLET_CK_ACTIVATIONS_H
// Gated activations of the feed-forward sublayer. Every element goes through the same code path
// (vector body and masked tail alike), so results do not depend on where an element sits in the
// buffer, i.e. on the batch.
#include <stdint.h>

/// gate[i] = silu(gate[i]) · up[i] (SwiGLU). `isa`: SWIFTLET_ISA_* (ck_matmul.h).
void swiftlet_swiglu(int isa, float *gate, const float *up, int64_t n);
/// gate[i] = gelu_tanh(gate[i]) · up[i] (GeGLU, tanh approximation) at half precision like ggml's
/// GELU table: f16 input, f16 result, identity for x ≥ 10 and 0 for x ≤ -10.
void swiftlet_geglu(int isa, float *gate, const float *up, int64_t n);

#endif
