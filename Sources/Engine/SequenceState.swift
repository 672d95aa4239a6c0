/// Where one request's events go. Called on the engine thread only.
protocol GenerationSink: AnyObject {
    func yield(_ event: GenerationEvent)
    /// Ends the stream: normally after `.finished`, with an error when the model failed.
    func finish(throwing error: EngineError?)
}

/// Ends a request's stream only when all of its `n` completions have finished.
final class CompletionGroupSink: GenerationSink {
    private let base: any GenerationSink
    private var remaining: Int
    private var firstError: EngineError?

    init(_ base: any GenerationSink, completions: Int) {
        self.base = base
        remaining = completions
    }

    func yield(_ event: GenerationEvent) { base.yield(event) }

    func finish(throwing error: EngineError?) {
        if firstError == nil { firstError = error }
        remaining -= 1
        if remaining == 0 { base.finish(throwing: firstError) }
    }
}

/// The engine's state for one completion of a request (a request with `n > 1` has `n`, sharing
/// the prompt's KV blocks). Owned and mutated by the engine thread only.
final class SequenceState {
    enum Status: Equatable { case waiting, running, finished }

    let requestID: RequestID
    let request: GenerationRequest
    /// The request's seed; completion `index` draws from a generator derived from it.
    let seed: UInt64
    /// Which of the request's `n` completions this is.
    let index: Int
    /// Completions still to split off this one when its prompt is computed (`n - 1`, then 0).
    var pendingForks: Int
    /// Submission order; breaks ties between equal priorities (first come, first served).
    let arrival: UInt64
    let priority: Int
    let promptCount: Int
    let sampling: SamplingParameters
    let stop: StopConditions
    let logprobs: Int?
    let sink: any GenerationSink

    /// Prompt followed by the generated tokens.
    var tokens: [Int32]
    /// Leading `tokens` whose K/V are in the cache (computed or taken from the prefix cache).
    var numComputedTokens = 0
    /// Physical KV block per `blockSize` positions.
    var blockTable: [Int32] = []
    /// Prefix-cache keys of the full blocks of `tokens`, computed lazily by the block manager.
    var blockHashes: [BlockHash] = []
    /// Leading blocks of `blockTable` already offered to the prefix cache.
    var numRegisteredBlocks = 0
    var status: Status = .waiting
    /// Order in which running sequences were admitted; the newest is preempted first.
    var admission: UInt64 = 0
    var preemptions = 0
    /// Prompt tokens the prefix cache supplied at first admission (for usage).
    var cachedPromptTokens: Int?
    var rng: SplitMix64
    /// Uptime nanoseconds of submission and of the latest token (for latency metrics).
    let submittedAt: UInt64
    var lastTokenAt: UInt64?
    var decoder: (any IncrementalDecoder)?
    var stopFilter: StopStringFilter

    init(requestID: RequestID, arrival: UInt64, request: GenerationRequest, seed: UInt64, index: Int = 0,
         submittedAt: UInt64 = 0, decoder: (any IncrementalDecoder)?, sink: any GenerationSink) {
        self.submittedAt = submittedAt
        self.requestID = requestID
        self.request = request
        self.seed = seed
        self.index = index
        pendingForks = index == 0 ? request.n - 1 : 0
        self.arrival = arrival
        priority = request.priority
        promptCount = request.promptTokens.count
        sampling = request.sampling
        stop = request.stop
        logprobs = request.logprobs
        self.sink = sink
        tokens = request.promptTokens
        tokens.reserveCapacity(request.promptTokens.count + request.stop.maxTokens)
        rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        self.decoder = decoder
        stopFilter = StopStringFilter(stopStrings: request.stop.stopStrings)
    }

    var outputCount: Int { tokens.count - promptCount }
    /// Known tokens whose K/V are not yet computed.
    var pendingTokens: Int { tokens.count - numComputedTokens }

    /// End-of-generation and stop tokens cannot be sampled before `minTokens`.
    func bannedTokens(endOfGeneration: Set<Int32>) -> Set<Int32> {
        guard outputCount < stop.minTokens else { return [] }
        return stop.ignoreEOS ? stop.stopTokens : endOfGeneration.union(stop.stopTokens)
    }

    func isStopToken(_ token: Int32, endOfGeneration: Set<Int32>) -> Bool {
        stop.stopTokens.contains(token) || (!stop.ignoreEOS && endOfGeneration.contains(token))
    }

    /// Orders waiting sequences: priority, then arrival. A preempted sequence keeps its arrival,
    /// so it goes back ahead of everything that came after it.
    func precedes(_ other: SequenceState) -> Bool {
        (priority, arrival) < (other.priority, other.arrival)
    }
}
