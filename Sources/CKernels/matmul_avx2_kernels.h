// 256-bit row kernels, included twice by matmul_avx2.h: once for AVX2 (u8·s8 products through
// maddubs + madd, safe here because every unsigned weight operand is ≤ 63 or, for Q8_0, ≤ 128 via
// the sign trick) and once for AVX-VNNI (dpbusd). NAME(), TGT and DOT_U8S8 are set by the includer.

/// Q4_0 / Q5_0 / Q8_0 rows × ACT_PAIR activations, one 32-element block per 256-bit register.
static inline __attribute__((always_inline, target(TGT)))
void NAME(b32_)(const mm_ctx *c, int64_t r, int64_t t0, const int nt, const int type) {
    const uint8_t *row = c->w + r * c->rowBytes;
    const int64_t nb = c->K / 32;
    const act_pair *a[TILE];
    __m256 acc[TILE];
    for (int t = 0; t < nt; t++) { a[t] = TILE_ACT(c, t0, t); acc[t] = _mm256_setzero_ps(); }
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    for (int64_t b = 0; b < nb; b++) {
        __m256i u, sgn = _mm256_setzero_si256();
        float d;
        if (type == T_Q8_0) {
            const swiftlet_block_q8_0 *x = (const swiftlet_block_q8_0 *)row + b;
            d = _cvtsh_ss(x->d);
            sgn = _mm256_loadu_si256((const void *)x->qs);
            u = _mm256_sign_epi8(sgn, sgn);   // |w|; the activations take w's sign below
        } else {
            const swiftlet_block_q4_0 *x4 = (const swiftlet_block_q4_0 *)row + b;
            const swiftlet_block_q5_0 *x5 = (const swiftlet_block_q5_0 *)row + b;
            const uint8_t *qs = type == T_Q5_0 ? x5->qs : x4->qs;
            d = _cvtsh_ss(type == T_Q5_0 ? x5->d : x4->d);
            const __m128i q = _mm_loadu_si128((const void *)qs);
            u = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), low4);
            if (type == T_Q5_0) {
                // Byte i gets 0x10 when bit i of qh is set.
                const __m256i bits = _mm256_shuffle_epi8(_mm256_set1_epi32((int)swiftlet_load_u32le(x5->qh)),
                    _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
                const __m256i mask = _mm256_set1_epi64x((long long)0x8040201008040201ull);
                const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bits, mask), mask);
                u = _mm256_or_si256(u, _mm256_and_si256(set, _mm256_set1_epi8(0x10)));
            }
        }
        const __m256 dw = _mm256_set1_ps(d);
        for (int t = 0; t < nt; t++) {
            const act_pair *ap = a[t] + b / 2;
            const int h = (int)(b & 1);
            __m256i av = _mm256_load_si256((const void *)(ap->qs + 32 * h));
            if (type == T_Q8_0) av = _mm256_sign_epi8(av, sgn);
            const __m256i dp = DOT_U8S8(_mm256_load_si256((const void *)(ap->init + 8 * h)), u, av);
            acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(dp), _mm256_load_ps(ap->dl + 8 * h)), dw, acc[t]);
        }
    }
    for (int t = 0; t < nt; t++) c->y[(t0 + t) * c->ldy + r] = hsum256(acc[t]);
}

static inline __attribute__((always_inline, target(TGT)))
void NAME(b32q4_0_)(const mm_ctx *c, int64_t r, int64_t t0, const int nt) { NAME(b32_)(c, r, t0, nt, T_Q4_0); }
static inline __attribute__((always_inline, target(TGT)))
void NAME(b32q5_0_)(const mm_ctx *c, int64_t r, int64_t t0, const int nt) { NAME(b32_)(c, r, t0, nt, T_Q5_0); }
static inline __attribute__((always_inline, target(TGT)))
void NAME(b32q8_0_)(const mm_ctx *c, int64_t r, int64_t t0, const int nt) { NAME(b32_)(c, r, t0, nt, T_Q8_0); }
DEFINE_TILED(__attribute__((target(TGT))), NAME(row_q4_0_), NAME(b32q4_0_))
DEFINE_TILED(__attribute__((target(TGT))), NAME(row_q5_0_), NAME(b32q5_0_))
DEFINE_TILED(__attribute__((target(TGT))), NAME(row_q8_0_), NAME(b32q8_0_))

/// Σ over the 8 runs of 32 of a K super-block: (w_j · a_j per 4 lanes) × scale lanes s_j, in int32.
static inline __attribute__((always_inline, target(TGT)))
__m256i NAME(scaled_sums_)(const __m256i w[8], const __m256i s[8], const int8_t *qs) {
    __m256i isum = _mm256_setzero_si256();
    for (int j = 0; j < 8; j++) {
        const __m256i dp = DOT_U8S8(_mm256_setzero_si256(), w[j], _mm256_loadu_si256((const void *)(qs + 32 * j)));
        isum = _mm256_add_epi32(isum, _mm256_mullo_epi32(dp, s[j]));
    }
    return isum;
}

