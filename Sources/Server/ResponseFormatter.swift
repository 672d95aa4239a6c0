import Engine
import Foundation
import Hummingbird

/// Turns a run's events into OpenAI responses: one JSON body, or SSE chunks (`data: {json}\n\n`,
/// the same `id` and `created` on every chunk, `data: [DONE]` last).
struct ResponseFormatter: Sendable {
    let job: Job
    let tokenizer: any TextTokenizer

    /// What one choice has produced so far.
    private struct Choice {
        var text = ""
        var generated = 0
        var chatLogprobs: [ChatTokenLogprob] = []
        var textLogprobs = CompletionLogprobs()
        var summary: GenerationSummary?
    }

    // MARK: non-streaming

    func collect(_ run: GenerationRun, log: CompletionLog) async throws -> [UInt8] {
        var choices = [Choice](repeating: Choice(), count: job.requests.count * job.choicesPerPrompt)
        var firstToken: ContinuousClock.Instant?
        do {
            for try await e in run.events {
                guard case let .choice(i, event) = e else { continue }
                switch event {
                case let .token(t):
                    firstToken = firstToken ?? .now
                    choices[i].generated += 1
                    choices[i].text += t.text
                    if job.logprobs != nil { appendLogprobs(t, to: &choices[i]) }
                case let .finished(s):
                    choices[i].summary = s
                }
            }
        } catch {
            throw APIError(engine: error, param: "")
        }
        let usage = self.usage(choices)
        log.write(status: 200, promptTokens: usage.prompt_tokens, generatedTokens: usage.completion_tokens,
                  firstToken: firstToken, finish: finishReasons(choices))
        switch job.kind {
        case .chat:
            return JSON.encode(CompletionBody(
                id: job.id, object: "chat.completion", created: job.created, model: job.model,
                choices: choices.enumerated().map { i, c in
                    ChatChoice(index: i, message: ChatMessageOut(content: c.text),
                               logprobs: job.logprobs == nil ? nil : ChatLogprobs(content: c.chatLogprobs),
                               finishReason: c.summary?.finishReason.rawValue ?? "abort")
                },
                usage: usage))
        case .text:
            return JSON.encode(CompletionBody(
                id: job.id, object: "text_completion", created: job.created, model: job.model,
                choices: choices.enumerated().map { i, c in
                    CompletionChoice(index: i, text: c.text, logprobs: job.logprobs == nil ? nil : c.textLogprobs,
                                     finishReason: c.summary?.finishReason.rawValue ?? "abort")
                },
                usage: usage))
        }
    }

    // MARK: streaming

    func stream(_ run: GenerationRun, to writer: inout any ResponseBodyWriter, log: CompletionLog) async throws {
        var choices = [Choice](repeating: Choice(), count: job.requests.count * job.choicesPerPrompt)
        var firstToken: ContinuousClock.Instant?
        if job.kind == .chat {
            // The first chunk of every choice carries the role, as OpenAI's do.
            var buffer = ByteBuffer()
            for i in choices.indices {
                sse(chatChunk([ChatChunkChoice(index: i, delta: ChatDelta(role: "assistant", content: ""))]), into: &buffer)
            }
            try await writer.write(buffer)
        }
        do {
            for try await e in run.events {
                var buffer = ByteBuffer()
                guard case let .choice(i, event) = e else {
                    buffer.writeString(": keep-alive\n\n")   // an SSE comment, ignored by clients
                    try await writer.write(buffer)
                    continue
                }
                switch event {
                case let .token(t):
                    firstToken = firstToken ?? .now
                    choices[i].generated += 1
                    // Held-back text (an unfinished character or a possible stop string) is sent
                    // with a later token, unless the client wants this token's log-probability now.
                    guard !t.text.isEmpty || job.logprobs != nil else { continue }
                    var piece = Choice()
                    if job.logprobs != nil { appendLogprobs(t, to: &piece) }
                    sse(tokenChunk(choice: i, text: t.text, logprobs: piece), into: &buffer)
                case let .finished(s):
                    choices[i].summary = s
                    // A model failure ends the stream with an error, below.
                    guard s.finishReason != .error else { continue }
                    sse(finishChunk(choice: i, reason: s.finishReason.rawValue), into: &buffer)
                }
                try await writer.write(buffer)
            }
        } catch let error as GenerationRun.ClientTooSlow {
            throw error
        } catch {
            var buffer = ByteBuffer()
            sse(APIError(engine: error, param: "").body, into: &buffer)
            buffer.writeString("data: [DONE]\n\n")
            try await writer.write(buffer)
            log.write(status: 500, promptTokens: 0, generatedTokens: 0, firstToken: firstToken, finish: "error")
            return
        }
        var buffer = ByteBuffer()
        let usage = self.usage(choices)
        if job.includeUsage {
            switch job.kind {
            case .chat:
                sse(StreamChunk<ChatChunkChoice>(id: job.id, object: "chat.completion.chunk", created: job.created,
                                                 model: job.model, choices: [], usage: .init(wrappedValue: usage)),
                    into: &buffer)
            case .text:
                sse(StreamChunk<CompletionChoice>(id: job.id, object: "text_completion", created: job.created,
                                                  model: job.model, choices: [], usage: .init(wrappedValue: usage)),
                    into: &buffer)
            }
        }
        buffer.writeString("data: [DONE]\n\n")
        try await writer.write(buffer)
        log.write(status: 200, promptTokens: usage.prompt_tokens, generatedTokens: usage.completion_tokens,
                  firstToken: firstToken, finish: finishReasons(choices))
    }

