public struct EngineConfiguration: Sendable {
    /// Bytes of KV cache to allocate once, at start; the block count follows from the model's layout.
    public var kvCacheBytes: Int
    /// Tokens per KV block.
    public var blockSize: Int = 16
    /// Most tokens in one forward pass (decode tokens + prefill chunks).
    public var maxBatchTokens: Int = 512
    /// Most sequences running (holding KV blocks and scheduled every step) at once.
    public var maxRunningSequences: Int = 64
    /// Tokens that end generation (the tokenizer's end-of-generation set).
    public var endOfGenerationTokens: Set<Int32> = []
    public var prefixCaching: Bool = true

    public init(kvCacheBytes: Int, blockSize: Int = 16, maxBatchTokens: Int = 512,
                maxRunningSequences: Int = 64, endOfGenerationTokens: Set<Int32> = [],
                prefixCaching: Bool = true) {
        self.kvCacheBytes = kvCacheBytes
        self.blockSize = blockSize
        self.maxBatchTokens = maxBatchTokens
        self.maxRunningSequences = maxRunningSequences
        self.endOfGenerationTokens = endOfGenerationTokens
        self.prefixCaching = prefixCaching
    }
}

/// A consistent snapshot of the engine's state, taken between two steps.
public struct EngineStatistics: Sendable, Equatable {
    public var runningSequences: Int
    public var waitingSequences: Int
    /// KV blocks not held by any request (cached-but-unreferenced blocks count as free).
    public var freeBlocks: Int
    /// Usable KV blocks in the pool (the reserved null block excluded).
    public var totalBlocks: Int
    /// Blocks registered in the prefix cache, referenced or not.
    public var cachedBlocks: Int
    public var preemptions: Int
    /// Tokens run through the model since start (prefix-cache hits are not computed).
    public var computedTokens: Int
}
