import Kernels

/// The attention sublayer shared by every architecture: projections, optional per-head q/k norms,
/// rotary embedding, paged causal attention and the output projection. Architectures differ only in
/// the options they pass.
struct SelfAttention {
    enum Projections {
        case separate(q: Linear, k: Linear, v: Linear)
        /// One matrix producing `[q | k | v]` per token (Phi-3's `attn_qkv`).
        case fused(Linear)
    }

    let projections: Projections
    let output: Linear
    let queryNorm: RMSNorm?   // per head, [headDim] weights (Gemma 3)
    let keyNorm: RMSNorm?
    let rope: Rope
    let attention: PagedAttention
    /// Sliding-window span for this layer, nil for full causal attention.
    let window: Int?

    /// Standard llama.cpp tensor names under `blk.N.`: attn_q/attn_k/attn_v (or attn_qkv), attn_output,
    /// attn_q_norm/attn_k_norm.
    init(_ w: WeightLoader, layer i: Int, config c: ModelConfig, biases: Bool = false, fusedQKV: Bool = false,
         headNorms: Bool = false, rope: Rope, scale: Float, window: Int? = nil) throws(ModelError) {
        let p = "blk.\(i)."
        let qw = c.headCount * c.headDim, kvw = c.kvHeadCount * c.headDim
        if fusedQKV {
            projections = .fused(try Linear(w, p + "attn_qkv", out: qw + 2 * kvw, in: c.embeddingSize, bias: biases))
        } else {
            projections = .separate(q: try Linear(w, p + "attn_q", out: qw, in: c.embeddingSize, bias: biases),
                                    k: try Linear(w, p + "attn_k", out: kvw, in: c.embeddingSize, bias: biases),
                                    v: try Linear(w, p + "attn_v", out: kvw, in: c.embeddingSize, bias: biases))
        }
        output = try Linear(w, p + "attn_output", out: c.embeddingSize, in: qw)
        queryNorm = headNorms ? try RMSNorm(w, p + "attn_q_norm", count: c.headDim, eps: c.rmsEpsilon) : nil
        keyNorm = headNorms ? try RMSNorm(w, p + "attn_k_norm", count: c.headDim, eps: c.rmsEpsilon) : nil
        self.rope = rope
        attention = PagedAttention(headCount: c.headCount, kvHeadCount: c.kvHeadCount, headDim: c.headDim, scale: scale)
        self.window = window
    }

    /// Width of the widest projection output, for sizing the workspace.
    static func maxProjection(_ c: ModelConfig) -> Int { (c.headCount + 2 * c.kvHeadCount) * c.headDim }

    /// `ws.h` (`[T, nEmbd]`, normed input) → `ws.h` (`[T, nEmbd]`, attention output).
    func callAsFunction(layer: Int, plan: BatchPlan, cache: KVCache, ws: Workspace) throws(ModelError) {
        let n = plan.count
        let hd = attention.headDim
        let qw = attention.headCount * hd, kvw = attention.kvHeadCount * hd
        switch projections {
        case let .separate(q, k, v):
            try q(ws.h, n: n, into: ws.q, scratch: ws.matmul)
            try k(ws.h, n: n, into: ws.k, scratch: ws.matmul)
            try v(ws.h, n: n, into: ws.v, scratch: ws.matmul)
        case let .fused(qkv):
            // [T, q | k | v] in the wide scratch, then split into the packed q, k, v buffers.
            try qkv(ws.h, n: n, into: ws.gate, scratch: ws.matmul)
            let w = qw + 2 * kvw
            for t in 0 ..< n {
                let row = ws.gate + t * w
                (ws.q + t * qw).update(from: row, count: qw)
                (ws.k + t * kvw).update(from: row + qw, count: kvw)
                (ws.v + t * kvw).update(from: row + qw + kvw, count: kvw)
            }
        }
        queryNorm?(ws.q, rows: n * attention.headCount, into: ws.q)
        keyNorm?(ws.k, rows: n * attention.kvHeadCount, into: ws.k)
        for t in 0 ..< n {
            let pos = Int(plan.positions[t])
            rope.apply(ws.q + t * qw, heads: attention.headCount, headDim: hd, position: pos)
            rope.apply(ws.k + t * kvw, heads: attention.kvHeadCount, headDim: hd, position: pos)
        }
        attention.store(keys: ws.k, values: ws.v, layer: layer, batch: plan, cache: cache)
        attention(queries: ws.q, layer: layer, window: window, batch: plan, cache: cache, workspace: ws, into: ws.att)
        try output(ws.att, n: n, into: ws.h, scratch: ws.matmul)
    }
}

/// The gated feed-forward sublayer: `down(act(gate(x)) * up(x))`.
struct FeedForward {
    enum Activation { case silu, geluTanh }
    /// Separate gate/up matrices, or one `ffn_up` producing `[gate | up]` (Phi-3).
    let gate: Linear?
    let up: Linear
    let down: Linear
    let activation: Activation

    init(_ w: WeightLoader, layer i: Int, config c: ModelConfig, activation: Activation = .silu, fusedGateUp: Bool = false) throws(ModelError) {
        let p = "blk.\(i)."
        gate = fusedGateUp ? nil : try Linear(w, p + "ffn_gate", out: c.feedForwardSize, in: c.embeddingSize)
        up = try Linear(w, p + "ffn_up", out: (fusedGateUp ? 2 : 1) * c.feedForwardSize, in: c.embeddingSize)
        down = try Linear(w, p + "ffn_down", out: c.embeddingSize, in: c.feedForwardSize)
        self.activation = activation
    }

    /// `ws.h` (`[T, nEmbd]`) → `ws.h`.
    func callAsFunction(plan: BatchPlan, ws: Workspace) throws(ModelError) {
        let n = plan.count, ff = down.inFeatures
        if let gate {
            try gate(ws.h, n: n, into: ws.gate, scratch: ws.matmul)
            try up(ws.h, n: n, into: ws.up, scratch: ws.matmul)
        } else {
            // Fused: row t of ws.gate is [gate | up]; move the up half out so gate rows pack.
            try up(ws.h, n: n, into: ws.gate, scratch: ws.matmul)
            for t in 0 ..< n {
                (ws.up + t * ff).update(from: ws.gate + t * 2 * ff + ff, count: ff)
                (ws.gate + t * ff).update(from: ws.gate + t * 2 * ff, count: ff)
            }
        }
        switch activation {
        case .silu: VectorMath.swiglu(ws.gate, ws.up, n * ff)
        case .geluTanh: VectorMath.geglu(ws.gate, ws.up, n * ff)
        }
        try down(ws.gate, n: n, into: ws.h, scratch: ws.matmul)
    }
}
