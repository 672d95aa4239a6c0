import GGUF
import Kernels

/// `phi3`: Phi-3 / Phi-3.5. Fused `attn_qkv` and fused gate/up in `ffn_up`, NeoX rope, sliding
/// window on every layer when the metadata sets one; `rope_factors_short` scales rope frequencies
/// when present (the long factors only apply beyond the original training context).
public final class Phi3Model: PreNormDecoderModel, @unchecked Sendable {
    public init(file: GGUFFile) throws(ModelError) {
        let c = try ModelConfig(gguf: file)
        let w = WeightLoader(file: file)
        let rope = Rope(layout: .neox, dimensions: c.ropeDimensions, base: c.ropeBase, frequencyScale: 1 / c.ropeLinearScale,
                        freqFactors: try w.optionalVector("rope_factors_short.weight", count: c.ropeDimensions / 2))
        let scale = 1 / Float(c.headDim).squareRoot()
        let layers = try (0 ..< c.layerCount).map { (i: Int) throws(ModelError) in
            try PreNormBlock(w, layer: i, config: c,
                             attention: SelfAttention(w, layer: i, config: c, fusedQKV: true, rope: rope, scale: scale, window: c.slidingWindow),
                             ffn: FeedForward(w, layer: i, config: c, fusedGateUp: true))
        }
        super.init(decoder: try Decoder(w, config: c, maxProjection: SelfAttention.maxProjection(c)), layers: layers)
    }
}
