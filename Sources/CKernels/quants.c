// Reference dequantization and activation quantization for the GGML block formats.
//
// Every output element is computed with the same float operations, in the same order, as ggml's
// dequantize_row_* (and gguf-py's numpy port), so results are bit-identical. That requires that the
// compiler never fuses a multiply and an add into one FMA (one rounding instead of two), which clang
// otherwise may do on targets where FMA is baseline (arm64):
#pragma STDC FP_CONTRACT OFF

#include "quants_common.h"
#include <math.h>

void swiftlet_dequantize_f32(const void *src, float *dst, int64_t n) {
    memcpy(dst, src, (size_t)n * sizeof(float));
}

void swiftlet_dequantize_f16(const void *src, float *dst, int64_t n) {
    const uint16_t *restrict h = src;
    for (int64_t i = 0; i < n; i++) dst[i] = swiftlet_f16_to_f32(h[i]);
}

void swiftlet_dequantize_bf16(const void *src, float *dst, int64_t n) {
    const uint16_t *restrict h = src;
    for (int64_t i = 0; i < n; i++) dst[i] = swiftlet_bf16_to_f32(h[i]);
}

// Legacy 32-element blocks: element j of the first half sits in the low nibble of qs[j], element
// j + 16 in the high nibble; for the 5-bit types bit j of the little-endian qh word is element j's
// fifth bit.

void swiftlet_dequantize_q4_0(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q4_0 *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++, dst += SWIFTLET_QK) {
        const float d = swiftlet_f16_to_f32(b[i].d);
        for (int j = 0; j < SWIFTLET_QK / 2; j++) {
            dst[j] = (float)((b[i].qs[j] & 0x0f) - 8) * d;
            dst[j + SWIFTLET_QK / 2] = (float)((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void swiftlet_dequantize_q4_1(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q4_1 *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++, dst += SWIFTLET_QK) {
        const float d = swiftlet_f16_to_f32(b[i].d), m = swiftlet_f16_to_f32(b[i].m);
        for (int j = 0; j < SWIFTLET_QK / 2; j++) {
            dst[j] = (float)(b[i].qs[j] & 0x0f) * d + m;
            dst[j + SWIFTLET_QK / 2] = (float)(b[i].qs[j] >> 4) * d + m;
        }
    }
}

void swiftlet_dequantize_q5_0(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q5_0 *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++, dst += SWIFTLET_QK) {
        const float d = swiftlet_f16_to_f32(b[i].d);
        const uint32_t qh = swiftlet_load_u32le(b[i].qh);
        for (int j = 0; j < SWIFTLET_QK / 2; j++) {
            const int lo = (b[i].qs[j] & 0x0f) | (int)((qh >> j) & 1u) << 4;
            const int hi = (b[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1u) << 4;
            dst[j] = (float)(lo - 16) * d;
            dst[j + SWIFTLET_QK / 2] = (float)(hi - 16) * d;
        }
    }
}

void swiftlet_dequantize_q5_1(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q5_1 *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++, dst += SWIFTLET_QK) {
        const float d = swiftlet_f16_to_f32(b[i].d), m = swiftlet_f16_to_f32(b[i].m);
        const uint32_t qh = swiftlet_load_u32le(b[i].qh);
        for (int j = 0; j < SWIFTLET_QK / 2; j++) {
            const int lo = (b[i].qs[j] & 0x0f) | (int)((qh >> j) & 1u) << 4;
            const int hi = (b[i].qs[j] >> 4) | (int)((qh >> (j + 16)) & 1u) << 4;
            dst[j] = (float)lo * d + m;
            dst[j + SWIFTLET_QK / 2] = (float)hi * d + m;
        }
    }
}

void swiftlet_dequantize_q8_0(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q8_0 *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++, dst += SWIFTLET_QK) {
        const float d = swiftlet_f16_to_f32(b[i].d);
        for (int j = 0; j < SWIFTLET_QK; j++) dst[j] = (float)b[i].qs[j] * d;
    }
}

void swiftlet_dequantize_q8_1(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q8_1 *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++, dst += SWIFTLET_QK) {
        const float d = swiftlet_f16_to_f32(b[i].d);
        for (int j = 0; j < SWIFTLET_QK; j++) dst[j] = (float)b[i].qs[j] * d;
    }
}

