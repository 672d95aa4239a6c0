import Engine
import Foundation
import Logging
import ServiceLifecycle

/// The model's life in the server: loads it (on its own thread, so `/health` answers 503 meanwhile),
/// serves until graceful shutdown (SIGTERM/SIGINT), then makes new requests 503, lets in-flight
/// ones finish for up to `timeout` and ends the rest with finish reason "abort".
///
/// Put it after the HTTP application in the `ServiceGroup`: services stop in reverse order, so the
/// engine drains first and the HTTP server then only waits for responses that are ending.
public struct EngineService: Service {
    let state: ServerState
    let timeout: Duration
    let logger: Logger
    let load: @Sendable () throws -> ModelBackend

    public init(state: ServerState, timeout: Duration, logger: Logger, load: @escaping @Sendable () throws -> ModelBackend) {
        self.state = state
        self.timeout = timeout
        self.logger = logger
        self.load = load
    }

    public func run() async throws {
        let start = ContinuousClock.now
        let load = self.load
        let backend: ModelBackend
        do {
            backend = try await withCheckedThrowingContinuation { continuation in
                let thread = Thread { continuation.resume(with: Result { try load() }) }
                thread.name = "swiftlet.load"
                thread.start()
            }
        } catch {
            state.set(.failed("\(error)"))
            throw error
        }
        state.set(.ready(backend))
        let ms = (ContinuousClock.now - start).milliseconds
        logger.info("model '\(backend.modelID)' ready in \(ms)ms (context \(backend.contextLength) tokens)")
        // Cancellation (the group ending without a graceful shutdown) is a shutdown too.
        try? await gracefulShutdown()
        guard let serving = state.beginShutdown() else { return }
        logger.info("shutting down: draining in-flight requests for up to \(timeout)")
        await Self.drain(serving.engine, timeout: timeout)
        logger.info("engine stopped")
    }

    /// Drains `engine`, aborting what is left after `timeout`.
    static func drain(_ engine: Engine, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await engine.shutdown(.drain) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { await engine.shutdown(.abort) }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
