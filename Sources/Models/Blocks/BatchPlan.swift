/// A validated view of a `ForwardBatch`: every token's position, sequence and physical cache slot,
/// checked once per forward so the layers can index without further checks.
struct BatchPlan {
    private(set) var count = 0
    private(set) var positions: [Int32] = []       // [nTokens]
    private(set) var sequenceIndex: [Int32] = []   // [nTokens]
    /// Physical cache row of each token: block * blockSize + position % blockSize.
    private(set) var slot: [Int] = []              // [nTokens]
    private(set) var sequences: [ForwardBatch.Sequence] = []

    /// Checks `batch` against the model's vocabulary/context and the cache, and fills the plan
    /// (reusing its arrays' storage).
    mutating func prepare(_ batch: ForwardBatch, vocabularySize: Int, contextLength: Int, cache: KVCache) throws(ForwardError) {
        let n = batch.tokens.count
        guard n > 0 else { throw .emptyBatch }
        guard batch.positions.count == n, batch.sequenceIndex.count == n else {
            throw .malformedBatch("tokens, positions and sequenceIndex differ in length")
        }
        guard batch.logitRows.count <= n else { throw .malformedBatch("more logit rows than tokens") }
        for r in batch.logitRows where r < 0 || Int(r) >= n {
            throw .malformedBatch("logit row \(r) is not a token of the batch")
        }
        let bs = cache.blockSize
        for s in batch.sequences {
            for b in s.blockTable where b < 0 || Int(b) >= cache.blockCount { throw .blockOutOfRange(block: b, blockCount: cache.blockCount) }
        }
        positions.removeAll(keepingCapacity: true)
        sequenceIndex.removeAll(keepingCapacity: true)
        slot.removeAll(keepingCapacity: true)
        for t in 0 ..< n {
            let token = batch.tokens[t], pos = batch.positions[t], s = batch.sequenceIndex[t]
            guard token >= 0, Int(token) < vocabularySize else { throw .tokenOutOfRange(token: token, vocabularySize: vocabularySize) }
            guard pos >= 0, Int(pos) < contextLength else { throw .positionOutOfRange(position: pos, contextLength: contextLength) }
            guard s >= 0, Int(s) < batch.sequences.count else { throw .malformedBatch("token \(t) names sequence \(s) of \(batch.sequences.count)") }
            let table = batch.sequences[Int(s)].blockTable
            guard Int(pos) / bs < table.count else { throw .blockTableTooShort(sequence: Int(s), position: pos) }
            positions.append(pos)
            sequenceIndex.append(s)
            slot.append(Int(table[Int(pos) / bs]) * bs + Int(pos) % bs)
        }
        sequences = batch.sequences
        count = n
    }
}
