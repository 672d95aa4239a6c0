import Kernels

/// Causal multi-head attention over the paged KV cache, with grouped-query heads and an optional
/// sliding window. K/V are stored in f16 (as llama.cpp's default cache); arithmetic is f32.
struct PagedAttention {
    let headCount: Int
    let kvHeadCount: Int
    let headDim: Int
    /// Multiplier applied to q·k before the softmax.
    let scale: Float

    var groupSize: Int { headCount / kvHeadCount }

    /// Writes the batch's new keys and values (`[nTokens, kvHeads * headDim]` each) into the cache
    /// slots their sequences' block tables name.
    func store(keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, layer: Int,
               batch: BatchPlan, cache: KVCache) {
        let row = kvHeadCount * headDim
        let kc = cache.keys(layer: layer), vc = cache.values(layer: layer)
        for t in 0 ..< batch.count {
            let slot = batch.slot[t] * row
            for i in 0 ..< row {
                kc[slot + i] = Float16(k[t * row + i])
                vc[slot + i] = Float16(v[t * row + i])
            }
        }
    }

    /// out: `[nTokens, heads * headDim]` ← softmax(q·Kᵀ·scale)·V for each token over its own
    /// sequence's positions `max(0, p - window + 1) ... p`.
    func callAsFunction(queries q: UnsafeMutablePointer<Float>, layer: Int, window: Int?, batch: BatchPlan,
                        cache: KVCache, workspace ws: Workspace, into out: UnsafeMutablePointer<Float>) {
        let row = kvHeadCount * headDim
        let kc = cache.keys(layer: layer), vc = cache.values(layer: layer)
        let g = groupSize
        let bs = cache.blockSize
        let kRow = ws.kvRow, scores = ws.scores
        for t in 0 ..< batch.count {
            let pos = Int(batch.positions[t])
            let first = window.map { max(0, pos - $0 + 1) } ?? 0
            let span = pos - first + 1
            let table = batch.sequences[Int(batch.sequenceIndex[t])].blockTable
            // llama.cpp (default, non-flash attention) multiplies the f16 cache with f16 copies of
            // the scaled queries and of the softmax probabilities; rounding both the same way keeps
            // our logits within its tolerance even on random-weight models, where the rounding
            // shows. (A power-of-two scale commutes with the rounding, so pre-scaling is exact.)
            let qt = q + t * headCount * headDim
            for i in 0 ..< headCount * headDim { qt[i] = Float(Float16(qt[i] * scale)) }
            for kvh in 0 ..< kvHeadCount {
                // scores: [g, span] for the q heads sharing this kv head; each K row is decoded once.
                for j in 0 ..< span {
                    let p = first + j
                    let src = kc + (Int(table[p / bs]) * bs + p % bs) * row + kvh * headDim
                    for i in 0 ..< headDim { kRow[i] = Float(src[i]) }
                    for h in 0 ..< g {
                        let qh = q + t * headCount * headDim + (kvh * g + h) * headDim
                        scores[h * span + j] = VectorMath.dot(qh, kRow, headDim)
                    }
                }
                for h in 0 ..< g {
                    VectorMath.softmax(scores + h * span, span)
                    for j in 0 ..< span { scores[h * span + j] = Float(Float16(scores[h * span + j])) }
                }
                let o = out + t * headCount * headDim + kvh * g * headDim
                o.update(repeating: 0, count: g * headDim)
                for j in 0 ..< span {
                    let p = first + j
                    let src = vc + (Int(table[p / bs]) * bs + p % bs) * row + kvh * headDim
                    for i in 0 ..< headDim { kRow[i] = Float(src[i]) }
                    for h in 0 ..< g { VectorMath.axpy(scores[h * span + j], kRow, o + h * headDim, headDim) }
                }
            }
        }
    }
}
