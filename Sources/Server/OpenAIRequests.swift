import Engine
import Foundation

// OpenAI request bodies. Decoding is strict about the fields it knows (a wrong type is a 400
// naming the field) and ignores the others, like OpenAI does. Ranges are checked afterwards by
// `GenerationOptions.validate`, against `RequestCaps`.

extension KeyedDecodingContainer {
    /// An optional integer field. A number that is not an integer (1.5, 1e30) fails inside
    /// JSONDecoder with an error that reaches the caller without a coding path; this names the field.
    func integer<T: FixedWidthInteger & Decodable>(_ key: Key) throws -> T? {
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch let error as DecodingError {
            throw error
        } catch {
            throw APIError.invalid("\(key.stringValue) must be an integer", param: key.stringValue)
        }
    }
}

/// `stop`: one string or a list of them.
struct StopField: Decodable, Sendable, Equatable {
    var strings: [String]
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(String.self) {
            strings = [one]
        } else {
            strings = try c.decode([String].self)
        }
    }
}

struct StreamOptions: Decodable, Sendable {
    var includeUsage: Bool?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// The sampling and stopping fields shared by chat and text completions.
struct GenerationOptions: Decodable, Sendable {
    var model: String?
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Double?
    var topP: Double?
    var topK: Int?
    var minP: Double?
    var presencePenalty: Double?
    var frequencyPenalty: Double?
    var repetitionPenalty: Double?
    var seed: Int64?
    var stop: StopField?
    var n: Int?
    var logitBias: [String: Double]?
    var ignoreEOS: Bool?
    var minTokens: Int?
    var user: String?
    var stream: Bool?
    var streamOptions: StreamOptions?

    enum CodingKeys: String, CodingKey {
        case model, temperature, seed, stop, n, user, stream
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p", topK = "top_k", minP = "min_p"
        case presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
        case repetitionPenalty = "repetition_penalty", logitBias = "logit_bias"
        case ignoreEOS = "ignore_eos", minTokens = "min_tokens", streamOptions = "stream_options"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        maxTokens = try c.integer(.maxTokens)
        maxCompletionTokens = try c.integer(.maxCompletionTokens)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        topK = try c.integer(.topK)
        minP = try c.decodeIfPresent(Double.self, forKey: .minP)
        presencePenalty = try c.decodeIfPresent(Double.self, forKey: .presencePenalty)
        frequencyPenalty = try c.decodeIfPresent(Double.self, forKey: .frequencyPenalty)
        repetitionPenalty = try c.decodeIfPresent(Double.self, forKey: .repetitionPenalty)
        seed = try c.integer(.seed)
        stop = try c.decodeIfPresent(StopField.self, forKey: .stop)
        n = try c.integer(.n)
        logitBias = try c.decodeIfPresent([String: Double].self, forKey: .logitBias)
        ignoreEOS = try c.decodeIfPresent(Bool.self, forKey: .ignoreEOS)
        minTokens = try c.integer(.minTokens)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
    }

    var choices: Int { n ?? 1 }
    var streams: Bool { stream ?? false }
    var includeUsage: Bool { streamOptions?.includeUsage ?? false }
}

/// A chat message's `content`: a string, a list of parts (only text parts are supported), or null.
struct MessageContent: Decodable, Sendable {
    var text: String
    struct Part: Decodable {
        var type: String
        var text: String?
    }
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            text = ""
        } else if let s = try? c.decode(String.self) {
            text = s
        } else {
            let parts = try c.decode([Part].self)
            var texts: [String] = []
            for p in parts {
                guard p.type == "text", let t = p.text else {
                    throw APIError.invalid("content parts of type '\(p.type)' are not supported; only 'text'",
                                           param: "messages")
                }
                texts.append(t)
            }
            text = texts.joined(separator: "\n")
        }
    }
}

struct ChatMessageDTO: Decodable, Sendable {
    var role: String
    var content: MessageContent?
}

/// A chat or text completion request body.
protocol GenerationBody: Decodable {
    static var kind: Job.Kind { get }
    var options: GenerationOptions { get }
    /// Alternatives per token, or nil when log-probabilities were not asked for.
    func logprobCount(caps: RequestCaps) throws(APIError) -> Int?
}

struct ChatCompletionRequest: GenerationBody, Sendable {
    static let kind = Job.Kind.chat
    var messages: [ChatMessageDTO]
    var logprobs: Bool?
    var topLogprobs: Int?
    var options: GenerationOptions

    enum CodingKeys: String, CodingKey {
        case messages, logprobs
        case topLogprobs = "top_logprobs"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        messages = try c.decode([ChatMessageDTO].self, forKey: .messages)
        logprobs = try c.decodeIfPresent(Bool.self, forKey: .logprobs)
        topLogprobs = try c.integer(.topLogprobs)
        options = try GenerationOptions(from: decoder)
    }

    func logprobCount(caps: RequestCaps) throws(APIError) -> Int? {
        if let k = topLogprobs {
            guard (0 ... caps.maxLogprobs).contains(k) else {
                throw .invalid("top_logprobs must be between 0 and \(caps.maxLogprobs)", param: "top_logprobs")
            }
            guard logprobs == true else {
                throw .invalid("top_logprobs requires logprobs to be true", param: "top_logprobs")
            }
        }
        return logprobs == true ? (topLogprobs ?? 0) : nil
    }
}

