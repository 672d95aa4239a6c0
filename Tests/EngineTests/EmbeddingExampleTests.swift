// Uses the public API only (no @testable import): the README's embedding example, compiled.
import Engine
import Models
import Testing

@Suite struct EmbeddingExampleTests {
    /// Any `LanguageModel` works; a real one comes from the Models target.
    @Test func embedTheEngine() async throws {
        let model: any LanguageModel = FakeModel()
        let engine = try Engine(model: model, configuration: EngineConfiguration(
            kvCacheBytes: 1 << 20, maxBatchTokens: 256, maxRunningSequences: 8, endOfGenerationTokens: [0]))

        let request = GenerationRequest(
            promptTokens: [5, 9, 13, 17],
            sampling: SamplingParameters(temperature: 0.7, topP: 0.9, seed: 42),
            stop: StopConditions(maxTokens: 32, stopStrings: ["\n\n"]))
        var generated: [Int32] = []
        var finish: GenerationSummary?
        for try await event in try engine.submit(request) {
            switch event {
            case let .token(token): generated.append(token.id)   // token.text is the text delta
            case let .finished(summary): finish = summary       // finish reason and usage
            }
        }
        await engine.shutdown()

        let summary = try #require(finish)
        #expect(summary.usage.completionTokens == generated.count)
        #expect(summary.finishReason == (generated.last == 0 ? .stop : .length))
    }
}
