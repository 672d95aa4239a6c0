import GGUF
import Kernels

/// `llama`: Llama 2/3, TinyLlama, SmolLM, Mistral-style models.
/// Pre-norm blocks: RMSNorm → attention (adjacent-pair rope, GQA) → residual → RMSNorm → SwiGLU MLP
/// → residual. Optional `output.weight` (tied embeddings otherwise) and `rope_freqs` (Llama 3.1
/// rope scaling factors).
public final class LlamaModel: PreNormDecoderModel, @unchecked Sendable {
    public init(file: GGUFFile) throws(ModelError) {
        let c = try ModelConfig(gguf: file)
        let w = WeightLoader(file: file)
        let rope = Rope(layout: .adjacent, dimensions: c.ropeDimensions, base: c.ropeBase,
                        frequencyScale: 1 / c.ropeLinearScale,
                        freqFactors: try w.optionalVector("rope_freqs.weight", count: c.ropeDimensions / 2))
        let scale = 1 / Float(c.headDim).squareRoot()
        let layers = try (0 ..< c.layerCount).map { (i: Int) throws(ModelError) in
            try PreNormBlock(w, layer: i, config: c,
                             attention: SelfAttention(w, layer: i, config: c, rope: rope, scale: scale, window: c.slidingWindow),
                             ffn: FeedForward(w, layer: i, config: c))
        }
        super.init(decoder: try Decoder(w, config: c, maxProjection: SelfAttention.maxProjection(c)), layers: layers)
    }
}
