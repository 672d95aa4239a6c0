import Kernels

/// The pre-norm decoder layer of Llama, Qwen2 and Phi-3:
/// `x += attn(norm(x)); x += ffn(norm(x))`.
struct PreNormBlock {
    let attentionNorm: RMSNorm
    let attention: SelfAttention
    let ffnNorm: RMSNorm
    let ffn: FeedForward

    /// Reads `blk.i.attn_norm` and `blk.i.ffn_norm` around the given sublayers.
    init(_ w: WeightLoader, layer i: Int, config c: ModelConfig, attention: SelfAttention, ffn: FeedForward) throws(ModelError) {
        attentionNorm = try RMSNorm(w, "blk.\(i).attn_norm", count: c.embeddingSize, eps: c.rmsEpsilon)
        self.attention = attention
        ffnNorm = try RMSNorm(w, "blk.\(i).ffn_norm", count: c.embeddingSize, eps: c.rmsEpsilon)
        self.ffn = ffn
    }

    func callAsFunction(layer: Int, plan: BatchPlan, cache: KVCache, ws: Workspace) throws(ModelError) {
        attentionNorm(ws.x, rows: plan.count, into: ws.h)
        try attention(layer: layer, plan: plan, cache: cache, ws: ws)
        ws.addResidual(plan.count)
        ffnNorm(ws.x, rows: plan.count, into: ws.h)
        try ffn(plan: plan, ws: ws)
        ws.addResidual(plan.count)
    }
}

/// A decoder made of `PreNormBlock`s (Llama, Qwen2, Phi-3): the forward pass is the same loop,
/// the architectures differ only in the options their blocks are built with.
public class PreNormDecoderModel: DecoderModel, @unchecked Sendable {
    private let layers: [PreNormBlock]

    init(decoder: Decoder, layers: [PreNormBlock]) {
        self.layers = layers
        super.init(decoder: decoder)
    }

    public override func forward(_ batch: ForwardBatch, cache: KVCache, logits: UnsafeMutableBufferPointer<Float>) throws {
        try decoder.run(batch, cache: cache, logits: logits) { plan, ws throws(ModelError) in
            for (i, layer) in layers.enumerated() {
                try layer(layer: i, plan: plan, cache: cache, ws: ws)
            }
        }
    }
}

/// Base of every architecture: owns the shared `Decoder` (embedding, output head, workspace) and
/// answers the `LanguageModel` shape queries; subclasses implement `forward` as a straight-line
/// loop over their layers.
public class DecoderModel: LanguageModel, @unchecked Sendable {
    public let config: ModelConfig
    let decoder: Decoder

    init(decoder: Decoder) {
        self.decoder = decoder
        config = decoder.config
    }

    public var vocabularySize: Int { decoder.vocabularySize }
    public var contextLength: Int { config.contextLength }
    public var kvLayout: KVLayout { config.kvLayout }

    /// Threads the forward pass's heavy kernels use (default: the machine's core count).
    public var threads: Int { decoder.threads }

    /// Sets the worker-thread count (`--threads`); throws if the threads cannot be started.
    public func setThreads(_ threads: Int) throws {
        try decoder.setThreads(threads)
    }

    public func forward(_ batch: ForwardBatch, cache: KVCache, logits: UnsafeMutableBufferPointer<Float>) throws {
        throw ForwardError.malformedBatch("\(type(of: self)) does not implement forward")
    }
}
