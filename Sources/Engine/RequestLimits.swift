/// What every request is checked against at submission, on the caller's thread: the model's
/// shapes and the pool's size never change, so a request that passes can always be served
/// (alone, if need be, after preempting the others).
struct RequestLimits: Sendable {
    let vocabularySize: Int
    let contextLength: Int
    let blockSize: Int
    let poolBlocks: Int
    let maxRunningSequences: Int

    func validate(_ r: GenerationRequest) throws(EngineError) {
        guard !r.promptTokens.isEmpty else { throw .emptyPrompt }
        for t in r.promptTokens where t < 0 || Int(t) >= vocabularySize {
            throw .invalidToken(t, vocabularySize: vocabularySize)
        }
        let s = r.stop
        guard s.maxTokens >= 1 else { throw .invalidRequest("maxTokens must be ≥ 1") }
        guard s.minTokens >= 0 && s.minTokens <= s.maxTokens else {
            throw .invalidRequest("minTokens must be in 0...maxTokens")
        }
        for t in s.stopTokens where t < 0 || Int(t) >= vocabularySize {
            throw .invalidRequest("stop token \(t) is outside the vocabulary")
        }
        if let k = r.logprobs, k < 0 { throw .invalidRequest("logprobs must be ≥ 0") }
        // All n completions run at once (they fork together), so they must fit the sequence cap.
        guard r.n >= 1 && r.n <= maxRunningSequences else {
            throw .invalidRequest("n must be in 1...\(maxRunningSequences) (maxRunningSequences)")
        }
        if let why = r.sampling.validationError(vocabularySize: vocabularySize) { throw .invalidRequest(why) }
        let total = r.promptTokens.count + s.maxTokens
        guard total <= contextLength else { throw .exceedsContext(tokens: total, contextLength: contextLength) }
        // The last generated token is never fed back, so its K/V need no slot. Each completion
        // alone must fit: siblings that do not fit together are preempted like any sequence.
        let blocks = (total - 1 + blockSize - 1) / blockSize
        guard blocks <= poolBlocks else { throw .exceedsKVPool(blocksNeeded: blocks, poolBlocks: poolBlocks) }
    }
}
