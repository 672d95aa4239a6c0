import Testing
@testable import Models
import GGUF

/// A sequence's logits are bit-identical whether it runs alone (prompt in one batch, then one token
/// per step) or interleaved with another sequence in shared batches, at any thread count: the
/// property the engine's continuous batching relies on (issue 6).
@Suite struct BatchInvarianceTests {
    @Test(arguments: ["llama-spm-q4_k_m", "phi3-f16"])
    func sequenceAloneEqualsSequenceInBatch(name: String) throws {
        let model = try ModelRegistry.load(path: Reference.modelPath(name))
        guard let decoder = model as? DecoderModel else { Issue.record("not a decoder model"); return }
        let v = model.vocabularySize
        let a: [Int32] = [1, 7, 12, 5, 33, 2, 9], b: [Int32] = [3, 4, 18, 6, 21]
        let blockSize = 4
        // Alone: a's prompt (5 tokens), then 2 single-token steps; logits after every token.
        func alone(threads: Int) throws -> [[Float]] {
            try decoder.setThreads(threads)
            let cache = KVCache(layout: model.kvLayout, blockSize: blockSize, blockCount: 2)
            var out: [[Float]] = []
            var batch = ForwardBatch(sequences: [.init(blockTable: [1, 0])])
            for (start, end) in [(0, 5), (5, 6), (6, 7)] {
                batch.tokens = Array(a[start ..< end])
                batch.positions = (start ..< end).map { Int32($0) }
                batch.sequenceIndex = [Int32](repeating: 0, count: end - start)
                batch.logitRows = (0 ..< Int32(end - start)).map { $0 }
                var logits = [Float](repeating: 0, count: (end - start) * v)
                try logits.withUnsafeMutableBufferPointer { try model.forward(batch, cache: cache, logits: $0) }
                for i in 0 ..< end - start { out.append(Array(logits[i * v ..< (i + 1) * v])) }
            }
            return out
        }
        // Mixed: b's prompt first, then a batch of [b token, a's 5-token prompt], then steps with both.
        func mixed() throws -> [[Float]] {
            try decoder.setThreads(2)
            let cache = KVCache(layout: model.kvLayout, blockSize: blockSize, blockCount: 5)
            let seqs: [ForwardBatch.Sequence] = [.init(blockTable: [3, 4]), .init(blockTable: [2, 0])]
            var out: [[Float]] = []
            func run(_ items: [(seq: Int32, token: Int32, pos: Int32)]) throws -> [Float] {
                let batch = ForwardBatch(tokens: items.map(\.token), positions: items.map(\.pos),
                                         sequenceIndex: items.map(\.seq), logitRows: (0 ..< Int32(items.count)).map { $0 },
                                         sequences: seqs)
                var logits = [Float](repeating: 0, count: items.count * v)
                try logits.withUnsafeMutableBufferPointer { try model.forward(batch, cache: cache, logits: $0) }
                return logits
            }
            _ = try run((0 ..< 3).map { (1, b[$0], Int32($0)) })
            let l1 = try run([(1, b[3], 3)] + (0 ..< 5).map { (0, a[$0], Int32($0)) })
            for i in 1 ... 5 { out.append(Array(l1[i * v ..< (i + 1) * v])) }
            let l2 = try run([(0, a[5], 5), (1, b[4], 4)])
            out.append(Array(l2[0 ..< v]))
            let l3 = try run([(0, a[6], 6)])
            out.append(Array(l3[0 ..< v]))
            return out
        }
        let reference = try alone(threads: 1)
        #expect(try alone(threads: 3) == reference, "thread count changed logits")
        #expect(try mixed() == reference, "batch composition changed logits")
    }
}
