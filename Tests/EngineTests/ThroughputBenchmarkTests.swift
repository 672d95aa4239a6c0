import Foundation
import Models
import Testing
@testable import Engine

@Suite struct ThroughputBenchmarkTests {
    @Test func reportsEveryRequestAndToken() async throws {
        let model = FakeModel()
        let engine = try Engine(model: model, configuration: EngineConfiguration(
            kvCacheBytes: KVCache.bytesPerBlock(layout: model.kvLayout, blockSize: 16) * 64,
            maxRunningSequences: 8, endOfGenerationTokens: [0]))
        let bench = ThroughputBenchmark(requests: 12, promptLength: 20, generationLength: 9)
        let report = try await bench.run(on: engine, vocabularySize: model.vocabularySize)
        let stats = await engine.statistics()
        await engine.shutdown()
        // EOS ignored: exactly 9 tokens each; every prompt computed in full (all different).
        #expect(abs(report.generatedTokensPerSecond * report.elapsedSeconds - 12 * 9) < 1e-6)
        #expect(abs(report.requestsPerSecond * report.elapsedSeconds - 12) < 1e-9)
        #expect(stats.computedTokens == 12 * 20 + 12 * 8)
        #expect(report.ttftP50 <= report.ttftP99 && report.ttftP99 <= report.latencyP99)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        for key in ["requests_per_second", "prompt_tokens_per_second", "generated_tokens_per_second", "ttft_p50", "ttft_p99"] {
            #expect(json?[key] is Double)
        }
    }

    @Test func sharedPrefixPromptsAreIdenticalOthersDiffer() {
        let shared = ThroughputBenchmark(requests: 2, promptLength: 30, generationLength: 1, sharedPrefix: true)
        #expect(shared.prompt(index: 0, vocabularySize: 32) == shared.prompt(index: 1, vocabularySize: 32))
        let distinct = ThroughputBenchmark(requests: 2, promptLength: 30, generationLength: 1)
        #expect(distinct.prompt(index: 0, vocabularySize: 32) != distinct.prompt(index: 1, vocabularySize: 32))
        #expect(distinct.prompt(index: 0, vocabularySize: 32).allSatisfy { $0 >= 1 && $0 < 32 })
    }

    @Test func nearestRankPercentiles() {
        let v = (1 ... 100).map(Double.init)
        #expect(percentile(v, 0.5) == 50 && percentile(v, 0.99) == 99 && percentile(v, 1) == 100)
        #expect(percentile([3], 0.99) == 3 && percentile([], 0.5) == 0)
    }
}
