import Logging
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
    private let logits: UnsafeMutableBufferPointer<Float>   // [maxRunningSequences, vocab]
    private var batch = ForwardBatch()
    private var live: [RequestID: SequenceState] = [:]
    private var arrivals: UInt64 = 0
    /// Tokens run through the model so far (prefix-cache hits are not computed, so not counted).
    private(set) var computedTokens = 0

    init(model: any LanguageModel, configuration c: EngineConfiguration, detokenizer: (any Detokenizer)?,
         logger: Logger) throws(EngineError) {
        let vocab = model.vocabularySize
        guard vocab > 0, model.contextLength > 0 else {
            throw .invalidConfiguration("the model reports an empty vocabulary or context")
        }
        guard c.blockSize >= 1, c.maxBatchTokens >= 1, c.maxRunningSequences >= 1 else {
            throw .invalidConfiguration("blockSize, maxBatchTokens and maxRunningSequences must be ≥ 1")
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
                               blockSize: c.blockSize, poolBlocks: blocks.usableBlockCount)
        sampler = Sampler(vocabularySize: vocab)
        endOfGeneration = c.endOfGenerationTokens
        self.detokenizer = detokenizer
        self.logger = logger
        logits = .allocate(capacity: c.maxRunningSequences * vocab)
        logits.initialize(repeating: 0)
    }

    deinit { logits.deallocate() }

    var hasWork: Bool { scheduler.hasWork }

    var statistics: EngineStatistics {
        EngineStatistics(runningSequences: scheduler.running.count, waitingSequences: scheduler.waiting.count,
                         freeBlocks: blocks.freeCount, totalBlocks: blocks.usableBlockCount,
                         cachedBlocks: blocks.cachedBlockCount, preemptions: scheduler.preemptionCount,
                         computedTokens: computedTokens)
    }

    /// Queues an already validated request.
    func add(id: RequestID, request: GenerationRequest, seed: UInt64, sink: any GenerationSink) {
        arrivals += 1
        let seq = SequenceState(requestID: id, arrival: arrivals, request: request, seed: seed,
                                decoder: detokenizer?.makeDecoder(), sink: sink)
        live[id] = seq
        scheduler.add(seq)
    }

    /// Ends a request now (reason `abort`), freeing its blocks. Unknown ids (already finished) are ignored.
    func cancel(_ id: RequestID) {
        guard let seq = live[id] else { return }
        finish(seq, reason: .abort, error: nil)
    }

    func abortAll() {
        for seq in Array(live.values) { finish(seq, reason: .abort, error: nil) }
    }

    /// One iteration. Returns false when there was nothing to run.
    @discardableResult
    func step() -> Bool {
        scheduler.schedule(into: &batch)
        guard batch.count > 0 else { return false }
        for copy in blocks.takePendingCopies() { cache.copyBlock(from: Int(copy.from), to: Int(copy.to)) }
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
        var row = 0
        for entry in scheduler.scheduled {
            let seq = entry.seq
            let wantsLogits = entry.wantsLogits
            seq.numComputedTokens += entry.newTokens
            blocks.registerFullBlocks(of: seq)
            guard wantsLogits else { continue }
            let logitsRow = UnsafeMutableBufferPointer(rebasing: logits[row * vocab ..< (row + 1) * vocab])
            row += 1
            append(sampler.sample(logitsRow, for: seq, banned: seq.bannedTokens(endOfGeneration: endOfGeneration)), to: seq)
        }
        return true
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
            text = seq.stopFilter.flush()
        } else {
            let delta = seq.decoder?.append(token) ?? ""
            let pushed = seq.stopFilter.push(delta, matchStops: seq.outputCount >= seq.stop.minTokens)
            text = pushed.text
            if pushed.stopped {
                reason = .stop
            } else if seq.outputCount >= seq.stop.maxTokens || seq.tokens.count >= limits.contextLength {
                reason = .length
                text += seq.stopFilter.flush()
            }
        }
        seq.sink.yield(.token(GeneratedToken(id: token, text: text, logprob: sampled.logprob,
                                             topLogprobs: sampled.topLogprobs)))
        if let reason { finish(seq, reason: reason, error: nil) }
    }

    private func finish(_ seq: SequenceState, reason: FinishReason, error: EngineError?) {
        live[seq.requestID] = nil
        scheduler.remove(seq)
        let usage = Usage(promptTokens: seq.promptCount, completionTokens: seq.outputCount,
                          cachedPromptTokens: seq.cachedPromptTokens ?? 0)
        seq.sink.yield(.finished(GenerationSummary(finishReason: reason, usage: usage, preemptions: seq.preemptions)))
        seq.sink.finish(throwing: error)
    }
}
