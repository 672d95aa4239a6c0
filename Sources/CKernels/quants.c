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

// Legacy 32-element blocks, through their common unpacked form (quants_common.h): q * d, or
// q * d + m for the types with a min, exactly as ggml rounds them. (The symmetric types must not
// add a zero m: -0.0f + 0.0f would turn into +0.0f.) `unpack` is a constant in every caller, so it
// is inlined and the has_min test hoisted.
static inline void dequantize_legacy_row(const uint8_t *src, size_t block_bytes, swiftlet_legacy_unpack_fn unpack,
                                         float *restrict dst, int64_t n) {
    swiftlet_legacy_unpacked u;
    for (int64_t i = 0; i < n / SWIFTLET_QK; i++, dst += SWIFTLET_QK) {
        unpack(src + (size_t)i * block_bytes, &u);
        if (u.has_min) {
            for (int j = 0; j < SWIFTLET_QK; j++) dst[j] = (float)u.q[j] * u.d + u.m;
        } else {
            for (int j = 0; j < SWIFTLET_QK; j++) dst[j] = (float)u.q[j] * u.d;
        }
    }
}

void swiftlet_dequantize_q4_0(const void *src, float *dst, int64_t n) {
    dequantize_legacy_row(src, sizeof(swiftlet_block_q4_0), swiftlet_unpack_q4_0, dst, n);
}

void swiftlet_dequantize_q4_1(const void *src, float *dst, int64_t n) {
    dequantize_legacy_row(src, sizeof(swiftlet_block_q4_1), swiftlet_unpack_q4_1, dst, n);
}

void swiftlet_dequantize_q5_0(const void *src, float *dst, int64_t n) {
    dequantize_legacy_row(src, sizeof(swiftlet_block_q5_0), swiftlet_unpack_q5_0, dst, n);
}

void swiftlet_dequantize_q5_1(const void *src, float *dst, int64_t n) {
    dequantize_legacy_row(src, sizeof(swiftlet_block_q5_1), swiftlet_unpack_q5_1, dst, n);
}

void swiftlet_dequantize_q8_0(const void *src, float *dst, int64_t n) {
    dequantize_legacy_row(src, sizeof(swiftlet_block_q8_0), swiftlet_unpack_q8_0, dst, n);
}

void swiftlet_dequantize_q8_1(const void *src, float *dst, int64_t n) {
    dequantize_legacy_row(src, sizeof(swiftlet_block_q8_1), swiftlet_unpack_q8_1, dst, n);
}

// K types, through their common unpacked form (quants_common.h), in ggml's order of operations:
// (d * scale) * q - (dmin * min). `unpack` is a constant in every caller, so it is inlined.
static inline void dequantize_k_row(const uint8_t *src, size_t block_bytes, swiftlet_k_unpack_fn unpack,
                                    float *restrict dst, int64_t n) {
    swiftlet_k_unpacked u;
    for (int64_t i = 0; i < n / SWIFTLET_QK_K; i++, dst += SWIFTLET_QK_K) {
        unpack(src + (size_t)i * block_bytes, &u);
        for (int g = 0; g < 16; g++) {
            const float dl = u.d * (float)u.scales[g], ml = u.dmin * (float)u.mins[g];
            for (int l = 16 * g; l < 16 * g + 16; l++) dst[l] = dl * (float)u.q[l] - ml;
        }
    }
}

void swiftlet_dequantize_q2_K(const void *src, float *dst, int64_t n) {
    dequantize_k_row(src, sizeof(swiftlet_block_q2_K), swiftlet_unpack_q2_K, dst, n);
}

void swiftlet_dequantize_q3_K(const void *src, float *dst, int64_t n) {
    dequantize_k_row(src, sizeof(swiftlet_block_q3_K), swiftlet_unpack_q3_K, dst, n);
}

void swiftlet_dequantize_q4_K(const void *src, float *dst, int64_t n) {
    dequantize_k_row(src, sizeof(swiftlet_block_q4_K), swiftlet_unpack_q4_K, dst, n);
}

void swiftlet_dequantize_q5_K(const void *src, float *dst, int64_t n) {
    dequantize_k_row(src, sizeof(swiftlet_block_q5_K), swiftlet_unpack_q5_K, dst, n);
}

void swiftlet_dequantize_q6_K(const void *src, float *dst, int64_t n) {
    dequantize_k_row(src, sizeof(swiftlet_block_q6_K), swiftlet_unpack_q6_K, dst, n);
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
