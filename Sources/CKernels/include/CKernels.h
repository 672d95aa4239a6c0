#ifndef SWIFTLET_CKERNELS_H
#define SWIFTLET_CKERNELS_H
#include <stdint.h>
#include <stddef.h>
#include "ck_quants.h"
#include "ck_pool.h"
#include "ck_matmul.h"
#include "ck_attention.h"
#include "ck_activations.h"

/// Bit mask of the SIMD features this CPU has (see CKernelsFeature*), read once with cpuid.
uint32_t swiftlet_cpu_features(void);

enum {
    CKernelsFeatureAVX2 = 1u << 0,
    CKernelsFeatureFMA = 1u << 1,
    CKernelsFeatureF16C = 1u << 2,
    CKernelsFeatureAVX512 = 1u << 3,   // F + BW + VL + DQ
    CKernelsFeatureAVX512VNNI = 1u << 4,
    CKernelsFeatureAVXVNNI = 1u << 5,
    CKernelsFeatureNEON = 1u << 6,
    CKernelsFeatureDotProd = 1u << 7,
};

#endif
