#ifndef SWIFTLET_QUANTS_COMMON_H
#define SWIFTLET_QUANTS_COMMON_H
// Unpacking helpers shared by dequantization and the dot products (private to CKernels).
#include "ck_quants.h"

static inline uint32_t swiftlet_load_u32le(const uint8_t p[4]) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// Legacy 32-element blocks are unpacked into one common form: integer quants, the scale d and, for
// Q4_1/Q5_1, the min m (dequantized value q * d + m; the others are q * d).
typedef struct {
    int8_t q[SWIFTLET_QK];
    float d, m;
    int has_min;
} swiftlet_legacy_unpacked;

/// Unpacks the legacy block at `block` (see the functions below).
typedef void (*swiftlet_legacy_unpack_fn)(const void *block, swiftlet_legacy_unpacked *u);

/// 4- or 5-bit quants minus `offset` (8 or 16 for the symmetric Q4_0/Q5_0, 0 for Q4_1/Q5_1).
/// Element j sits in the low nibble of qs[j], element j + 16 in the high nibble; for the 5-bit types
/// (qh not NULL) bit j of the little-endian qh word is element j's fifth bit.
static inline void swiftlet_unpack_nibbles(const uint8_t qs[16], const uint8_t *qh, int offset, int8_t q[32]) {
    const uint32_t h = qh ? swiftlet_load_u32le(qh) : 0;
    for (int j = 0; j < 16; j++) {
        q[j] = (int8_t)(((qs[j] & 0x0f) | (int)((h >> j) & 1u) << 4) - offset);
        q[j + 16] = (int8_t)(((qs[j] >> 4) | (int)((h >> (j + 16)) & 1u) << 4) - offset);
    }
}

static inline void swiftlet_unpack_q4_0(const void *block, swiftlet_legacy_unpacked *u) {
    const swiftlet_block_q4_0 *b = block;
    swiftlet_unpack_nibbles(b->qs, NULL, 8, u->q);
    u->d = swiftlet_f16_to_f32(b->d); u->m = 0.0f; u->has_min = 0;
}

static inline void swiftlet_unpack_q4_1(const void *block, swiftlet_legacy_unpacked *u) {
    const swiftlet_block_q4_1 *b = block;
    swiftlet_unpack_nibbles(b->qs, NULL, 0, u->q);
    u->d = swiftlet_f16_to_f32(b->d); u->m = swiftlet_f16_to_f32(b->m); u->has_min = 1;
}

static inline void swiftlet_unpack_q5_0(const void *block, swiftlet_legacy_unpacked *u) {
    const swiftlet_block_q5_0 *b = block;
    swiftlet_unpack_nibbles(b->qs, b->qh, 16, u->q);
    u->d = swiftlet_f16_to_f32(b->d); u->m = 0.0f; u->has_min = 0;
}

static inline void swiftlet_unpack_q5_1(const void *block, swiftlet_legacy_unpacked *u) {
    const swiftlet_block_q5_1 *b = block;
    swiftlet_unpack_nibbles(b->qs, b->qh, 0, u->q);
    u->d = swiftlet_f16_to_f32(b->d); u->m = swiftlet_f16_to_f32(b->m); u->has_min = 1;
}

static inline void swiftlet_unpack_q8_0(const void *block, swiftlet_legacy_unpacked *u) {
    const swiftlet_block_q8_0 *b = block;
    memcpy(u->q, b->qs, SWIFTLET_QK);
    u->d = swiftlet_f16_to_f32(b->d); u->m = 0.0f; u->has_min = 0;
}

static inline void swiftlet_unpack_q8_1(const void *block, swiftlet_legacy_unpacked *u) {
    const swiftlet_block_q8_1 *b = block;
    memcpy(u->q, b->qs, SWIFTLET_QK);
    u->d = swiftlet_f16_to_f32(b->d); u->m = 0.0f; u->has_min = 0;
}

// K types (256-element super-blocks) are unpacked into one common form: the quants as integers in
// element order, an integer scale and min per 16-element group, and the block's float scales, so
// that dequantization is (d * scale) * q - (dmin * min) and a dot product is an integer sum per
// group. (For Q3_K and Q6_K, dmin and the mins are 0, and subtracting 0.0f leaves every float,
// -0.0f included, unchanged.)
typedef struct {
    int8_t q[SWIFTLET_QK_K];
    int scales[SWIFTLET_QK_K / 16];
    int mins[SWIFTLET_QK_K / 16];
    float d, dmin;
} swiftlet_k_unpacked;

/// Unpacks the K-type block at `block` (see the functions below).
typedef void (*swiftlet_k_unpack_fn)(const void *block, swiftlet_k_unpacked *u);

/// The 2-bit quants of Q2_K/Q3_K: byte l of 32-byte group r/4 holds element l of 32-element run r
/// in bits 2*(r%4). For Q3_K (hmask not NULL) bit r of hmask[l] is that element's high bit; a
/// cleared bit means the quant is 4 lower (range -4 ... 3).
static inline void swiftlet_unpack_2bit(const uint8_t qs[64], const uint8_t *hmask, int8_t q[SWIFTLET_QK_K]) {
    for (int r = 0; r < 8; r++) {
        const uint8_t *group = qs + 32 * (r / 4);
        const int shift = 2 * (r % 4);
        for (int l = 0; l < 32; l++) {
            const int low = (group[l] >> shift) & 3;
            q[32 * r + l] = (int8_t)(hmask ? low - (((hmask[l] >> r) & 1) ? 0 : 4) : low);
        }
    }
}

