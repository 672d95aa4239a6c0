/// When a request stops generating.
public struct StopConditions: Sendable, Equatable {
    /// Most tokens to generate (the end-of-generation token, when it stops the request, counts).
    public var maxTokens: Int
    /// End-of-generation tokens cannot be sampled and stop strings are not checked before this many.
    public var minTokens: Int = 0
    /// Text that ends generation; neither it nor anything after it is streamed.
    public var stopStrings: [String] = []
    /// Extra token ids that stop generation, on top of the engine's end-of-generation set.
    public var stopTokens: Set<Int32> = []
    /// Keep generating past end-of-generation tokens (they are emitted like any other token).
    public var ignoreEOS: Bool = false

    public init(maxTokens: Int, minTokens: Int = 0, stopStrings: [String] = [],
                stopTokens: Set<Int32> = [], ignoreEOS: Bool = false) {
        self.maxTokens = maxTokens
        self.minTokens = minTokens
        self.stopStrings = stopStrings
        self.stopTokens = stopTokens
        self.ignoreEOS = ignoreEOS
    }
}

/// One generation request: a tokenized prompt, how to sample, when to stop.
public struct GenerationRequest: Sendable {
    public var promptTokens: [Int32]
    public var sampling: SamplingParameters
    public var stop: StopConditions
    /// Admission order among waiting requests: lower values first, then first come first served.
    /// Under KV pressure the highest value (then the most recently admitted) is preempted first.
    public var priority: Int
    /// nil: no log-probabilities. k ≥ 0: the sampled token's log-probability and the k most
    /// likely alternatives (after bias and penalties, before temperature and truncation).
    public var logprobs: Int?
    /// Completions to generate from the prompt (computed once; its KV blocks are shared).
    /// Completion i samples with a generator derived from (seed, i). At most
    /// `EngineConfiguration.maxRunningSequences`.
    public var n: Int

    public init(promptTokens: [Int32], sampling: SamplingParameters = .init(),
                stop: StopConditions, priority: Int = 0, logprobs: Int? = nil, n: Int = 1) {
        self.promptTokens = promptTokens
        self.sampling = sampling
        self.stop = stop
        self.priority = priority
        self.logprobs = logprobs
        self.n = n
    }
}

/// Opaque id of a submitted request, for `Engine.cancel(_:)`.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public var description: String { "req-\(rawValue)" }
}
