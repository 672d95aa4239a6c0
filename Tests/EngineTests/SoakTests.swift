import Testing
@testable import Engine

@Suite struct SoakTests {
    /// 1,000 requests with random prompt lengths (many sharing prefixes), output lengths,
    /// priorities, sampling, parallel completions (n) and cancellations, in a pool small enough to force preemption and
    /// prefix-cache eviction. Invariants are checked after every step; every request that was not
    /// cancelled must produce exactly its reference tokens; the pool must end whole.
    @Test func thousandRandomRequestsLeaveThePoolWhole() throws {
        let model = FakeModel(vocabularySize: 32, contextLength: 128)
        let eog: Set<Int32> = [0]
        let core = try makeCore(model, blocks: 48, maxBatchTokens: 32, maxRunning: 8, eog: eog)
        var rng = SplitMix64(seed: 2024)
        func random(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
        let sharedPrefixes = (0 ..< 4).map { i in prompt(8 + 5 * i, salt: Int32(i)) }

        var runs: [(GenerationRequest, Collector)] = []
        var live: [UInt64] = []
        while runs.count < 1000 || core.hasWork {
            for _ in 0 ..< (runs.count < 1000 ? random(0 ... 3) : 0) {
                var tokens = random(0 ... 2) == 0 ? [] : sharedPrefixes[random(0 ... 3)]
                for _ in 0 ..< random(1 ... 16) { tokens.append(Int32(random(1 ... 31))) }
                let sampling = random(0 ... 1) == 0
                    ? SamplingParameters.greedy
                    : SamplingParameters(temperature: 0.7, topP: 0.9, seed: UInt64(runs.count))
                let r = GenerationRequest(promptTokens: tokens, sampling: sampling,
                                          stop: StopConditions(maxTokens: random(1 ... 20)),
                                          priority: random(0 ... 2), n: random(0 ... 9) == 0 ? random(2 ... 3) : 1)
                let id = UInt64(runs.count)
                runs.append((r, try core.submit(r, id: id)))
                live.append(id)
            }
            if !live.isEmpty && random(0 ... 19) == 0 {
                core.cancel(RequestID(rawValue: live[random(0 ... live.count - 1)]))
            }
            core.step()
            live.removeAll { runs[Int($0)].1.ended }
            try core.blocks.checkInvariants(liveSequences: core.scheduler.liveSequences)
        }

        #expect(core.blocks.isWhole)
        #expect(core.scheduler.preemptionCount > 0)
        var cancelled = 0, cacheHits = 0
        for (r, c) in runs {
            #expect(c.ended && c.error == nil)
            #expect(c.summaries.count == r.n)
            for s in c.summaries {
                let expected = referenceTokens(r, eog: eog, index: s.index)
                if s.finishReason == .abort {
                    cancelled += 1
                    #expect(expected.starts(with: c.tokens(index: s.index)))
                } else {
                    #expect(c.tokens(index: s.index) == expected)
                }
            }
            if c.summary?.usage.cachedPromptTokens ?? 0 > 0 { cacheHits += 1 }
        }
        #expect(cancelled > 10)
        #expect(cacheHits > 100)
    }
}
