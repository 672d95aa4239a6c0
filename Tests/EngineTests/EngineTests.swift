import Testing
import Models
@testable import Engine

private func makeEngine(_ model: FakeModel, blocks: Int = 64, eog: Set<Int32> = [0]) throws -> Engine {
    let bytes = KVCache.bytesPerBlock(layout: model.kvLayout, blockSize: 4) * (blocks + 1)
    return try Engine(model: model, configuration: EngineConfiguration(
        kvCacheBytes: bytes, blockSize: 4, maxBatchTokens: 24, maxRunningSequences: 4, endOfGenerationTokens: eog),
        detokenizer: FakeDetokenizer())
}

/// Drains a stream into its tokens, text and summary.
private func collect(_ stream: GenerationStream) async throws -> (tokens: [Int32], text: String, summary: GenerationSummary?) {
    var tokens: [Int32] = [], text = "", summary: GenerationSummary?
    for try await event in stream {
        switch event {
        case let .token(t):
            tokens.append(t.id)
            text += t.text
        case let .finished(s): summary = s
        }
    }
    return (tokens, text, summary)
}

@Suite struct EngineTests {
    @Test func concurrentStreamsMatchTheirReferences() async throws {
        let model = FakeModel()
        let engine = try makeEngine(model)
        let requests = (0 ..< 10).map { i in
            GenerationRequest(promptTokens: prompt(3 + 4 * i, salt: Int32(i)),
                              sampling: i % 2 == 0 ? .greedy : SamplingParameters(temperature: 0.9, seed: UInt64(i)),
                              stop: StopConditions(maxTokens: 16))
        }
        let results = try await withThrowingTaskGroup(of: (Int, [Int32], String, GenerationSummary?).self) { group in
            for (i, r) in requests.enumerated() {
                let stream = try engine.submit(r)
                group.addTask {
                    let (tokens, text, summary) = try await collect(stream)
                    return (i, tokens, text, summary)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = ($1.1, $1.2, $1.3) }
        }
        for (i, r) in requests.enumerated() {
            let (tokens, text, summary) = try #require(results[i])
            let expected = referenceTokens(r, eog: [0])
            #expect(tokens == expected)
            let stoppedByEOG = expected.last == 0
            #expect(text == expected.dropLast(stoppedByEOG ? 1 : 0).map(FakeDetokenizer.text(of:)).joined())
            #expect(summary?.finishReason == (stoppedByEOG ? .stop : .length))
            #expect(summary?.usage.completionTokens == expected.count)
        }
        await engine.shutdown()
        let stats = await engine.statistics()
        #expect(stats.freeBlocks == stats.totalBlocks && stats.runningSequences == 0 && stats.waitingSequences == 0)
    }

    @Test func cancellingTheConsumingTaskFreesTheRequestsBlocks() async throws {
        let model = FakeModel(contextLength: 4096)
        let engine = try makeEngine(model, blocks: 1100, eog: [])
        let stream = try engine.submit(GenerationRequest(promptTokens: prompt(20), stop: StopConditions(maxTokens: 4000)))
        let (firstToken, firstTokenSeen) = AsyncStream<Void>.makeStream()
        let consumer = Task {
            for try await event in stream {
                if case .token = event { firstTokenSeen.yield() }
            }
        }
        for await _ in firstToken { break }
        consumer.cancel()
        _ = await consumer.result
        // Ordered after the cancellation: the request is gone and its blocks are free, long before
        // it could have generated its 4,000 tokens.
        let stats = await engine.statistics()
        #expect(stats.runningSequences == 0 && stats.waitingSequences == 0)
        #expect(stats.freeBlocks == stats.totalBlocks)
        #expect(stats.computedTokens < 20 + 4000)
        await engine.shutdown(.abort)
    }

    @Test func droppingTheStreamCancelsTheRequest() async throws {
        let model = FakeModel(contextLength: 4096)
        let engine = try makeEngine(model, blocks: 1100, eog: [])
        do {
            let stream = try engine.submit(GenerationRequest(promptTokens: prompt(20), stop: StopConditions(maxTokens: 4000)))
            for try await _ in stream { break }
        }
        let stats = await engine.statistics()
        #expect(stats.runningSequences == 0 && stats.freeBlocks == stats.totalBlocks)
        #expect(stats.computedTokens < 20 + 4000)
        await engine.shutdown(.abort)
    }

    @Test func cancelByIDEndsTheStreamWithAbort() async throws {
        let model = FakeModel(contextLength: 4096)
        let engine = try makeEngine(model, blocks: 1100, eog: [])
        let stream = try engine.submit(GenerationRequest(promptTokens: prompt(5), stop: StopConditions(maxTokens: 4000)))
        engine.cancel(stream.id)
        let (tokens, _, summary) = try await collect(stream)
        #expect(summary?.finishReason == .abort)
        #expect(tokens.count < 4000)
        await engine.shutdown()
    }

    @Test func shutdownAbortEndsRunningRequestsAndRejectsNewOnes() async throws {
        let model = FakeModel(contextLength: 4096)
        let engine = try makeEngine(model, blocks: 1100, eog: [])
        let stream = try engine.submit(GenerationRequest(promptTokens: prompt(5), stop: StopConditions(maxTokens: 4000)))
        await engine.shutdown(.abort)
        let (_, _, summary) = try await collect(stream)
        #expect(summary?.finishReason == .abort)
        #expect(throws: EngineError.shutDown) {
            try engine.submit(GenerationRequest(promptTokens: [1], stop: StopConditions(maxTokens: 1)))
        }
        let stats = await engine.statistics()
        #expect(stats.freeBlocks == stats.totalBlocks)
    }

