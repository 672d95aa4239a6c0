import Foundation
import GGUF
import Kernels

/// What every decoder-only model shares around its layers: token embedding, the final norm, the
/// output projection (or tied embeddings), batch validation, the workspace, and the lock that
/// serialises forward calls.
final class Decoder: @unchecked Sendable {
    let config: ModelConfig
    /// The mapped file the weight pointers point into; kept alive as long as the model.
    let file: GGUFFile
    let vocabularySize: Int
    let embedding: WeightMatrix       // [vocab, nEmbd]
    let embeddingScale: Float?        // Gemma multiplies embeddings by sqrt(nEmbd)
    let outputNorm: RMSNorm
    let output: Linear                // [vocab, nEmbd], the embedding matrix when tied
    let workspace: Workspace
    private var plan = BatchPlan()
    private let lock = NSLock()

    init(_ w: WeightLoader, config c: ModelConfig, embeddingScale: Float? = nil, maxProjection: Int) throws(ModelError) {
        guard let embd = w.file.tensor(named: "token_embd.weight"), embd.shape.count == 2 else {
            throw .missingTensor("token_embd.weight")
        }
        vocabularySize = embd.shape[1]
        embedding = try w.matrix("token_embd.weight", rows: vocabularySize, columns: c.embeddingSize)
        outputNorm = try RMSNorm(w, "output_norm", count: c.embeddingSize, eps: c.rmsEpsilon)
        output = Linear(weight: try w.optionalMatrix("output.weight", rows: vocabularySize, columns: c.embeddingSize) ?? embedding)
        self.embeddingScale = embeddingScale
        config = c
        file = w.file
        do {
            workspace = try Workspace(config: c, maxProjection: maxProjection, threads: ThreadPool.defaultThreadCount)
        } catch {
            throw .kernel(error)
        }
    }

    /// Runs the heavy kernels on `threads` threads from now on (waits for a running forward).
    func setThreads(_ threads: Int) throws(KernelError) {
        lock.lock()
        defer { lock.unlock() }
        try workspace.setThreads(threads)
    }

    var threads: Int { workspace.matmul.pool.threads }

    /// Validates the batch, embeds its tokens into `ws.x`, runs `layers`, and writes the logits of
    /// `batch.logitRows` (`[nOutputs, vocab]`) into `logits`.
    func run(_ batch: ForwardBatch, cache: KVCache, logits: UnsafeMutableBufferPointer<Float>,
             layers: (BatchPlan, Workspace) throws(ModelError) -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        guard cache.layout == config.kvLayout else {
            throw ForwardError.malformedBatch("KV cache layout \(cache.layout) does not match the model's \(config.kvLayout)")
        }
        let nOut = batch.logitRows.count
        guard logits.count >= nOut * vocabularySize else {
            throw ForwardError.outputTooSmall(needed: nOut * vocabularySize, got: logits.count)
        }
        try plan.prepare(batch, vocabularySize: vocabularySize, contextLength: config.contextLength, cache: cache)
        let ws = workspace
        ws.reserve(tokens: batch.count)
        let e = config.embeddingSize
        for t in 0 ..< batch.count {
            try embedding.dequantizeRow(Int(batch.tokens[t]), into: ws.x + t * e)
            if let s = embeddingScale { VectorMath.scale(ws.x + t * e, s, e) }
        }
        try layers(plan, ws)
        guard nOut > 0, let logitsBase = logits.baseAddress else { return }
        // Gather the rows that need logits, norm them, and project onto the vocabulary.
        for (i, r) in batch.logitRows.enumerated() { (ws.h + i * e).update(from: ws.x + Int(r) * e, count: e) }
        outputNorm(ws.h, rows: nOut, into: ws.h)
        try output(ws.h, n: nOut, into: logitsBase, scratch: ws.matmul)
    }
}
