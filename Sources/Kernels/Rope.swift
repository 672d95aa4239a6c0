import Foundation

/// Rotary position embedding, in the two pair layouts llama.cpp uses.
public enum RopeLayout: Sendable {
    /// Adjacent pairs (x[2i], x[2i+1]) — llama.cpp's "normal" mode (Llama).
    case adjacent
    /// Split halves (x[i], x[i + d/2]) — "NeoX" mode (Qwen2, Phi-3, Gemma).
    case neox
}

/// One rope configuration: which dimensions rotate, at which frequencies.
public struct Rope: Sendable {
    public let layout: RopeLayout
    /// Number of leading dimensions of each head that are rotated.
    public let dimensions: Int
    let thetaScale: Float
    let frequencyScale: Float   // llama.cpp freq_scale: 1 / linear scaling factor
    let freqFactors: [Float]   // [dimensions / 2], all 1 unless the model ships rope_freqs

    public init(layout: RopeLayout, dimensions: Int, base: Float, frequencyScale: Float = 1, freqFactors: [Float]? = nil) {
        self.layout = layout
        self.dimensions = dimensions
        thetaScale = powf(base, -2.0 / Float(dimensions))
        self.frequencyScale = frequencyScale
        self.freqFactors = freqFactors ?? [Float](repeating: 1, count: dimensions / 2)
    }

    /// Rotates `heads` heads of `headDim` floats stored contiguously at `x`, for position `position`.
    public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, position: Int) {
        let half = dimensions / 2
        // Same arithmetic as ggml's rope cache: theta starts at the position and is multiplied by
        // theta_scale once per pair, so angles agree with llama.cpp to the last bit.
        var theta = Float(position)
        freqFactors.withUnsafeBufferPointer { ff in
            for i in 0 ..< half {
                let t = theta / ff[i] * frequencyScale
                let c = cosf(t), s = sinf(t)
                let (a, b) = layout == .adjacent ? (2 * i, 2 * i + 1) : (i, i + half)
                for h in 0 ..< heads {
                    let base = x + h * headDim
                    let x0 = base[a], x1 = base[b]
                    base[a] = x0 * c - x1 * s
                    base[b] = x0 * s + x1 * c
                }
                theta *= thetaScale
            }
        }
    }
}
