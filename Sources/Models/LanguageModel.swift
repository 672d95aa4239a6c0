/// What the engine needs from a model: shapes, and one batched forward pass over a paged KV cache.
/// Real architectures and the scheduler tests' fake model both conform.
public protocol LanguageModel: AnyObject, Sendable {
    var vocabularySize: Int { get }
    /// Longest sequence (prompt + generated) the model supports.
    var contextLength: Int { get }
    /// Shape of one token's K/V across all layers; the engine sizes its block pool from it.
    var kvLayout: KVLayout { get }

    /// Runs `batch` through the model: writes every token's K/V into `cache` at the slots the block
    /// tables name, and writes the logits of `batch.logitRows` to `logits`
    /// (`[batch.logitRows.count, vocabularySize]`, row-major).
    /// Not reentrant: one forward at a time per model instance.
    func forward(_ batch: ForwardBatch, cache: KVCache, logits: UnsafeMutableBufferPointer<Float>) throws
}

/// Per-token K/V geometry of a model.
public struct KVLayout: Sendable, Equatable {
    public var layerCount: Int
    public var kvHeadCount: Int
    public var headDim: Int      // K and V head size (equal for every supported architecture)

    public init(layerCount: Int, kvHeadCount: Int, headDim: Int) {
        self.layerCount = layerCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
    }

    /// Elements of K (or of V) for one token in one layer.
    public var rowElements: Int { kvHeadCount * headDim }
}
