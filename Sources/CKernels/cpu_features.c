#include "CKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

uint32_t swiftlet_cpu_features(void) {
    uint32_t a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1;
    int fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    int ymm = (xcr0 & 0x6) == 0x6;          // OS saves XMM and YMM state
    int zmm = (xcr0 & 0xe6) == 0xe6;        // ... and opmask + ZMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int avx2 = (b >> 5) & 1;
    int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
    int vnni512 = (c >> 11) & 1;
    if (ymm && avx2) f |= CKernelsFeatureAVX2;
    if (ymm && fma) f |= CKernelsFeatureFMA;
    if (ymm && f16c) f |= CKernelsFeatureF16C;
    if (zmm && avx512) f |= CKernelsFeatureAVX512;
    if (zmm && avx512 && vnni512) f |= CKernelsFeatureAVX512VNNI;
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d) && ymm && ((a >> 4) & 1)) f |= CKernelsFeatureAVXVNNI;
    return f;
}
#elif defined(__aarch64__)
uint32_t swiftlet_cpu_features(void) {
    uint32_t f = CKernelsFeatureNEON;
#if defined(__ARM_FEATURE_DOTPROD)
    f |= CKernelsFeatureDotProd;
#endif
    return f;
}
#else
uint32_t swiftlet_cpu_features(void) { return 0; }
#endif
