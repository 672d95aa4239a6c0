/// One sequence run through a model with its own small KV cache (identity block table): the
/// simplest way to use a model, for scoring, command-line generation and tests. The engine's
/// scheduler is the way to serve many sequences.
public final class SingleSequence {
    public let model: any LanguageModel
    public let capacity: Int
    private let cache: KVCache
    private var batch = ForwardBatch()
    private var logits: [Float] = []
    /// Tokens evaluated so far.
    public private(set) var tokens: [Int32] = []

    /// `capacity`: the most tokens this sequence will hold (at most the model's context length).
    public init(model: any LanguageModel, capacity: Int, blockSize: Int = 16) {
        self.model = model
        self.capacity = min(max(capacity, 1), model.contextLength)
        let blocks = (self.capacity + blockSize - 1) / blockSize
        cache = KVCache(layout: model.kvLayout, blockSize: blockSize, blockCount: blocks)
        batch.sequences = [ForwardBatch.Sequence(blockTable: (0 ..< Int32(blocks)).map { $0 })]
    }

    /// Appends `newTokens` (one batch) and returns the next-token logits after each of them
    /// (`[newTokens.count, vocab]`) when `allLogits`, else after the last one only (`[vocab]`).
    public func evaluate(_ newTokens: [Int32], allLogits: Bool = false) throws -> ArraySlice<Float> {
        guard !newTokens.isEmpty else { throw ForwardError.emptyBatch }
        guard tokens.count + newTokens.count <= capacity else {
            throw ForwardError.positionOutOfRange(position: Int32(tokens.count + newTokens.count - 1), contextLength: capacity)
        }
        let start = tokens.count
        batch.tokens = newTokens
        batch.positions = (0 ..< newTokens.count).map { Int32(start + $0) }
        batch.sequenceIndex = [Int32](repeating: 0, count: newTokens.count)
        batch.logitRows = allLogits ? (0 ..< Int32(newTokens.count)).map { $0 } : [Int32(newTokens.count - 1)]
        let needed = batch.logitRows.count * model.vocabularySize
        if logits.count < needed { logits = [Float](repeating: 0, count: needed) }
        try logits.withUnsafeMutableBufferPointer { try model.forward(batch, cache: cache, logits: $0) }
        tokens += newTokens
        return logits[0 ..< needed]
    }

    /// Forgets every token (the cache is overwritten as new tokens arrive).
    public func reset() { tokens.removeAll(keepingCapacity: true) }
}
