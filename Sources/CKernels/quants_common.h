#ifndef SWIFTLET_QUANTS_COMMON_H
#define SWIFTLET_QUANTS_COMMON_H
// Unpacking helpers shared by dequantization and the dot products (private to CKernels).
#include "ck_quants.h"

static inline uint32_t swiftlet_load_u32le(const uint8_t p[4]) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/// The 16 signed 6-bit scales of a Q3_K block: low nibbles in bytes 0-7 (scales 0-7 in the low
/// nibbles, 8-15 in the high ones), 2 high bits each in bytes 8-11 (byte 8 + k%4, bit pair k/4).
static inline void swiftlet_q3_K_scales(const uint8_t packed[12], int scales[16]) {
    for (int k = 0; k < 16; k++) {
        const int low = k < 8 ? (packed[k] & 0x0f) : (packed[k - 8] >> 4);
        const int high = (packed[8 + k % 4] >> (2 * (k / 4))) & 3;
        scales[k] = (low | high << 4) - 32;
    }
}

/// The 8 scales and 8 mins (6 bits each) of a Q4_K/Q5_K block: for j < 4 the low 6 bits of bytes j
/// and j+4; for j >= 4 the nibbles of byte j+4 plus the top 2 bits of bytes j-4 and j.
static inline void swiftlet_k4_scales_mins(const uint8_t q[12], int scales[8], int mins[8]) {
    for (int j = 0; j < 4; j++) {
        scales[j] = q[j] & 63;
        mins[j] = q[j + 4] & 63;
        scales[j + 4] = (q[j + 8] & 0x0f) | ((q[j] >> 6) << 4);
        mins[j + 4] = (q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4);
    }
}

#endif
