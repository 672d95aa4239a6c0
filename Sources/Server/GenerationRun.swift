import Engine
import Foundation

/// What a run yields: an event of one choice (choice = prompt index × n + completion index), or
/// a heartbeat while nothing else happens.
enum RunEvent: Sendable {
    case choice(Int, GenerationEvent)
    /// For streams: writing something regularly is how a hang-up is noticed while a request is
    /// still waiting in the queue.
    case heartbeat
}

/// The engine requests behind one HTTP request (one per prompt, each with `n` completions),
/// merged into one bounded stream.
///
/// A pump task per engine request moves its events into `events` as soon as they arrive, so a
/// slow client never holds up the engine. For streams the buffer is bounded: a client that falls
/// more than `bufferLimit` events behind is cut off (its requests cancelled, the stream ends with
/// `ClientTooSlow`). A non-streamed answer is gathered by the server itself (nil limit).
final class GenerationRun: Sendable {
    struct ClientTooSlow: Error {}

    let events: AsyncThrowingStream<RunEvent, Error>
    private let ids: [RequestID]
    private let engine: Engine

    /// Takes ownership of `streams` (already submitted) and of `slots` admission slots in `state`,
    /// released when every stream has ended.
    init(engine: Engine, streams: [GenerationStream], choicesPerPrompt n: Int, slots: Int,
         arrival: ContinuousClock.Instant, bufferLimit: Int?, heartbeat: Duration,
         metrics: ServerMetrics, state: ServerState) {
        self.engine = engine
        let ids = streams.map(\.id)
        self.ids = ids
        let (events, continuation) = AsyncThrowingStream.makeStream(
            of: RunEvent.self, bufferingPolicy: bufferLimit.map { .bufferingOldest($0) } ?? .unbounded)
        self.events = events
        continuation.onTermination = { termination in
            // The consumer went away (client disconnected or cut off): free the KV blocks.
            if case .cancelled = termination { for id in ids { engine.cancel(id) } }
        }
        Task {
            let beat = Task {
                while true {
                    try await Task.sleep(for: heartbeat)
                    // Dropped when the client is far behind; the pumps notice that themselves.
                    continuation.yield(.heartbeat)
                }
            }
            await withTaskGroup(of: Void.self) { group in
                for (p, stream) in streams.enumerated() {
                    group.addTask {
                        do {
                            for try await event in stream {
                                let index = switch event {
                                case let .token(t): t.index
                                case let .finished(s): s.index
                                }
                                if case .dropped = continuation.yield(.choice(p * n + index, event)) {
                                    throw ClientTooSlow()
                                }
                            }
                            metrics.endToEndLatency.record(ContinuousClock.now - arrival)
                        } catch {
                            for id in ids { engine.cancel(id) }
                            continuation.finish(throwing: error)
                        }
                    }
                }
            }
            beat.cancel()
            state.release(slots)
            continuation.finish()
        }
    }

    /// Ends every choice (finish reason `abort`); their KV blocks are freed within one iteration.
    func cancel() {
        for id in ids { engine.cancel(id) }
    }
}
