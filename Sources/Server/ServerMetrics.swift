import Engine
import Prometheus

/// The server's own Prometheus metrics. The engine records the scheduling and token metrics
/// itself (through swift-metrics: running/waiting sequences, KV usage, prompt/generated/cached
/// tokens, finished requests by reason, time to first token, inter-token latency); these add
/// what only the server sees, and the KV pool's block counts read from `Engine.statistics()` when
/// `/metrics` is scraped.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let kvFreeBlocks: Gauge
    let kvTotalBlocks: Gauge
    let endToEndLatency: DurationHistogram
    let rejected: Counter

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "swiftlet", metricName: metric, unitName: unit, helpText: help)
        }
        kvFreeBlocks = registry.makeGauge(descriptor: name("kv_cache_free", "blocks", "KV-cache blocks not held by any request."))
        kvTotalBlocks = registry.makeGauge(descriptor: name("kv_cache_total", "blocks", "Usable KV-cache blocks in the pool."))
        // Buckets follow vLLM's (seconds).
        endToEndLatency = registry.makeDurationHistogram(
            descriptor: name("e2e_request_latency", "seconds", "Time from request arrival to its last event, per engine request."),
            buckets: [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960]
                .map { .nanoseconds(Int64($0 * 1e9)) })
        rejected = registry.makeCounter(
            descriptor: name("request_rejected", "total", "Requests answered 429 because the waiting queue was full."))
    }

    func update(from s: EngineStatistics) {
        kvFreeBlocks.set(Double(s.freeBlocks))
        kvTotalBlocks.set(Double(s.totalBlocks))
    }
}
