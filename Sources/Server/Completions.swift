import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `POST /v1/chat/completions` and `POST /v1/completions`: parse, validate, tokenize, submit the
/// choices to the engine, then answer with one JSON body or an SSE stream.
struct CompletionsAPI: Sendable {
    let state: ServerState
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let logger: Logger

    func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        try decode(type, from: try await request.body.collect(upTo: configuration.bodyLimit))
    }

    func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            throw APIError(decoding: error)
        }
    }

    func chat(_ request: Request) async throws -> Response {
        try await generate(request, ChatCompletionRequest.self) { body, backend in
            [try chatPrompt(body.messages, backend)]
        }
    }

    func complete(_ request: Request) async throws -> Response {
        try await generate(request, CompletionRequest.self) { body, backend in
            if body.echo == true { throw APIError.invalid("echo is not supported", param: "echo") }
            guard (1 ... configuration.caps.maxPrompts).contains(body.prompt.count) else {
                throw APIError.invalid("give 1 to \(configuration.caps.maxPrompts) prompts", param: "prompt")
            }
            switch body.prompt {
            case let .texts(texts):
                return try texts.map { try backend.tokenizer.encode($0, addSpecial: true, parseSpecial: true) }
            case let .tokens(lists):
                return lists
            }
        }
    }

    /// Reads and validates a body of type `Body`, lets `prompts` tokenize it, runs the job and answers.
    private func generate<Body: GenerationBody>(
        _ request: Request, _: Body.Type, prompts: @escaping (Body, ModelBackend) throws -> [[Int32]]
    ) async throws -> Response {
        try await generate(request) { buffer, backend in
            let body = try decode(Body.self, from: buffer)
            try checkModel(body.options.model, backend)
            try body.options.validate(caps: configuration.caps, vocabularySize: backend.tokenizer.vocabularySize)
            let logprobs = try body.logprobCount(caps: configuration.caps)
            return try Job(kind: Body.kind, prompts: try prompts(body, backend), options: body.options,
                           logprobs: logprobs, backend: backend, caps: configuration.caps)
        }
    }

    /// Reads the body, lets `prepare` turn it into a job, runs the job and answers.
    ///
    /// The body is read through `consumeWithInboundCloseHandler`, which keeps reading the
    /// connection after the request's end: a client that hangs up while its non-streamed answer
    /// is being generated cancels it. A streamed answer notices a hang-up when a write fails,
    /// and that ends the run the same way (see `GenerationRun`).
    private func generate(_ request: Request,
                          prepare: (ByteBuffer, ModelBackend) throws -> Job) async throws -> Response {
        let arrival = ContinuousClock.now
        let backend = try state.backend()
        let watch = DisconnectWatch()
        do {
            return try await watchingConnection(request, watch: watch, backend: backend, arrival: arrival, prepare: prepare)
        } catch {
            // The watch has consumed the connection: an error answer must close it too, or the
            // client would send its next request into a connection that is going away.
            var response = errorResponse(error, path: request.uri.path, logger: logger)
            response.headers[.connection] = "close"
            return response
        }
    }

    private func watchingConnection(_ request: Request, watch: DisconnectWatch, backend: ModelBackend,
                                    arrival: ContinuousClock.Instant,
                                    prepare: (ByteBuffer, ModelBackend) throws -> Job) async throws -> Response {
        try await request.body.consumeWithInboundCloseHandler { body in
            let job = try prepare(try await body.collect(upTo: configuration.bodyLimit), backend)
            let run = try submit(job, backend: backend, arrival: arrival)
            let formatter = ResponseFormatter(job: job, tokenizer: backend.tokenizer)
            let log = CompletionLog(id: job.id, arrival: arrival, logger: logger)
            // Watching the connection consumes it, so generation responses close it.
            var headers: HTTPFields = [.generationLogged: job.id, .connection: "close"]
            if job.stream {
                // The watch ends when this closure returns, which is not a hang-up.
                watch.disarm()
                headers[.contentType] = "text/event-stream"
                headers[.cacheControl] = "no-cache"
                return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                    do {
                        try await formatter.stream(run, to: &writer, log: log)
                    } catch {
                        run.cancel()   // the client hung up, or fell too far behind
                        log.cutOff(error)
                        throw error
                    }
                    try await writer.finish(nil)
                })
            }
            watch.attach(run)
            let bytes = try await formatter.collect(run, log: log)
            watch.disarm()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } onInboundClosed: {
            watch.hungUp()
        }
    }

    /// Admits and submits the job's engine requests.
    private func submit(_ job: Job, backend: ModelBackend, arrival: ContinuousClock.Instant) throws -> GenerationRun {
        let count = job.requests.count * job.choicesPerPrompt
        guard state.admit(count, limit: configuration.maxRunning + configuration.maxQueue) else {
            metrics.rejected.increment()
            throw APIError(status: .tooManyRequests, message: "The server's request queue is full; retry later",
                           type: "server_busy", code: "queue_full", retryAfter: 1)
        }
        var streams: [GenerationStream] = []
        for r in job.requests {
            do {
                streams.append(try backend.engine.submit(r))
            } catch {
                for s in streams { backend.engine.cancel(s.id) }
                state.release(count)
                throw APIError(engine: error, param: job.kind == .chat ? "messages" : "prompt")
            }
        }
        return GenerationRun(engine: backend.engine, streams: streams, choicesPerPrompt: job.choicesPerPrompt,
                             slots: count, arrival: arrival,
                             bufferLimit: job.stream ? configuration.streamBufferLimit : nil,
                             heartbeat: configuration.heartbeat, metrics: metrics, state: state)
    }
}

