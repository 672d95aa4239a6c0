import Foundation
import Testing
@testable import Engine

private func request(_ promptTokens: [Int32], maxTokens: Int, sampling: SamplingParameters = .greedy,
                     ignoreEOS: Bool = false, priority: Int = 0) -> GenerationRequest {
    GenerationRequest(promptTokens: promptTokens, sampling: sampling,
                      stop: StopConditions(maxTokens: maxTokens, ignoreEOS: ignoreEOS), priority: priority)
}

@Suite struct SchedulerTests {
    @Test func batchesRespectTheTokenBudgetAndSequenceCap() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 200, maxBatchTokens: 16, maxRunning: 3, eog: [0])
        var runs: [(GenerationRequest, Collector)] = []
        for i in 0 ..< 8 {
            let r = request(prompt(5 + 5 * i, salt: Int32(i)), maxTokens: 20)
            runs.append((r, try core.submit(r, id: UInt64(i))))
        }
        try core.runToCompletion()
        #expect(!model.batches.isEmpty)
        #expect(model.batches.allSatisfy { $0.tokens <= 16 && $0.sequences.count <= 3 })
        #expect(model.batches.contains { $0.tokens == 16 })   // the budget is actually used
        for (r, c) in runs {
            #expect(c.tokens == referenceTokens(r, eog: [0]))
            #expect(c.ended && c.error == nil)
            let expectedReason: FinishReason = c.tokens.last == 0 ? .stop : .length
            #expect(c.summary?.finishReason == expectedReason)
            #expect(c.summary?.usage == Usage(promptTokens: r.promptTokens.count, completionTokens: c.tokens.count,
                                              cachedPromptTokens: 0))
        }
        #expect(core.blocks.isWhole)
    }

    @Test func chunkedPrefillInterleavesWithDecode() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 100, maxBatchTokens: 16)
        let shortRequest = request(prompt(4), maxTokens: 40, ignoreEOS: true)
        let short = try core.submit(shortRequest, id: 1)
        core.step()
        #expect(short.tokens.count == 1)   // decoding now
        let longRequest = request(prompt(100, salt: 3), maxTokens: 5, ignoreEOS: true)
        let long = try core.submit(longRequest, id: 2)
        let before = model.batches.count
        // 100 prompt tokens at 15 per step (the budget minus the running stream's decode token).
        for step in 1 ... 7 {
            core.step()
            let batch = model.batches[before + step - 1]
            #expect(batch.sequences.count == 2)
            #expect(batch.sequences[0].tokens == 1)                    // decode first
            #expect(batch.sequences[1].tokens == min(15, 100 - 15 * (step - 1)))
            #expect(batch.sequences[1].firstPosition == Int32(15 * (step - 1)))
            #expect(short.tokens.count == 1 + step)                    // the stream never stalls
            #expect(long.tokens.count == (step == 7 ? 1 : 0))           // sampled once the prompt is in
        }
        try core.runToCompletion()
        #expect(short.tokens == referenceTokens(shortRequest))
        #expect(long.tokens == referenceTokens(longRequest))
        #expect(core.blocks.isWhole)
    }

    @Test(arguments: [true, false])
    func preemptionAndResumeGiveTheSameTokens(prefixCaching: Bool) throws {
        let model = FakeModel()
        // 12 usable blocks of 4 tokens; each request grows to 10 + 24 tokens = 9 blocks.
        let core = try makeCore(model, blocks: 12, maxBatchTokens: 32, prefixCaching: prefixCaching)
        var runs: [(GenerationRequest, Collector)] = []
        for i in 0 ..< 4 {
            let sampling = SamplingParameters(temperature: 0.8, topK: 10, seed: UInt64(100 + i))
            let r = request(prompt(10, salt: Int32(i)), maxTokens: 24, sampling: sampling, ignoreEOS: true)
            runs.append((r, try core.submit(r, id: UInt64(i))))
        }
        try core.runToCompletion()
        #expect(core.scheduler.preemptionCount > 0)
        #expect(runs.contains { $0.1.summary?.preemptions ?? 0 > 0 })
        for (r, c) in runs {
            #expect(c.tokens == referenceTokens(r))
            #expect(c.summary?.finishReason == .length)
        }
        #expect(core.blocks.isWhole)
        try core.blocks.checkInvariants(liveSequences: [])
    }

    @Test func theMostRecentlyAdmittedSequenceIsPreempted() throws {
        let model = FakeModel()
        // 8 usable blocks; each request grows to 8 + 16 = 24 tokens = 6 blocks: both cannot finish together.
        let core = try makeCore(model, blocks: 8, prefixCaching: false)
        let first = try core.submit(request(prompt(8), maxTokens: 16, ignoreEOS: true), id: 1)
        let second = try core.submit(request(prompt(8, salt: 1), maxTokens: 16, ignoreEOS: true), id: 2)
        try core.runToCompletion()
        #expect(first.summary?.preemptions == 0)
        #expect(second.summary?.preemptions ?? 0 > 0)
        #expect(second.tokens == referenceTokens(request(prompt(8, salt: 1), maxTokens: 16, ignoreEOS: true)))
    }

    @Test func aHigherPriorityRequestIsAdmittedFirst() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 50, maxRunning: 1)
        let low = try core.submit(request(prompt(4), maxTokens: 3, ignoreEOS: true, priority: 5), id: 1)
        let high = try core.submit(request(prompt(4, salt: 1), maxTokens: 3, ignoreEOS: true, priority: -1), id: 2)
        core.step()
        #expect(high.tokens.count == 1 && low.tokens.isEmpty)
        try core.runToCompletion()
        #expect(low.tokens.count == 3)
    }

    @Test func prefixHitsSkipRecomputation() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 64, eog: [0])
        let base = prompt(21)
        let first = request(base, maxTokens: 1)
        try core.submit(first, id: 1)
        try core.runToCompletion()
        #expect(model.computedTokens == 21)
        // Same first 20 tokens (5 full blocks), new suffix: only the suffix is computed.
        func computed(_ r: GenerationRequest, id: UInt64) throws -> (Int, Collector) {
            let before = model.computedTokens
            let c = try core.submit(r, id: id)
            try core.runToCompletion()
            #expect(c.tokens == referenceTokens(r, eog: [0]))
            return (model.computedTokens - before - (c.tokens.count - 1), c)   // minus decode steps
        }
        let (suffixOnly, c2) = try computed(request(Array(base[..<20]) + [9, 8, 7], maxTokens: 4), id: 2)
        #expect(suffixOnly == 3)
        #expect(c2.summary?.usage.cachedPromptTokens == 20)
        // The identical prompt: everything but the last token comes from the cache.
        let (lastOnly, _) = try computed(request(base, maxTokens: 4), id: 3)
        #expect(lastOnly == 1)
        // A prompt of exactly 5 blocks may reuse only 4 so that its last token is computed.
        let (lastBlock, _) = try computed(request(Array(base[..<20]), maxTokens: 4), id: 4)
        #expect(lastBlock == 4)
        #expect(core.blocks.isWhole)
    }

    @Test func withoutPrefixCachingEverythingIsComputed() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 64, prefixCaching: false)
        for id in 1 ... 2 { try core.submit(request(prompt(21), maxTokens: 1), id: UInt64(id)) }
        try core.runToCompletion()
        #expect(model.computedTokens == 42)
    }

    @Test func cancellationFreesBlocksAtOnce() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 40)
        let keptRequest = request(prompt(9), maxTokens: 12, ignoreEOS: true)
        let kept = try core.submit(keptRequest, id: 1)
        let cancelled = try core.submit(request(prompt(30, salt: 2), maxTokens: 50, ignoreEOS: true), id: 2)
        for _ in 0 ..< 3 { core.step() }
        let freeBefore = core.blocks.freeCount
        core.cancel(RequestID(rawValue: 2))
        #expect(core.blocks.freeCount > freeBefore)
        #expect(cancelled.summary?.finishReason == .abort && cancelled.ended)
        #expect(cancelled.tokens.count == 3)
        try core.blocks.checkInvariants(liveSequences: core.scheduler.liveSequences)
        core.cancel(RequestID(rawValue: 2))   // already gone: ignored
        try core.runToCompletion()
        #expect(kept.tokens == referenceTokens(keptRequest))
        #expect(core.blocks.isWhole)
    }

    @Test func aModelFailureEndsTheScheduledRequestsWithAnError() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 40)
        let a = try core.submit(request(prompt(5), maxTokens: 10, ignoreEOS: true), id: 1)
        core.step()
        model.failForward(afterCalls: 0)
        let b = try core.submit(request(prompt(6, salt: 1), maxTokens: 10, ignoreEOS: true), id: 2)
        core.step()
        #expect(a.summary?.finishReason == .error && b.summary?.finishReason == .error)
        #expect(a.error == .modelFailed("malformed forward batch: injected failure"))
        #expect(!core.hasWork && core.blocks.isWhole)
    }

    @Test func stopStringsEndGenerationWithoutStreamingTheStopText() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 40, detokenizer: FakeDetokenizer())
        let plain = request(prompt(7), maxTokens: 12, ignoreEOS: true)
        let expected = referenceTokens(plain)
        // Stop on text spanning tokens 4 and 5 (the tail of one, the head of the next).
        let t4 = FakeDetokenizer.text(of: expected[4]), t5 = FakeDetokenizer.text(of: expected[5])
        var r = plain
        r.stop.stopStrings = [String(t4.dropFirst()) + String(t5.prefix(2))]
        let c = try core.submit(r, id: 1)
        try core.runToCompletion()
        #expect(c.summary?.finishReason == .stop)
        #expect(c.tokens == Array(expected[..<6]))
        let before = expected[..<4].map(FakeDetokenizer.text(of:)).joined()
        #expect(c.text == before + String(t4.prefix(1)))
        // minTokens beyond the match: the stop string is not checked yet.
        var late = r
        late.stop.minTokens = 7
        let d = try core.submit(late, id: 2)
        try core.runToCompletion()
        #expect(d.summary?.finishReason != .stop || d.tokens.count >= 7)
        #expect(d.tokens.count > 6)
    }

    @Test func minTokensBansEndOfGenerationAndIgnoreEOSKeepsGoing() throws {
        let model = FakeModel()
        let core = try makeCore(model, blocks: 40, eog: [0, 1, 2, 3, 5, 6, 7, 8, 9, 10])
        var r = request(prompt(3), maxTokens: 12)
        r.stop.minTokens = 8
        let c = try core.submit(r, id: 1)
        var ignoring = request(prompt(3), maxTokens: 12, ignoreEOS: true)
        ignoring.sampling = .greedy
        let d = try core.submit(ignoring, id: 2)
        try core.runToCompletion()
        let eog: Set<Int32> = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10]
        #expect(c.tokens == referenceTokens(r, eog: eog))
        #expect(c.tokens.count >= 8 && !c.tokens.prefix(7).contains { eog.contains($0) })
        #expect(d.tokens.count == 12 && d.summary?.finishReason == .length)
    }

    @Test func logprobsComeFromTheModelsDistribution() throws {
        let core = try makeCore(FakeModel(), blocks: 40, maxBatchTokens: 8)   // prompt in 2 chunks
        var r = request(prompt(13), maxTokens: 4, ignoreEOS: true)
        r.logprobs = 2
        let c = try core.submit(r, id: 1)
        try core.runToCompletion()
        var history = r.promptTokens
        var row = [Float](repeating: 0, count: 32)
        for event in c.events {
            guard case let .token(t) = event else { continue }
            row.withUnsafeMutableBufferPointer { FakeModel.logits(history: history, into: $0) }
            let m = row.max()!
            let lse = m + logf(row.map { expf($0 - m) }.reduce(0, +))
            #expect(abs((t.logprob ?? 0) - (row[Int(t.id)] - lse)) < 1e-5)
            #expect(t.id == Int32(row.firstIndex(of: m)!))   // greedy
            #expect(t.topLogprobs.count == 2 && t.topLogprobs[0].id == t.id)
            history.append(t.id)
        }
        #expect(history.count == 13 + 4)
    }

    @Test func impossibleRequestsAreRejectedAtSubmission() throws {
        let model = FakeModel(contextLength: 64)
        let core = try makeCore(model, blocks: 8)   // 32 tokens of KV
        #expect(throws: EngineError.exceedsContext(tokens: 65, contextLength: 64)) {
            try core.submit(request(prompt(60), maxTokens: 5), id: 1)
        }
        #expect(throws: EngineError.exceedsKVPool(blocksNeeded: 9, poolBlocks: 8)) {
            try core.submit(request(prompt(30), maxTokens: 4), id: 2)
        }
        try core.submit(request(prompt(30), maxTokens: 3), id: 3)   // 32 tokens: exactly fits
        #expect(throws: EngineError.emptyPrompt) { try core.submit(request([], maxTokens: 1), id: 4) }
        #expect(throws: EngineError.invalidToken(32, vocabularySize: 32)) {
            try core.submit(request([1, 32], maxTokens: 1), id: 5)
        }
        #expect(throws: EngineError.self) {
            try core.submit(request([1], maxTokens: 1, sampling: SamplingParameters(topP: 0)), id: 6)
        }
        try core.runToCompletion()
        #expect(core.blocks.isWhole)
    }
}
