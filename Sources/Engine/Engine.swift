import Foundation
import Logging
import Metrics
import Models

/// An embeddable inference engine: many concurrent requests share one model and one KV pool,
/// served by continuous batching on a dedicated thread (not Swift's cooperative pool, whose
/// threads must never block on a long forward pass). The thread sleeps while there is no work.
///
///     let engine = try Engine(model: model, configuration: .init(kvCacheBytes: 256 << 20))
///     for try await event in try engine.submit(request) { ... }
///     await engine.shutdown()
public final class Engine: Sendable {
    private let mailbox: Mailbox
    private let limits: RequestLimits

    public init(model: any LanguageModel, configuration: EngineConfiguration,
                detokenizer: (any Detokenizer)? = nil,
                logger: Logger = Logger(label: "swiftlet.engine"),
                metricsFactory: any MetricsFactory = MetricsSystem.factory) throws(EngineError) {
        let core = try EngineCore(model: model, configuration: configuration, detokenizer: detokenizer,
                                  logger: logger, metricsFactory: metricsFactory)
        limits = core.limits
        mailbox = Mailbox()
        let loop = EngineLoop(core: core, mailbox: mailbox)
        let thread = Thread { loop.run() }
        thread.name = "swiftlet.engine"
        thread.start()
    }

    deinit { mailbox.requestShutdown(.abort) }

    /// Validates and queues `request`. Throws at once when the request can never be served
    /// (too long for the context or the KV pool, bad tokens or parameters) or after shutdown.
    /// Cancelling the task that iterates the stream (or dropping the stream) cancels the request.
    public func submit(_ request: GenerationRequest) throws(EngineError) -> GenerationStream {
        try limits.validate(request)
        let seed = request.sampling.seed ?? UInt64.random(in: .min ... .max)
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        let id = try mailbox.submit(request: request, seed: seed, submittedAt: EngineMetrics.now(),
                                    continuation: continuation)
        continuation.onTermination = { [mailbox] termination in
            if case .cancelled = termination { mailbox.cancel(id) }
        }
        return GenerationStream(id: id, events: stream)
    }

    /// Ends the request (finish reason `abort`) and frees its KV blocks within one iteration.
    public func cancel(_ id: RequestID) { mailbox.cancel(id) }

    /// The engine's state after every request, cancellation and statistics call made before this one
    /// has been taken in by the engine thread.
    public func statistics() async -> EngineStatistics {
        await withCheckedContinuation { mailbox.requestStatistics($0) }
    }

    /// Stops accepting requests; `.drain` finishes the queued and running ones first, `.abort`
    /// ends them with finish reason `abort`. Returns when the engine thread has exited.
    public func shutdown(_ mode: ShutdownMode = .drain) async {
        mailbox.requestShutdown(mode)
        await mailbox.waitUntilStopped()
    }
}

public enum ShutdownMode: Sendable { case drain, abort }

/// A request's events: `.token` per generated token, then `.finished`.
public struct GenerationStream: AsyncSequence, Sendable {
    public typealias Element = GenerationEvent
    public let id: RequestID
    public let events: AsyncThrowingStream<GenerationEvent, Error>

    public func makeAsyncIterator() -> AsyncThrowingStream<GenerationEvent, Error>.Iterator {
        events.makeAsyncIterator()
    }
}

/// Feeds a request's events into its `AsyncThrowingStream`.
private final class StreamSink: GenerationSink {
    let continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation
    init(_ continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation) { self.continuation = continuation }
    func yield(_ event: GenerationEvent) { continuation.yield(event) }
    func finish(throwing error: EngineError?) { continuation.finish(throwing: error) }
}

/// The engine thread's body: drain the mailbox, step, sleep when idle.
private final class EngineLoop: @unchecked Sendable {
    // Unchecked: `core` is touched only by the engine thread, after `init` hands it over.
    private let core: EngineCore
    private let mailbox: Mailbox

    init(core: EngineCore, mailbox: Mailbox) {
        self.core = core
        self.mailbox = mailbox
    }

    func run() {
        while true {
            let mail = mailbox.take(waitingWhileIdle: !core.hasWork)
            for s in mail.submissions {
                core.add(id: s.id, request: s.request, seed: s.seed, submittedAt: s.submittedAt,
                         sink: StreamSink(s.continuation))
            }
            for id in mail.cancellations { core.cancel(id) }
            if mail.shutdown == .abort { core.abortAll() }
            if !mail.statisticsRequests.isEmpty {
                let stats = core.statistics
                for r in mail.statisticsRequests { r.resume(returning: stats) }
            }
            if mail.shutdown != nil && !core.hasWork { break }
            core.step()
        }
        mailbox.markStopped(final: core.statistics)
    }
}

/// Everything crossing from callers to the engine thread, under one lock.
private final class Mailbox: @unchecked Sendable {
    // Unchecked: every stored property is guarded by `condition`.
    struct Submission {
        let id: RequestID
        let request: GenerationRequest
        let seed: UInt64
        let submittedAt: UInt64
        let continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation
    }
    struct Mail {
        var submissions: [Submission] = []
        var cancellations: [RequestID] = []
        var statisticsRequests: [CheckedContinuation<EngineStatistics, Never>] = []
        var shutdown: ShutdownMode?
    }

    private let condition = NSCondition()
    private var mail = Mail()
    private var nextID: UInt64 = 0
    private var shutdown: ShutdownMode?
    private var stopped: EngineStatistics?   // final statistics once the thread has exited
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []

    func submit(request: GenerationRequest, seed: UInt64, submittedAt: UInt64,
                continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation) throws(EngineError) -> RequestID {
        condition.lock()
        defer { condition.unlock() }
        guard shutdown == nil else { throw .shutDown }
        nextID += 1
        let id = RequestID(rawValue: nextID)
        mail.submissions.append(Submission(id: id, request: request, seed: seed, submittedAt: submittedAt,
                                            continuation: continuation))
        condition.signal()
        return id
    }

    func cancel(_ id: RequestID) {
        condition.lock()
        mail.cancellations.append(id)
        condition.signal()
        condition.unlock()
    }

    func requestStatistics(_ request: CheckedContinuation<EngineStatistics, Never>) {
        condition.lock()
        if let final = stopped {
            condition.unlock()
            request.resume(returning: final)
            return
        }
        mail.statisticsRequests.append(request)
        condition.signal()
        condition.unlock()
    }

    func requestShutdown(_ mode: ShutdownMode) {
        condition.lock()
        // An abort may upgrade a drain; nothing downgrades an abort.
        if shutdown != .abort { shutdown = mode }
        condition.signal()
        condition.unlock()
    }

    /// Takes all mail; when `waitingWhileIdle`, first sleeps until there is some.
    func take(waitingWhileIdle: Bool) -> Mail {
        condition.lock()
        defer { condition.unlock() }
        while waitingWhileIdle && mail.submissions.isEmpty && mail.cancellations.isEmpty
                && mail.statisticsRequests.isEmpty && shutdown == nil {
            condition.wait()
        }
        var taken = mail
        taken.shutdown = shutdown
        mail = Mail()
        return taken
    }

    func markStopped(final: EngineStatistics) {
        condition.lock()
        stopped = final
        let waiters = stopWaiters
        stopWaiters = []
        let late = mail.statisticsRequests   // arrived after the last iteration took its mail
        mail.statisticsRequests = []
        condition.unlock()
        for w in waiters { w.resume() }
        for r in late { r.resume(returning: final) }
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            condition.lock()
            if stopped != nil {
                condition.unlock()
                c.resume()
            } else {
                stopWaiters.append(c)
                condition.unlock()
            }
        }
    }
}
