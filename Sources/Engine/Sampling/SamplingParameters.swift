/// How the next token is chosen from the model's logits. Defaults sample from the unmodified
/// distribution; `temperature == 0` is greedy (argmax after bias and penalties).
public struct SamplingParameters: Sendable, Equatable {
    public var temperature: Float = 1
    /// Keep only the `topK` most likely tokens; 0 disables.
    public var topK: Int = 0
    /// Keep the smallest set of most likely tokens whose probability reaches `topP`; 1 disables.
    public var topP: Float = 1
    /// Drop tokens less likely than `minP` × the most likely token's probability; 0 disables.
    public var minP: Float = 0
    /// Divides positive (multiplies negative) logits of every token already in the prompt or
    /// output; 1 disables.
    public var repetitionPenalty: Float = 1
    /// Subtracted once from the logit of every token already generated.
    public var presencePenalty: Float = 0
    /// Subtracted from a token's logit once per time it was generated.
    public var frequencyPenalty: Float = 0
    /// Added to the logits of the given token ids before anything else.
    public var logitBias: [Int32: Float] = [:]
    /// Seed of the request's own random generator; nil draws one at submission.
    public var seed: UInt64? = nil

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, presencePenalty: Float = 0, frequencyPenalty: Float = 0,
                logitBias: [Int32: Float] = [:], seed: UInt64? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.logitBias = logitBias
        self.seed = seed
    }

    public static let greedy = SamplingParameters(temperature: 0)

    /// Nil when valid, else why not.
    func validationError(vocabularySize: Int) -> String? {
        if !(temperature >= 0) || !temperature.isFinite { return "temperature must be a finite number ≥ 0" }
        if topK < 0 { return "topK must be ≥ 0" }
        if !(topP > 0 && topP <= 1) { return "topP must be in (0, 1]" }
        if !(minP >= 0 && minP <= 1) { return "minP must be in [0, 1]" }
        if !(repetitionPenalty > 0) || !repetitionPenalty.isFinite { return "repetitionPenalty must be > 0" }
        if !presencePenalty.isFinite || !frequencyPenalty.isFinite { return "penalties must be finite" }
        for (t, b) in logitBias {
            if t < 0 || Int(t) >= vocabularySize { return "logitBias names token \(t), outside the vocabulary" }
            if b.isNaN { return "logitBias for token \(t) is NaN" }
        }
        return nil
    }
}
