// Scalar reference dot products of a quantized weight row with a quantized activation row.
//
// These are the portable fallback (and the test oracle) for the SIMD kernels: all products of
// quants are summed exactly in integers per block, and only the per-block scale factors are floats,
// following ggml's *_generic kernels.
#include "quants_common.h"

float swiftlet_vec_dot_q4_0_q8_0(int64_t n, const void *vx, const void *vy) {
    const swiftlet_block_q4_0 *restrict x = vx;
    const swiftlet_block_q8_0 *restrict y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++) {
        int sumi = 0;
        for (int j = 0; j < SWIFTLET_QK / 2; j++) {
            sumi += ((x[i].qs[j] & 0x0f) - 8) * y[i].qs[j];
            sumi += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + SWIFTLET_QK / 2];
        }
        sum += (float)sumi * swiftlet_f16_to_f32(x[i].d) * swiftlet_f16_to_f32(y[i].d);
    }
    return sum;
}

// Q4_1 and Q5_1 carry an offset m per block: sum((d_x q_x + m) d_y q_y) = d_x d_y sum(q_x q_y) +
// m * (d_y sum(q_y)), and the second factor is the s that Q8_1 stores. That is why ggml pairs
// these two types with Q8_1 rather than Q8_0.
float swiftlet_vec_dot_q4_1_q8_1(int64_t n, const void *vx, const void *vy) {
    const swiftlet_block_q4_1 *restrict x = vx;
    const swiftlet_block_q8_1 *restrict y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++) {
        int sumi = 0;
        for (int j = 0; j < SWIFTLET_QK / 2; j++) {
            sumi += (x[i].qs[j] & 0x0f) * y[i].qs[j];
            sumi += (x[i].qs[j] >> 4) * y[i].qs[j + SWIFTLET_QK / 2];
        }
        sum += swiftlet_f16_to_f32(x[i].d) * swiftlet_f16_to_f32(y[i].d) * (float)sumi
             + swiftlet_f16_to_f32(x[i].m) * swiftlet_f16_to_f32(y[i].s);
    }
    return sum;
}

float swiftlet_vec_dot_q5_0_q8_0(int64_t n, const void *vx, const void *vy) {
    const swiftlet_block_q5_0 *restrict x = vx;
    const swiftlet_block_q8_0 *restrict y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++) {
        const uint32_t qh = swiftlet_load_u32le(x[i].qh);
        int sumi = 0;
        for (int j = 0; j < SWIFTLET_QK / 2; j++) {
            const int lo = ((x[i].qs[j] & 0x0f) | (int)((qh >> j) & 1u) << 4) - 16;
            const int hi = ((x[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1u) << 4) - 16;
            sumi += lo * y[i].qs[j] + hi * y[i].qs[j + SWIFTLET_QK / 2];
        }
        sum += swiftlet_f16_to_f32(x[i].d) * swiftlet_f16_to_f32(y[i].d) * (float)sumi;
    }
    return sum;
}

float swiftlet_vec_dot_q5_1_q8_1(int64_t n, const void *vx, const void *vy) {
    const swiftlet_block_q5_1 *restrict x = vx;
    const swiftlet_block_q8_1 *restrict y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++) {
        const uint32_t qh = swiftlet_load_u32le(x[i].qh);
        int sumi = 0;
        for (int j = 0; j < SWIFTLET_QK / 2; j++) {
            const int lo = (x[i].qs[j] & 0x0f) | (int)((qh >> j) & 1u) << 4;
            const int hi = (x[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1u) << 4;
            sumi += lo * y[i].qs[j] + hi * y[i].qs[j + SWIFTLET_QK / 2];
        }
        sum += swiftlet_f16_to_f32(x[i].d) * swiftlet_f16_to_f32(y[i].d) * (float)sumi
             + swiftlet_f16_to_f32(x[i].m) * swiftlet_f16_to_f32(y[i].s);
    }
    return sum;
}

float swiftlet_vec_dot_q8_0_q8_0(int64_t n, const void *vx, const void *vy) {
    const swiftlet_block_q8_0 *restrict x = vx;
    const swiftlet_block_q8_0 *restrict y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++) {
        int sumi = 0;
        for (int j = 0; j < SWIFTLET_QK; j++) sumi += x[i].qs[j] * y[i].qs[j];
        sum += (float)sumi * (swiftlet_f16_to_f32(x[i].d) * swiftlet_f16_to_f32(y[i].d));
    }
    return sum;
}

// K types. Q2_K/Q4_K/Q5_K subtract a per-sub-block min: sum(min_j * q8) over a sub-block is
// min_j * (sum of q8 there), which the Q8_K bsums (per 16 elements) provide.

float swiftlet_vec_dot_q2_K_q8_K(int64_t n, const void *vx, const void *vy) {
    const swiftlet_block_q2_K *restrict x = vx;
    const swiftlet_block_q8_K *restrict y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        int summs = 0;  // sum over 16-element sub-blocks of min * bsum
        for (int g = 0; g < 16; g++) summs += y[i].bsums[g] * (x[i].scales[g] >> 4);
        int isum = 0;
        const uint8_t *q2 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        int g = 0;
        for (int half = 0; half < 2; half++, q2 += 32) {
            for (int shift = 0; shift < 8; shift += 2, q8 += 32) {
                for (int s = 0; s < 2; s++, g++) {
                    int sub = 0;
                    for (int l = 16 * s; l < 16 * s + 16; l++) sub += q8[l] * ((q2[l] >> shift) & 3);
                    isum += (x[i].scales[g] & 0x0f) * sub;
                }
            }
        }
        const float dall = y[i].d * swiftlet_f16_to_f32(x[i].d);
        const float dmin = y[i].d * swiftlet_f16_to_f32(x[i].dmin);
        sum += dall * (float)isum - dmin * (float)summs;
    }
    return sum;
}

