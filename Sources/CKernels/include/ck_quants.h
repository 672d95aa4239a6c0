#ifndef SWIFTLET_CK_QUANTS_H
#define SWIFTLET_CK_QUANTS_H
// GGML quantized block layouts and their portable reference kernels.
//
// The structs reproduce ggml's byte layouts exactly (little-endian, no padding), so a tensor's bytes
// in a memory-mapped GGUF file can be read in place as an array of blocks. Half-precision fields are
// kept as raw uint16_t bits; convert with swiftlet_f16_to_f32.
//
// Conventions for every function below: `n` is a number of elements and must be a multiple of the
// type's block size (the Swift layer checks this); `src`/`dst` must not overlap.
#include <stdint.h>
#include <string.h>

#define SWIFTLET_QK 32     // elements per block of the legacy types (Q4_0 ... Q8_1)
#define SWIFTLET_QK_K 256  // elements per super-block of the K types

typedef struct { uint16_t d; uint8_t qs[SWIFTLET_QK / 2]; } swiftlet_block_q4_0;                  // 18 B
typedef struct { uint16_t d, m; uint8_t qs[SWIFTLET_QK / 2]; } swiftlet_block_q4_1;               // 20 B
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[SWIFTLET_QK / 2]; } swiftlet_block_q5_0;   // 22 B
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[SWIFTLET_QK / 2]; } swiftlet_block_q5_1;// 24 B
typedef struct { uint16_t d; int8_t qs[SWIFTLET_QK]; } swiftlet_block_q8_0;                       // 34 B
// s = d * sum(qs), stored so that dot products with Q4_1/Q5_1 can apply the weight's offset m.
typedef struct { uint16_t d, s; int8_t qs[SWIFTLET_QK]; } swiftlet_block_q8_1;                    // 36 B

typedef struct {
    uint8_t scales[SWIFTLET_QK_K / 16];  // low nibble: scale, high nibble: min, per 16 elements
    uint8_t qs[SWIFTLET_QK_K / 4];       // 2-bit quants
    uint16_t d, dmin;                    // super-block scales of the scales and of the mins
} swiftlet_block_q2_K;                   // 84 B
typedef struct {
    uint8_t hmask[SWIFTLET_QK_K / 8];    // high bit of each quant (set means no -4 offset)
    uint8_t qs[SWIFTLET_QK_K / 4];       // low 2 bits
    uint8_t scales[12];                  // 16 signed 6-bit scales, packed
    uint16_t d;
} swiftlet_block_q3_K;                   // 110 B
typedef struct {
    uint16_t d, dmin;
    uint8_t scales[12];                  // 8 scales + 8 mins, 6 bits each, packed
    uint8_t qs[SWIFTLET_QK_K / 2];
} swiftlet_block_q4_K;                   // 144 B
typedef struct {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[SWIFTLET_QK_K / 8];       // 5th bit of each quant
    uint8_t qs[SWIFTLET_QK_K / 2];
} swiftlet_block_q5_K;                   // 176 B
typedef struct {
    uint8_t ql[SWIFTLET_QK_K / 2];       // low 4 bits
    uint8_t qh[SWIFTLET_QK_K / 4];       // high 2 bits
    int8_t scales[SWIFTLET_QK_K / 16];
    uint16_t d;
} swiftlet_block_q6_K;                   // 210 B
// Activations for the K-type dot products; bsums[j] = sum of qs[16j ..< 16j+16].
typedef struct { float d; int8_t qs[SWIFTLET_QK_K]; int16_t bsums[SWIFTLET_QK_K / 16]; } swiftlet_block_q8_K; // 292 B

_Static_assert(sizeof(swiftlet_block_q4_0) == 18, "block_q4_0 layout");
_Static_assert(sizeof(swiftlet_block_q4_1) == 20, "block_q4_1 layout");
_Static_assert(sizeof(swiftlet_block_q5_0) == 22, "block_q5_0 layout");
_Static_assert(sizeof(swiftlet_block_q5_1) == 24, "block_q5_1 layout");
_Static_assert(sizeof(swiftlet_block_q8_0) == 34, "block_q8_0 layout");
_Static_assert(sizeof(swiftlet_block_q8_1) == 36, "block_q8_1 layout");
_Static_assert(sizeof(swiftlet_block_q2_K) == 84, "block_q2_K layout");
_Static_assert(sizeof(swiftlet_block_q3_K) == 110, "block_q3_K layout");
_Static_assert(sizeof(swiftlet_block_q4_K) == 144, "block_q4_K layout");
_Static_assert(sizeof(swiftlet_block_q5_K) == 176, "block_q5_K layout");
_Static_assert(sizeof(swiftlet_block_q6_K) == 210, "block_q6_K layout");
_Static_assert(sizeof(swiftlet_block_q8_K) == 292, "block_q8_K layout");

