import GGUF
import Kernels

/// `qwen2`: Qwen2 / Qwen2.5 (incl. Coder). As Llama, plus biases on the q/k/v projections and
/// NeoX (split-halves) rope.
public final class Qwen2Model: PreNormDecoderModel, @unchecked Sendable {
    public init(file: GGUFFile) throws(ModelError) {
        let c = try ModelConfig(gguf: file)
        let w = WeightLoader(file: file)
        let rope = Rope(layout: .neox, dimensions: c.ropeDimensions, base: c.ropeBase, frequencyScale: 1 / c.ropeLinearScale)
        let scale = 1 / Float(c.headDim).squareRoot()
        let layers = try (0 ..< c.layerCount).map { (i: Int) throws(ModelError) in
            try PreNormBlock(w, layer: i, config: c,
                             attention: SelfAttention(w, layer: i, config: c, biases: true, rope: rope, scale: scale, window: c.slidingWindow),
                             ffn: FeedForward(w, layer: i, config: c))
        }
        super.init(decoder: try Decoder(w, config: c, maxProjection: SelfAttention.maxProjection(c)), layers: layers)
    }
}
