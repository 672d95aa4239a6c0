import Testing
@testable import Engine

@Suite struct ParallelCompletionTests {
    private func request(n: Int, promptLength: Int = 10, maxTokens: Int = 12) -> GenerationRequest {
        GenerationRequest(promptTokens: prompt(promptLength), sampling: SamplingParameters(temperature: 1, seed: 5),
                          stop: StopConditions(maxTokens: maxTokens, ignoreEOS: true), n: n)
    }

    /// n completions compute the prompt once, then write different tokens into the prompt's shared,
    /// partially filled last block: only copy-on-write keeps each one's history intact.
    @Test func completionsShareThePromptAndCopyItsPartialBlock() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 40)
        let r = request(n: 3)   // 10 prompt tokens: 2 full blocks + 2 tokens of a third
        let c = try core.submit(r, id: 1)
        try core.runToCompletion()
        let completions = (0 ..< 3).map { c.tokens(index: $0) }
        for (i, tokens) in completions.enumerated() {
            #expect(tokens == referenceTokens(r, index: i))
        }
        #expect(Set(completions.map { $0 }).count == 3)   // really different continuations
        #expect(model.computedTokens == 10 + 3 * 11)       // prompt once, then every decode token
        #expect(c.summaries.map(\.index).sorted() == [0, 1, 2])
        #expect(c.summaries.allSatisfy { $0.finishReason == .length && $0.usage.completionTokens == 12 })
        #expect(c.ended && c.error == nil)
        #expect(core.blocks.isWhole)
    }

    @Test func cancellingBeforeTheForkEndsEveryCompletion() throws {
        let core = try makeCore(FakeModel(), blocks: 40, maxBatchTokens: 4, maxRunning: 4)
        let c = try core.submit(request(n: 3), id: 1)
        core.step()   // 4 of 10 prompt tokens: not forked yet
        core.cancel(RequestID(rawValue: 1))
        #expect(c.summaries.map(\.index) == [0, 1, 2])
        #expect(c.summaries.allSatisfy { $0.finishReason == .abort })
        #expect(c.ended && !core.hasWork && core.blocks.isWhole)
    }

    @Test func completionsRespectTheSequenceCap() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 60, maxRunning: 4)
        #expect(throws: EngineError.self) { try core.submit(request(n: 5), id: 1) }
        let a = try core.submit(request(n: 3), id: 2)
        let b = try core.submit(request(n: 2, promptLength: 6), id: 3)
        while core.hasWork {
            core.step()
            #expect(core.scheduler.running.count <= 4)
        }
        #expect(model.batches.allSatisfy { $0.sequences.count <= 4 })
        #expect(a.summaries.count == 3 && b.summaries.count == 2)
        #expect(core.blocks.isWhole)
    }
}