/// `prompt`: a string, a list of strings, a list of token ids, or a list of lists of token ids.
enum PromptField: Decodable, Sendable {
    case texts([String])
    case tokens([[Int32]])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            self = .texts([s])
        } else if let list = try? c.decode([String].self) {
            self = .texts(list)
        } else if let ids = try? c.decode([Int32].self) {
            self = .tokens([ids])
        } else if let lists = try? c.decode([[Int32]].self) {
            self = .tokens(lists)
        } else {
            throw APIError.invalid("prompt must be a string, a list of strings, a list of token ids or a list of "
                                   + "lists of token ids", param: "prompt")
        }
    }

    var count: Int {
        switch self {
        case let .texts(t): t.count
        case let .tokens(t): t.count
        }
    }
}

struct CompletionRequest: GenerationBody, Sendable {
    static let kind = Job.Kind.text
    var prompt: PromptField
    var logprobs: Int?
    var echo: Bool?
    var options: GenerationOptions

    enum CodingKeys: String, CodingKey { case prompt, logprobs, echo }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        prompt = try c.decode(PromptField.self, forKey: .prompt)
        logprobs = try c.integer(.logprobs)
        echo = try c.decodeIfPresent(Bool.self, forKey: .echo)
        options = try GenerationOptions(from: decoder)
    }

    func logprobCount(caps: RequestCaps) throws(APIError) -> Int? {
        if let k = logprobs, !(0 ... caps.maxLogprobs).contains(k) {
            throw .invalid("logprobs must be between 0 and \(caps.maxLogprobs)", param: "logprobs")
        }
        return logprobs
    }
}

struct TokenizeRequest: Decodable, Sendable {
    var model: String?
    var prompt: String?
    var messages: [ChatMessageDTO]?
    var addSpecialTokens: Bool?
    enum CodingKeys: String, CodingKey {
        case model, prompt, messages
        case addSpecialTokens = "add_special_tokens"
    }
}

struct DetokenizeRequest: Decodable, Sendable {
    var model: String?
    var tokens: [Int32]
}

/// Limits on what one request may ask for (`n`, tokens, stop strings, logit bias).
public struct RequestCaps: Sendable {
    public var maxChoices = 16
    /// Most tokens one choice may generate (also the default when the request names none, if the
    /// context leaves room for that many).
    public var maxTokens = 32768
    public var maxStopStrings = 16
    public var maxStopLength = 256
    public var maxLogitBias = 1024
    public var maxLogprobs = 20
    public var maxPrompts = 64
    public init() {}
}

extension GenerationOptions {
    /// Checks every range and cap that does not depend on the prompt.
    func validate(caps: RequestCaps, vocabularySize: Int) throws(APIError) {
        func range<T: Comparable>(_ v: T?, _ r: ClosedRange<T>, _ param: String) throws(APIError) {
            if let v, !r.contains(v) {
                throw .invalid("\(param) must be between \(r.lowerBound) and \(r.upperBound), got \(v)", param: param)
            }
        }
        try range(n, 1 ... caps.maxChoices, "n")
        try range(maxTokens, 1 ... caps.maxTokens, "max_tokens")
        try range(maxCompletionTokens, 1 ... caps.maxTokens, "max_completion_tokens")
        try range(temperature, 0 ... 2, "temperature")
        try range(topP, 0 ... 1, "top_p")
        if topP == 0 { throw .invalid("top_p must be greater than 0", param: "top_p") }
        try range(topK, -1 ... vocabularySize, "top_k")
        try range(minP, 0 ... 1, "min_p")
        try range(presencePenalty, -2 ... 2, "presence_penalty")
        try range(frequencyPenalty, -2 ... 2, "frequency_penalty")
        try range(repetitionPenalty, 0 ... 2, "repetition_penalty")
        if repetitionPenalty == 0 { throw .invalid("repetition_penalty must be greater than 0", param: "repetition_penalty") }
        try range(minTokens, 0 ... caps.maxTokens, "min_tokens")
        if let stop = stop?.strings {
            guard stop.count <= caps.maxStopStrings else {
                throw .invalid("at most \(caps.maxStopStrings) stop sequences are allowed", param: "stop")
            }
            for s in stop where s.isEmpty || s.count > caps.maxStopLength {
                throw .invalid("stop sequences must be 1 to \(caps.maxStopLength) characters long", param: "stop")
            }
        }
        if let bias = logitBias {
            guard bias.count <= caps.maxLogitBias else {
                throw .invalid("logit_bias may name at most \(caps.maxLogitBias) tokens", param: "logit_bias")
            }
            for (key, value) in bias {
                guard let id = Int32(key), id >= 0, Int(id) < vocabularySize else {
                    throw .invalid("logit_bias key '\(key)' is not a token id below \(vocabularySize)", param: "logit_bias")
                }
                guard (-100 ... 100).contains(value) else {
                    throw .invalid("logit_bias values must be between -100 and 100", param: "logit_bias")
                }
            }
        }
        if streamOptions != nil && !streams {
            throw .invalid("stream_options is only allowed when stream is true", param: "stream_options")
        }
    }

    /// The engine's sampling parameters.
    var sampling: SamplingParameters {
        SamplingParameters(
            temperature: Float(temperature ?? 1), topK: max(topK ?? 0, 0), topP: Float(topP ?? 1),
            minP: Float(minP ?? 0), repetitionPenalty: Float(repetitionPenalty ?? 1),
            presencePenalty: Float(presencePenalty ?? 0), frequencyPenalty: Float(frequencyPenalty ?? 0),
            logitBias: Dictionary(uniqueKeysWithValues: (logitBias ?? [:]).compactMap { k, v in
                Int32(k).map { ($0, Float(v)) }
            }),
            seed: seed.map { UInt64(bitPattern: $0) })
    }
}
