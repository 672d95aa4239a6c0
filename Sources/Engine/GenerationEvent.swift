/// What a request's stream yields: one `.token` per generated token, then one `.finished`, for
/// each of its `n` completions (told apart by `index`; their events interleave).
public enum GenerationEvent: Sendable, Equatable {
    case token(GeneratedToken)
    case finished(GenerationSummary)
}

public struct GeneratedToken: Sendable, Equatable {
    /// Which completion (0..<n) the token belongs to.
    public var index: Int
    public var id: Int32
    /// Text this token completes. Empty while a multi-byte character or a possible stop string is
    /// still incomplete; held-back text arrives with a later token.
    public var text: String
    /// Log-probability of `id`, when the request asked for log-probabilities.
    public var logprob: Float?
    /// The most likely alternatives, best first, when requested.
    public var topLogprobs: [TokenLogprob]

    public init(index: Int = 0, id: Int32, text: String, logprob: Float? = nil, topLogprobs: [TokenLogprob] = []) {
        self.index = index
        self.id = id
        self.text = text
        self.logprob = logprob
        self.topLogprobs = topLogprobs
    }
}

public struct TokenLogprob: Sendable, Equatable {
    public var id: Int32
    public var logprob: Float
    public init(id: Int32, logprob: Float) {
        self.id = id
        self.logprob = logprob
    }
}

public enum FinishReason: String, Sendable, Equatable {
    /// An end-of-generation token, a stop token or a stop string.
    case stop
    /// `maxTokens` or the model's context length.
    case length
    /// Cancelled by the caller or by shutdown.
    case abort
    /// The model failed; the stream then throws the error.
    case error
}

public struct Usage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens served from the prefix cache when the request was first admitted.
    public var cachedPromptTokens: Int
    public init(promptTokens: Int, completionTokens: Int, cachedPromptTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
    }
}

public struct GenerationSummary: Sendable, Equatable {
    /// Which completion (0..<n) finished.
    public var index: Int
    public var finishReason: FinishReason
    public var usage: Usage
    /// Times the request was preempted (its KV freed and recomputed later).
    public var preemptions: Int
    public init(index: Int = 0, finishReason: FinishReason, usage: Usage, preemptions: Int) {
        self.index = index
        self.finishReason = finishReason
        self.usage = usage
        self.preemptions = preemptions
    }
}
