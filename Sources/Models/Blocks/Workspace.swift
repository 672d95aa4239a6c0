import Kernels

/// Activation buffers of one forward pass, allocated for the largest batch seen so far and reused:
/// steady-state decoding allocates nothing.
final class Workspace {
    private(set) var capacity = 0      // tokens the per-token buffers hold
    let config: ModelConfig
    /// Width of the widest per-token projection (q, fused qkv, fused gate/up), set by the model.
    let maxProjection: Int

    private(set) var x: UnsafeMutablePointer<Float>       // [T, nEmbd] residual stream
    private(set) var h: UnsafeMutablePointer<Float>       // [T, nEmbd] normed input / sublayer output
    private(set) var q: UnsafeMutablePointer<Float>       // [T, maxProjection] queries (or fused qkv)
    private(set) var k: UnsafeMutablePointer<Float>       // [T, kvHeads * headDim]
    private(set) var v: UnsafeMutablePointer<Float>       // [T, kvHeads * headDim]
    private(set) var att: UnsafeMutablePointer<Float>     // [T, heads * headDim]
    private(set) var gate: UnsafeMutablePointer<Float>    // [T, max(2 * nFF, maxProjection)]
    private(set) var up: UnsafeMutablePointer<Float>      // [T, nFF]
    /// Per-token block-table offsets and position ranges for the attention kernel.
    let attentionIndex = AttentionIndex()
    /// Worker pool, instruction set and scratch of the matrix products and attention.
    private(set) var matmul: MatMulScratch

    init(config: ModelConfig, maxProjection: Int, threads: Int) throws(KernelError) {
        self.config = config
        self.maxProjection = maxProjection
        matmul = MatMulScratch(pool: try ThreadPool(threads: threads))
        x = .allocate(capacity: 0); h = .allocate(capacity: 0); q = .allocate(capacity: 0)
        k = .allocate(capacity: 0); v = .allocate(capacity: 0); att = .allocate(capacity: 0)
        gate = .allocate(capacity: 0); up = .allocate(capacity: 0)
    }

    deinit {
        for p in [x, h, q, k, v, att, gate, up] { p.deallocate() }
    }

    /// Replaces the worker pool with one of `threads` threads.
    func setThreads(_ threads: Int) throws(KernelError) {
        guard threads != matmul.pool.threads else { return }
        matmul = MatMulScratch(pool: try ThreadPool(threads: threads), isa: matmul.isa)
    }

    /// `x += h` over `tokens` rows: adds a sublayer's output to the residual stream.
    func addResidual(_ tokens: Int) {
        VectorMath.add(x, h, tokens * config.embeddingSize)
    }

    /// Makes room for `tokens` tokens (grows geometrically, never shrinks).
    func reserve(tokens: Int) {
        guard tokens > capacity else { return }
        let n = max(tokens, capacity * 2)
        let c = config
        let kv = c.kvHeadCount * c.headDim
        func grow(_ p: inout UnsafeMutablePointer<Float>, _ width: Int) {
            p.deallocate()
            p = .allocate(capacity: n * width)
        }
        grow(&x, c.embeddingSize); grow(&h, c.embeddingSize); grow(&q, maxProjection)
        grow(&k, kv); grow(&v, kv); grow(&att, c.headCount * c.headDim)
        grow(&gate, max(2 * c.feedForwardSize, maxProjection)); grow(&up, c.feedForwardSize)
        capacity = n
    }
}
