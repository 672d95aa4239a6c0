import GGUF

/// Hyperparameters of a decoder-only transformer, read from the GGUF metadata under the
/// architecture's prefix (`qwen2.block_count`, …). Nothing is hard-coded per model.
public struct ModelConfig: Sendable, Equatable {
    public var architecture: String
    public var layerCount: Int
    public var embeddingSize: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var feedForwardSize: Int
    public var contextLength: Int
    public var rmsEpsilon: Float
    public var ropeBase: Float
    public var ropeDimensions: Int
    /// Linear rope scaling factor (1 = none): positions are divided by it.
    public var ropeLinearScale: Float
    /// Sliding-window attention span in tokens, if the model uses it on some layers.
    public var slidingWindow: Int?

    /// Limits that keep a hostile file from asking for absurd allocations.
    static let maxDimension = 1 << 17
    static let maxLayers = 1 << 10

    public init(gguf: GGUFFile) throws(ModelError) {
        do {
            let m = gguf.metadata
            let arch = try m.string("general.architecture")
            architecture = arch
            func key(_ k: String) -> String { "\(arch).\(k)" }
            layerCount = try m.int(key("block_count"))
            embeddingSize = try m.int(key("embedding_length"))
            headCount = try m.int(key("attention.head_count"))
            kvHeadCount = try m.int(key("attention.head_count_kv"), default: headCount)
            headDim = try m.int(key("attention.key_length"), default: headCount > 0 ? embeddingSize / headCount : 0)
            feedForwardSize = try m.int(key("feed_forward_length"))
            contextLength = try m.int(key("context_length"))
            rmsEpsilon = try m.float(key("attention.layer_norm_rms_epsilon"), default: 1e-5)
            ropeBase = try m.float(key("rope.freq_base"), default: 10_000)
            ropeDimensions = try m.int(key("rope.dimension_count"), default: headDim)
            let scalingType = try m.string(key("rope.scaling.type"), default: "none")
            let factor = try m.float(key("rope.scaling.factor"), default: 1)
            ropeLinearScale = (scalingType == "linear" && factor > 0) ? factor : 1
            slidingWindow = m.contains(key("attention.sliding_window")) ? try m.int(key("attention.sliding_window")) : nil
        } catch {
            throw .file(error)
        }
        try validate()
    }

    private func validate() throws(ModelError) {
        func check(_ ok: Bool, _ k: String, _ v: Any, _ why: String) throws(ModelError) {
            if !ok { throw .badHyperparameter(key: "\(architecture).\(k)", value: "\(v)", reason: why) }
        }
        try check((1 ... Self.maxLayers).contains(layerCount), "block_count", layerCount, "must be 1...\(Self.maxLayers)")
        for (k, v) in [("embedding_length", embeddingSize), ("attention.head_count", headCount),
                       ("attention.head_count_kv", kvHeadCount), ("attention.key_length", headDim),
                       ("feed_forward_length", feedForwardSize)] {
            try check((1 ... Self.maxDimension).contains(v), k, v, "must be 1...\(Self.maxDimension)")
        }
        try check(headCount % kvHeadCount == 0, "attention.head_count_kv", kvHeadCount, "must divide head_count \(headCount)")
        try check(contextLength >= 1 && contextLength <= 1 << 24, "context_length", contextLength, "must be 1...\(1 << 24)")
        try check(ropeDimensions >= 2 && ropeDimensions <= headDim && ropeDimensions % 2 == 0,
                  "rope.dimension_count", ropeDimensions, "must be even and at most the head size \(headDim)")
        try check(rmsEpsilon > 0 && rmsEpsilon.isFinite, "attention.layer_norm_rms_epsilon", rmsEpsilon, "must be positive")
        try check(ropeBase > 0 && ropeBase.isFinite, "rope.freq_base", ropeBase, "must be positive")
        if let w = slidingWindow { try check(w >= 1, "attention.sliding_window", w, "must be positive") }
    }

    public var kvLayout: KVLayout { KVLayout(layerCount: layerCount, kvHeadCount: kvHeadCount, headDim: headDim) }
}
