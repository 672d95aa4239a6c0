import ArgumentParser
import Engine
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import Server
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a model over an OpenAI-compatible HTTP API.",
        discussion: "Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health, "
            + "GET /metrics (Prometheus), POST /tokenize, POST /detokenize. /health answers 503 until the model "
            + "has loaded. SIGTERM/SIGINT drain in-flight requests for --shutdown-timeout seconds, then end the "
            + "rest with finish_reason \"abort\" and exit 0.")

    @Option(help: "Path to a .gguf model.")
    var model = "models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
    @Option(help: "Model id clients send as 'model' (default: the file name without .gguf).")
    var modelName: String?
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(name: .customLong("api-key"), help: "Accepted API key (repeatable); also $SWIFTLET_API_KEY.")
    var apiKeys: [String] = []
    @Option(help: "KV cache size in MiB.") var kvCacheMb = 512
    @Option(help: "Most tokens per forward pass.") var maxBatchTokens = 512
    @Option(help: "Most sequences running at once.") var maxSeqs = 64
    @Option(help: "Requests that may wait beyond the running ones before new ones get 429.") var maxQueue = 256
    @Option(help: "Compute threads (default: the machine's core count).") var threads: Int?
    @Option(help: "Allowed CORS origin ('*' for any); CORS is off without it.") var corsOrigin: String?
    @Option(help: "Seconds in-flight requests may take to finish on shutdown.") var shutdownTimeout: Double = 30
    @Option(help: "Largest request body in bytes.") var bodyLimit = 4 << 20

    func validate() throws {
        guard (1 ... 65535).contains(port) else { throw ValidationError("--port must be 1...65535") }
        guard kvCacheMb >= 1 else { throw ValidationError("--kv-cache-mb must be ≥ 1") }
        guard maxBatchTokens >= 1 else { throw ValidationError("--max-batch-tokens must be ≥ 1") }
        guard maxSeqs >= 1 else { throw ValidationError("--max-seqs must be ≥ 1") }
        // Every running sequence decodes one token per step.
        guard maxBatchTokens >= maxSeqs else { throw ValidationError("--max-batch-tokens must be ≥ --max-seqs") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be ≥ 0") }
        try validateThreadCount(threads)
        guard shutdownTimeout >= 0 && shutdownTimeout.isFinite else { throw ValidationError("--shutdown-timeout must be ≥ 0") }
        guard bodyLimit >= 1024 else { throw ValidationError("--body-limit must be ≥ 1024") }
        guard apiKeys.allSatisfy({ !$0.isEmpty }) else { throw ValidationError("--api-key must not be empty") }
    }

    func run() async throws {
        guard FileManager.default.fileExists(atPath: model) else {
            throw CLIError("model file not found: \(model) (run scripts/fetch-models.sh, or pass --model)")
        }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "swiftlet.serve")
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // The engine's latency timers, with vLLM's buckets (seconds).
        factory.durationHistogramBuckets = [
            "swiftlet_time_to_first_token_seconds":
                [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80]
                .map { .nanoseconds(Int64($0 * 1e9)) },
            "swiftlet_inter_token_latency_seconds":
                [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20]
                .map { .nanoseconds(Int64($0 * 1e9)) },
        ]
        MetricsSystem.bootstrap(factory)

        var configuration = ServerConfiguration()
        configuration.apiKeys = apiKeys
        if let env = ProcessInfo.processInfo.environment["SWIFTLET_API_KEY"], !env.isEmpty {
            configuration.apiKeys += env.split(separator: ",").map(String.init)
        }
        configuration.corsOrigin = corsOrigin
        configuration.bodyLimit = bodyLimit
        configuration.maxQueue = maxQueue
        configuration.maxRunning = maxSeqs

        let state = ServerState()
        let router = buildRouter(state: state, configuration: configuration,
                                 metrics: ServerMetrics(registry: registry), logger: logger)
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(300))),
            configuration: .init(address: .hostname(host, port: port), serverName: "swiftlet"),
            logger: logger)
        let engineConfiguration = EngineConfiguration(
            kvCacheBytes: kvCacheMb << 20, maxBatchTokens: maxBatchTokens, maxRunningSequences: maxSeqs)
        let path = model, name = modelName
        let engine = EngineService(state: state, timeout: .milliseconds(Int64(shutdownTimeout * 1000)), logger: logger) {
            try ServeBackend.load(path: path, modelID: name, threads: threads, engine: engineConfiguration)
        }
        // Services stop in reverse order: the engine drains before the HTTP server closes.
        let group = ServiceGroup(configuration: .init(
            services: [app, engine], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
