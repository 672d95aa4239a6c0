import GGUF
import Kernels

/// `gemma3`: Gemma 3 text models. Differences from Llama: embeddings scaled by sqrt(nEmbd); RMSNorm
/// on each q and k head; post-attention and post-FFN norms before each residual add; GELU(tanh)
/// gating; NeoX rope; sliding-window attention on 5 of every 6 layers, whose rope uses a base of
/// 10,000 and no scaling (the global layers use `rope.freq_base` and the file's rope scaling).
/// (GGUF converters already add Gemma's +1 to every norm weight.)
public final class Gemma3Model: DecoderModel, @unchecked Sendable {
    private let layers: [Layer]

    /// Layers `i` with `i % 6 < 5` use the sliding window (llama.cpp: swa pattern 6).
    static let slidingWindowPattern = 6
    static let localRopeBase: Float = 10_000

    private struct Layer {
        let attentionNorm: RMSNorm
        let attention: SelfAttention
        let postAttentionNorm: RMSNorm
        let ffnNorm: RMSNorm
        let ffn: FeedForward
        let postFFNNorm: RMSNorm
    }

    public init(file: GGUFFile) throws(ModelError) {
        let c = try ModelConfig(gguf: file)
        let w = WeightLoader(file: file)
        let globalRope = Rope(layout: .neox, dimensions: c.ropeDimensions, base: c.ropeBase, frequencyScale: 1 / c.ropeLinearScale)
        let localRope = Rope(layout: .neox, dimensions: c.ropeDimensions, base: Self.localRopeBase)
        // Gemma 3 scales queries by 1/sqrt(query_pre_attn_scalar), which is the head size except
        // for the 27B model (62 layers), where it is nEmbd / nHead — the rule llama.cpp applies.
        let scalar = c.layerCount == 62 ? c.embeddingSize / c.headCount : c.headDim
        let scale = 1 / Float(scalar).squareRoot()
        layers = try (0 ..< c.layerCount).map { (i: Int) throws(ModelError) -> Layer in
            let local = c.slidingWindow != nil && i % Self.slidingWindowPattern < Self.slidingWindowPattern - 1
            let n = c.embeddingSize, eps = c.rmsEpsilon
            return Layer(
                attentionNorm: try RMSNorm(w, "blk.\(i).attn_norm", count: n, eps: eps),
                attention: try SelfAttention(w, layer: i, config: c, headNorms: true, rope: local ? localRope : globalRope,
                                             scale: scale, window: local ? c.slidingWindow : nil),
                postAttentionNorm: try RMSNorm(w, "blk.\(i).post_attention_norm", count: n, eps: eps),
                ffnNorm: try RMSNorm(w, "blk.\(i).ffn_norm", count: n, eps: eps),
                ffn: try FeedForward(w, layer: i, config: c, activation: .geluTanh),
                postFFNNorm: try RMSNorm(w, "blk.\(i).post_ffw_norm", count: n, eps: eps))
        }
        super.init(decoder: try Decoder(w, config: c, embeddingScale: Float(c.embeddingSize).squareRoot(),
                                        maxProjection: SelfAttention.maxProjection(c)))
    }

    public override func forward(_ batch: ForwardBatch, cache: KVCache, logits: UnsafeMutableBufferPointer<Float>) throws {
        try decoder.run(batch, cache: cache, logits: logits) { plan, ws throws(ModelError) in
            let n = plan.count
            for (i, l) in layers.enumerated() {
                l.attentionNorm(ws.x, rows: n, into: ws.h)
                try l.attention(layer: i, plan: plan, cache: cache, ws: ws)
                l.postAttentionNorm(ws.h, rows: n, into: ws.h)
                ws.addResidual(n)
                l.ffnNorm(ws.x, rows: n, into: ws.h)
                try l.ffn(plan: plan, ws: ws)
                l.postFFNNorm(ws.h, rows: n, into: ws.h)
                ws.addResidual(n)
            }
        }
    }
}