float swiftlet_vec_dot_q3_K_q8_K(int64_t n, const void *vx, const void *vy) {
    const swiftlet_block_q3_K *restrict x = vx;
    const swiftlet_block_q8_K *restrict y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        int scales[16];
        swiftlet_q3_K_scales(x[i].scales, scales);
        const uint8_t *q3 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        int isum = 0, g = 0;
        unsigned bit = 0;
        for (int half = 0; half < 2; half++, q3 += 32) {
            for (int shift = 0; shift < 8; shift += 2, bit++, q8 += 32) {
                for (int s = 0; s < 2; s++, g++) {
                    int sub = 0;
                    for (int l = 16 * s; l < 16 * s + 16; l++) {
                        const int v = ((q3[l] >> shift) & 3) - (((x[i].hmask[l] >> bit) & 1) ? 0 : 4);
                        sub += q8[l] * v;
                    }
                    isum += scales[g] * sub;
                }
            }
        }
        sum += swiftlet_f16_to_f32(x[i].d) * y[i].d * (float)isum;
    }
    return sum;
}

float swiftlet_vec_dot_q4_K_q8_K(int64_t n, const void *vx, const void *vy) {
    const swiftlet_block_q4_K *restrict x = vx;
    const swiftlet_block_q8_K *restrict y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        int scales[8], mins[8];
        swiftlet_k4_scales_mins(x[i].scales, scales, mins);
        int summs = 0;  // each 32-element run spans two 16-element bsums
        for (int g = 0; g < 16; g++) summs += y[i].bsums[g] * mins[g / 2];
        const uint8_t *q4 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        int isum = 0;
        for (int j = 0; j < 8; j += 2, q4 += 32, q8 += 64) {
            int lo = 0, hi = 0;
            for (int l = 0; l < 32; l++) {
                lo += (q4[l] & 0x0f) * q8[l];
                hi += (q4[l] >> 4) * q8[l + 32];
            }
            isum += scales[j] * lo + scales[j + 1] * hi;
        }
        sum += swiftlet_f16_to_f32(x[i].d) * y[i].d * (float)isum
             - swiftlet_f16_to_f32(x[i].dmin) * y[i].d * (float)summs;
    }
    return sum;
}

float swiftlet_vec_dot_q5_K_q8_K(int64_t n, const void *vx, const void *vy) {
    const swiftlet_block_q5_K *restrict x = vx;
    const swiftlet_block_q8_K *restrict y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        int scales[8], mins[8];
        swiftlet_k4_scales_mins(x[i].scales, scales, mins);
        int summs = 0;
        for (int g = 0; g < 16; g++) summs += y[i].bsums[g] * mins[g / 2];
        const uint8_t *q4 = x[i].qs;
        const uint8_t *qh = x[i].qh;
        const int8_t *q8 = y[i].qs;
        int isum = 0;
        for (int j = 0; j < 8; j += 2, q4 += 32, q8 += 64) {
            int lo = 0, hi = 0;
            for (int l = 0; l < 32; l++) {
                lo += ((q4[l] & 0x0f) | ((qh[l] >> j) & 1) << 4) * q8[l];
                hi += ((q4[l] >> 4) | ((qh[l] >> (j + 1)) & 1) << 4) * q8[l + 32];
            }
            isum += scales[j] * lo + scales[j + 1] * hi;
        }
        sum += swiftlet_f16_to_f32(x[i].d) * y[i].d * (float)isum
             - swiftlet_f16_to_f32(x[i].dmin) * y[i].d * (float)summs;
    }
    return sum;
}

float swiftlet_vec_dot_q6_K_q8_K(int64_t n, const void *vx, const void *vy) {
    const swiftlet_block_q6_K *restrict x = vx;
    const swiftlet_block_q8_K *restrict y = vy;
    float sum = 0.0f;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        const uint8_t *ql = x[i].ql;
        const uint8_t *qh = x[i].qh;
        const int8_t *sc = x[i].scales;
        const int8_t *q8 = y[i].qs;
        int isum = 0;
        for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, q8 += 128) {
            for (int s = 0; s < 2; s++) {  // 16-element sub-blocks l in [16s, 16s+16) of each run
                int sub[4] = {0, 0, 0, 0};
                for (int l = 16 * s; l < 16 * s + 16; l++) {
                    sub[0] += (((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4) - 32) * q8[l];
                    sub[1] += (((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4) - 32) * q8[l + 32];
                    sub[2] += (((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32) * q8[l + 64];
                    sub[3] += (((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32) * q8[l + 96];
                }
                for (int r = 0; r < 4; r++) isum += sc[s + 2 * r] * sub[r];
            }
        }
        sum += swiftlet_f16_to_f32(x[i].d) * y[i].d * (float)isum;
    }
    return sum;
}