/// Q4_K × Q8_K: per 64 elements, low nibbles (sub-block 2k) and high nibbles (2k+1) of 32 bytes.
static inline __attribute__((always_inline, target(TGT)))
void NAME(q4K_)(const mm_ctx *c, int64_t r, int64_t t0, const int nt) {
    const swiftlet_block_q4_K *x = (const swiftlet_block_q4_K *)(c->w + r * c->rowBytes);
    const int64_t nb = c->K / 256;
    const swiftlet_block_q8_K *a[TILE];
    __m256 acc[TILE];
    for (int t = 0; t < nt; t++) { a[t] = TILE_ACT(c, t0, t); acc[t] = _mm256_setzero_ps(); }
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    for (int64_t i = 0; i < nb; i++) {
        int sc[8], mn[8];
        swiftlet_k4_scales_mins(x[i].scales, sc, mn);
        __m256i w[8], s[8];
        for (int k = 0; k < 4; k++) {
            const __m256i q = _mm256_loadu_si256((const void *)(x[i].qs + 32 * k));
            w[2 * k] = _mm256_and_si256(q, low4);
            w[2 * k + 1] = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
        }
        for (int j = 0; j < 8; j++) s[j] = _mm256_set1_epi32(sc[j]);
        const float d = _cvtsh_ss(x[i].d), dmin = _cvtsh_ss(x[i].dmin);
        for (int t = 0; t < nt; t++) {
            const swiftlet_block_q8_K *y = a[t] + i;
            __m256i isum = NAME(scaled_sums_)(w, s, y->qs);
            int summ = 0;
            for (int j = 0; j < 8; j++) summ += mn[j] * (y->bsums[2 * j] + y->bsums[2 * j + 1]);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(d * y->d), acc[t]);
            acc[t] = _mm256_sub_ps(acc[t], _mm256_setr_ps(dmin * y->d * (float)summ, 0, 0, 0, 0, 0, 0, 0));
        }
    }
    for (int t = 0; t < nt; t++) c->y[(t0 + t) * c->ldy + r] = hsum256(acc[t]);
}
DEFINE_TILED(__attribute__((target(TGT))), NAME(row_q4_K_), NAME(q4K_))

/// Q6_K × Q8_K: 32-element registers; elements 32k..32k+31 of a half take low/high nibbles of ql
/// bytes 0-31 or 32-63 and bit pair k of qh; scales per 16 elements (lanes 0-3 / 4-7).
static inline __attribute__((always_inline, target(TGT)))
void NAME(q6K_)(const mm_ctx *c, int64_t r, int64_t t0, const int nt) {
    const swiftlet_block_q6_K *x = (const swiftlet_block_q6_K *)(c->w + r * c->rowBytes);
    const int64_t nb = c->K / 256;
    const swiftlet_block_q8_K *a[TILE];
    __m256 acc[TILE];
    for (int t = 0; t < nt; t++) { a[t] = TILE_ACT(c, t0, t); acc[t] = _mm256_setzero_ps(); }
    const __m256i low4 = _mm256_set1_epi8(0x0f), three = _mm256_set1_epi8(3);
    for (int64_t i = 0; i < nb; i++) {
        __m256i w[8], s[8];
        for (int h = 0; h < 2; h++) {
            const __m256i ql0 = _mm256_loadu_si256((const void *)(x[i].ql + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const void *)(x[i].ql + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const void *)(x[i].qh + 32 * h));
            const __m256i lo[4] = { _mm256_and_si256(ql0, low4), _mm256_and_si256(ql1, low4),
                                    _mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                                    _mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4) };
            for (int k = 0; k < 4; k++) {
                const __m256i hb = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), three), 4);
                w[4 * h + k] = _mm256_or_si256(lo[k], hb);
                const int j = 8 * h + 2 * k;
                s[4 * h + k] = _mm256_set_m128i(_mm_set1_epi32(x[i].scales[j + 1]), _mm_set1_epi32(x[i].scales[j]));
            }
        }
        const float d = _cvtsh_ss(x[i].d);
        for (int t = 0; t < nt; t++) {
            const swiftlet_block_q8_K *y = a[t] + i;
            __m256i isum = NAME(scaled_sums_)(w, s, y->qs);
            int corr = 0;
            for (int j = 0; j < 16; j++) corr += x[i].scales[j] * y->bsums[j];
            isum = _mm256_sub_epi32(isum, _mm256_setr_epi32(32 * corr, 0, 0, 0, 0, 0, 0, 0));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(d * y->d), acc[t]);
        }
    }
    for (int t = 0; t < nt; t++) c->y[(t0 + t) * c->ldy + r] = hsum256(acc[t]);
}
DEFINE_TILED(__attribute__((target(TGT))), NAME(row_q6_K_), NAME(q6K_))
