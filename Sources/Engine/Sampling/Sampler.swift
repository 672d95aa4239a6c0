import Foundation  // expf, logf

/// Chooses each sequence's next token from its logits row. Owns all its scratch memory
/// (allocated once, sized by the vocabulary), so sampling a token allocates nothing unless the
/// request asked for alternatives' log-probabilities.
///
/// Order: logit bias → repetition/presence/frequency penalties → end-of-generation ban (before
/// `minTokens`) → [log-probabilities taken here] → greedy argmax, or temperature → top-k →
/// min-p → top-p → draw from the request's own generator.
final class Sampler {
    let vocabularySize: Int
    private let ids: UnsafeMutableBufferPointer<Int32>    // [vocab] candidate token ids
    private let weights: UnsafeMutableBufferPointer<Float> // [vocab] unnormalised probability per candidate
    private let stamps: UnsafeMutableBufferPointer<UInt32> // [vocab] "seen in this pass" marks
    private var epoch: UInt32 = 0

    struct Result {
        var token: Int32
        var logprob: Float?
        var topLogprobs: [TokenLogprob]
    }

    init(vocabularySize: Int) {
        self.vocabularySize = vocabularySize
        ids = .allocate(capacity: vocabularySize)
        weights = .allocate(capacity: vocabularySize)
        stamps = .allocate(capacity: vocabularySize)
        stamps.initialize(repeating: 0)
    }

    deinit {
        ids.deallocate()
        weights.deallocate()
        stamps.deallocate()
    }

    /// Samples `seq`'s next token from `row` (`[vocabularySize]`, modified in place).
    /// `banned` tokens get probability zero (end-of-generation before `minTokens`).
    func sample(_ row: UnsafeMutableBufferPointer<Float>, for seq: SequenceState, banned: Set<Int32>) -> Result {
        let p = seq.sampling
        for (t, bias) in p.logitBias { row[Int(t)] += bias }
        applyPenalties(row, seq: seq, params: p)
        for t in banned { row[Int(t)] = -.infinity }

        var logprobRows: (lse: Float, top: [TokenLogprob])?
        if let k = seq.logprobs { logprobRows = (logSumExp(row), topAlternatives(row, count: k)) }

        let token = p.temperature == 0 ? argmax(row) : draw(row, params: p, rng: &seq.rng)
        guard let (lse, top) = logprobRows else { return Result(token: token, logprob: nil, topLogprobs: []) }
        return Result(token: token, logprob: row[Int(token)] - lse,
                      topLogprobs: top.map { TokenLogprob(id: $0.id, logprob: $0.logprob - lse) })
    }

    // MARK: penalties

    private func applyPenalties(_ row: UnsafeMutableBufferPointer<Float>, seq: SequenceState,
                                params p: SamplingParameters) {
        if p.repetitionPenalty != 1 {
            // Once per distinct token of prompt and output: shrink its logit towards "less likely".
            nextEpoch()
            for t in seq.tokens where stamps[Int(t)] != epoch {
                stamps[Int(t)] = epoch
                let l = row[Int(t)]
                row[Int(t)] = l > 0 ? l / p.repetitionPenalty : l * p.repetitionPenalty
            }
        }
        if p.presencePenalty != 0 || p.frequencyPenalty != 0 {
            // Output tokens only (OpenAI semantics): frequency per occurrence, presence once.
            nextEpoch()
            for t in seq.tokens[seq.promptCount...] {
                row[Int(t)] -= p.frequencyPenalty
                if stamps[Int(t)] != epoch {
                    stamps[Int(t)] = epoch
                    row[Int(t)] -= p.presencePenalty
                }
            }
        }
    }

    /// Starts a new "seen" pass: marks from earlier passes no longer count.
    private func nextEpoch() {
        epoch &+= 1
        if epoch == 0 {   // wrapped: clear marks old enough to collide
            stamps.update(repeating: 0)
            epoch = 1
        }
    }

    // MARK: selection

