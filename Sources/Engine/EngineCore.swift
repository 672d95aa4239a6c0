import Logging
import Metrics
import Models

/// The engine's step loop without the thread: `schedule() → model.forward → postprocess`.
/// Single-threaded; `Engine` drives it from its own thread, tests drive it directly.
final class EngineCore {
    let model: any LanguageModel
    let cache: KVCache
    let blocks: BlockManager
    let scheduler: Scheduler
    let limits: RequestLimits
    private let sampler: Sampler
    private let endOfGeneration: Set<Int32>
    private let detokenizer: (any Detokenizer)?
    private let logger: Logger
    private let metrics: EngineMetrics
    private let logits: UnsafeMutableBufferPointer<Float>   // [maxRunningSequences, vocab]
    private let forkLogits: UnsafeMutableBufferPointer<Float>   // [vocab], the row n completions share
    private var batch = ForwardBatch()
    /// Every request's live completions.
    private var live: [RequestID: [SequenceState]] = [:]
    private var arrivals: UInt64 = 0
    /// When the current step's forward pass ended (uptime nanoseconds): its tokens' time.
    private var now: UInt64 = 0
    /// Tokens run through the model so far (prefix-cache hits are not computed, so not counted).
    private(set) var computedTokens = 0

    init(model: any LanguageModel, configuration c: EngineConfiguration, detokenizer: (any Detokenizer)?,
         logger: Logger, metricsFactory: any MetricsFactory = MetricsSystem.factory) throws(EngineError) {
        let vocab = model.vocabularySize
        guard vocab > 0, model.contextLength > 0 else {
            throw .invalidConfiguration("the model reports an empty vocabulary or context")
        }
        guard c.blockSize >= 1, c.maxBatchTokens >= 1, c.maxRunningSequences >= 1 else {
            throw .invalidConfiguration("blockSize, maxBatchTokens and maxRunningSequences must be ≥ 1")
        }
        // Otherwise the last-admitted running sequences could wait for a decode token indefinitely.
        guard c.maxBatchTokens >= c.maxRunningSequences else {
            throw .invalidConfiguration("maxBatchTokens (\(c.maxBatchTokens)) must be ≥ maxRunningSequences (\(c.maxRunningSequences))")
        }
        for t in c.endOfGenerationTokens where t < 0 || Int(t) >= vocab {
            throw .invalidConfiguration("end-of-generation token \(t) is outside the vocabulary")
        }
        let bytesPerBlock = KVCache.bytesPerBlock(layout: model.kvLayout, blockSize: c.blockSize)
        let blockCount = bytesPerBlock > 0 ? c.kvCacheBytes / bytesPerBlock : 0
        guard blockCount >= 2 else {   // block 0 is the reserved null block
            throw .invalidConfiguration("kvCacheBytes \(c.kvCacheBytes) holds \(blockCount) blocks of \(bytesPerBlock) bytes; at least 2 are needed")
        }
        self.model = model
        cache = KVCache(layout: model.kvLayout, blockSize: c.blockSize, blockCount: blockCount)
        blocks = BlockManager(blockCount: blockCount, blockSize: c.blockSize, prefixCaching: c.prefixCaching)
        scheduler = Scheduler(blocks: blocks, maxBatchTokens: c.maxBatchTokens,
                              maxRunningSequences: c.maxRunningSequences)
        limits = RequestLimits(vocabularySize: vocab, contextLength: model.contextLength,
                               blockSize: c.blockSize, poolBlocks: blocks.usableBlockCount,
                               maxRunningSequences: c.maxRunningSequences)
        sampler = Sampler(vocabularySize: vocab)
        endOfGeneration = c.endOfGenerationTokens
        self.detokenizer = detokenizer
        self.logger = logger
        metrics = EngineMetrics(factory: metricsFactory)
        logits = .allocate(capacity: c.maxRunningSequences * vocab)
        logits.initialize(repeating: 0)
        forkLogits = .allocate(capacity: vocab)
        forkLogits.initialize(repeating: 0)
    }

    deinit {
        logits.deallocate()
        forkLogits.deallocate()
    }

    var hasWork: Bool { scheduler.hasWork }

    var statistics: EngineStatistics {
        EngineStatistics(runningSequences: scheduler.running.count, waitingSequences: scheduler.waiting.count,
                         freeBlocks: blocks.freeCount, totalBlocks: blocks.usableBlockCount,
                         cachedBlocks: blocks.cachedBlockCount, preemptions: scheduler.preemptionCount,
                         computedTokens: computedTokens)
    }

    /// Queues an already validated request.
    /// `submittedAt`: uptime nanoseconds when the caller submitted it (for time to first token).
    func add(id: RequestID, request: GenerationRequest, seed: UInt64, submittedAt: UInt64 = EngineMetrics.now(),
             sink: any GenerationSink) {
        arrivals += 1
        let groupSink = request.n > 1 ? CompletionGroupSink(sink, completions: request.n) : sink
        let seq = SequenceState(requestID: id, arrival: arrivals, request: request, seed: seed,
                                submittedAt: submittedAt, decoder: detokenizer?.makeDecoder(), sink: groupSink)
        live[id] = [seq]
        scheduler.add(seq)
    }

    /// Ends a request now (reason `abort`), freeing its blocks. Unknown ids (already finished) are ignored.
    func cancel(_ id: RequestID) {
        for seq in live[id] ?? [] { finish(seq, reason: .abort, error: nil) }
    }

    func abortAll() {
        for seq in live.values.joined() { finish(seq, reason: .abort, error: nil) }
    }

