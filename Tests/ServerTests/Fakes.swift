import Engine
import Foundation
import Hummingbird
import Logging
import Models
import Prometheus
@testable import Server

/// Printable ASCII as a vocabulary: token id = character code − 32 (" " = 0 … "~" = 94), and
/// token 95 is end-of-generation. No BOS.
struct CharTokenizer: TextTokenizer, Detokenizer {
    static let eos: Int32 = 95
    var vocabularySize: Int { 96 }

    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
        text.unicodeScalars.compactMap { s in (32 ... 126).contains(s.value) ? Int32(s.value) - 32 : nil }
    }
    func decode(_ tokens: [Int32]) -> String { String(decoding: tokens.flatMap { bytes(of: $0) }, as: UTF8.self) }
    func bytes(of token: Int32) -> [UInt8] { token < 95 ? [UInt8(token + 32)] : [] }

    struct Decoder: IncrementalDecoder {
        mutating func append(_ token: Int32) -> String { CharTokenizer().decode([token]) }
    }
    func makeDecoder() -> any IncrementalDecoder { Decoder() }

    static func id(_ c: Character) -> Int32 { Int32(c.asciiValue ?? 32) - 32 }
}

/// "role: content" lines, then "A:" — enough to see that messages reached the prompt.
struct LineRenderer: PromptRenderer {
    func render(_ messages: [PromptMessage]) throws -> String {
        messages.map { "\($0.role.prefix(1)):\($0.content)|" }.joined() + "a:"
    }
}

/// A weightless model whose next token is the character after the last one ("a" → "b"), and
/// end-of-generation after "z"; every other token gets logit −30, so even sampling at
/// temperature 1 picks the successor (the alternatives together weigh ~1e-11).
/// `stepDelay` slows each forward pass, so tests can act while a request is still running.
final class SuccessorModel: LanguageModel, @unchecked Sendable {
    // Unchecked: immutable after init.
    let vocabularySize = 96
    let contextLength: Int
    let kvLayout = KVLayout(layerCount: 1, kvHeadCount: 1, headDim: 2)
    let stepDelay: Double

    init(contextLength: Int = 64, stepDelay: Double = 0) {
        self.contextLength = contextLength
        self.stepDelay = stepDelay
    }

    static func successor(_ t: Int32) -> Int32 {
        if t == CharTokenizer.id("z") { return CharTokenizer.eos }
        return t >= 94 ? 0 : t + 1
    }

    func forward(_ batch: ForwardBatch, cache: KVCache, logits: UnsafeMutableBufferPointer<Float>) throws {
        if stepDelay > 0 { Thread.sleep(forTimeInterval: stepDelay) }
        for (r, tokenIndex) in batch.logitRows.enumerated() {
            let row = UnsafeMutableBufferPointer(rebasing: logits[r * vocabularySize ..< (r + 1) * vocabularySize])
            row.update(repeating: -30)
            row[Int(Self.successor(batch.tokens[Int(tokenIndex)]))] = 0
        }
    }
}

/// A server around `SuccessorModel`, with the pieces tests look at.
struct TestServer: Sendable {
    let state: ServerState
    let engine: Engine
    let metrics: ServerMetrics
    let configuration: ServerConfiguration

    static let modelID = "successor"

    init(contextLength: Int = 64, stepDelay: Double = 0, maxRunning: Int = 8, blocks: Int = 256,
         configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        let model = SuccessorModel(contextLength: contextLength, stepDelay: stepDelay)
        let registry = PrometheusCollectorRegistry()
        let blockSize = 16
        engine = try Engine(
            model: model,
            configuration: EngineConfiguration(
                kvCacheBytes: KVCache.bytesPerBlock(layout: model.kvLayout, blockSize: blockSize) * (blocks + 1),
                blockSize: blockSize, maxBatchTokens: 256, maxRunningSequences: maxRunning,
                endOfGenerationTokens: [CharTokenizer.eos]),
            detokenizer: CharTokenizer(), logger: Logger(label: "test.engine"),
            metricsFactory: PrometheusMetricsFactory(registry: registry))
        state = ServerState(.ready(ModelBackend(modelID: Self.modelID, engine: engine, tokenizer: CharTokenizer(),
                                                renderer: LineRenderer(), contextLength: contextLength, created: 1)))
        metrics = ServerMetrics(registry: registry)
        var configuration = ServerConfiguration()
        configuration.maxRunning = maxRunning
        // A test's own client may be starved by a busy machine for seconds; only the slow-reader
        // test wants a cut-off.
        configuration.streamBufferLimit = 1 << 20
        configure(&configuration)
        self.configuration = configuration
    }

    /// An application around a new router on this server's state.
    var app: some ApplicationProtocol {
        Application(router: buildRouter(state: state, configuration: configuration, metrics: metrics,
                                        logger: Logger(label: "test.server")))
    }
}