static inline uint32_t swiftlet_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float swiftlet_f32_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/// IEEE half -> float, exact for every input: subnormals are normalized, infinities stay infinite and
/// NaNs keep their sign and payload (the bits numpy's float16 -> float32 conversion produces).
/// Branch-free selects so that loops calling it vectorize.
static inline float swiftlet_f16_to_f32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t em = h & 0x7fffu;
    // Normal: rebias the exponent from 15 to 127. Inf/NaN: all-ones exponent, payload shifted up.
    const uint32_t normal = (em << 13) + ((127u - 15u) << 23);
    const uint32_t special = (em << 13) | 0x7f800000u;
    // Subnormal (and zero): em * 2^-24 is exactly representable as a float.
    const uint32_t sub = swiftlet_f32_bits((float)em * 0x1p-24f);
    const uint32_t mag = em >= 0x7c00u ? special : (em >= 0x0400u ? normal : sub);
    return swiftlet_f32_from_bits(sign | mag);
}

/// float -> IEEE half, rounding to nearest even like ggml's GGML_FP32_TO_FP16 and numpy's astype;
/// overflow gives infinity, NaN gives the quiet NaN 0x7e00 with the input's sign.
static inline uint16_t swiftlet_f32_to_f16(float f) {
    const uint32_t x = swiftlet_f32_bits(f);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00u;
    if (ax >= 0x477ff000u) return sign | 0x7c00u;     // >= 65520 rounds past the largest half
    if (ax >= 0x38800000u) {                           // >= 2^-14: a normal half
        const uint32_t rounded = ax + 0x0fffu + ((ax >> 13) & 1u);
        return sign | (uint16_t)((rounded - ((127u - 15u) << 23)) >> 13);
    }
    // Subnormal half: adding 0.5 puts the value's 2^-24 units in the low mantissa bits, and the
    // FPU's own round-to-nearest-even does the rounding.
    return sign | (uint16_t)(swiftlet_f32_bits(swiftlet_f32_from_bits(ax) + 0.5f) - 0x3f000000u);
}

/// bfloat16 -> float: the bf16 bits are the float's high half.
static inline float swiftlet_bf16_to_f32(uint16_t h) { return swiftlet_f32_from_bits((uint32_t)h << 16); }

/// float -> bfloat16 as ggml's GGML_FP32_TO_BF16: round to nearest even; NaN becomes a quiet NaN
/// that keeps the sign and the top payload bits.
static inline uint16_t swiftlet_f32_to_bf16(float f) {
    const uint32_t x = swiftlet_f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 64u);
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

// MARK: Dequantization (src: n/blockSize blocks -> dst: [n] floats), bit-exact with ggml's
// dequantize_row_* and gguf-py's gguf.quants.dequantize.
typedef void (*swiftlet_dequantize_fn)(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_f32(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_f16(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_bf16(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q4_0(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q4_1(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q5_0(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q5_1(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q8_0(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q8_1(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q2_K(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q3_K(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q4_K(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q5_K(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q6_K(const void *src, float *dst, int64_t n);
void swiftlet_dequantize_q8_K(const void *src, float *dst, int64_t n);

// MARK: Quantization (src: [n] floats -> dst: n/blockSize blocks) for activations and caches, as
// ggml's fp32 -> fp16/bf16 conversions and quantize_row_q8_0_ref / q8_1_ref / q8_K_ref.
typedef void (*swiftlet_quantize_fn)(const float *src, void *dst, int64_t n);
void swiftlet_quantize_f16(const float *src, void *dst, int64_t n);
void swiftlet_quantize_bf16(const float *src, void *dst, int64_t n);
void swiftlet_quantize_q8_0(const float *src, void *dst, int64_t n);
void swiftlet_quantize_q8_1(const float *src, void *dst, int64_t n);
void swiftlet_quantize_q8_K(const float *src, void *dst, int64_t n);

// MARK: Scalar reference dot products of one weight row x with one quantized activation row y,
// both of n elements, with the activation type ggml pairs with each weight type
// (Q4_0/Q5_0/Q8_0 x Q8_0, Q4_1/Q5_1 x Q8_1, K types x Q8_K). Products of quants are summed exactly
// in integers per block, as in ggml's *_generic kernels; the few float operations per block may
// round in a different order than ggml's (whose own SIMD paths differ too), so compare results
// with a tolerance, not bit for bit.
typedef float (*swiftlet_vec_dot_fn)(int64_t n, const void *x, const void *y);
float swiftlet_vec_dot_q4_0_q8_0(int64_t n, const void *x, const void *y);
float swiftlet_vec_dot_q4_1_q8_1(int64_t n, const void *x, const void *y);
float swiftlet_vec_dot_q5_0_q8_0(int64_t n, const void *x, const void *y);
float swiftlet_vec_dot_q5_1_q8_1(int64_t n, const void *x, const void *y);
float swiftlet_vec_dot_q8_0_q8_0(int64_t n, const void *x, const void *y);
float swiftlet_vec_dot_q2_K_q8_K(int64_t n, const void *x, const void *y);
float swiftlet_vec_dot_q3_K_q8_K(int64_t n, const void *x, const void *y);
float swiftlet_vec_dot_q4_K_q8_K(int64_t n, const void *x, const void *y);
float swiftlet_vec_dot_q5_K_q8_K(int64_t n, const void *x, const void *y);
float swiftlet_vec_dot_q6_K_q8_K(int64_t n, const void *x, const void *y);

#endif
