// Scalar reference dot products of a quantized weight row with a quantized activation row.
//
// These are the portable fallback (and the test oracle) for the SIMD kernels: all products of
// quants are summed exactly in integers per block, as ggml's *_generic kernels do, and only the
// per-block scale factors are floats.
#include "quants_common.h"

// Legacy types, through their common unpacked form (quants_common.h). With a min m (Q4_1, Q5_1):
// sum((d_x q_x + m) d_y q_y) = d_x d_y sum(q_x q_y) + m * (d_y sum(q_y)), and the second factor is
// the s that Q8_1 stores; that is why ggml pairs these two types with Q8_1 rather than Q8_0.
// `unpack` is a constant in every caller, so it is inlined.
static inline float dot_legacy_row(const uint8_t *x, size_t block_bytes, swiftlet_legacy_unpack_fn unpack,
                                   const uint8_t *y, size_t y_block_bytes, int64_t n) {
    swiftlet_legacy_unpacked u;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++) {
        unpack(x + (size_t)i * block_bytes, &u);
        // Q8_0 and Q8_1 blocks both start with d; Q8_1 then has s, and the quants end both blocks.
        const uint8_t *yb = y + (size_t)i * y_block_bytes;
        uint16_t yd;
        memcpy(&yd, yb, 2);
        const int8_t *yq = (const int8_t *)(yb + y_block_bytes - SWIFTLET_QK);
        int sumi = 0;
        for (int j = 0; j < SWIFTLET_QK; j++) sumi += u.q[j] * yq[j];
        sum += u.d * swiftlet_f16_to_f32(yd) * (float)sumi;
        if (u.has_min) sum += u.m * swiftlet_f16_to_f32(((const swiftlet_block_q8_1 *)yb)->s);
    }
    return sum;
}

float swiftlet_vec_dot_q4_0_q8_0(int64_t n, const void *x, const void *y) {
    return dot_legacy_row(x, sizeof(swiftlet_block_q4_0), swiftlet_unpack_q4_0, y, sizeof(swiftlet_block_q8_0), n);
}

float swiftlet_vec_dot_q4_1_q8_1(int64_t n, const void *x, const void *y) {
    return dot_legacy_row(x, sizeof(swiftlet_block_q4_1), swiftlet_unpack_q4_1, y, sizeof(swiftlet_block_q8_1), n);
}

float swiftlet_vec_dot_q5_0_q8_0(int64_t n, const void *x, const void *y) {
    return dot_legacy_row(x, sizeof(swiftlet_block_q5_0), swiftlet_unpack_q5_0, y, sizeof(swiftlet_block_q8_0), n);
}

float swiftlet_vec_dot_q5_1_q8_1(int64_t n, const void *x, const void *y) {
    return dot_legacy_row(x, sizeof(swiftlet_block_q5_1), swiftlet_unpack_q5_1, y, sizeof(swiftlet_block_q8_1), n);
}

float swiftlet_vec_dot_q8_0_q8_0(int64_t n, const void *x, const void *y) {
    return dot_legacy_row(x, sizeof(swiftlet_block_q8_0), swiftlet_unpack_q8_0, y, sizeof(swiftlet_block_q8_0), n);
}

// K types, through their common unpacked form (quants_common.h): integer sums per 16-element
// group times the group's scale. The mins (Q2_K/Q4_K/Q5_K) multiply the whole group's activation
// sum, which Q8_K stores as bsums. `unpack` is a constant in every caller, so it is inlined.
static inline float dot_k_row(const uint8_t *x, size_t block_bytes, swiftlet_k_unpack_fn unpack,
                              const swiftlet_block_q8_K *restrict y, int64_t n) {
    swiftlet_k_unpacked u;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        unpack(x + (size_t)i * block_bytes, &u);
        int isum = 0, summs = 0;
        for (int g = 0; g < 16; g++) {
            int sub = 0;
            for (int l = 16 * g; l < 16 * g + 16; l++) sub += u.q[l] * y[i].qs[l];
            isum += u.scales[g] * sub;
            summs += u.mins[g] * y[i].bsums[g];
        }
        sum += u.d * y[i].d * (float)isum - u.dmin * y[i].d * (float)summs;
    }
    return sum;
}

float swiftlet_vec_dot_q2_K_q8_K(int64_t n, const void *x, const void *y) {
    return dot_k_row(x, sizeof(swiftlet_block_q2_K), swiftlet_unpack_q2_K, y, n);
}

float swiftlet_vec_dot_q3_K_q8_K(int64_t n, const void *x, const void *y) {
    return dot_k_row(x, sizeof(swiftlet_block_q3_K), swiftlet_unpack_q3_K, y, n);
}

float swiftlet_vec_dot_q4_K_q8_K(int64_t n, const void *x, const void *y) {
    return dot_k_row(x, sizeof(swiftlet_block_q4_K), swiftlet_unpack_q4_K, y, n);
}

float swiftlet_vec_dot_q5_K_q8_K(int64_t n, const void *x, const void *y) {
    return dot_k_row(x, sizeof(swiftlet_block_q5_K), swiftlet_unpack_q5_K, y, n);
}

float swiftlet_vec_dot_q6_K_q8_K(int64_t n, const void *x, const void *y) {
    return dot_k_row(x, sizeof(swiftlet_block_q6_K), swiftlet_unpack_q6_K, y, n);
}
