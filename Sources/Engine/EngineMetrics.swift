import Dispatch
import Metrics

/// The engine's metrics through swift-metrics, recorded on the engine thread. Rates (tokens/s)
/// are the backend's job: it derives them from the counters.
struct EngineMetrics {
    private let runningSequences: Gauge
    private let waitingSequences: Gauge
    /// Blocks held by sequences / usable blocks, in 0...1.
    private let kvCacheUsage: Gauge
    /// Tokens run through the model (prefill chunks, decode tokens and recomputation).
    private let computedTokens: Counter
    private let generatedTokens: Counter
    /// Counted when a request finishes.
    private let promptTokens: Counter
    private let cachedPromptTokens: Counter
    private let preemptions: Counter
    /// Finished completions, by finish reason.
    private let finishedRequests: [FinishReason: Counter]
    private let timeToFirstToken: Timer
    private let interTokenLatency: Timer

    init(factory: any MetricsFactory) {
        runningSequences = Gauge(label: "swiftlet_running_sequences", factory: factory)
        waitingSequences = Gauge(label: "swiftlet_waiting_sequences", factory: factory)
        kvCacheUsage = Gauge(label: "swiftlet_kv_cache_usage_ratio", factory: factory)
        computedTokens = Counter(label: "swiftlet_computed_tokens_total", factory: factory)
        generatedTokens = Counter(label: "swiftlet_generated_tokens_total", factory: factory)
        promptTokens = Counter(label: "swiftlet_prompt_tokens_total", factory: factory)
        cachedPromptTokens = Counter(label: "swiftlet_cached_prompt_tokens_total", factory: factory)
        preemptions = Counter(label: "swiftlet_preemptions_total", factory: factory)
        var finished: [FinishReason: Counter] = [:]
        for reason in [FinishReason.stop, .length, .abort, .error] {
            finished[reason] = Counter(label: "swiftlet_finished_requests_total",
                                       dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        finishedRequests = finished
        timeToFirstToken = Timer(label: "swiftlet_time_to_first_token_seconds", preferredDisplayUnit: .seconds,
                                 factory: factory)
        interTokenLatency = Timer(label: "swiftlet_inter_token_latency_seconds", preferredDisplayUnit: .seconds,
                                  factory: factory)
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func recordStep(computed: Int, preempted: Int, running: Int, waiting: Int, usedBlocks: Int, totalBlocks: Int) {
        computedTokens.increment(by: computed)
        if preempted > 0 { preemptions.increment(by: preempted) }
        runningSequences.record(running)
        waitingSequences.record(waiting)
        kvCacheUsage.record(Double(usedBlocks) / Double(max(totalBlocks, 1)))
    }

    /// A token of `seq` was sampled at `now` (uptime nanoseconds).
    func recordToken(_ seq: SequenceState, now: UInt64) {
        generatedTokens.increment()
        if let last = seq.lastTokenAt {
            interTokenLatency.recordNanoseconds(Int64(now &- last))
        } else if seq.index == 0 {
            timeToFirstToken.recordNanoseconds(Int64(now &- seq.submittedAt))
        }
        seq.lastTokenAt = now
    }

    /// One completion finished; the prompt is counted once per request (with its first completion).
    func recordFinished(_ reason: FinishReason, usage: Usage, firstCompletion: Bool) {
        finishedRequests[reason]?.increment()
        guard firstCompletion else { return }
        promptTokens.increment(by: usage.promptTokens)
        cachedPromptTokens.increment(by: usage.cachedPromptTokens)
    }
}
