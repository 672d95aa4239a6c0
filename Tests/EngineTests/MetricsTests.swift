import Logging
import MetricsTestKit
import Models
import Testing
@testable import Engine

@Suite struct MetricsTests {
    @Test func countersAndGaugesFollowTheWork() throws {
        let model = FakeModel()
        let metrics = TestMetrics()
        let bytes = KVCache.bytesPerBlock(layout: model.kvLayout, blockSize: 4) * 11   // 10 usable blocks
        let core = try EngineCore(model: model, configuration: EngineConfiguration(kvCacheBytes: bytes, blockSize: 4),
                                  detokenizer: nil, logger: Logger(label: "test"), metricsFactory: metrics)
        let requests = (0 ..< 3).map { i in
            GenerationRequest(promptTokens: prompt(8, salt: Int32(i)), sampling: .greedy,
                              stop: StopConditions(maxTokens: 12, ignoreEOS: true))
        }
        let collectors = try requests.enumerated().map { try core.submit($1, id: UInt64($0)) }
        try core.runToCompletion()
        let generated = collectors.reduce(0) { $0 + $1.tokens.count }
        #expect(generated == 36)
        #expect(try metrics.expectCounter("swiftlet_generated_tokens_total").totalValue == 36)
        #expect(try metrics.expectCounter("swiftlet_computed_tokens_total").totalValue == Int64(model.computedTokens))
        #expect(try metrics.expectCounter("swiftlet_prompt_tokens_total").totalValue == 24)
        #expect(try metrics.expectCounter("swiftlet_preemptions_total").totalValue == Int64(core.scheduler.preemptionCount))
        #expect(core.scheduler.preemptionCount > 0)   // 3 × 5 blocks do not fit in 10
        #expect(try metrics.expectCounter("swiftlet_finished_requests_total", [("reason", "length")]).totalValue == 3)
        #expect(try metrics.expectTimer("swiftlet_time_to_first_token_seconds").values.count == 3)
        #expect(try metrics.expectTimer("swiftlet_inter_token_latency_seconds").values.count == 33)
        let usage = try metrics.expectGauge("swiftlet_kv_cache_usage_ratio")
        #expect(usage.values.contains { $0 > 0.5 } && usage.lastValue == 0)
        #expect(try metrics.expectGauge("swiftlet_running_sequences").lastValue == 0)
    }
}
