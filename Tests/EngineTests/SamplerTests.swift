import Foundation
import Testing
@testable import Engine

private func state(_ tokens: [Int32], promptCount: Int? = nil, sampling: SamplingParameters,
                   logprobs: Int? = nil) -> SequenceState {
    let p = promptCount ?? tokens.count
    let seq = SequenceState(requestID: RequestID(rawValue: 1), arrival: 1,
                            request: GenerationRequest(promptTokens: Array(tokens[..<p]), sampling: sampling,
                                                       stop: StopConditions(maxTokens: 100), logprobs: logprobs),
                            seed: sampling.seed ?? 0, decoder: nil, sink: Collector())
    seq.tokens = tokens
    return seq
}

private func sample(_ logits: [Float], _ seq: SequenceState, sampler: Sampler? = nil,
                    banned: Set<Int32> = []) -> Sampler.Result {
    var row = logits
    let s = sampler ?? Sampler(vocabularySize: logits.count)
    return row.withUnsafeMutableBufferPointer { s.sample($0, for: seq, banned: banned) }
}

/// Draws `n` tokens from the same logits with one sequence's generator.
private func draws(_ logits: [Float], _ params: SamplingParameters, _ n: Int) -> [Int32] {
    let seq = state([1], sampling: params)
    let sampler = Sampler(vocabularySize: logits.count)
    return (0 ..< n).map { _ in sample(logits, seq, sampler: sampler).token }
}

@Suite struct SamplerTests {
    let logits: [Float] = [0.5, 2.0, -1.0, 1.5, 0.0, 1.9, -3.0, 0.2]

    @Test func greedyTakesTheArgmax() {
        #expect(sample(logits, state([4], sampling: .greedy)).token == 1)
    }

    @Test func sameSeedSameTokensDifferentSeedDifferentTokens() {
        let a = draws(logits, SamplingParameters(temperature: 1, seed: 7), 64)
        let b = draws(logits, SamplingParameters(temperature: 1, seed: 7), 64)
        let c = draws(logits, SamplingParameters(temperature: 1, seed: 8), 64)
        #expect(a == b)
        #expect(a != c)
        #expect(Set(a).count > 3)   // it really samples
    }

    @Test func samplingFrequenciesFollowTheSoftmax() {
        let n = 20_000
        let tokens = draws(logits, SamplingParameters(temperature: 1, seed: 3), n)
        let m = logits.max()!
        let weights = logits.map { expf($0 - m) }
        let total = weights.reduce(0, +)
        for t in 0 ..< logits.count {
            let expected = Double(weights[t] / total)
            let observed = Double(tokens.count { $0 == Int32(t) }) / Double(n)
            // 5 standard deviations of a binomial proportion.
            #expect(abs(observed - expected) <= 5 * (expected * (1 - expected) / Double(n)).squareRoot() + 1e-9)
        }
    }

    @Test func topKKeepsOnlyTheKMostLikely() {
        let tokens = Set(draws(logits, SamplingParameters(temperature: 5, topK: 3, seed: 1), 500))
        #expect(tokens == [1, 3, 5])
        #expect(Set(draws(logits, SamplingParameters(temperature: 5, topK: 1, seed: 1), 50)) == [1])
    }

    @Test func topPKeepsTheSmallestSetReachingP() {
        // Equal top two, far above the rest: p = 0.5 needs one of them only... p = 0.9 needs both.
        let l: [Float] = [10, 10, 0, 0, -1, -2]
        #expect(Set(draws(l, SamplingParameters(topP: 0.4, seed: 2), 200)).count == 1)
        #expect(Set(draws(l, SamplingParameters(topP: 0.9, seed: 2), 400)) == [0, 1])
    }

    @Test func minPDropsTokensFarBelowTheBest() {
        // exp(1.9 - 2.0) ≈ 0.905, exp(1.5 - 2.0) ≈ 0.607, exp(0.5 - 2.0) ≈ 0.22.
        #expect(Set(draws(logits, SamplingParameters(minP: 0.8, seed: 4), 300)) == [1, 5])
        #expect(Set(draws(logits, SamplingParameters(minP: 0.5, seed: 4), 300)) == [1, 3, 5])
    }

    @Test func logitBiasAndBansOverrideTheModel() {
        var p = SamplingParameters.greedy
        p.logitBias = [6: 10]
        #expect(sample(logits, state([4], sampling: p)).token == 6)
        #expect(sample(logits, state([4], sampling: .greedy), banned: [1]).token == 5)
    }

    @Test func penaltiesDiscourageRepeats() {
        // Token 1 (2.0) vs 5 (1.9): repeating 1 flips the choice under each penalty.
        let history: [Int32] = [0, 1]
        var rep = SamplingParameters.greedy
        rep.repetitionPenalty = 1.1           // 2.0 / 1.1 ≈ 1.82 < 1.9
        #expect(sample(logits, state(history, sampling: rep)).token == 5)
        var presence = SamplingParameters.greedy
        presence.presencePenalty = 0.2         // output tokens only: the prompt's 1 does not count…
        #expect(sample(logits, state(history, sampling: presence)).token == 1)
        #expect(sample(logits, state(history, promptCount: 1, sampling: presence)).token == 5)   // …the output's does
        var frequency = SamplingParameters.greedy
        frequency.frequencyPenalty = 0.06     // once: 1.94 > 1.9; twice: 1.88 < 1.9
        #expect(sample(logits, state([0, 1], promptCount: 1, sampling: frequency)).token == 1)
        #expect(sample(logits, state([0, 1, 1], promptCount: 1, sampling: frequency)).token == 5)
    }

    @Test func logprobsAreNormalisedAndRanked() throws {
        let r = sample(logits, state([4], sampling: .greedy, logprobs: 3))
        let m = logits.max()!
        let lse = m + logf(logits.map { expf($0 - m) }.reduce(0, +))
        #expect(abs(try #require(r.logprob) - (2.0 - lse)) < 1e-5)
        #expect(r.topLogprobs.map(\.id) == [1, 5, 3])
        #expect(abs(r.topLogprobs[2].logprob - (1.5 - lse)) < 1e-5)
    }
}

@Suite struct LargeVocabularySamplerTests {
    /// Top-p over a large vocabulary (where the sampler sorts only the heavy candidates) draws from
    /// exactly the nucleus a full sort gives.
    @Test func topPMatchesABruteForceNucleus() {
        var rng = SplitMix64(seed: 11)
        let vocab = 3000
        // Peaked like a language model's: a few dozen plausible tokens, a long tail of unlikely ones.
        let logits = (0 ..< vocab).map { _ in -30 * powf(Float(rng.next() >> 40) * 0x1p-24, 0.7) }
        let p: Float = 0.6
        let m = logits.max()!
        let weights = logits.map { expf($0 - m) }
        let total = weights.reduce(0, +)
        var nucleus: Set<Int32> = []
        var cumulative: Float = 0
        for i in (0 ..< vocab).sorted(by: { weights[$0] > weights[$1] }) where cumulative < p * total {
            nucleus.insert(Int32(i))
            cumulative += weights[i]
        }
        let drawn = Set(draws(logits, SamplingParameters(topP: p, seed: 9), 300))
        #expect(drawn.isSubset(of: nucleus))
        #expect(nucleus.count > 20 && drawn.count > nucleus.count / 2)   // across the nucleus, not a few tokens
    }
}