/// Cancels a run when its client hangs up, whether that happens before or after the run starts.
final class DisconnectWatch: Sendable {
    private enum Phase { case waiting, watching(GenerationRun), hungUp, disarmed }
    private let phase = Locked(Phase.waiting)

    func attach(_ run: GenerationRun) {
        let hungUp = phase.withLock { p in
            if case .hungUp = p { return true }
            p = .watching(run)
            return false
        }
        if hungUp { run.cancel() }
    }

    func hungUp() {
        let run: GenerationRun? = phase.withLock { p in
            defer { if case .disarmed = p {} else { p = .hungUp } }
            if case let .watching(run) = p { return run }
            return nil
        }
        run?.cancel()
    }

    func disarm() { phase.withLock { $0 = .disarmed } }
}

/// The engine requests of one HTTP request; choice `i` is completion `i % n` of prompt `i / n`.
struct Job: Sendable {
    enum Kind: Sendable { case chat, text }
    let kind: Kind
    let id: String
    let created: Int
    let model: String
    /// One per prompt, each with `n` completions.
    let requests: [GenerationRequest]
    let choicesPerPrompt: Int
    let logprobs: Int?
    let stream: Bool
    let includeUsage: Bool

    init(kind: Kind, prompts: [[Int32]], options: GenerationOptions, logprobs: Int?, backend: ModelBackend,
         caps: RequestCaps) throws(APIError) {
        self.kind = kind
        id = (kind == .chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        created = Int(Date().timeIntervalSince1970)
        model = backend.modelID
        choicesPerPrompt = options.choices
        self.logprobs = logprobs
        stream = options.streams
        includeUsage = options.includeUsage
        let param = kind == .chat ? "messages" : "prompt"
        let context = backend.contextLength
        let requested = options.maxCompletionTokens ?? options.maxTokens
        var requests: [GenerationRequest] = []
        for prompt in prompts {
            guard !prompt.isEmpty else { throw .invalid("the prompt is empty", param: param) }
            guard prompt.count < context else {
                throw .invalid("This model's maximum context length is \(context) tokens, but the prompt has "
                               + "\(prompt.count) tokens. Shorten the prompt.", param: param, code: "context_length_exceeded")
            }
            let maxTokens = requested ?? min(caps.maxTokens, context - prompt.count)
            guard prompt.count + maxTokens <= context else {
                throw .invalid("This model's maximum context length is \(context) tokens. However, you requested "
                               + "\(prompt.count + maxTokens) tokens (\(prompt.count) in the prompt, \(maxTokens) for "
                               + "the completion). Shorten the prompt or lower max_tokens.",
                               param: param, code: "context_length_exceeded")
            }
            if let min = options.minTokens, min > maxTokens {
                throw .invalid("min_tokens (\(min)) must not exceed max_tokens (\(maxTokens))", param: "min_tokens")
            }
            // The engine samples completion i with a generator derived from (seed, i).
            requests.append(GenerationRequest(
                promptTokens: prompt, sampling: options.sampling,
                stop: StopConditions(maxTokens: maxTokens, minTokens: options.minTokens ?? 0,
                                     stopStrings: options.stop?.strings ?? [], ignoreEOS: options.ignoreEOS ?? false),
                logprobs: logprobs, n: choicesPerPrompt))
        }
        self.requests = requests
    }
}

/// Writes the access-log line of a completion once its last event is out.
struct CompletionLog: Sendable {
    let id: String
    let arrival: ContinuousClock.Instant
    let logger: Logger

