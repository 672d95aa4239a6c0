import Engine
import Foundation
import Hummingbird
import Logging

/// What `swiftlet serve` lets the operator set beyond the engine's own configuration.
public struct ServerConfiguration: Sendable {
    /// Accepted bearer tokens; empty means no authentication.
    public var apiKeys: [String] = []
    /// Value of `Access-Control-Allow-Origin` ("*" for any); nil disables CORS.
    public var corsOrigin: String?
    /// Largest request body, in bytes.
    public var bodyLimit = 4 << 20
    /// Engine requests (choices) that may wait beyond the running ones before new requests get 429.
    public var maxQueue = 256
    /// The engine's running-sequence limit (admission counts `maxRunning + maxQueue` in flight).
    public var maxRunning = 64
    /// Events buffered per request for a client that reads slower than the engine generates.
    public var streamBufferLimit = 4096
    /// How often a stream with nothing to send writes an SSE comment, so that a client that hung
    /// up while its request waits in the queue is noticed.
    public var heartbeat: Duration = .seconds(5)
    public var caps = RequestCaps()

    public init() {}
}

/// The OpenAI-compatible router. Tests drive it in-process; `swiftlet serve` puts it in an
/// `Application`.
public func buildRouter(state: ServerState, configuration: ServerConfiguration, metrics: ServerMetrics,
                        logger: Logger) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ErrorAndAccessLogMiddleware(logger: logger))
    if let origin = configuration.corsOrigin {
        router.add(middleware: CORSMiddleware(
            allowOrigin: origin == "*" ? .all : .custom(origin),
            allowHeaders: [.accept, .authorization, .contentType, .origin],
            allowMethods: [.get, .post, .options]))
    }
    router.add(middleware: APIKeyMiddleware(keys: configuration.apiKeys))

    let api = CompletionsAPI(state: state, configuration: configuration, metrics: metrics, logger: logger)

    router.get("/health") { _, _ -> Response in
        _ = try state.backend()
        return jsonResponse(HealthResponse(status: "ok"))
    }
    router.get("/metrics") { _, _ -> Response in
        if case let .ready(backend) = state.current {
            metrics.update(from: await backend.engine.statistics())
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
    }
    router.get("/v1/models") { _, _ -> Response in
        let backend = try state.backend()
        return jsonResponse(ModelList(data: [.init(id: backend.modelID, created: backend.created,
                                                   max_model_len: backend.contextLength)]))
    }
    router.post("/tokenize") { request, _ -> Response in
        let backend = try state.backend()
        let body = try await api.decode(TokenizeRequest.self, from: request)
        try checkModel(body.model, backend)
        let tokens: [Int32]
        switch (body.prompt, body.messages) {
        case let (prompt?, nil):
            tokens = try backend.tokenizer.encode(prompt, addSpecial: body.addSpecialTokens ?? true, parseSpecial: true)
        case let (nil, messages?):
            tokens = try chatPrompt(messages, backend)
        default:
            throw APIError.invalid("give exactly one of prompt and messages", param: "prompt")
        }
        return jsonResponse(TokenizeResponse(tokens: tokens, count: tokens.count, max_model_len: backend.contextLength))
    }
    router.post("/detokenize") { request, _ -> Response in
        let backend = try state.backend()
        let body = try await api.decode(DetokenizeRequest.self, from: request)
        try checkModel(body.model, backend)
        for t in body.tokens where t < 0 || Int(t) >= backend.tokenizer.vocabularySize {
            throw APIError.invalid("token \(t) is outside the vocabulary (size \(backend.tokenizer.vocabularySize))",
                                   param: "tokens")
        }
        return jsonResponse(DetokenizeResponse(prompt: backend.tokenizer.decode(body.tokens)))
    }
    router.post("/v1/chat/completions") { request, _ in try await api.chat(request) }
    router.post("/v1/completions") { request, _ in try await api.complete(request) }
    return router
}

func jsonResponse(_ value: some Encodable) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"],
             body: .init(byteBuffer: ByteBuffer(bytes: JSON.encode(value))))
}

/// A request may name the served model or leave `model` out; any other name is a 404.
func checkModel(_ model: String?, _ backend: ModelBackend) throws(APIError) {
    if let model, model != backend.modelID { throw .modelNotFound(model) }
}

/// Renders `messages` with the chat template and tokenizes the result.
func chatPrompt(_ messages: [ChatMessageDTO], _ backend: ModelBackend) throws -> [Int32] {
    guard !messages.isEmpty else { throw APIError.invalid("messages must not be empty", param: "messages") }
    let turns = messages.map { PromptMessage(role: $0.role, content: $0.content?.text ?? "") }
    let text: String
    do {
        text = try backend.renderer.render(turns)
    } catch {
        throw APIError.invalid("the chat template could not render these messages: \(error)", param: "messages")
    }
    return try backend.tokenizer.encode(text, addSpecial: true, parseSpecial: true)
}

extension ServerState {
    /// The serving backend, or 503 while loading, after a failed load, or while shutting down.
    func backend() throws(APIError) -> ModelBackend {
        switch current {
        case let .ready(b): return b
        case .loading: throw .unavailable("the model is still loading")
        case let .failed(why): throw .unavailable("the model failed to load: \(why)")
        case .shuttingDown: throw .unavailable("the server is shutting down")
        }
    }
}