    @Test func aModelFailureSurfacesAsAThrownError() async throws {
        let model = FakeModel()
        let engine = try makeEngine(model)
        model.failForward(afterCalls: 0)
        let stream = try engine.submit(GenerationRequest(promptTokens: prompt(5), stop: StopConditions(maxTokens: 3)))
        var reason: FinishReason?
        await #expect(throws: EngineError.modelFailed("malformed forward batch: injected failure")) {
            for try await event in stream { if case let .finished(s) = event { reason = s.finishReason } }
        }
        #expect(reason == .error)
        await engine.shutdown()
    }

    @Test func impossibleConfigurationsAreRejected() {
        #expect(throws: EngineError.self) {   // not even one usable block
            try Engine(model: FakeModel(), configuration: EngineConfiguration(kvCacheBytes: 10))
        }
        #expect(throws: EngineError.self) {   // fewer tokens per step than running sequences
            try Engine(model: FakeModel(), configuration: EngineConfiguration(
                kvCacheBytes: 1 << 20, maxBatchTokens: 8, maxRunningSequences: 16))
        }
    }
}

@Suite struct ConcurrentEngineTests {
    /// Many tasks submit, consume, cancel by id, or abandon their streams at once; the engine must
    /// serve every surviving stream its reference tokens and end with the pool whole.
    @Test func concurrentSubmissionsAndCancellations() async throws {
        let model = FakeModel()
        let engine = try makeEngine(model, blocks: 40)
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0 ..< 200 {
                group.addTask {
                    let r = GenerationRequest(promptTokens: prompt(1 + i % 23, salt: Int32(i)),
                                              sampling: SamplingParameters(temperature: 0.8, seed: UInt64(i)),
                                              stop: StopConditions(maxTokens: 1 + i % 17), priority: i % 3)
                    let stream = try engine.submit(r)
                    var tokens: [Int32] = []
                    var reason: FinishReason?
                    for try await event in stream {
                        switch event {
                        case let .token(t):
                            tokens.append(t.id)
                            if i % 7 == 0 && tokens.count == 2 { engine.cancel(stream.id) }
                            if i % 11 == 0 && tokens.count == 1 { return true }   // abandon the stream
                        case let .finished(s): reason = s.finishReason
                        }
                    }
                    let expected = referenceTokens(r, eog: [0])
                    return reason == .abort ? expected.starts(with: tokens) : tokens == expected
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.count == 200 && outcomes.allSatisfy { $0 })
        await engine.shutdown()
        let stats = await engine.statistics()
        #expect(stats.freeBlocks == stats.totalBlocks && stats.runningSequences == 0 && stats.waitingSequences == 0)
    }
}
