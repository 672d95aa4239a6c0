// AVX2 row kernels (included by matmul.c; private). Not written yet: every type uses the portable
// kernels on AVX2-only CPUs.
static int avx2_plan(mm_ctx *c, int type) { (void)c; (void)type; return -1; }
