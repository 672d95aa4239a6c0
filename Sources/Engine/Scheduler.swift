import Models

/// One sequence's share of a step: `newTokens` tokens starting at its `numComputedTokens`.
struct ScheduledSequence {
    let seq: SequenceState
    var newTokens: Int
    /// Whether the step reaches the sequence's last known token, so its logits are sampled.
    var wantsLogits: Bool { seq.numComputedTokens + newTokens == seq.tokens.count }
}

/// Continuous batching in one loop (vLLM v1's shape): there are no prefill and decode phases,
/// only sequences with tokens not yet computed. Each step spends a token budget on, in order:
/// running sequences that need one token (decode), running sequences still prefilling, then
/// waiting sequences (admitted FCFS by priority). Prompts longer than the remaining budget are
/// split into chunks across steps, so a long prompt never stalls the running streams.
final class Scheduler {
    let blocks: BlockManager
    let maxBatchTokens: Int
    let maxRunningSequences: Int

    /// Sorted by `precedes` (priority, then arrival).
    private(set) var waiting: [SequenceState] = []
    /// In admission order.
    private(set) var running: [SequenceState] = []
    private(set) var scheduled: [ScheduledSequence] = []
    private(set) var preemptionCount = 0
    private var admissions: UInt64 = 0

    init(blocks: BlockManager, maxBatchTokens: Int, maxRunningSequences: Int) {
        self.blocks = blocks
        self.maxBatchTokens = maxBatchTokens
        self.maxRunningSequences = maxRunningSequences
        scheduled.reserveCapacity(maxRunningSequences)
    }

    var hasWork: Bool { !waiting.isEmpty || !running.isEmpty }
    var liveSequences: [SequenceState] { waiting + running }

    func add(_ seq: SequenceState) {
        seq.status = .waiting
        let at = waiting.firstIndex { seq.precedes($0) } ?? waiting.endIndex
        waiting.insert(seq, at: at)
    }

    /// Runs a completion split off a running sequence (it already holds its parent's blocks).
    func addForked(_ child: SequenceState) {
        child.status = .running
        admissions += 1
        child.admission = admissions
        running.append(child)
    }

    /// Takes `seq` out of the queues and frees its blocks (finished, cancelled or failed).
    func remove(_ seq: SequenceState) {
        if let i = running.firstIndex(where: { $0 === seq }) { running.remove(at: i) }
        if let i = waiting.firstIndex(where: { $0 === seq }) { waiting.remove(at: i) }
        blocks.free(seq)
        seq.status = .finished
    }

    /// Plans the next step into `scheduled` and writes its forward batch into `batch`.
    func schedule(into batch: inout ForwardBatch) {
        scheduled.removeAll(keepingCapacity: true)
        var budget = maxBatchTokens
        var preempted = false
        // `running` changes as sequences are preempted; walk a snapshot, skipping the preempted.
        let snapshot = running
        scheduleRunning(snapshot, decoding: true, budget: &budget, preempted: &preempted)
        scheduleRunning(snapshot, decoding: false, budget: &budget, preempted: &preempted)
        // Admitting while preempting would only thrash: the freed blocks go to the preempted first.
        // Running slots are promised to completions that a running sequence will split off.
        var reserved = running.reduce(0) { $0 + $1.pendingForks }
        while !preempted, budget > 0, let seq = waiting.first,
              running.count + reserved + 1 + seq.pendingForks <= maxRunningSequences {
            let prefix = blocks.cachedPrefix(of: seq)
            let n = min(seq.tokens.count - prefix.count * blocks.blockSize, budget)
            guard blocks.allocateSlots(for: seq, newTokens: n, prefix: prefix) else { break }
            if seq.cachedPromptTokens == nil { seq.cachedPromptTokens = prefix.count * blocks.blockSize }
            waiting.removeFirst()
            seq.status = .running
            admissions += 1
            seq.admission = admissions
            running.append(seq)
            scheduled.append(ScheduledSequence(seq: seq, newTokens: n))
            budget -= n
            reserved += seq.pendingForks
        }
        fill(&batch)
    }

    /// Schedules the running sequences that need one token (`decoding`) or more (prefill chunks).
    private func scheduleRunning(_ sequences: [SequenceState], decoding: Bool, budget: inout Int,
                                 preempted: inout Bool) {
        for seq in sequences where seq.status == .running && (seq.pendingTokens == 1) == decoding {
            guard budget > 0 else { return }
            let n = min(seq.pendingTokens, budget)
            if allocateOrPreempt(seq, newTokens: n, budget: &budget, preempted: &preempted) {
                scheduled.append(ScheduledSequence(seq: seq, newTokens: n))
                budget -= n
            }
        }
    }

    /// Gets blocks for `seq`'s next `newTokens`, preempting the lowest-ranked running sequence
    /// while blocks are short. False when `seq` itself had to be preempted.
    private func allocateOrPreempt(_ seq: SequenceState, newTokens: Int, budget: inout Int,
                                   preempted: inout Bool) -> Bool {
        while !blocks.allocateSlots(for: seq, newTokens: newTokens) {
            // Lowest rank: highest priority value, then most recently admitted.
            guard let victim = running.max(by: { ($0.priority, $0.admission) < ($1.priority, $1.admission) })
            else { return false }
            preempt(victim, budget: &budget)
            preempted = true
            if victim === seq { return false }
        }
        return true
    }

    /// Frees `victim`'s blocks and puts it back in the waiting queue, ahead of later arrivals; its
    /// tokens so far (prompt and output) are recomputed when it is readmitted.
    private func preempt(_ victim: SequenceState, budget: inout Int) {
        if let i = scheduled.firstIndex(where: { $0.seq === victim }) {
            budget += scheduled[i].newTokens
            scheduled.remove(at: i)
        }
        if let i = running.firstIndex(where: { $0 === victim }) { running.remove(at: i) }
        blocks.free(victim)
        victim.preemptions += 1
        preemptionCount += 1
        add(victim)
    }

    private func fill(_ batch: inout ForwardBatch) {
        batch.removeAll()
        for (index, entry) in scheduled.enumerated() {
            let seq = entry.seq
            let start = seq.numComputedTokens
            for p in start ..< start + entry.newTokens {
                batch.tokens.append(seq.tokens[p])
                batch.positions.append(Int32(p))
                batch.sequenceIndex.append(Int32(index))
            }
            if entry.wantsLogits { batch.logitRows.append(Int32(batch.tokens.count - 1)) }
            batch.sequences.append(ForwardBatch.Sequence(blockTable: seq.blockTable))
        }
    }
}