    private func argmax(_ row: UnsafeMutableBufferPointer<Float>) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for i in 0 ..< row.count where row[i] > bestValue {
            best = i
            bestValue = row[i]
        }
        return Int32(best)
    }

    private func draw(_ row: UnsafeMutableBufferPointer<Float>, params p: SamplingParameters,
                      rng: inout SplitMix64) -> Int32 {
        var n = vocabularySize
        for i in 0 ..< n { ids[i] = Int32(i) }
        if p.topK > 0 && p.topK < n {
            selectLargest(p.topK, of: n, by: row)
            n = p.topK
        }
        var maxLogit = -Float.infinity
        for i in 0 ..< n { maxLogit = max(maxLogit, row[Int(ids[i])]) }
        guard maxLogit > -.infinity else { return argmax(row) }   // everything banned: nothing to draw
        // weights = exp((logit - max) / T): the most likely candidate weighs 1.
        let invT = 1 / p.temperature
        var total: Float = 0
        for i in 0 ..< n {
            let w = expf((row[Int(ids[i])] - maxLogit) * invT)
            weights[i] = w
            total += w
        }
        if p.minP > 0 {
            // p_i ≥ minP · p_max  ⇔  w_i ≥ minP, since the top candidate weighs 1.
            (n, total) = keepCandidates(n, weighingAtLeast: p.minP)
        }
        if p.topP < 1 {
            let target = p.topP * total
            // Exact shortcut: if the candidates weighing at least 1e-4 already reach the target, the
            // nucleus lies among them, so only they (usually a few hundred, not the whole
            // vocabulary) need sorting.
            var heavy: Float = 0
            for i in 0 ..< n where weights[i] >= 1e-4 { heavy += weights[i] }
            if heavy >= target { n = keepCandidates(n, weighingAtLeast: 1e-4).count }
            sortByWeightDescending(n)
            var cumulative: Float = 0
            var cut = n
            for i in 0 ..< n {
                cumulative += weights[i]
                if cumulative >= target { cut = i + 1; break }
            }
            n = cut
            total = cumulative
        }
        let u = rng.nextUnitFloat() * total
        var cumulative: Float = 0
        for i in 0 ..< n {
            cumulative += weights[i]
            if u < cumulative { return ids[i] }
        }
        return ids[n - 1]   // rounding left u at the very top
    }

    /// Compacts `(ids, weights)[0..<n]` to the candidates weighing at least `floor`; returns how
    /// many remain and their total weight.
    private func keepCandidates(_ n: Int, weighingAtLeast floor: Float) -> (count: Int, total: Float) {
        var kept = 0
        var total: Float = 0
        for i in 0 ..< n where weights[i] >= floor {
            ids[kept] = ids[i]
            weights[kept] = weights[i]
            total += weights[i]
            kept += 1
        }
        return (kept, total)
    }

    /// Reorders `ids[0..<n]` so that its first `k` entries are the `k` largest by `row`
    /// (quickselect, in place).
    private func selectLargest(_ k: Int, of n: Int, by row: UnsafeMutableBufferPointer<Float>) {
        var lo = 0, hi = n - 1
        while lo < hi {
            let pivot = row[Int(ids[(lo + hi) / 2])]
            var i = lo, j = hi
            while i <= j {
                while row[Int(ids[i])] > pivot { i += 1 }
                while row[Int(ids[j])] < pivot { j -= 1 }
                if i <= j {
                    ids.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // [lo...j] ≥ pivot ≥ [i...hi]; recurse into the side holding position k - 1.
            if k - 1 <= j { hi = j } else if k - 1 >= i { lo = i } else { return }
        }
    }

    /// Heap sort of `(ids, weights)[0..<n]` by weight, largest first (in place).
    private func sortByWeightDescending(_ n: Int) {
        func swap(_ a: Int, _ b: Int) {
            ids.swapAt(a, b)
            weights.swapAt(a, b)
        }
        // Min-heap, so popping the minimum to the end leaves the array descending.
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end && weights[child + 1] < weights[child] { child += 1 }
                guard weights[child] < weights[root] else { return }
                swap(root, child)
                root = child
            }
        }
        guard n > 1 else { return }
        for start in stride(from: n / 2 - 1, through: 0, by: -1) { siftDown(start, n) }
        for end in stride(from: n - 1, to: 0, by: -1) {
            swap(0, end)
            siftDown(0, end)
        }
    }

    // MARK: log-probabilities

    private func logSumExp(_ row: UnsafeMutableBufferPointer<Float>) -> Float {
        var m = -Float.infinity
        for v in row { m = max(m, v) }
        guard m > -.infinity else { return m }
        var s: Float = 0
        for v in row { s += expf(v - m) }
        return m + logf(s)
    }

    /// The `count` largest logits, largest first (raw logits; the caller subtracts log-sum-exp).
    private func topAlternatives(_ row: UnsafeMutableBufferPointer<Float>, count: Int) -> [TokenLogprob] {
        let k = min(count, vocabularySize)
        guard k > 0 else { return [] }
        for i in 0 ..< vocabularySize { ids[i] = Int32(i) }
        selectLargest(k, of: vocabularySize, by: row)
        var top = (0 ..< k).map { TokenLogprob(id: ids[$0], logprob: row[Int(ids[$0])]) }
        top.sort { ($0.logprob, $1.id) > ($1.logprob, $0.id) }
        return top
    }
}
