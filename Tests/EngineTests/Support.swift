import Logging
import Models
@testable import Engine

/// Records one request's events (core-level tests run on the test's own thread).
final class Collector: GenerationSink {
    private(set) var events: [GenerationEvent] = []
    private(set) var ended = false
    private(set) var error: EngineError?

    func yield(_ event: GenerationEvent) { events.append(event) }
    func finish(throwing error: EngineError?) {
        ended = true
        self.error = error
    }

    var tokens: [Int32] { tokens(index: 0) }
    /// Tokens of completion `index` (of a request with `n > 1`).
    func tokens(index: Int) -> [Int32] {
        events.compactMap { if case let .token(t) = $0, t.index == index { t.id } else { nil } }
    }
    var summaries: [GenerationSummary] {
        events.compactMap { if case let .finished(s) = $0 { s } else { nil } }
    }
    var text: String {
        events.map { if case let .token(t) = $0 { t.text } else { "" } }.joined()
    }
    var summary: GenerationSummary? { summaries.first { $0.index == 0 } }
}

func makeCore(_ model: FakeModel, blockSize: Int = 4, blocks: Int, maxBatchTokens: Int = 64,
              maxRunning: Int = 8, eog: Set<Int32> = [], prefixCaching: Bool = true,
              detokenizer: (any Detokenizer)? = nil) throws -> EngineCore {
    let bytes = KVCache.bytesPerBlock(layout: model.kvLayout, blockSize: blockSize) * (blocks + 1)
    let config = EngineConfiguration(kvCacheBytes: bytes, blockSize: blockSize, maxBatchTokens: maxBatchTokens,
                                     maxRunningSequences: maxRunning, endOfGenerationTokens: eog,
                                     prefixCaching: prefixCaching)
    return try EngineCore(model: model, configuration: config, detokenizer: detokenizer,
                          logger: Logger(label: "test"))
}

extension EngineCore {
    /// Queues `request` (validated like `Engine.submit`) and returns its collector.
    @discardableResult
    func submit(_ request: GenerationRequest, id: UInt64, seed: UInt64 = 0) throws -> Collector {
        try limits.validate(request)
        let c = Collector()
        add(id: RequestID(rawValue: id), request: request, seed: request.sampling.seed ?? seed, sink: c)
        return c
    }

    /// Steps until idle, checking the block manager's invariants after every step.
    func runToCompletion(maxSteps: Int = 100_000) throws {
        var steps = 0
        while hasWork && steps < maxSteps {
            step()
            try blocks.checkInvariants(liveSequences: scheduler.liveSequences)
            steps += 1
        }
    }
}

/// What `request` must generate, computed from the fake model's logits function directly
/// (no KV cache, no batching) with the same sampler and seed.
func referenceTokens(_ request: GenerationRequest, vocabularySize: Int = 32, eog: Set<Int32> = [],
                     seed: UInt64 = 0, index: Int = 0) -> [Int32] {
    let seq = SequenceState(requestID: RequestID(rawValue: 0), arrival: 0, request: request,
                            seed: request.sampling.seed ?? seed, index: index, decoder: nil, sink: Collector())
    let sampler = Sampler(vocabularySize: vocabularySize)
    var row = [Float](repeating: 0, count: vocabularySize)
    while true {
        let token = row.withUnsafeMutableBufferPointer { buf in
            FakeModel.logits(history: seq.tokens, into: buf)
            return sampler.sample(buf, for: seq, banned: seq.bannedTokens(endOfGeneration: eog)).token
        }
        seq.tokens.append(token)
        if seq.isStopToken(token, endOfGeneration: eog) || seq.outputCount >= request.stop.maxTokens { break }
    }
    return Array(seq.tokens[seq.promptCount...])
}

func prompt(_ count: Int, salt: Int32 = 0) -> [Int32] {
    (0 ..< Int32(count)).map { 4 + ($0 * 7 + salt * 13) % 28 }
}
