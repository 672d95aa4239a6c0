import CKernels
import Kernels

/// Causal multi-head attention over the paged KV cache, with grouped-query heads and an optional
/// sliding window. K/V are stored in f16 (as llama.cpp's default cache); arithmetic is f32. The
/// kernel (CKernels `swiftlet_attention`) is flash-style and threaded over (token, kv head).
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
        let kc = UnsafeMutableRawPointer(cache.keys(layer: layer)), vc = UnsafeMutableRawPointer(cache.values(layer: layer))
        for t in 0 ..< batch.count {
            let slot = batch.slot[t] * row * MemoryLayout<Float16>.size
            swiftlet_quantize_f16(k + t * row, kc + slot, Int64(row))
            swiftlet_quantize_f16(v + t * row, vc + slot, Int64(row))
        }
    }

    /// out: `[nTokens, heads * headDim]` ← softmax(q·Kᵀ·scale)·V for each token over its own
    /// sequence's positions `max(0, p - window + 1) ... p`.
    func callAsFunction(queries q: UnsafePointer<Float>, layer: Int, window: Int?, batch: BatchPlan,
                        cache: KVCache, workspace ws: Workspace, into out: UnsafeMutablePointer<Float>) {
        let index = ws.attentionIndex
        index.prepare(batch, window: window)
        let keys = UnsafeRawPointer(cache.keys(layer: layer)).assumingMemoryBound(to: UInt16.self)
        let values = UnsafeRawPointer(cache.values(layer: layer)).assumingMemoryBound(to: UInt16.self)
        let width = headCount * headDim
        index.tables.withUnsafeBufferPointer { tables in
            index.tableStart.withUnsafeBufferPointer { start in
                index.first.withUnsafeBufferPointer { first in
                    index.last.withUnsafeBufferPointer { last in
                        var args = swiftlet_attention_args(
                            q: q, ldq: Int64(width), keys: keys, values: values, tables: tables.baseAddress,
                            tableStart: start.baseAddress, first: first.baseAddress, last: last.baseAddress,
                            n: Int64(batch.count), heads: Int32(headCount), kvHeads: Int32(kvHeadCount),
                            headDim: Int32(headDim), blockSize: Int32(cache.blockSize), scale: scale,
                            out: out, ldo: Int64(width))
                        AttentionKernel.run(&args, on: ws.matmul)
                    }
                }
            }
        }
    }
}

/// Per-token inputs of the attention kernel, rebuilt for each call into reused storage: the
/// batch's block tables concatenated, where each token's table starts, and the first and last
/// position it attends to.
final class AttentionIndex {
    private(set) var tables: [Int32] = []
    private(set) var tableStart: [Int32] = []   // [nTokens]
    private(set) var first: [Int32] = []        // [nTokens]
    private(set) var last: [Int32] = []         // [nTokens]

    func prepare(_ batch: BatchPlan, window: Int?) {
        tables.removeAll(keepingCapacity: true)
        tableStart.removeAll(keepingCapacity: true)
        first.removeAll(keepingCapacity: true)
        last.removeAll(keepingCapacity: true)
        var sequenceStart: [Int32] = []
        sequenceStart.reserveCapacity(batch.sequences.count)
        for s in batch.sequences {
            sequenceStart.append(Int32(tables.count))
            tables.append(contentsOf: s.blockTable)
        }
        for t in 0 ..< batch.count {
            let p = batch.positions[t]
            tableStart.append(sequenceStart[Int(batch.sequenceIndex[t])])
            first.append(window.map { max(0, p - Int32($0) + 1) } ?? 0)
            last.append(p)
        }
    }
}
