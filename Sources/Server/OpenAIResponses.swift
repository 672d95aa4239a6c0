import Foundation

// OpenAI response bodies. Optional fields that OpenAI sends as null are marked `@EncodedAsNull`
// (clients such as the `openai` package read `finish_reason: null` on every stream chunk).

/// An optional that encodes as JSON null instead of being left out.
@propertyWrapper
struct EncodedAsNull<Value: Encodable & Sendable>: Encodable, Sendable {
    var wrappedValue: Value?
    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

struct UsageDTO: Encodable, Sendable {
    struct Details: Encodable, Sendable { var cached_tokens = 0 }
    var prompt_tokens = 0
    var completion_tokens = 0
    var total_tokens: Int { prompt_tokens + completion_tokens }
    var prompt_tokens_details = Details()

    enum CodingKeys: CodingKey { case prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(prompt_tokens, forKey: .prompt_tokens)
        try c.encode(completion_tokens, forKey: .completion_tokens)
        try c.encode(total_tokens, forKey: .total_tokens)
        try c.encode(prompt_tokens_details, forKey: .prompt_tokens_details)
    }
}

/// Chat log-probabilities of one token (`choices[].logprobs.content[]`).
struct ChatTokenLogprob: Encodable, Sendable {
    struct Alternative: Encodable, Sendable {
        var token: String
        var logprob: Float
        var bytes: [UInt8]
    }
    var token: String
    var logprob: Float
    var bytes: [UInt8]
    var top_logprobs: [Alternative]
}

struct ChatLogprobs: Encodable, Sendable {
    var content: [ChatTokenLogprob]
}

/// Text-completion log-probabilities of a choice, in the legacy column layout.
struct CompletionLogprobs: Encodable, Sendable {
    var tokens: [String] = []
    var token_logprobs: [Float] = []
    var top_logprobs: [[String: Float]] = []
    var text_offset: [Int] = []
}

struct ChatMessageOut: Encodable, Sendable {
    var role = "assistant"
    var content: String
}

struct ChatChoice: Encodable, Sendable {
    var index: Int
    var message: ChatMessageOut
    @EncodedAsNull var logprobs: ChatLogprobs?
    var finishReason: String
    enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }
}

struct ChatDelta: Encodable, Sendable {
    var role: String?
    var content: String?
}

struct ChatChunkChoice: Encodable, Sendable {
    var index: Int
    var delta: ChatDelta
    @EncodedAsNull var logprobs: ChatLogprobs? = nil
    @EncodedAsNull var finishReason: String? = nil
    enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }
}

struct CompletionChoice: Encodable, Sendable {
    var index: Int
    var text: String
    @EncodedAsNull var logprobs: CompletionLogprobs? = nil
    @EncodedAsNull var finishReason: String? = nil
    enum CodingKeys: String, CodingKey { case index, text, logprobs, finishReason = "finish_reason" }
}

/// A whole answer: `chat.completion` with `ChatChoice`s or `text_completion` with `CompletionChoice`s.
struct CompletionBody<Choice: Encodable & Sendable>: Encodable, Sendable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: UsageDTO
}

/// One SSE chunk of either endpoint; `choices` is empty in the final usage chunk.
struct StreamChunk<Choice: Encodable & Sendable>: Encodable, Sendable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [Choice]
    /// Present only when the client asked for usage: null until the last chunk.
    var usage: EncodedAsNull<UsageDTO>?
}

struct ModelList: Encodable, Sendable {
    struct Entry: Encodable, Sendable {
        var id: String
        var object = "model"
        var created: Int
        var owned_by = "swiftlet"
        var max_model_len: Int
    }
    var object = "list"
    var data: [Entry]
}

struct TokenizeResponse: Encodable, Sendable {
    var tokens: [Int32]
    var count: Int
    var max_model_len: Int
}

struct DetokenizeResponse: Encodable, Sendable {
    var prompt: String
}

struct HealthResponse: Encodable, Sendable {
    var status: String
}
