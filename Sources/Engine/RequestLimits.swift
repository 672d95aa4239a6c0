/// What every request is checked against at submission, on the caller's thread: the model's
/// shapes and the pool's size never change, so a request that passes can always be served
/// (alone, if need be, after preempting the others).
struct RequestLimits: Sendable {
    let vocabularySize: Int
    let contextLength: Int
    let blockSize: Int
    let poolBlocks: Int

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
        if let why = r.sampling.validationError(vocabularySize: vocabularySize) { throw .invalidRequest(why) }
        let total = r.promptTokens.count + s.maxTokens
        guard total <= contextLength else { throw .exceedsContext(tokens: total, contextLength: contextLength) }
        // The last generated token is never fed back, so its K/V need no slot.
        let blocks = (total - 1 + blockSize - 1) / blockSize
        guard blocks <= poolBlocks else { throw .exceedsKVPool(blocksNeeded: blocks, poolBlocks: poolBlocks) }
    }
}
