import Foundation

// OpenAI response bodies. Optional fields that OpenAI sends as null are encoded as null
// (clients such as the `openai` package read `finish_reason: null` on every stream chunk).

struct UsageDTO: Encodable, Sendable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }
    var cachedTokens: Int

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        case details = "prompt_tokens_details"
    }
    struct Details: Encodable { var cached_tokens: Int }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(promptTokens, forKey: .promptTokens)
        try c.encode(completionTokens, forKey: .completionTokens)
        try c.encode(totalTokens, forKey: .totalTokens)
        try c.encode(Details(cached_tokens: cachedTokens), forKey: .details)
    }

    static func + (a: UsageDTO, b: UsageDTO) -> UsageDTO {
        UsageDTO(promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens,
                 cachedTokens: a.cachedTokens + b.cachedTokens)
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
    var logprobs: ChatLogprobs?
    var finishReason: String
    enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(message, forKey: .message)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finishReason, forKey: .finishReason)
    }
}

struct ChatCompletion: Encodable, Sendable {
    var id: String
    var object = "chat.completion"
    var created: Int
    var model: String
    var choices: [ChatChoice]
    var usage: UsageDTO
}

struct ChatDelta: Encodable, Sendable {
    var role: String?
    var content: String?
}

struct ChatChunkChoice: Encodable, Sendable {
    var index: Int
    var delta: ChatDelta
    var logprobs: ChatLogprobs?
    var finishReason: String?
    enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(delta, forKey: .delta)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finishReason, forKey: .finishReason)
    }
}

struct CompletionChoice: Encodable, Sendable {
    var index: Int
    var text: String
    var logprobs: CompletionLogprobs?
    var finishReason: String?
    enum CodingKeys: String, CodingKey { case index, text, logprobs, finishReason = "finish_reason" }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(text, forKey: .text)
        try c.encode(logprobs, forKey: .logprobs)
        try c.encode(finishReason, forKey: .finishReason)
    }
}

struct TextCompletion: Encodable, Sendable {
    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var choices: [CompletionChoice]
    var usage: UsageDTO
}

/// One SSE chunk of either endpoint; `choices` is empty in the final usage chunk.
struct StreamChunk<Choice: Encodable & Sendable>: Encodable, Sendable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [Choice]
    /// Present (null until the last chunk) only when the client asked for usage.
    var usage: UsageDTO?
    var includeUsage: Bool

    enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(object, forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        try c.encode(choices, forKey: .choices)
        if includeUsage { try c.encode(usage, forKey: .usage) }
    }
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