    private func sse(_ value: some Encodable, into buffer: inout ByteBuffer) {
        buffer.writeString("data: ")
        buffer.writeBytes(JSON.encode(value))
        buffer.writeString("\n\n")
    }

    private func chatChunk(_ choices: [ChatChunkChoice]) -> StreamChunk<ChatChunkChoice> {
        StreamChunk(id: job.id, object: "chat.completion.chunk", created: job.created, model: job.model,
                    choices: choices, usage: job.includeUsage ? .init(wrappedValue: nil) : nil)
    }

    private func textChunk(_ choices: [CompletionChoice]) -> StreamChunk<CompletionChoice> {
        StreamChunk(id: job.id, object: "text_completion", created: job.created, model: job.model,
                    choices: choices, usage: job.includeUsage ? .init(wrappedValue: nil) : nil)
    }

    private func tokenChunk(choice: Int, text: String, logprobs piece: Choice) -> any Encodable {
        switch job.kind {
        case .chat:
            return chatChunk([ChatChunkChoice(index: choice, delta: ChatDelta(content: text),
                                              logprobs: job.logprobs == nil ? nil : ChatLogprobs(content: piece.chatLogprobs))])
        case .text:
            return textChunk([CompletionChoice(index: choice, text: text,
                                               logprobs: job.logprobs == nil ? nil : piece.textLogprobs)])
        }
    }

    private func finishChunk(choice: Int, reason: String) -> any Encodable {
        switch job.kind {
        case .chat: return chatChunk([ChatChunkChoice(index: choice, delta: ChatDelta(), finishReason: reason)])
        case .text: return textChunk([CompletionChoice(index: choice, text: "", finishReason: reason)])
        }
    }

    // MARK: shared

    /// Prompt tokens count once per prompt (not per choice), as OpenAI counts them.
    private func usage(_ choices: [Choice]) -> UsageDTO {
        var usage = UsageDTO()
        for (i, c) in choices.enumerated() {
            usage.completion_tokens += c.summary?.usage.completionTokens ?? c.generated
            if i % job.choicesPerPrompt == 0 {
                usage.prompt_tokens += job.requests[i / job.choicesPerPrompt].promptTokens.count
                usage.prompt_tokens_details.cached_tokens += c.summary?.usage.cachedPromptTokens ?? 0
            }
        }
        return usage
    }

    private func finishReasons(_ choices: [Choice]) -> String {
        choices.map { $0.summary?.finishReason.rawValue ?? "abort" }.joined(separator: ",")
    }

    /// −∞ (a token ruled out by bias or truncation) is not valid JSON; OpenAI reports −9999.
    private static func finite(_ lp: Float) -> Float { lp.isFinite ? lp : -9999 }

    private func appendLogprobs(_ t: GeneratedToken, to choice: inout Choice) {
        let lp = Self.finite(t.logprob ?? 0)
        let bytes = tokenizer.bytes(of: t.id)
        let text = String(decoding: bytes, as: UTF8.self)
        switch job.kind {
        case .chat:
            choice.chatLogprobs.append(ChatTokenLogprob(
                token: text, logprob: lp, bytes: bytes,
                top_logprobs: t.topLogprobs.map {
                    let b = tokenizer.bytes(of: $0.id)
                    return .init(token: String(decoding: b, as: UTF8.self), logprob: Self.finite($0.logprob), bytes: b)
                }))
        case .text:
            let offset = (choice.textLogprobs.text_offset.last ?? 0)
                + (choice.textLogprobs.tokens.last.map { $0.count } ?? 0)
            choice.textLogprobs.tokens.append(text)
            choice.textLogprobs.token_logprobs.append(lp)
            choice.textLogprobs.top_logprobs.append(Dictionary(
                t.topLogprobs.map { (String(decoding: tokenizer.bytes(of: $0.id), as: UTF8.self), Self.finite($0.logprob)) },
                uniquingKeysWith: { a, _ in a }))
            choice.textLogprobs.text_offset.append(offset)
        }
    }
}