/// Q2_K: each scales byte holds a 4-bit scale (low nibble) and a 4-bit min (high nibble).
static inline void swiftlet_unpack_q2_K(const void *block, swiftlet_k_unpacked *u) {
    const swiftlet_block_q2_K *b = block;
    u->d = swiftlet_f16_to_f32(b->d);
    u->dmin = swiftlet_f16_to_f32(b->dmin);
    swiftlet_unpack_2bit(b->qs, NULL, u->q);
    for (int g = 0; g < 16; g++) {
        u->scales[g] = b->scales[g] & 0x0f;
        u->mins[g] = b->scales[g] >> 4;
    }
}

/// Q3_K: 16 signed 6-bit scales: low nibbles in bytes 0-7 (scales 0-7 in the low nibbles, 8-15 in
/// the high ones), 2 high bits each in bytes 8-11 (byte 8 + g%4, bit pair g/4), biased by 32.
static inline void swiftlet_unpack_q3_K(const void *block, swiftlet_k_unpacked *u) {
    const swiftlet_block_q3_K *b = block;
    u->d = swiftlet_f16_to_f32(b->d);
    u->dmin = 0.0f;
    swiftlet_unpack_2bit(b->qs, b->hmask, u->q);
    for (int g = 0; g < 16; g++) {
        const int low = g < 8 ? (b->scales[g] & 0x0f) : (b->scales[g - 8] >> 4);
        const int high = (b->scales[8 + g % 4] >> (2 * (g / 4))) & 3;
        u->scales[g] = (low | high << 4) - 32;
        u->mins[g] = 0;
    }
}

/// Q4_K/Q5_K: 8 scales and 8 mins of 6 bits, one per 32-element run: for j < 4 the low 6 bits of
/// bytes j and j+4; for j >= 4 the nibbles of byte j+4 plus the top 2 bits of bytes j-4 and j.
/// Byte l of 32-byte group j/2 holds element l of run j in its low (even j) or high nibble; for Q5_K
/// (qh not NULL) bit j of qh[l] is that element's fifth bit.
static inline void swiftlet_k4_scales_mins(const uint8_t packed[12], int scales[8], int mins[8]) {
    for (int j = 0; j < 8; j++) {
        scales[j] = j < 4 ? packed[j] & 63 : (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
        mins[j] = j < 4 ? packed[j + 4] & 63 : (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
    }
}

static inline void swiftlet_unpack_k4(uint16_t d, uint16_t dmin, const uint8_t packed[12], const uint8_t qs[128],
                                      const uint8_t *qh, swiftlet_k_unpacked *u) {
    u->d = swiftlet_f16_to_f32(d);
    u->dmin = swiftlet_f16_to_f32(dmin);
    int scales[8], mins[8];
    swiftlet_k4_scales_mins(packed, scales, mins);
    for (int j = 0; j < 8; j++) {
        const int scale = scales[j], min = mins[j];
        u->scales[2 * j] = u->scales[2 * j + 1] = scale;
        u->mins[2 * j] = u->mins[2 * j + 1] = min;
        const uint8_t *group = qs + 32 * (j / 2);
        const int shift = 4 * (j % 2);
        for (int l = 0; l < 32; l++) {
            const int high = qh ? ((qh[l] >> j) & 1) << 4 : 0;
            u->q[32 * j + l] = (int8_t)(((group[l] >> shift) & 0x0f) | high);
        }
    }
}

static inline void swiftlet_unpack_q4_K(const void *block, swiftlet_k_unpacked *u) {
    const swiftlet_block_q4_K *b = block;
    swiftlet_unpack_k4(b->d, b->dmin, b->scales, b->qs, NULL, u);
}

static inline void swiftlet_unpack_q5_K(const void *block, swiftlet_k_unpacked *u) {
    const swiftlet_block_q5_K *b = block;
    swiftlet_unpack_k4(b->d, b->dmin, b->scales, b->qs, b->qh, u);
}

/// Q6_K: per 128-element half, 64 bytes of low nibbles (element l of runs 0/1 in the low nibbles
/// of bytes l/l+32, runs 2/3 in the high ones) and 32 bytes of high 2-bit pairs (run r in bits
/// 2r of byte l), biased by 32; signed 8-bit scales per 16 elements.
static inline void swiftlet_unpack_q6_K(const void *block, swiftlet_k_unpacked *u) {
    const swiftlet_block_q6_K *b = block;
    u->d = swiftlet_f16_to_f32(b->d);
    u->dmin = 0.0f;
    for (int half = 0; half < 2; half++) {
        const uint8_t *ql = b->ql + 64 * half;
        const uint8_t *qh = b->qh + 32 * half;
        int8_t *q = u->q + 128 * half;
        for (int r = 0; r < 4; r++) {
            const uint8_t *low = ql + 32 * (r % 2);
            const int shift = 4 * (r / 2);
            for (int l = 0; l < 32; l++) {
                q[32 * r + l] = (int8_t)((((low[l] >> shift) & 0x0f) | ((qh[l] >> (2 * r)) & 3) << 4) - 32);
            }
        }
    }
    for (int g = 0; g < 16; g++) {
        u->scales[g] = b->scales[g];
        u->mins[g] = 0;
    }
}

#endif