    /// One iteration. Returns false when there was nothing to run.
    @discardableResult
    func step() -> Bool {
        let preemptionsBefore = scheduler.preemptionCount
        scheduler.schedule(into: &batch)
        if scheduler.preemptionCount > preemptionsBefore {
            logger.debug("preempted sequences for KV blocks", metadata: [
                "preempted": "\(scheduler.preemptionCount - preemptionsBefore)", "free_blocks": "\(blocks.freeCount)"])
        }
        defer {
            metrics.recordStep(computed: batch.count, preempted: scheduler.preemptionCount - preemptionsBefore,
                               running: scheduler.running.count, waiting: scheduler.waiting.count,
                               usedBlocks: blocks.usableBlockCount - blocks.freeCount,
                               totalBlocks: blocks.usableBlockCount)
        }
        guard batch.count > 0 else { return false }
        blocks.runPendingCopies { cache.copyBlock(from: Int($0), to: Int($1)) }
        let vocab = model.vocabularySize
        let rows = UnsafeMutableBufferPointer(rebasing: logits[0 ..< batch.logitRows.count * vocab])
        do {
            try model.forward(batch, cache: cache, logits: rows)
        } catch {
            // The K/V these sequences were writing are unknown now: fail them, keep the rest.
            logger.error("forward pass failed", metadata: ["error": "\(error)", "tokens": "\(batch.count)"])
            for entry in scheduler.scheduled {
                finish(entry.seq, reason: .error, error: .modelFailed(String(describing: error)))
            }
            return true
        }
        computedTokens += batch.count
        now = EngineMetrics.now()
        var row = 0
        for entry in scheduler.scheduled {
            let seq = entry.seq
            let wantsLogits = entry.wantsLogits
            seq.numComputedTokens += entry.newTokens
            blocks.registerFullBlocks(of: seq)
            guard wantsLogits else { continue }
            let logitsRow = UnsafeMutableBufferPointer(rebasing: logits[row * vocab ..< (row + 1) * vocab])
            row += 1
            if seq.pendingForks > 0 { fork(seq, logits: logitsRow) }
            sample(logitsRow, for: seq)
        }
        return true
    }

    private func sample(_ row: UnsafeMutableBufferPointer<Float>, for seq: SequenceState) {
        append(sampler.sample(row, for: seq, banned: seq.bannedTokens(endOfGeneration: endOfGeneration)), to: seq)
    }

    /// Splits `parent`'s other completions off now that its prompt is computed: they share its KV
    /// blocks (copy-on-write) and each samples its first token from the same logits `row`.
    private func fork(_ parent: SequenceState, logits row: UnsafeMutableBufferPointer<Float>) {
        // Sampling edits a row in place (bias, penalties); every completion starts from the model's.
        _ = forkLogits.update(fromContentsOf: row)
        for i in 1 ... parent.pendingForks {
            let child = SequenceState(requestID: parent.requestID, arrival: parent.arrival, request: parent.request,
                                      seed: parent.seed, index: i, submittedAt: parent.submittedAt,
                                      decoder: detokenizer?.makeDecoder(),
                                      sink: parent.sink)
            child.cachedPromptTokens = parent.cachedPromptTokens
            blocks.fork(parent, into: child)
            scheduler.addForked(child)
            live[parent.requestID, default: []].append(child)
            sample(row, for: child)
            _ = row.update(fromContentsOf: forkLogits)
        }
        parent.pendingForks = 0
    }

    /// Adds a sampled token, streams it, and ends the request if a stop condition holds.
    private func append(_ sampled: Sampler.Result, to seq: SequenceState) {
        let token = sampled.token
        seq.tokens.append(token)
        var reason: FinishReason?
        var text: String
        if seq.isStopToken(token, endOfGeneration: endOfGeneration) {
            // A stop token's own text is not streamed.
            reason = .stop
            text = drainText(of: seq)
        } else {
            let delta = seq.decoder?.append(token) ?? ""
            let pushed = seq.stopFilter.push(delta, matchStops: seq.outputCount >= seq.stop.minTokens)
            text = pushed.text
            if pushed.stopped {
                reason = .stop
            } else if seq.outputCount >= seq.stop.maxTokens || seq.tokens.count >= limits.contextLength {
                reason = .length
                text += drainText(of: seq)
            }
        }
        metrics.recordToken(seq, now: now)
        seq.sink.yield(.token(GeneratedToken(index: seq.index, id: token, text: text, logprob: sampled.logprob,
                                             topLogprobs: sampled.topLogprobs)))
        if let reason { finish(seq, reason: reason, error: nil) }
    }

    /// The text still held by the decoder and the stop-string filter when `seq` ends, cut at a stop
    /// string if the held text completes one.
    private func drainText(of seq: SequenceState) -> String {
        let tail = seq.decoder?.flush() ?? ""
        let pushed = seq.stopFilter.push(tail, matchStops: seq.outputCount >= seq.stop.minTokens)
        return pushed.stopped ? pushed.text : pushed.text + seq.stopFilter.flush()
    }

    private func finish(_ seq: SequenceState, reason: FinishReason, error: EngineError?) {
        live[seq.requestID]?.removeAll { $0 === seq }
        if live[seq.requestID]?.isEmpty == true { live[seq.requestID] = nil }
        scheduler.remove(seq)
        // Completions never split off (the prompt was not computed yet) end with their parent.
        for index in seq.index ... seq.index + seq.pendingForks {
            let usage = Usage(promptTokens: seq.promptCount, completionTokens: index == seq.index ? seq.outputCount : 0,
                              cachedPromptTokens: seq.cachedPromptTokens ?? 0)
            metrics.recordFinished(reason, usage: usage, firstCompletion: index == 0)
            seq.sink.yield(.finished(GenerationSummary(index: index, finishReason: reason, usage: usage,
                                                       preemptions: seq.preemptions)))
            seq.sink.finish(throwing: error)
        }
    }
}