    func write(status: Int, promptTokens: Int, generatedTokens: Int, firstToken: ContinuousClock.Instant?, finish: String) {
        let ttft = firstToken.map { "\(($0 - arrival).milliseconds)ms" } ?? "-"
        let duration = (ContinuousClock.now - arrival).milliseconds
        logger.info("\(id) \(status) prompt=\(promptTokens) gen=\(generatedTokens) ttft=\(ttft) duration=\(duration)ms finish=\(finish)")
    }

    /// A stream that ended because its client hung up or stopped reading.
    func cutOff(_ error: any Error) {
        let duration = (ContinuousClock.now - arrival).milliseconds
        logger.info("\(id) 200 cut off after \(duration)ms: \(error is GenerationRun.ClientTooSlow ? "client stopped reading" : "\(error)")")
    }
}

extension APIError {
    init(engine error: any Error, param: String) {
        guard let error = error as? EngineError else {
            self.init(error)
            return
        }
        switch error {
        case .emptyPrompt, .invalidToken, .invalidRequest:
            self = .invalid(error.description, param: param)
        case .exceedsContext, .exceedsKVPool:
            self = .invalid(error.description, param: param, code: "context_length_exceeded")
        case .shutDown:
            self = .unavailable("the server is shutting down")
        case .invalidConfiguration, .modelFailed:
            self.init(status: .internalServerError, message: error.description, type: "server_error",
                      code: "engine_error")
        }
    }

    /// A body that is not JSON, or a known field of the wrong type: 400 naming the field.
    init(decoding error: DecodingError) {
        func path(_ keys: [any CodingKey]) -> String? {
            guard !keys.isEmpty else { return nil }
            return keys.reduce("") { p, k in
                if let i = k.intValue { return p + "[\(i)]" }
                return p.isEmpty ? k.stringValue : p + "." + k.stringValue
            }
        }
        switch error {
        case let .typeMismatch(type, context):
            let p = path(context.codingPath)
            self = .invalid("\(p ?? "the body") must be of type \(Self.jsonTypeName(type))", param: p)
        case let .valueNotFound(_, context):
            let p = path(context.codingPath)
            self = .invalid("\(p ?? "the body") must not be null", param: p)
        case let .keyNotFound(key, context):
            let p = path(context.codingPath + [key])
            self = .invalid("missing required parameter '\(p ?? key.stringValue)'", param: p)
        case let .dataCorrupted(context):
            if let p = path(context.codingPath) {
                self = .invalid("\(p) has an invalid value: \(context.debugDescription)", param: p)
            } else {
                self = .invalid("the body is not valid JSON: \(context.debugDescription)")
            }
        @unknown default:
            self = .invalid("invalid request body")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "string"
        case is Bool.Type: return "boolean"
        case is Int.Type, is Int32.Type, is Int64.Type: return "integer"
        case is Double.Type, is Float.Type: return "number"
        case is [Any].Type: return "array"
        default: return "object"
        }
    }
}