// K types: 256-element super-blocks. The 2-, 3- and 6-bit types pack quants so that byte l of a
// 32-byte group holds element l of 4 consecutive 32-element runs (2 bits each); the 4- and 5-bit
// types hold element l of 2 runs (one nibble each).

void swiftlet_dequantize_q2_K(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q2_K *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        const float d = swiftlet_f16_to_f32(b[i].d), dmin = swiftlet_f16_to_f32(b[i].dmin);
        const uint8_t *q = b[i].qs;
        const uint8_t *sc = b[i].scales;
        for (int half = 0; half < 2; half++, q += 32) {
            for (int shift = 0; shift < 8; shift += 2, sc += 2, dst += 32) {
                // Two 16-element sub-blocks, each with its own 4-bit scale and 4-bit min.
                for (int s = 0; s < 2; s++) {
                    const float dl = d * (float)(sc[s] & 0x0f), ml = dmin * (float)(sc[s] >> 4);
                    for (int l = 16 * s; l < 16 * s + 16; l++) dst[l] = dl * (float)((q[l] >> shift) & 3) - ml;
                }
            }
        }
    }
}

void swiftlet_dequantize_q3_K(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q3_K *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        const float d = swiftlet_f16_to_f32(b[i].d);
        int scales[16];
        swiftlet_q3_K_scales(b[i].scales, scales);
        const uint8_t *q = b[i].qs;
        const uint8_t *hm = b[i].hmask;
        int is = 0;
        unsigned bit = 0;  // which hmask bit holds the current 32-element run's high bits
        for (int half = 0; half < 2; half++, q += 32) {
            for (int shift = 0; shift < 8; shift += 2, bit++, dst += 32) {
                for (int s = 0; s < 2; s++, is++) {
                    const float dl = d * (float)scales[is];
                    for (int l = 16 * s; l < 16 * s + 16; l++) {
                        // A cleared high bit means the quant is 4 lower (range -4 ... 3).
                        const int v = ((q[l] >> shift) & 3) - (((hm[l] >> bit) & 1) ? 0 : 4);
                        dst[l] = dl * (float)v;
                    }
                }
            }
        }
    }
}

void swiftlet_dequantize_q4_K(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q4_K *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        const float d = swiftlet_f16_to_f32(b[i].d), dmin = swiftlet_f16_to_f32(b[i].dmin);
        int scales[8], mins[8];
        swiftlet_k4_scales_mins(b[i].scales, scales, mins);
        const uint8_t *q = b[i].qs;
        for (int j = 0; j < 8; j += 2, q += 32, dst += 64) {
            const float d0 = d * (float)scales[j], min0 = dmin * (float)mins[j];
            const float d1 = d * (float)scales[j + 1], min1 = dmin * (float)mins[j + 1];
            for (int l = 0; l < 32; l++) dst[l] = d0 * (float)(q[l] & 0x0f) - min0;
            for (int l = 0; l < 32; l++) dst[l + 32] = d1 * (float)(q[l] >> 4) - min1;
        }
    }
}

void swiftlet_dequantize_q5_K(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q5_K *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        const float d = swiftlet_f16_to_f32(b[i].d), dmin = swiftlet_f16_to_f32(b[i].dmin);
        int scales[8], mins[8];
        swiftlet_k4_scales_mins(b[i].scales, scales, mins);
        const uint8_t *q = b[i].qs;
        const uint8_t *qh = b[i].qh;
        for (int j = 0; j < 8; j += 2, q += 32, dst += 64) {
            const float d0 = d * (float)scales[j], min0 = dmin * (float)mins[j];
            const float d1 = d * (float)scales[j + 1], min1 = dmin * (float)mins[j + 1];
            // Bit j of qh[l] is the fifth bit of element l of 32-element run j.
            for (int l = 0; l < 32; l++) dst[l] = d0 * (float)((q[l] & 0x0f) | ((qh[l] >> j) & 1) << 4) - min0;
            for (int l = 0; l < 32; l++) dst[l + 32] = d1 * (float)((q[l] >> 4) | ((qh[l] >> (j + 1)) & 1) << 4) - min1;
        }
    }
}

void swiftlet_dequantize_q6_K(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q6_K *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++) {
        const float d = swiftlet_f16_to_f32(b[i].d);
        const uint8_t *ql = b[i].ql;
        const uint8_t *qh = b[i].qh;
        const int8_t *sc = b[i].scales;
        // Each 128-element half: 64 bytes of low nibbles, 32 bytes of 2-bit highs for 4 runs of 32.
        for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8, dst += 128) {
            for (int l = 0; l < 32; l++) {
                const int is = l / 16;
                const int q0 = ((ql[l] & 0x0f) | ((qh[l] >> 0) & 3) << 4) - 32;
                const int q1 = ((ql[l + 32] & 0x0f) | ((qh[l] >> 2) & 3) << 4) - 32;
                const int q2 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                const int q3 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                // (d * scale) * q, in that order, as the reference rounds it.
                dst[l] = d * (float)sc[is + 0] * (float)q0;
                dst[l + 32] = d * (float)sc[is + 2] * (float)q1;
                dst[l + 64] = d * (float)sc[is + 4] * (float)q2;
                dst[l + 96] = d * (float)sc[is + 6] * (float)q3;
            }
        }
    }
}

void swiftlet_dequantize_q8_K(const void *src, float *restrict dst, int64_t n) {
    const swiftlet_block_q8_K *restrict b = src;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++, dst += SWIFTLET_QK_K) {
        for (int j = 0; j < SWIFTLET_QK_K; j++) dst[j] = b[i].d * (float)b[i].qs[j];
    }
}

// MARK: Quantization.

void swiftlet_quantize_f16(const float *restrict src, void *dst, int64_t n) {
    uint16_t *restrict h = dst;
    for (int64_t i = 0; i < n; i++) h[i] = swiftlet_f32_to_f16(src[i]);
}

void swiftlet_quantize_bf16(const float *restrict src, void *dst, int64_t n) {
    uint16_t *restrict h = dst;
    for (int64_t i = 0; i < n; i++) h[i] = swiftlet_f32_to_bf16(src[i]);
}

/// Absolute maximum of a block, comparing as ggml's MAX(amax, fabsf(v)) does.
static inline float block_amax(const float *x, int count) {
    float amax = 0.0f;
    for (int j = 0; j < count; j++) {
        const float a = fabsf(x[j]);
        amax = amax > a ? amax : a;
    }
    return amax;
}

void swiftlet_quantize_q8_0(const float *restrict src, void *dst, int64_t n) {
    swiftlet_block_q8_0 *restrict y = dst;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++, src += SWIFTLET_QK) {
        const float d = block_amax(src, SWIFTLET_QK) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = swiftlet_f32_to_f16(d);
        for (int j = 0; j < SWIFTLET_QK; j++) y[i].qs[j] = (int8_t)roundf(src[j] * id);  // half away from 0
    }
}

void swiftlet_quantize_q8_1(const float *restrict src, void *dst, int64_t n) {
    swiftlet_block_q8_1 *restrict y = dst;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++, src += SWIFTLET_QK) {
        const float d = block_amax(src, SWIFTLET_QK) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < SWIFTLET_QK; j++) {
            y[i].qs[j] = (int8_t)roundf(src[j] * id);
            sum += y[i].qs[j];
        }
        y[i].d = swiftlet_f32_to_f16(d);
        y[i].s = swiftlet_f32_to_f16((float)sum * d);
    }
}

/// Round to nearest, ties to even, for |x| < 2^22: adding 1.5 * 2^23 leaves the rounded integer in
/// the low mantissa bits (ggml's nearest_int).
static inline int nearest_int(float x) {
    const uint32_t bits = swiftlet_f32_bits(x + 12582912.0f);
    return (int)(bits & 0x007fffffu) - 0x00400000;
}

void swiftlet_quantize_q8_K(const float *restrict src, void *dst, int64_t n) {
    swiftlet_block_q8_K *restrict y = dst;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++, src += SWIFTLET_QK_K) {
        // The signed value of largest magnitude (the first one, on ties) maps to -127.
        float max = 0.0f, amax = 0.0f;
        for (int j = 0; j < SWIFTLET_QK_K; j++) {
            const float a = fabsf(src[j]);
            if (a > amax) { amax = a; max = src[j]; }
        }
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < SWIFTLET_QK_K; j++) {
            const int v = nearest_int(iscale * src[j]);
            y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int g = 0; g < SWIFTLET_QK_K / 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++) sum += y[i].qs[16 * g + l];
            y[i].bsums[g] = (int16_t)sum;
        }
        y[i].d = 1.0f / iscale;
    }
}
